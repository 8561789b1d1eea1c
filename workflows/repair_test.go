package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xinyong/activities"
	"xinyong/domain"
)

// repairRecorder keeps what the mocked activities saw, with the workflow clock at the time.
type repairRecorder struct {
	mu          sync.Mutex
	rescheduled []activities.RescheduleTaskInput
	env         *testsuite.TestWorkflowEnvironment
	steps       []activities.RepairStepInput
	stepAt      map[string]time.Time
	letters     []string
	escalations []activities.EscalateInput
	escalatedAt time.Time
	opened      []activities.TaskInput
	closed      []activities.CloseTaskInput
	bans        []activities.FraudBanInput
	signals     []WithdrawRequest
	polls       int
	openCase    int64 // what OpenRepairOf answers
	// eligibility changes the facts the re-check reads (nil: an eligible record).
	eligibility func(*domain.RepairEligibilityFacts)
	created     []activities.RepairApplication
	// stepErr, when set, is what RecordRepairStep answers (nil: the write succeeds).
	stepErr func(activities.RepairStepInput) error
}

// eligibleFacts is a published general record under ndrc-2026 that may be repaired from 2026-08-20.
func eligibleFacts(t *testing.T, today domain.Date) domain.RepairEligibilityFacts {
	rs, err := domain.ResolveRuleSet(domain.DefaultRuleSets(), "ndrc-2026")
	require.NoError(t, err)
	in := domain.PenaltyInput{Types: []domain.PenaltyType{domain.PenaltyFine}, FineFen: 20000_00,
		DecidedOn: domain.MustParseDate("2026-05-20")}
	pub, err := domain.ComputePublication(rs, in)
	require.NoError(t, err)
	return domain.RepairEligibilityFacts{Today: today, PenaltyID: 42, RecordStatus: "published", Published: true,
		PublicationEnds: pub.PublicationEnds, RepairEligibleFrom: pub.RepairEligibleFrom, Class: pub.Class,
		RecordRuleSet: rs, Penalty: in, ProcedureRuleSet: rs}
}

func (r *repairRecorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.steps {
		out = append(out, s.Action)
	}
	return out
}

func (r *repairRecorder) last() activities.RepairStepInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps[len(r.steps)-1]
}

func (r *repairRecorder) step(action string) (activities.RepairStepInput, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.steps {
		if s.Action == action {
			return s, true
		}
	}
	return activities.RepairStepInput{}, false
}

// repairFacts is a general-class record of sthjj under ndrc-2026 applied for on the given date.
func repairFacts(applied string) activities.RepairFacts {
	return activities.RepairFacts{
		RepairID: 12, PenaltyID: 42, USCC: "91321100MA1MXY2K09", EnterpriseName: "镇江堃元化工有限公司",
		LegalRepresentative: "王堃", DepartmentID: "sthjj", DepartmentName: "生态环境局", DepartmentContact: "0511-80000002",
		DecisionNo: "镇环罚〔2026〕15号", DecidedOn: domain.MustParseDate("2026-05-20"), Class: domain.ClassGeneral,
		Published: true, PublicationEnds: domain.MustParseDate("2027-05-20"), Channels: []string{"信用中国", "国家企业信用信息公示系统"},
		RuleSet: "ndrc-2026", Deadlines: domain.Deadlines{Acceptance: 3, Decision: 7, Extension: 10, Overall: 10, Publication: 7},
		FraudBanMonths: 36, MaxPublishMonths: 12, AppliedOn: domain.MustParseDate(applied), ApplicantLogin: "91321100MA1MXY2K09",
		CommitmentAcceptedAt: domain.MustParseDate(applied).Time(domain.Shanghai).Add(9 * time.Hour), CommitmentRemoteAddr: "10.0.0.8",
		Progress: activities.RepairProgress{Status: domain.RepairSubmitted},
	}
}

func newRepairEnv(t *testing.T, facts activities.RepairFacts, start time.Time) (*testsuite.TestWorkflowEnvironment, *repairRecorder) {
	t.Helper()
	cal := domain.DefaultCalendar()
	return newRepairEnvWith(t, facts, start, func(_ context.Context, in activities.DeadlineInput) (activities.DeadlineResult, error) {
		due, prov := cal.AddWorkdays(in.From, in.Workdays)
		return activities.DeadlineResult{Due: due, Provisional: prov}, nil
	})
}

// newRepairEnvWith is newRepairEnv with the Deadline activity given (the real one, on a database's calendar).
func newRepairEnvWith(t *testing.T, facts activities.RepairFacts, start time.Time,
	deadline func(context.Context, activities.DeadlineInput) (activities.DeadlineResult, error)) (*testsuite.TestWorkflowEnvironment, *repairRecorder) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(RepairWorkflow, workflow.RegisterOptions{Name: RepairWorkflowType})
	env.RegisterWorkflowWithOptions(RepublishWorkflow, workflow.RegisterOptions{Name: RepublishWorkflowType})
	env.RegisterWorkflowWithOptions(RecordWorkflow, workflow.RegisterOptions{Name: RecordWorkflowType})
	env.RegisterActivity(&activities.Activities{})
	r := &repairRecorder{env: env, stepAt: map[string]time.Time{}}

	env.OnActivity(acts.LoadRepairFacts, mock.Anything, mock.Anything).Return(facts, nil)
	env.OnActivity(acts.FindTrainingCertificate, mock.Anything, mock.Anything).Return(int64(0), nil)
	env.OnActivity(acts.RepairEligibilityFacts, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RepairEligibilityInput) (domain.RepairEligibilityFacts, error) {
			f := eligibleFacts(t, in.Today)
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.eligibility != nil {
				r.eligibility(&f)
			}
			return f, nil
		})
	env.OnActivity(acts.CreateRepairCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RepairApplication) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.created = append(r.created, in)
			if r.openCase != 0 {
				return temporal.NewNonRetryableApplicationError("该处罚信息已有正在办理的信用修复申请", activities.ErrRepairCaseOpen, nil, r.openCase)
			}
			return nil
		})
	env.OnActivity(acts.OpenRepairOf, mock.Anything, mock.Anything).Return(func(context.Context, int64) (int64, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.openCase, nil
	})
	env.OnActivity(acts.Deadline, mock.Anything, mock.Anything).Return(deadline)
	env.OnActivity(acts.RescheduleTask, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RescheduleTaskInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.rescheduled = append(r.rescheduled, in)
		return nil
	})
	env.OnActivity(acts.IssueLetter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.IssueLetterInput) (activities.LetterRef, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.letters = append(r.letters, string(issuedLetter(t, in).Kind))
		return activities.LetterRef{ID: int64(100 + len(r.letters)), Kind: r.letters[len(r.letters)-1], SHA256: "x", VerifyCode: "V" + r.letters[len(r.letters)-1]}, nil
	})
	env.OnActivity(acts.RecordRepairStep, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RepairStepInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.stepErr != nil {
			if err := r.stepErr(in); err != nil {
				return err
			}
		}
		r.steps = append(r.steps, in)
		r.stepAt[in.Action] = env.Now()
		return nil
	})
	env.OnActivity(acts.OpenTask, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TaskInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.opened = append(r.opened, in)
		return nil
	})
	env.OnActivity(acts.CloseTask, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CloseTaskInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = append(r.closed, in)
		return nil
	})
	env.OnActivity(acts.Escalate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EscalateInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.escalations = append(r.escalations, in)
		r.escalatedAt = env.Now()
		return nil
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.RecordFraudBan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FraudBanInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.bans = append(r.bans, in)
		return nil
	})
	env.OnActivity(acts.AwaitRepairWithdrawal, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AwaitRepairWithdrawalInput) (activities.RepairWithdrawalResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.polls++
			if r.polls < 3 { // the channels take a while: the activity's retries are the poll
				return activities.RepairWithdrawalResult{}, temporal.NewApplicationError("pending", activities.ErrWithdrawalPending)
			}
			return activities.RepairWithdrawalResult{WithdrawalID: 9, Cause: domain.CauseRepair}, nil
		})
	env.OnSignalExternalWorkflow(mock.Anything, PenaltyWorkflowID(facts.PenaltyID), "", PenaltyWithdrawSignal, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.signals = append(r.signals, arg.(WithdrawRequest))
			return nil
		})
	return env, r
}

// repairOutcome is where the answer to a repair update lands.
type repairOutcome = update[RepairState]

// repairUpdateAt sends an update after d (workflow time).
func repairUpdateAt(env *testsuite.TestWorkflowEnvironment, d time.Duration, name string, arg any) *repairOutcome {
	return sendUpdateAt[RepairState](env, d, name, arg)
}

var dept = RepairActor{Actor: "sthjj", Role: "department"}
var firm = RepairActor{Actor: "91321100MA1MXY2K09", Role: "enterprise"}

func TestRepairRunsFromApplicationToClosedWithdrawal(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	ready := repairUpdateAt(env, time.Minute, RepairReadyUpdate, nil)
	accepted := repairUpdateAt(env, 2*time.Hour, RepairAcceptUpdate, dept)
	decided := repairUpdateAt(env, 26*time.Hour, RepairDecideUpdate, RepairDecision{Approved: true, Reason: "已缴清罚款并完成整改", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, ready.rejected)
	require.Equal(t, domain.RepairPendingAcceptance, ready.state.Status)
	require.Equal(t, "2026-11-05", ready.state.AcceptanceDue.String(), "3 working days from receipt")
	require.Equal(t, "2026-11-16", ready.state.OverallDue.String())
	require.NoError(t, accepted.rejected)
	require.Equal(t, domain.RepairVerifying, accepted.state.Status)
	require.Equal(t, "2026-11-11", accepted.state.DecisionDue.String(), "7 working days from acceptance")
	require.NoError(t, decided.rejected)
	require.Equal(t, domain.RepairApproved, decided.state.Status)
	require.Equal(t, "生态环境信修准〔2026〕12号", decided.state.DecisionNo)

	require.Equal(t, []string{"credit_commitment", "repair_approved"}, r.letters)
	require.Equal(t, []string{"repair.received", "repair.forwarded", "repair.accepted", "repair.approved",
		"repair.withdrawal_requested", "repair.closed"}, r.actions())
	// Every write carries the next step number, so the row only ever moves forward.
	for i, s := range r.steps {
		require.EqualValues(t, i+1, s.Seq)
	}
	require.Equal(t, []WithdrawRequest{{Cause: domain.CauseRepair, CauseRef: "repair-12", CauseDecision: "生态环境信修准〔2026〕12号"}}, r.signals)
	closed := r.last()
	require.Equal(t, domain.RepairClosed, closed.Progress.Status)
	require.EqualValues(t, 9, closed.Progress.WithdrawalID)
	require.True(t, *closed.Progress.DecidedInTime)
	require.Equal(t, "sthjj", r.steps[2].Actor, "the department's step is recorded with its actor")
	require.Empty(t, r.escalations)
	// The department's tasks were opened with their due dates and closed.
	require.Equal(t, "acceptance", r.opened[0].Step)
	require.Equal(t, "2026-11-05", r.opened[0].DueOn.String())
	require.Equal(t, "decision", r.opened[1].Step)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "repair", CaseID: "12", Step: "decision", Status: "done"})
	require.Equal(t, 3, r.polls, "polled until the withdrawal completed")
}

// TestRepairIdleDepartmentIsEscalated: a department that does nothing for 3 working days gets an overdue task and
// the credit office an escalation; the case stays overdue until the step is done.
func TestRepairIdleDepartmentIsEscalated(t *testing.T) {
	f := repairFacts("2026-09-22")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-09-22", 10))
	accepted := repairUpdateAt(env, 10*24*time.Hour, RepairAcceptUpdate, dept)
	withdrawn := repairUpdateAt(env, 11*24*time.Hour, RepairWithdrawUpdate, RepairReason{Reason: "已自行撤回", RepairActor: firm})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())

	// Received on Tuesday 2026-09-22; 2026-09-25 is the Mid-Autumn holiday, so the third working day is 09-28.
	require.Len(t, r.escalations, 1)
	require.Equal(t, "acceptance", r.escalations[0].Step)
	require.Equal(t, "2026-09-28", r.escalations[0].DueOn.String())
	require.Contains(t, r.escalations[0].Title, "逾期未受理")
	end := shanghaiAt("2026-09-29", 0)
	require.False(t, r.escalatedAt.Before(end), "escalated at %s", r.escalatedAt)
	require.Less(t, r.escalatedAt.Sub(end), time.Minute)
	overdue, ok := r.step("repair.overdue")
	require.True(t, ok)
	require.True(t, overdue.Progress.Overdue)

	require.NoError(t, accepted.rejected)
	require.False(t, accepted.state.Overdue, "accepting ends the overdue step")
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "repair", CaseID: "12", Step: "escalation:acceptance", Status: "done"})
	require.NoError(t, withdrawn.rejected)
	require.Equal(t, domain.RepairCancelled, r.last().Progress.Status)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "repair", CaseID: "12", Step: "decision", Status: domain.TaskCancelled})
}

// TestRepairExtensionMovesDecisionDeadlineAcrossHoliday: +10 working days from 2026-09-29 skip the National Day
// holiday and count the make-up Saturday.
func TestRepairExtensionMovesDecisionDeadlineAcrossHoliday(t *testing.T) {
	f := repairFacts("2026-09-18")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-09-18", 9))
	accepted := repairUpdateAt(env, time.Hour, RepairAcceptUpdate, dept)
	extended := repairUpdateAt(env, 2*time.Hour, RepairExtendUpdate, RepairReason{Reason: "需现场核查整改情况", RepairActor: dept})
	again := repairUpdateAt(env, 3*time.Hour, RepairExtendUpdate, RepairReason{Reason: "再次延期", RepairActor: dept})
	// Deciding on 2026-10-19, after the original deadline but within the extended one.
	decided := repairUpdateAt(env, shanghaiAt("2026-10-19", 15).Sub(shanghaiAt("2026-09-18", 9)), RepairDecideUpdate,
		RepairDecision{Approved: false, Reason: "现场核查发现整改不到位", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, accepted.rejected)
	require.Equal(t, "2026-09-29", accepted.state.DecisionDue.String())
	require.NoError(t, extended.rejected)
	require.Equal(t, "2026-10-19", extended.state.DecisionDue.String(), "10 working days after 2026-09-29, across 10-01..10-07")
	require.True(t, extended.state.Extended)
	requireRefused(t, again, RejectInvalidTransition)

	require.NoError(t, decided.rejected)
	require.Equal(t, domain.RepairRefused, decided.state.Status)
	require.True(t, *decided.state.DecidedInTime)
	require.Empty(t, r.escalations, "the extended deadline was kept")
	require.Equal(t, []string{"credit_commitment", "extension_notice", "repair_refused"}, r.letters)
	// The decision task was replaced by one due on the new date.
	var extTask *activities.TaskInput
	for i := range r.opened {
		if r.opened[i].Step == "decision_extended" {
			extTask = &r.opened[i]
		}
	}
	require.NotNil(t, extTask)
	require.Equal(t, "2026-10-19", extTask.DueOn.String())
	// Refused, the case waits for an objection, then ends.
	require.True(t, env.Now().After(shanghaiAt("2026-12-17", 0)), "ended at %s", env.Now())
	require.Empty(t, r.signals)
}

func TestRepairRefusesInvalidTransitionsAndChangesNothing(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	early := repairUpdateAt(env, time.Hour, RepairDecideUpdate, RepairDecision{Approved: true, RepairActor: dept})
	supplementEarly := repairUpdateAt(env, time.Hour+time.Minute, RepairSupplementUpdate, RepairSupplement{Statement: "补充", RepairActor: firm})
	revokeEarly := repairUpdateAt(env, time.Hour+2*time.Minute, RepairRevokeUpdate, RepairReason{Reason: "虚假材料", RepairActor: firm})
	noItems := repairUpdateAt(env, time.Hour+3*time.Minute, RepairRequestSupplementUpdate, RepairSupplementItems{Items: []string{" "}, RepairActor: dept})
	var stepsBefore int
	env.RegisterDelayedCallback(func() { stepsBefore = len(r.actions()) }, time.Hour+4*time.Minute)
	accepted := repairUpdateAt(env, 2*time.Hour, RepairAcceptUpdate, dept)
	twice := repairUpdateAt(env, 3*time.Hour, RepairAcceptUpdate, dept)
	noReason := repairUpdateAt(env, 4*time.Hour, RepairDecideUpdate, RepairDecision{Approved: false, RepairActor: dept})
	lateRect := repairUpdateAt(env, 5*time.Hour, RepairRectificationUpdate, RepairRectification{DueOn: domain.MustParseDate("2026-12-30"),
		Requirements: []string{"完成整改"}, RepairActor: dept})
	interview := repairUpdateAt(env, 6*time.Hour, RepairWarningInterviewUpdate, RepairWarningInterview{HeldOn: domain.MustParseDate("2026-11-02"),
		Notes: "约谈", RepairActor: dept})
	withdrawn := repairUpdateAt(env, 7*time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())

	requireRefused(t, early, RejectInvalidTransition)
	requireRefused(t, supplementEarly, RejectInvalidTransition)
	requireRefused(t, revokeEarly, RejectInvalidTransition)
	requireRefused(t, noItems, "items_required")
	require.Equal(t, 2, stepsBefore, "refused steps record nothing (received, forwarded)")
	require.NoError(t, accepted.rejected)
	requireRefused(t, twice, RejectInvalidTransition)
	requireRefused(t, noReason, "reason_required")
	requireRefused(t, lateRect, "due_on_after_decision_due")
	requireRefused(t, interview, RejectInvalidTransition)
	require.NoError(t, withdrawn.rejected)
	require.Equal(t, []string{"repair.received", "repair.forwarded", "repair.accepted", "repair.cancelled"}, r.actions())
	require.Equal(t, []string{"credit_commitment"}, r.letters)
}

func TestRepairSupplementRestartsTheAcceptanceClock(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	asked := repairUpdateAt(env, time.Hour, RepairRequestSupplementUpdate, RepairSupplementItems{
		Items: []string{"罚款缴纳凭证", "整改完成情况说明"}, RepairActor: dept})
	askedAgain := repairUpdateAt(env, 2*time.Hour, RepairRequestSupplementUpdate, RepairSupplementItems{Items: []string{"营业执照"}, RepairActor: dept})
	// The enterprise supplements a week later; the department then has 3 working days from that day.
	supplemented := repairUpdateAt(env, 7*24*time.Hour, RepairSupplementUpdate, RepairSupplement{AttachmentIDs: []int64{5, 6},
		Statement: "已补齐", RepairActor: firm})
	askedThird := repairUpdateAt(env, 7*24*time.Hour+time.Hour, RepairRequestSupplementUpdate, RepairSupplementItems{Items: []string{"其他"}, RepairActor: dept})
	accepted := repairUpdateAt(env, 8*24*time.Hour, RepairAcceptUpdate, dept)
	withdrawn := repairUpdateAt(env, 9*24*time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, asked.rejected)
	require.Equal(t, domain.RepairSupplementRequested, asked.state.Status)
	require.Equal(t, domain.HolderEnterprise, asked.state.Holder)
	requireRefused(t, askedAgain, RejectInvalidTransition)
	require.NoError(t, supplemented.rejected)
	require.Equal(t, domain.RepairPendingAcceptance, supplemented.state.Status)
	require.Equal(t, "2026-11-09", supplemented.state.ReceivedOn.String())
	require.Equal(t, "2026-11-12", supplemented.state.AcceptanceDue.String(), "3 working days from the supplement")
	requireRefused(t, askedThird, RejectInvalidTransition)
	require.NoError(t, accepted.rejected)
	require.NoError(t, withdrawn.rejected)
	require.Empty(t, r.escalations, "the clock restarted with the supplement")
	require.Equal(t, []string{"credit_commitment", "supplement_notice"}, r.letters)
	sup, ok := r.step("repair.supplemented")
	require.True(t, ok)
	require.Equal(t, []int64{5, 6}, sup.Attachments)
	require.Equal(t, "supplement", sup.Purpose)
}

// TestRepairWaitsForTrainingCertificate: a rule set requiring training makes the case wait, visibly, until a
// certificate arrives from the training workflow; a certificate of another enterprise does not count.
func TestRepairWaitsForTrainingCertificate(t *testing.T) {
	f := repairFacts("2026-11-02")
	f.Class, f.RuleSet, f.RequiresTraining = domain.ClassSerious, "js-zj-2026", true
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	ready := repairUpdateAt(env, time.Minute, RepairReadyUpdate, nil)
	early := repairUpdateAt(env, time.Hour, RepairAcceptUpdate, dept)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalTrainingCertificate, TrainingCertificateSignal{LetterID: 77, TrainingID: 3, USCC: "91350100M000100Y43"})
	}, 5*24*time.Hour)
	var waitingAfterOther bool
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(RepairStateQuery)
		require.NoError(t, err)
		var st RepairState
		require.NoError(t, v.Get(&st))
		waitingAfterOther = st.WaitingTraining && st.Status == domain.RepairWaitingConditions
	}, 5*24*time.Hour+time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalTrainingCertificate, TrainingCertificateSignal{LetterID: 78, TrainingID: 3, USCC: f.USCC})
	}, 6*24*time.Hour)
	accepted := repairUpdateAt(env, 7*24*time.Hour, RepairAcceptUpdate, dept)
	withdrawn := repairUpdateAt(env, 8*24*time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())

	require.Equal(t, domain.RepairWaitingConditions, ready.state.Status)
	require.Equal(t, []string{ConditionTrainingCertificate}, ready.state.WaitingFor)
	require.True(t, ready.state.WaitingTraining, "the row says so: the training issue finds the case by it")
	requireRefused(t, early, RejectInvalidTransition)
	require.True(t, waitingAfterOther, "another enterprise's certificate does not count")
	cert, ok := r.step("repair.training_certificate")
	require.True(t, ok)
	require.EqualValues(t, 78, cert.Progress.TrainingLetterID)
	require.False(t, cert.Progress.WaitingTraining)
	fwd, ok := r.step("repair.conditions_met")
	require.True(t, ok)
	require.Equal(t, "2026-11-08", fwd.Progress.ReceivedOn.String(), "forwarded when the certificate arrived")
	require.NoError(t, accepted.rejected)
	require.NoError(t, withdrawn.rejected)
}

// TestRepairCountsACertificateIssuedBeforeTheCase: a certificate the enterprise already holds satisfies the
// condition at once.
func TestRepairCountsACertificateIssuedBeforeTheCase(t *testing.T) {
	f := repairFacts("2026-11-02")
	f.RequiresTraining, f.TrainingLetterID = true, 55
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	ready := repairUpdateAt(env, time.Minute, RepairReadyUpdate, nil)
	withdrawn := repairUpdateAt(env, time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})
	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.RepairPendingAcceptance, ready.state.Status)
	require.EqualValues(t, 55, ready.state.TrainingLetterID)
	require.NoError(t, withdrawn.rejected)
	require.NotContains(t, r.actions(), "repair.waiting_conditions")
}

// TestRepairRectificationMissedThenWarningInterview: a missed rectification deadline lets the department record a
// warning interview; then it decides.
func TestRepairRectificationMissedThenWarningInterview(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	repairUpdateAt(env, time.Hour, RepairAcceptUpdate, dept)
	tooEarly := repairUpdateAt(env, 2*time.Hour, RepairWarningInterviewUpdate, RepairWarningInterview{HeldOn: domain.MustParseDate("2026-11-02"), Notes: "x", RepairActor: dept})
	set := repairUpdateAt(env, 3*time.Hour, RepairRectificationUpdate, RepairRectification{DueOn: domain.MustParseDate("2026-11-06"),
		Requirements: []string{"完成废气处理设施改造", "提交第三方检测报告"}, RepairActor: dept})
	interview := repairUpdateAt(env, 5*24*time.Hour, RepairWarningInterviewUpdate, RepairWarningInterview{HeldOn: domain.MustParseDate("2026-11-07"),
		Notes: "告知逾期未整改的后果", Interviewers: []string{"李科长"}, RepairActor: dept})
	decided := repairUpdateAt(env, 6*24*time.Hour, RepairDecideUpdate, RepairDecision{Approved: false, Reason: "逾期未完成整改", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, tooEarly, RejectInvalidTransition)
	require.NoError(t, set.rejected)
	require.Equal(t, domain.RepairRectifying, set.state.Status)
	missed, ok := r.step("repair.rectification_missed")
	require.True(t, ok)
	require.False(t, r.stepAt["repair.rectification_missed"].Before(shanghaiAt("2026-11-07", 0)))
	require.True(t, missed.Progress.RectificationMissed)
	require.NoError(t, interview.rejected)
	require.NoError(t, decided.rejected)
	require.Equal(t, []string{"credit_commitment", "rectification_notice", "warning_interview", "repair_refused"}, r.letters)
}

// TestRepairReopenedAfterObjection: a refusal reopened within the window goes back to verification with a new
// round and deadline, and can then be approved.
func TestRepairReopenedAfterObjection(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	repairUpdateAt(env, time.Hour, RepairAcceptUpdate, dept)
	repairUpdateAt(env, 2*time.Hour, RepairDecideUpdate, RepairDecision{Approved: false, Reason: "材料不全", RepairActor: dept})
	reopened := repairUpdateAt(env, 20*24*time.Hour, RepairReopenUpdate, RepairReopen{Ref: "objection-3", Reason: "异议成立", RepairActor: RepairActor{Actor: "system"}})
	approved := repairUpdateAt(env, 21*24*time.Hour, RepairDecideUpdate, RepairDecision{Approved: true, RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, reopened.rejected)
	require.Equal(t, 1, reopened.state.Round)
	require.Equal(t, domain.RepairVerifying, reopened.state.Status)
	require.Equal(t, "2026-12-01", reopened.state.DecisionDue.String(), "7 working days from the reopening (Sunday 2026-11-22)")
	require.NoError(t, approved.rejected)
	require.Equal(t, "生态环境信修准〔2026〕12-2号", approved.state.DecisionNo)
	require.Equal(t, domain.RepairClosed, r.last().Progress.Status)
	require.Equal(t, "decision#1", r.opened[len(r.opened)-1].Step, "the reopened round has its own task")
}

// TestRepairNotReopenedWhileANewApplicationIsOpen: one open case per record, even after an objection.
func TestRepairNotReopenedWhileANewApplicationIsOpen(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	repairUpdateAt(env, time.Hour, RepairRejectUpdate, RepairReason{Reason: "申请材料与处罚决定不符", RepairActor: dept})
	env.RegisterDelayedCallback(func() { r.mu.Lock(); r.openCase = 13; r.mu.Unlock() }, 2*time.Hour)
	refused := repairUpdateAt(env, 3*time.Hour, RepairReopenUpdate, RepairReopen{Ref: "objection-3", Reason: "异议成立"})
	env.RegisterDelayedCallback(func() { r.mu.Lock(); r.openCase = 0; r.mu.Unlock() }, 4*time.Hour)
	reopened := repairUpdateAt(env, 5*time.Hour, RepairReopenUpdate, RepairReopen{Ref: "objection-3", Reason: "异议成立"})
	withdrawn := repairUpdateAt(env, 6*time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})
	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, refused, RejectInvalidTransition)
	require.Contains(t, refused.rejected.Error(), "案件13")
	require.NoError(t, reopened.rejected)
	require.Equal(t, domain.RepairPendingAcceptance, reopened.state.Status, "a not-accepted case goes back to acceptance")
	require.Equal(t, 1, reopened.state.Round)
	require.NoError(t, withdrawn.rejected)
	require.Equal(t, []string{"credit_commitment", "not_accepted"}, r.letters)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "repair", CaseID: "12", Step: "acceptance#1", Status: domain.TaskCancelled})
}

// TestRepairRevokedForFraudInAResumedRun: a closed case's workflow has ended; the revocation starts a new run that
// resumes the case from its row, records the ban and republishes the record.
func TestRepairRevokedForFraudInAResumedRun(t *testing.T) {
	f := repairFacts("2026-09-01")
	approved := true
	f.Seq = 6
	f.Progress = activities.RepairProgress{Status: domain.RepairClosed, Approved: &approved, DecisionNo: "生态环境信修准〔2026〕12号",
		DecisionDue: domain.MustParseDate("2026-09-10"), DecidedOn: domain.MustParseDate("2026-09-08"), WithdrawalID: 9}
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-20", 10))
	var republish RepublishParams
	env.OnWorkflow(RepublishWorkflowType, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in RepublishParams) error {
		republish = in
		return nil
	})
	noReason := repairUpdateAt(env, 0, RepairRevokeUpdate, RepairReason{RepairActor: RepairActor{Actor: "office", Role: "credit_office"}})
	revoked := repairUpdateAt(env, 0, RepairRevokeUpdate, RepairReason{Reason: "提供虚假的罚款缴纳凭证", RepairActor: RepairActor{Actor: "office", Role: "credit_office"}})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, noReason, "reason_required")
	require.NoError(t, revoked.rejected)
	require.Equal(t, domain.RepairRevoked, revoked.state.Status)
	require.Equal(t, []string{"repair_revoked"}, r.letters)
	require.Len(t, r.bans, 1)
	require.Equal(t, "2029-11-20", r.bans[0].BannedUntil.String(), "36 months")
	require.Equal(t, "提供虚假的罚款缴纳凭证", r.bans[0].Reason)
	require.Equal(t, []string{"repair.revoked"}, r.actions())
	require.EqualValues(t, 7, r.steps[0].Seq, "the resumed run continues the step numbers")
	require.Equal(t, int64(42), republish.PenaltyID)
	require.Equal(t, "2027-05-20", republish.Until.String(), "back until the end of its publication period")
	require.Contains(t, republish.Reason, "撤销信用修复决定")
}

// TestRepublishWorkflowPublishesThenWithdrawsAtTheEnd checks the republication's own lifecycle.
func TestRepublishWorkflowPublishesThenWithdrawsAtTheEnd(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(shanghaiAt("2026-11-20", 10))
	env.RegisterWorkflowWithOptions(RepublishWorkflow, workflow.RegisterOptions{Name: RepublishWorkflowType})
	env.RegisterWorkflow(PublishWorkflow)
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(acts.RestorePenaltyPublished, mock.Anything, mock.Anything).Return(nil)
	var step activities.PenaltyStepInput
	env.OnActivity(acts.PenaltyStep, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PenaltyStepInput) error {
		step = in
		return nil
	})
	var published PublishInput
	var publishID string
	env.OnWorkflow(PublishWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in PublishInput) error {
		published, publishID = in, workflow.GetInfo(ctx).WorkflowExecution.ID
		return nil
	})
	var withdrawn []WithdrawalInput
	var withdrawnAt time.Time
	prev := runWithdrawal
	runWithdrawal = func(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
		withdrawn, withdrawnAt = append(withdrawn, in), workflow.Now(ctx)
		return WithdrawalResult{WithdrawalID: 11}, nil
	}
	t.Cleanup(func() { runWithdrawal = prev })

	env.ExecuteWorkflow(RepublishWorkflow, RepublishParams{PenaltyID: 42, RepairID: 12, Reason: "撤销信用修复决定（x）：虚假材料",
		RevokedOn: domain.MustParseDate("2026-11-20"), PublishDue: domain.MustParseDate("2026-12-01"), Until: domain.MustParseDate("2027-05-20")})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, "撤销信用修复决定（x）：虚假材料", published.Republish)
	// The republication runs where the channel-confirm API sends confirmations (publicationCases: publish-<id>).
	require.Equal(t, PublishWorkflowID(42), publishID)
	require.Len(t, withdrawn, 1)
	require.Equal(t, domain.CauseExpiry, withdrawn[0].Cause)
	require.False(t, withdrawnAt.Before(shanghaiAt("2027-05-21", 0)))
	require.Equal(t, domain.PenaltyWithdrawn, step.Status)
}

// newApplication is a new application of repairFacts' record under the reserved id 12.
func newApplication(f activities.RepairFacts) *activities.RepairApplication {
	return &activities.RepairApplication{RepairID: f.RepairID, PenaltyID: f.PenaltyID, USCC: f.USCC, DepartmentID: f.DepartmentID,
		RuleSet: f.RuleSet, AppliedOn: f.AppliedOn, ApplicantLogin: f.ApplicantLogin, ApplicantRole: "enterprise",
		CommitmentAcceptedAt: f.CommitmentAcceptedAt, CommitmentRemoteAddr: f.CommitmentRemoteAddr}
}

// TestRepairApplicationWritesItsOwnRow: a new application is re-checked and stored by the workflow before it is
// taken in.
func TestRepairApplicationWritesItsOwnRow(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	ready := repairUpdateAt(env, 0, RepairReadyUpdate, nil)
	withdrawn := repairUpdateAt(env, time.Hour, RepairWithdrawUpdate, RepairReason{RepairActor: firm})
	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID, Application: newApplication(f)})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, ready.rejected)
	require.Equal(t, domain.RepairPendingAcceptance, ready.state.Status)
	require.Len(t, r.created, 1)
	require.Equal(t, f.RepairID, r.created[0].RepairID)
	require.Equal(t, f.PenaltyID, r.created[0].PenaltyID)
	require.True(t, f.CommitmentAcceptedAt.Equal(r.created[0].CommitmentAcceptedAt))
	require.NoError(t, withdrawn.rejected)
	require.Equal(t, []string{"repair.received", "repair.forwarded", "repair.cancelled"}, r.actions())
}

// TestRepairApplicationRefusedByTheRecheck: when the record became ineligible between the handler's check and the
// start (another case opened), nothing is stored and the ready update answers the refusal.
func TestRepairApplicationRefusedByTheRecheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		facts    func(*domain.RepairEligibilityFacts)
		openCase int64
		code     string
		created  int
	}{
		{"open case seen by the re-check", func(f *domain.RepairEligibilityFacts) { f.OpenRepairID = 5 }, 0, "repair_case_open", 0},
		{"open case seen by the insert", nil, 5, "repair_case_open", 1},
		{"record withdrawn meanwhile", func(f *domain.RepairEligibilityFacts) { f.RecordWithdrawn = true }, 0, "record_withdrawn", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := repairFacts("2026-11-02")
			env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
			r.eligibility, r.openCase = tc.facts, tc.openCase
			ready := repairUpdateAt(env, 0, RepairReadyUpdate, nil)
			env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID, Application: newApplication(f)})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			requireRefused(t, ready, tc.code)
			rej, _ := AsRejection(ready.rejected)
			require.True(t, rej.Conflict)
			require.Len(t, r.created, tc.created)
			require.Empty(t, r.actions(), "nothing recorded")
			require.Empty(t, r.letters)
		})
	}
}

// TestRepairStoredApplicationRecheckedWhenStartedLate: a row whose workflow starts late (the reconciler found it)
// is re-checked; an ineligible one ends as not accepted with the reason instead of being forwarded.
func TestRepairStoredApplicationRecheckedWhenStartedLate(t *testing.T) {
	f := repairFacts("2026-11-02")
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-02", 9))
	r.eligibility = func(e *domain.RepairEligibilityFacts) {
		e.FraudBan = &domain.FraudBanFact{Reason: "伪造材料", RevokedOn: domain.MustParseDate("2026-06-01"),
			BannedUntil: domain.MustParseDate("2029-06-01")}
	}
	ready := repairUpdateAt(env, time.Minute, RepairReadyUpdate, nil)
	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, ready.rejected)
	require.Equal(t, domain.RepairNotAccepted, ready.state.Status)
	require.Contains(t, ready.state.DecisionReason, "2029-06-02")
	require.Equal(t, []string{"repair.ineligible"}, r.actions())
	require.Empty(t, r.letters, "no commitment rendered for an ineligible case")
	require.Empty(t, r.created, "the row exists already")
}

// TestRepairOverallDeadlineFromReceiptIsEscalated: Order 36 art. 16 ¶1 gives 10 working days from receipt at the
// single window for the result. Received 2026-11-02 (the case started late, on 11-04), the overall deadline is
// 2026-11-16 whatever the forwarding date; the department is within its own step deadlines, yet when 11-16 passes
// undecided the credit office is escalated, and the escalation closes with the decision.
func TestRepairOverallDeadlineFromReceiptIsEscalated(t *testing.T) {
	f := repairFacts("2026-11-02")
	start := shanghaiAt("2026-11-04", 10)
	env, r := newRepairEnv(t, f, start)
	accepted := repairUpdateAt(env, 2*24*time.Hour, RepairAcceptUpdate, dept)
	decided := repairUpdateAt(env, shanghaiAt("2026-11-17", 15).Sub(start), RepairDecideUpdate,
		RepairDecision{Approved: false, Reason: "整改不到位", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, accepted.rejected)
	require.NoError(t, decided.rejected)
	fwd, ok := r.step("repair.forwarded")
	require.True(t, ok)
	require.Equal(t, "2026-11-16", fwd.Progress.OverallDue.String(), "from receipt, not from forwarding on 11-04")
	require.Equal(t, "2026-11-09", fwd.Progress.AcceptanceDue.String(), "the department's own step runs from forwarding")

	require.Len(t, r.escalations, 1)
	require.Equal(t, "overall", r.escalations[0].Step)
	require.Equal(t, "2026-11-16", r.escalations[0].DueOn.String())
	require.Contains(t, r.escalations[0].Title, "逾期未办结")
	end := shanghaiAt("2026-11-17", 0)
	require.False(t, r.escalatedAt.Before(end), "escalated at %s", r.escalatedAt)
	require.Less(t, r.escalatedAt.Sub(end), time.Minute)
	_, ok = r.step("repair.overall_overdue")
	require.True(t, ok)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "repair", CaseID: "12", Step: "escalation:overall", Status: "done"})
}
