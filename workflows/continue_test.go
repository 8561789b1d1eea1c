package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"xinyong/domain"
	"xinyong/storage"
)

// continuedAs requires the run to have ended by continuing as new as wfType, and decodes the new run's input.
func continuedAs(t *testing.T, err error, wfType string, input any) {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "the run continued as new: %v", err)
	require.Equal(t, wfType, can.WorkflowType.Name)
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, input))
}

// Issue 12, defect 3: an operator confirming a channel again and again makes the order's run continue as new after
// WithdrawalMaxSteps confirmations instead of growing its history without bound; the new run resumes the order
// from its rows (the confirmed channel stays confirmed with its reference) and completes it.
func TestWithdrawalRunContinuesAsNewAfterItsStepsAndKeepsItsState(t *testing.T) {
	old := WithdrawalMaxSteps
	WithdrawalMaxSteps = 3
	t.Cleanup(func() { WithdrawalMaxSteps = old })
	f := newChannelFixture(t)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕31号"))
	id := f.order("repair")

	env := f.env()
	var sent []*update[WithdrawalOrderState]
	for i := 1; i <= 4; i++ { // the first confirms, the next ones repeat it
		sent = append(sent, sendUpdateAt[WithdrawalOrderState](env, time.Duration(i)*time.Hour, WithdrawalConfirmUpdate,
			ConfirmChannelRequest{ChannelID: "gsxt", Reference: "CH-gsxt", By: storage.DemoOperatorLogins["gsxt"]}))
	}
	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	var next int64
	continuedAs(t, env.GetWorkflowError(), "WithdrawalWorkflow", &next)
	assert.Equal(t, id, next)
	for _, u := range sent[:2] { // the third one's answer races the end of the run in the test environment
		requireAccepted(t, u)
	}
	c := newConfirmation()

	// The new run: gsxt stays confirmed, the others are still asked; confirming them completes the order.
	WithdrawalMaxSteps = 100
	env = f.env()
	env.SetContinuedExecutionRunID("run-1")
	var resumed WithdrawalOrderState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(WithdrawalStateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&resumed))
	}, 30*time.Minute)
	for i, ch := range storage.DemoChannels {
		if ch.ID != "gsxt" {
			c.at(env, time.Duration(i+1)*time.Hour, ch.ID, storage.DemoOperatorLogins[ch.ID])
		}
	}
	env.ExecuteWorkflow(WithdrawalWorkflow, next)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Empty(t, c.rejected)
	require.Len(t, resumed.Channels, len(storage.DemoChannels))
	for _, ch := range resumed.Channels {
		if ch.ChannelID == "gsxt" {
			assert.Equal(t, domain.ChannelConfirmed, ch.Status, "carried across the runs")
			assert.Equal(t, "CH-gsxt", ch.Reference)
		} else {
			assert.NotEqual(t, domain.ChannelConfirmed, ch.Status, ch.ChannelID)
		}
	}
	var letterID int64
	letterID = resumed.LetterID
	assert.NotZero(t, letterID, "the new run keeps the 告知函 of the first")
	w, err := f.db.GetWithdrawal(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, domain.WithdrawalCompleted, w.Status)
	assert.Equal(t, letterID, w.LetterID.Int64)
}

// Issue 12, defect 3: signals that keep coming while a record waits out its publication period make the
// lifecycle's run continue as new after PenaltyMaxSteps steps, carrying its state; the new run issues no letter
// again, does not publish again, and goes on to tell the enterprise and to withdraw the record at expiry.
func TestPenaltyRunContinuesAsNewAfterItsStepsAndKeepsItsState(t *testing.T) {
	old := PenaltyMaxSteps
	PenaltyMaxSteps = 3
	t.Cleanup(func() { PenaltyMaxSteps = old })
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	delivery := deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃", Actor: "sthjj", Role: "department"})
	for i := 1; i <= 3; i++ { // requests the lifecycle ignores, each a signal in its history
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(PenaltyWithdrawSignal, WithdrawRequest{Cause: "unknown", CauseRef: "x"})
		}, time.Duration(20+i)*24*time.Hour)
	}
	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, delivery.rejected)
	var next PenaltyParams
	continuedAs(t, env.GetWorkflowError(), PenaltyWorkflowType, &next)
	require.NotNil(t, next.Carry)
	assert.Equal(t, f.PenaltyID, next.PenaltyID)
	assert.Equal(t, 1, next.Carry.Runs)
	assert.True(t, next.Carry.DeliveryDone)
	st := next.Carry.State
	assert.Equal(t, "published", st.Publication)
	assert.Equal(t, domain.PenaltyPublished, st.Status)
	require.NotNil(t, st.Delivery)
	assert.Equal(t, "王堃", st.Delivery.SignedBy)
	assert.Len(t, st.Letters, 2)
	assert.Nil(t, st.Withdrawal)
	assert.Equal(t, 2, r.letters)

	// The new run.
	env, r = newPenaltyEnv(t, f)
	env.SetStartTime(shanghaiAt("2026-06-12", 10))
	env.ExecuteWorkflow(PenaltyWorkflow, next)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Zero(t, r.letters, "the letters are not issued again")
	assert.Empty(t, r.publications, "the publication is not run again")
	assert.Empty(t, r.opened, "the delivered case opens no delivery task again")
	assert.Contains(t, r.notices, "repair_eligible")
	require.Len(t, r.withdrawals, 1)
	assert.Equal(t, domain.CauseExpiry, r.withdrawals[0].Cause)
	v, err := env.QueryWorkflow(PenaltyStateQuery)
	require.NoError(t, err)
	var end PenaltyState
	require.NoError(t, v.Get(&end))
	assert.Len(t, end.Letters, 2)
	assert.Equal(t, "王堃", end.Delivery.SignedBy)
	assert.Equal(t, domain.PenaltyWithdrawn, end.Status)
}

// Issue 12, defect 3: an operator confirming a mark again and again while the department verifies makes the
// objection's run continue as new after ObjectionMaxSteps steps, carrying its state; the new run takes the answer
// and finishes the case without taking the application in again, its step numbers going on from the carried one.
func TestObjectionRunContinuesAsNewAfterItsStepsAndKeepsItsState(t *testing.T) {
	old := ObjectionMaxSteps
	ObjectionMaxSteps = 3
	t.Cleanup(func() { ObjectionMaxSteps = old })
	f := objectionFacts("2026-11-02")
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 9))
	var confirms []*objectionOutcome
	for i := 2; i <= 4; i++ {
		confirms = append(confirms, objectionUpdateAt(env, time.Duration(i)*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("dept-site", "")))
	}
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	for _, c := range confirms[:2] { // the last one's answer races the end of the run in the test environment
		requireAccepted(t, c)
	}
	var next ObjectionParams
	continuedAs(t, env.GetWorkflowError(), ObjectionWorkflowType, &next)
	require.NotNil(t, next.Carry)
	assert.Nil(t, next.Filing)
	c := next.Carry
	assert.Equal(t, 1, c.Runs)
	assert.Equal(t, domain.ObjectionVerifying, c.Progress.Status)
	assert.Equal(t, "2026-11-11", c.Progress.VerifyDue.String())
	assert.Equal(t, "2026-11-02", c.Progress.MarkedOn.String())
	assert.NotZero(t, c.Progress.CommitmentLetterID)
	require.Len(t, c.Channels, 2)
	for _, ch := range c.Channels {
		assert.Equal(t, domain.ChannelConfirmed, ch.Status, ch.ChannelID)
	}
	assert.Len(t, c.Letters, 1)
	seq := c.Seq
	assert.EqualValues(t, len(r.steps), seq)

	// The new run.
	ObjectionMaxSteps = 100
	env, r = newObjectionEnv(t, f, shanghaiAt("2026-11-02", 13))
	resolved := objectionUpdateAt(env, 22*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "经核查，公示信息与处罚决定书一致", ObjectionActor: deptActor})
	objectionUpdateAt(env, 46*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("dept-site", "unmark"))
	env.ExecuteWorkflow(ObjectionWorkflow, next)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, resolved.rejected)
	assert.True(t, *resolved.state.ResolvedInTime)
	assert.Equal(t, []string{"objection_result"}, r.letters, "the commitment is not issued again")
	assert.Equal(t, []string{"objection.resolved", "objection.propagated", "objection.closed"}, r.actionsDone())
	for i, s := range r.steps {
		assert.EqualValues(t, seq+int64(i)+1, s.Seq, "step numbers go on from the carried one")
	}
	assert.Equal(t, domain.ObjectionClosed, r.last().Progress.Status)
	assert.Equal(t, "2026-11-02", r.last().Progress.MarkedOn.String())
	assert.Empty(t, r.escalations)
}
