package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

type recordRecorder struct {
	mu          sync.Mutex
	withdrawals []WithdrawalInput
	withdrawAt  time.Time
	steps       []string
	publishFor  time.Duration             // how long the publication takes (0: at once)
	recount     *activities.RecountResult // what counting the deadlines again answers
	publishDues []domain.Date             // the due dates the publication was told (PublishDueSignal)
}

func newRecordEnv(t *testing.T, start string) (*testsuite.TestWorkflowEnvironment, *recordRecorder) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(shanghaiAt(start, 10))
	env.RegisterWorkflowWithOptions(RecordWorkflow, workflow.RegisterOptions{Name: RecordWorkflowType})
	env.RegisterWorkflow(PublishWorkflow)
	env.RegisterActivity(&activities.Activities{})
	r := &recordRecorder{}
	env.OnActivity(acts.PenaltyStep, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PenaltyStepInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.steps = append(r.steps, string(in.Status))
		return nil
	})
	env.OnWorkflow(PublishWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, _ PublishInput) error {
		if r.publishFor > 0 {
			dues := workflow.GetSignalChannel(ctx, PublishDueSignal)
			workflow.Go(ctx, func(ctx workflow.Context) {
				for {
					var d domain.Date
					dues.Receive(ctx, &d)
					r.mu.Lock()
					r.publishDues = append(r.publishDues, d)
					r.mu.Unlock()
				}
			})
			return workflow.Sleep(ctx, r.publishFor)
		}
		return nil
	})
	r.recount = mockDeadlineCounting(env, nil)
	prev := runWithdrawal
	runWithdrawal = func(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.withdrawals = append(r.withdrawals, in)
		r.withdrawAt = workflow.Now(ctx)
		return WithdrawalResult{WithdrawalID: 9}, nil
	}
	t.Cleanup(func() { runWithdrawal = prev })
	return env, r
}

// TestFraudRecordWithdrawnByItselfAfter36Months: the fraud record stays published for its whole period and comes
// down with cause expiry the day after it ends, with nobody asking.
func TestFraudRecordWithdrawnByItselfAfter36Months(t *testing.T) {
	env, r := newRecordEnv(t, "2026-06-01")
	until := domain.MustParseDate("2026-06-01").AddMonths(36)
	env.ExecuteWorkflow(RecordWorkflowType, RecordParams{RecordID: 5, Kind: domain.RecordKindFraud,
		PublishDue: domain.MustParseDate("2026-06-04"), Until: until, ExpiryDecision: recordExpiryDecision(domain.RecordKindFraud, until)})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, r.withdrawals, 1)
	w := r.withdrawals[0]
	assert.Equal(t, int64(5), w.PenaltyID)
	assert.EqualValues(t, domain.CauseExpiry, w.Cause)
	assert.Equal(t, "expiry-2029-06-01", w.CauseRef)
	assert.Contains(t, w.CauseDecision, "弄虚作假失信记录已于2029-06-01公示期满")
	assert.Equal(t, "2029-06-02", domain.DateOf(r.withdrawAt.In(domain.Shanghai)).String(), "not a day earlier, not a day later")
	assert.Equal(t, []string{string(domain.PenaltyWithdrawing), string(domain.PenaltyWithdrawn)}, r.steps)
}

// TestRecordWithoutEndWaitsForItsRemoval: an abnormal-list entry does not end by itself: four months on it is
// still published; a removal (cause repair) withdraws it, and the records it ends with are asked to come down too.
func TestRecordWithoutEndWaitsForItsRemoval(t *testing.T) {
	env, r := newRecordEnv(t, "2026-06-01")
	env.RegisterDelayedCallback(func() {
		r.mu.Lock()
		assert.Empty(t, r.withdrawals, "still published four months after listing")
		r.mu.Unlock()
		env.SignalWorkflow(PenaltyWithdrawSignal, WithdrawRequest{Cause: domain.CauseRepair, CauseRef: "repair-3", CauseDecision: "移出决定"})
	}, 4*31*24*time.Hour)
	env.OnSignalExternalWorkflow(mock.Anything, PenaltyWorkflowID(4), "", PenaltyWithdrawSignal, mock.Anything).Return(nil).Once()
	env.ExecuteWorkflow(RecordWorkflowType, RecordParams{RecordID: 6, Kind: domain.RecordKindAbnormalList,
		PublishDue: domain.MustParseDate("2026-06-04"), EndsWith: []int64{4}})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, r.withdrawals, 1)
	assert.EqualValues(t, domain.CauseRepair, r.withdrawals[0].Cause)
	assert.Equal(t, "repair-3", r.withdrawals[0].CauseRef)
	env.AssertExpectations(t)
}
