package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// fraudRefusal runs a repair case to a refusal for fraud on 2026-11-03 under the given facts and answers the
// restarts of the original record's period it stored and signalled.
func fraudRefusal(t *testing.T, f activities.RepairFacts) ([]activities.RestartPeriodInput, []PeriodRestart) {
	t.Helper()
	env, _ := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	env.OnActivity(acts.CreateFraudRecord, mock.Anything, mock.Anything).Return(int64(77), nil)
	env.OnWorkflow(RecordWorkflowType, mock.Anything, mock.Anything).Return(nil)
	var stored []activities.RestartPeriodInput
	env.OnActivity(acts.RestartPublicationPeriod, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RestartPeriodInput) error {
		stored = append(stored, in)
		return nil
	})
	var signalled []PeriodRestart
	env.OnSignalExternalWorkflow(mock.Anything, PenaltyWorkflowID(f.PenaltyID), "", PenaltyRestartPeriodSignal, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			signalled = append(signalled, arg.(PeriodRestart))
			return nil
		})
	repairUpdateAt(env, time.Hour, RepairAcceptUpdate, dept)
	decided := repairUpdateAt(env, 24*time.Hour, RepairDecideUpdate, RepairDecision{Approved: false, Fraud: true,
		Reason: "提交的罚款缴纳凭证系伪造", RepairActor: dept})
	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, decided.rejected)
	require.Equal(t, domain.RepairRefused, decided.state.Status)
	return stored, signalled
}

// TestFraudRefusalRestartsThePeriodUnderSAMR: under samr-2025 (SAMR Order 107 art. 23) a refusal for fraud
// restarts the original record's publication period from the finding: the record is published for its class's
// full period again, stored on the record and told to its lifecycle; under ndrc-2026 the period is left alone.
func TestFraudRefusalRestartsThePeriodUnderSAMR(t *testing.T) {
	f := repairFacts("2026-11-02")
	f.RuleSet, f.FraudRestartsPublication, f.MaxPublishMonths = "samr-2025", true, 12
	stored, signalled := fraudRefusal(t, f)
	require.Len(t, stored, 1)
	require.Equal(t, "2026-11-03", stored[0].From.String())
	require.Equal(t, "2027-11-03", stored[0].Until.String(), "12 months again from the finding, not the old end 2027-05-20")
	require.Equal(t, f.PenaltyID, stored[0].PenaltyID)
	require.Contains(t, stored[0].Reason, "提交的罚款缴纳凭证系伪造")
	require.Equal(t, []PeriodRestart{{Until: stored[0].Until, Reason: stored[0].Reason}}, signalled)

	f = repairFacts("2026-11-02") // ndrc-2026: the period does not restart
	stored, signalled = fraudRefusal(t, f)
	require.Empty(t, stored)
	require.Empty(t, signalled)
}

// TestPenaltyPeriodRestartMovesTheExpiry: a restart signal moves the automatic withdrawal to the new end.
func TestPenaltyPeriodRestartMovesTheExpiry(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	deliverAt(env, 2*time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃", Actor: "sthjj", Role: "department"})
	until := domain.MustParseDate("2027-11-03")
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PenaltyRestartPeriodSignal, PeriodRestart{Until: until, Reason: "弄虚作假"})
		// An earlier end never shortens the period.
		env.SignalWorkflow(PenaltyRestartPeriodSignal, PeriodRestart{Until: domain.MustParseDate("2027-01-01"), Reason: "x"})
	}, shanghaiAt("2026-11-03", 12).Sub(shanghaiAt(f.DecidedOn.String(), 0)))
	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, r.withdrawals, 1)
	require.Equal(t, domain.CauseExpiry, r.withdrawals[0].Cause)
	require.Equal(t, "expiry-2027-11-03", r.withdrawals[0].CauseRef)
	end := shanghaiAt("2027-11-04", 0)
	require.False(t, r.withdrawAt.Before(end), "withdrawn at %s, not at the old end", r.withdrawAt)
	require.Less(t, r.withdrawAt.Sub(end), time.Minute)
}
