package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage/pgtest"
)

// TestProvisionalDecisionDeadlineIsRecomputedWhenTheYearIsLoaded is the acceptance case of issue 13: a repair
// accepted on 2026-12-24 with no 2027 notice in PostgreSQL has a provisional decision deadline of 2027-01-05
// (7 working days: 1 January is off even without a notice). Loading a 2027 notice that declares 2027-01-04 a
// holiday moves the running case's deadline to 2027-01-06: the new date is stored, the department's task moves,
// the change is in the case's history, and the deadline's timer fires at the end of 2027-01-06, not before.
// The deadlines are counted by the real Deadline activity on a real database; the workflow runs on Temporal's
// test environment so that its timers can be skipped to January.
func TestProvisionalDecisionDeadlineIsRecomputedWhenTheYearIsLoaded(t *testing.T) {
	db := pgtest.New(t)
	real := &activities.Activities{DB: db}
	f := repairFacts("2026-12-22")
	start := shanghaiAt("2026-12-22", 10)
	env, r := newRepairEnvWith(t, f, start, real.Deadline)

	accepted := repairUpdateAt(env, shanghaiAt("2026-12-24", 10).Sub(start), RepairAcceptUpdate, dept)
	env.RegisterDelayedCallback(func() {
		// The admin loads the 2027 notice; the server then signals every case with a provisional deadline.
		require.NoError(t, db.ImportHolidayYear(context.Background(), 2027, "https://www.gov.cn/example-2027", []domain.CalendarDay{
			{Date: domain.MustParseDate("2027-01-01"), OffDay: true, Name: "元旦"},
			{Date: domain.MustParseDate("2027-01-04"), OffDay: true, Name: "元旦"},
		}))
		env.SignalWorkflow(SignalCalendarChanged, CalendarChanged{Year: 2027})
	}, shanghaiAt("2026-12-28", 10).Sub(start))
	decided := repairUpdateAt(env, shanghaiAt("2027-01-08", 10).Sub(start), RepairDecideUpdate,
		RepairDecision{Approved: false, Reason: "整改不到位", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, accepted.rejected)
	require.NoError(t, decided.rejected)

	// Accepted on 2026-12-24: provisional, 2027-01-05.
	require.Equal(t, "2027-01-05", accepted.state.DecisionDue.String())
	require.Contains(t, accepted.state.Provisional, "decision_due")
	acc, ok := r.step("repair.accepted")
	require.True(t, ok)
	require.Contains(t, []string(acc.Progress.Provisional), "decision_due", "stored as provisional")

	// Recomputed when 2027 was loaded, and recorded in the case's history.
	rec, ok := r.step("repair.deadlines_recomputed")
	require.True(t, ok)
	require.Equal(t, "2027-01-06", rec.Progress.DecisionDue.String())
	require.Empty(t, rec.Progress.Provisional, "nothing is provisional once 2027 is known")
	require.Contains(t, rec.Details, "decision_due")
	require.Contains(t, r.rescheduled, activities.RescheduleTaskInput{CaseKind: "repair", CaseID: "12", Step: "decision",
		DueOn: domain.MustParseDate("2027-01-06")})

	// The decision deadline's timer fired at the end of 2027-01-06, not at the end of 2027-01-05.
	var decision *activities.EscalateInput
	var at time.Time
	for i, e := range r.escalations {
		if e.Step == "decision" {
			decision = &r.escalations[i]
		}
	}
	require.NotNil(t, decision, "escalations: %+v", r.escalations)
	require.Equal(t, "2027-01-06", decision.DueOn.String())
	over, ok := r.step("repair.overdue")
	require.True(t, ok)
	at = r.stepAt["repair.overdue"]
	end := shanghaiAt("2027-01-07", 0)
	require.False(t, at.Before(end), "escalated at %s, before the end of 2027-01-06", at)
	require.Less(t, at.Sub(end), time.Minute)
	require.EqualValues(t, "2027-01-06", over.Details["due_on"])
	require.Equal(t, domain.RepairRefused, r.last().Progress.Status)
}
