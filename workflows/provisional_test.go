package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"

	"xinyong/domain"
)

// TestObjectionExtensionLetterMarksAProvisionalDate: an extension by the rule set's working days that runs into
// a year whose holiday notice is not loaded (2027) is printed （暂定） in the 延期告知书, as the 告知函 prints a
// provisional 办结期限 (issue 13, RULES.md "Working days"); a date the department chose (Order 36 art. 18) is never
// provisional, even in such a year.
func TestObjectionExtensionLetterMarksAProvisionalDate(t *testing.T) {
	for _, c := range []struct {
		name        string
		dueOn       string
		provisional bool
	}{{"counted", "", true}, {"stated", "2027-01-04", false}} {
		t.Run(c.name, func(t *testing.T) {
			f := objectionFacts("2026-12-10")
			f.Channels = nil
			env, r := newObjectionEnv(t, f, shanghaiAt("2026-12-10", 10))
			req := ObjectionExtension{Reason: "需要现场核查", ObjectionActor: deptActor}
			if c.dueOn != "" {
				req.DueOn = domain.MustParseDate(c.dueOn)
			}
			extended := objectionUpdateAt(env, 24*time.Hour, ObjectionExtendUpdate, req)
			objectionUpdateAt(env, 10*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
				Reason: "公示信息无误", ObjectionActor: deptActor})

			env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
			require.NoError(t, env.GetWorkflowError())
			require.NoError(t, extended.rejected)
			require.Equal(t, "2027", extended.state.VerifyDue.String()[:4], "the extension runs into 2027: %s", extended.state.VerifyDue)
			require.Equal(t, []string{"objection_commitment", "extension_notice", "objection_result"}, r.letters)
			if !c.provisional {
				require.Equal(t, c.dueOn, extended.state.VerifyDue.String())
				require.Contains(t, r.letterTexts[1], "2027年1月4日")
				require.NotContains(t, r.letterTexts[1], "暂定", "the department's own date")
				return
			}
			require.Contains(t, r.letterTexts[1], "（暂定）", "the counted new date is provisional")
			require.Contains(t, r.letterTexts[1], "重新计算")
		})
	}
}

// revokedInDecember is generalFine decided on 2026-12-01 and revoked on 2026-12-28: the 3 working days to take it
// off every channel run to the end of 2026, whose late-December days a 2027 notice can still move.
func revokedInDecember(t *testing.T, signal bool) (*penaltyRecorder, *updateOutcome, PenaltyState) {
	f := generalFine()
	f.DecidedOn = domain.MustParseDate("2026-12-01")
	f.PublishDue, f.DeliveryDue = domain.MustParseDate("2026-12-10"), domain.MustParseDate("2026-12-10")
	f.RepairEligibleFrom, f.PublicationEnds = domain.MustParseDate("2027-03-02"), domain.MustParseDate("2027-12-01")
	env, r := newPenaltyEnv(t, f)
	runWithdrawal = func(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
		r.mu.Lock()
		r.withdrawals = append(r.withdrawals, in)
		r.mu.Unlock()
		// The last channel confirms on 2027-01-04 at noon.
		return WithdrawalResult{WithdrawalID: 7}, workflow.Sleep(ctx, shanghaiAt("2027-01-04", 12).Sub(workflow.Now(ctx)))
	}
	moved := domain.MustParseDate("2027-01-05")
	deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryRefused, DeliveredOn: f.DecidedOn, Witness: "李四"})
	start := shanghaiAt("2026-12-01", 10)
	revocation := sendUpdateAt[PenaltyState](env, shanghaiAt("2026-12-28", 10).Sub(start), PenaltyRevocationUpdate,
		RevocationRequest{Reason: "复议决定撤销原处罚决定（镇政复决〔2026〕9号）", Actor: "sthjj", Role: "department"})
	var during PenaltyState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(PenaltyStateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
		if signal {
			*r.recount = activities.RecountResult{Dues: map[string]domain.Date{dueRevocationWithdrawal: moved},
				Moved: map[string][2]domain.Date{dueRevocationWithdrawal: {during.Withdrawal.DueOn, moved}}}
			env.SignalWorkflow(SignalCalendarChanged, CalendarChanged{Year: 2027})
		}
	}, shanghaiAt("2026-12-29", 10).Sub(start))
	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	return r, revocation, during
}

// TestRevocationWithdrawalDeadlineIsRecountedWhenTheYearIsLoaded: the withdrawal deadline after a revocation is
// counted with its origin (case_deadlines) and, when the 2027 notice moves it to 2027-01-05, the overdue watch
// follows the new date: the channels done on 2027-01-04 are in time.
func TestRevocationWithdrawalDeadlineIsRecountedWhenTheYearIsLoaded(t *testing.T) {
	r, revocation, during := revokedInDecember(t, true)
	require.NoError(t, revocation.rejected)
	require.NotNil(t, during.Withdrawal)
	require.Equal(t, "2026-12-31", during.Withdrawal.DueOn.String(), "3 working days after 2026-12-28")
	require.True(t, during.Withdrawal.Provisional, "late December of the last loaded year is provisional")
	require.Len(t, r.withdrawals, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Empty(t, r.escalations, "in time under the recounted date")
}

// TestRevocationWithdrawalDeadlineUnmovedIsEscalated: without a recount the same withdrawal is late and escalated
// once 2026-12-31 is over.
func TestRevocationWithdrawalDeadlineUnmovedIsEscalated(t *testing.T) {
	r, revocation, _ := revokedInDecember(t, false)
	require.NoError(t, revocation.rejected)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.escalations, 1)
	require.Equal(t, "revocation_withdrawal", r.escalations[0].Step)
	require.True(t, shanghaiAt("2027-01-01", 0).Equal(r.escalatedAt), "escalated at %s", r.escalatedAt)
}

// TestListingPublishDueIsRecountedWhenTheYearIsLoaded: a list entry registered on 2026-12-28 has a provisional
// publication due date (counted into the days a 2027 notice can move); when the notice is loaded the record's
// workflow has it counted again and tells the publication still running its new date.
func TestListingPublishDueIsRecountedWhenTheYearIsLoaded(t *testing.T) {
	env, r := newRecordEnv(t, "2026-12-28")
	r.publishFor = 5 * 24 * time.Hour
	old, moved := domain.MustParseDate("2027-01-06"), domain.MustParseDate("2027-01-07")
	*r.recount = activities.RecountResult{Dues: map[string]domain.Date{duePublish: moved},
		Moved: map[string][2]domain.Date{duePublish: {old, moved}}}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCalendarChanged, CalendarChanged{Year: 2027}) }, 24*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PenaltyWithdrawSignal, WithdrawRequest{Cause: domain.CauseRepair, CauseRef: "repair-3", CauseDecision: "移出决定"})
	}, 10*24*time.Hour)
	env.ExecuteWorkflow(RecordWorkflowType, RecordParams{RecordID: 8, Kind: domain.RecordKindAbnormalList, PublishDue: old})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	env.AssertActivityCalled(t, "RecountDeadlines", mock.Anything, activities.RecountDeadlinesInput{CaseKind: "penalty", CaseID: "8", Year: 2027})
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Equal(t, []domain.Date{moved}, r.publishDues, "the running publication is told the new date")
	require.Len(t, r.withdrawals, 1)
}
