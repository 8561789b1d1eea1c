package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// mockDeadlineCounting stands in for the deadline activities of deadlines.go: count answers each deadline with
// the date given for its name (or counts it with the embedded calendar), recount answers what the returned result
// holds when it is called (nothing moved unless a test sets it).
func mockDeadlineCounting(env *testsuite.TestWorkflowEnvironment, given map[string]domain.Date) *activities.RecountResult {
	recount := &activities.RecountResult{}
	cal := domain.DefaultCalendar()
	env.OnActivity(acts.CountDeadlines, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CountDeadlinesInput) ([]domain.CaseDeadline, error) {
			out := make([]domain.CaseDeadline, len(in.Deadlines))
			for i, d := range in.Deadlines {
				if due, ok := given[d.Name]; ok {
					d.Due = due
					out[i] = d
					continue
				}
				out[i] = d.Count(cal)
			}
			return out, nil
		}).Maybe()
	env.OnActivity(acts.RecountDeadlines, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.RecountDeadlinesInput) (activities.RecountResult, error) {
			return *recount, nil
		}).Maybe()
	env.OnActivity(acts.CountPeriodsFromPublication, mock.Anything, mock.Anything).Return(activities.PublicationPeriods{}, nil).Maybe()
	return recount
}

// TestPenaltyDeliveryWatchFollowsARecountedDeadline: a provisional delivery deadline (2026-05-29) counted again
// when the year's notice is loaded moves to 2026-06-02; the running workflow's overdue watch re-arms for the new
// date and escalates once it is over, not at the end of the old one (RULES.md "Working days": recomputed when loaded).
func TestPenaltyDeliveryWatchFollowsARecountedDeadline(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	moved := domain.MustParseDate("2026-06-02")
	*r.recount = activities.RecountResult{Dues: map[string]domain.Date{dueDelivery: moved, duePublish: f.PublishDue},
		Moved: map[string][2]domain.Date{dueDelivery: {f.DeliveryDue, moved}}}
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalCalendarChanged, CalendarChanged{Year: 2026})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(PenaltyStateQuery)
		require.NoError(t, err)
		var st PenaltyState
		require.NoError(t, v.Get(&st))
		assert.Equal(t, moved, st.DeliveryDue, "the state carries the new date")
		r.mu.Lock()
		defer r.mu.Unlock()
		assert.Empty(t, r.escalations, "not escalated at the end of the old date")
	}, shanghaiAt("2026-06-01", 12).Sub(shanghaiAt(f.DecidedOn.String(), 10)))
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 30*24*time.Hour)
	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})

	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.escalations)
	assert.Equal(t, "delivery", r.escalations[0].Step)
	assert.Equal(t, moved, *r.escalations[0].DueOn)
	end := shanghaiAt("2026-06-03", 0)
	assert.False(t, r.escalatedAt.Before(end), "escalated at %s", r.escalatedAt)
}

// TestObjectionAnswerWatchFollowsARecountedDeadline: the verification deadline (2026-11-11) counted again when a
// notice is loaded moves to 2026-11-13; the objection's overdue watch escalates once the new date is over.
func TestObjectionAnswerWatchFollowsARecountedDeadline(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	moved := domain.MustParseDate("2026-11-13")
	*r.recount = activities.RecountResult{Moved: map[string][2]domain.Date{dueVerify: {domain.MustParseDate("2026-11-11"), moved}}}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCalendarChanged, CalendarChanged{Year: 2026}) }, 24*time.Hour)
	resolved := objectionUpdateAt(env, 14*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, resolved.rejected)
	require.Len(t, r.escalations, 1)
	assert.Equal(t, moved, *r.escalations[0].DueOn)
	assert.True(t, shanghaiAt("2026-11-14", 0).Equal(r.escalatedAt["verify"]), "escalated when the new date is over: %s", r.escalatedAt["verify"])
	res, _ := r.step("objection.resolved")
	assert.Equal(t, moved, res.Progress.VerifyDue, "the stored progress carries the new date")
}
