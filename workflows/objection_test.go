package workflows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	"xinyong/templates/letters"
)

// objectionRecorder keeps what the mocked activities saw, with the workflow clock at the time.
type objectionRecorder struct {
	mu          sync.Mutex
	env         *testsuite.TestWorkflowEnvironment
	steps       []activities.ObjectionStepInput
	stepAt      map[string]time.Time
	letters     []string
	letterTexts []string // each letter's paragraphs, in issue order
	escalations []activities.EscalateInput
	escalatedAt map[string]time.Time
	opened      []activities.TaskInput
	closed      []activities.CloseTaskInput
	actions     map[string][]string // action -> channels asked
	calls       []activities.ObjectionChannelInput
	confirmed   []activities.ConfirmObjectionChannelInput
	cancelled   []activities.ObjectionChannelInput
	overdue     []activities.ObjectionChannelInput
	corrections []activities.CorrectPenaltyInput
	issued      []activities.IssueLetterInput
	signals     []WithdrawRequest
	reopens     []RepairReopen
	withdrawals []WithdrawalInput
	recount     *activities.RecountResult
	cleared     int
	polls       int
	signalErr   error // what signalling penalty-<id> answers (nil: delivered)
}

func (r *objectionRecorder) actionsDone() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.steps {
		out = append(out, s.Action)
	}
	return out
}

func (r *objectionRecorder) last() activities.ObjectionStepInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps[len(r.steps)-1]
}

func (r *objectionRecorder) step(action string) (activities.ObjectionStepInput, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.steps {
		if s.Action == action {
			return s, true
		}
	}
	return activities.ObjectionStepInput{}, false
}

// objectionFacts is an objection to a published general-class record of sthjj, filed on the given date, shown on a
// webhook channel and a manual one.
func objectionFacts(filed string) activities.ObjectionFacts {
	return activities.ObjectionFacts{
		ObjectionID: 7, PenaltyID: 42, Grounds: domain.GroundsWrongContent, Statement: "罚款金额登记错误",
		FiledOn: domain.MustParseDate(filed), FiledBy: "91321100MA1MXY2K09", FiledByRole: "enterprise",
		CommitmentAcceptedAt: domain.MustParseDate(filed).Time(domain.Shanghai).Add(9 * time.Hour), CommitmentRemoteAddr: "10.0.0.8",
		USCC: "91321100MA1MXY2K09", EnterpriseName: "镇江堃元化工有限公司", LegalRepresentative: "王堃",
		DepartmentID: "sthjj", DepartmentName: "生态环境局", DepartmentContact: "0511-80000002",
		DecisionNo: "镇环罚〔2026〕15号", DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyStatus: domain.PenaltyPublished,
		RuleSet:   "ndrc-2026",
		Deadlines: domain.Deadlines{ObjectionMark: 1, ObjectionForward: 1, ObjectionVerify: 7, ObjectionExtension: 10},
		Channels: []activities.ObjectionChannelFacts{
			{ChannelID: "creditchina", Name: "信用中国", Kind: domain.ChannelWebhook, DeadlineWorkdays: 3},
			{ChannelID: "dept-site", Name: "部门门户网站", Kind: domain.ChannelManual, DeadlineWorkdays: 3},
		},
	}
}

func newObjectionEnv(t *testing.T, facts activities.ObjectionFacts, start time.Time) (*testsuite.TestWorkflowEnvironment, *objectionRecorder) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(ObjectionWorkflow, workflow.RegisterOptions{Name: ObjectionWorkflowType})
	env.RegisterActivity(&activities.Activities{})
	r := &objectionRecorder{env: env, stepAt: map[string]time.Time{}, escalatedAt: map[string]time.Time{}, actions: map[string][]string{}}
	cal := domain.DefaultCalendar()
	kinds, names := map[string]string{}, map[string]string{}
	for _, c := range facts.Channels {
		kinds[c.ChannelID], names[c.ChannelID] = string(c.Kind), c.Name
	}

	env.OnActivity(acts.LoadObjectionFacts, mock.Anything, mock.Anything).Return(facts, nil)
	r.recount = mockDeadlineCounting(env, nil)
	env.OnActivity(acts.Deadline, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeadlineInput) (activities.DeadlineResult, error) {
		due, prov := cal.AddWorkdays(in.From, in.Workdays)
		return activities.DeadlineResult{Due: due, Provisional: prov}, nil
	})
	env.OnActivity(acts.IssueLetter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.IssueLetterInput) (activities.LetterRef, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		l := issuedLetter(t, in)
		r.letters = append(r.letters, string(l.Kind))
		r.letterTexts = append(r.letterTexts, strings.Join(l.Paragraphs, "\n"))
		r.issued = append(r.issued, in)
		return activities.LetterRef{ID: int64(200 + len(r.letters)), Kind: r.letters[len(r.letters)-1], SHA256: "x", VerifyCode: "V" + r.letters[len(r.letters)-1]}, nil
	})
	env.OnActivity(acts.RecordObjectionStep, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ObjectionStepInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
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
		r.escalatedAt[in.Step] = env.Now()
		return nil
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.OpenObjectionChannels, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OpenObjectionChannelsInput) ([]activities.ObjectionChannelRow, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			var rows []activities.ObjectionChannelRow
			for _, c := range in.Channels {
				r.actions[string(in.Action)] = append(r.actions[string(in.Action)], c.ChannelID)
				rows = append(rows, activities.ObjectionChannelRow{ChannelID: c.ChannelID, Name: names[c.ChannelID], Kind: domain.ChannelKind(kinds[c.ChannelID]),
					Action: in.Action, Status: domain.ChannelPending, DueOn: c.DueOn})
			}
			return rows, nil
		})
	env.OnActivity(acts.NotifyObjectionChannel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ObjectionChannelInput) (activities.ObjectionChannelConfirmation, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.calls = append(r.calls, in)
			return activities.ObjectionChannelConfirmation{ChannelID: in.ChannelID, Action: in.Action, Status: domain.ChannelConfirmed,
				ConfirmedAt: env.Now(), Reference: "SYS-1", ConfirmedBy: "webhook", Attempts: 1}, nil
		})
	env.OnActivity(acts.MarkObjectionChannelSent, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.ConfirmObjectionChannel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ConfirmObjectionChannelInput) (activities.ObjectionChannelConfirmation, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.confirmed = append(r.confirmed, in)
			return activities.ObjectionChannelConfirmation{ChannelID: in.ChannelID, Action: in.Action, Status: domain.ChannelConfirmed,
				ConfirmedAt: env.Now(), Reference: in.Reference, ConfirmedBy: in.By}, nil
		})
	env.OnActivity(acts.MarkObjectionChannelOverdue, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ObjectionChannelInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.overdue = append(r.overdue, in)
		return nil
	})
	env.OnActivity(acts.CancelObjectionChannel, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ObjectionChannelInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cancelled = append(r.cancelled, in)
		return nil
	})
	env.OnActivity(acts.ClearObjectionMarks, mock.Anything, mock.Anything).Return(func(_ context.Context, _ int64) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cleared++
		return nil
	})
	env.OnActivity(acts.CorrectPenalty, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CorrectPenaltyInput) (int, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.corrections = append(r.corrections, in)
		return 2, nil
	})
	env.OnActivity(acts.LoadPenaltyFacts, mock.Anything, mock.Anything).Return(activities.PenaltyFacts{
		PenaltyID: facts.PenaltyID, DepartmentID: facts.DepartmentID, DepartmentName: facts.DepartmentName,
		DecisionNo: facts.DecisionNo, USCC: facts.USCC, EnterpriseName: facts.EnterpriseName, Class: domain.ClassGeneral,
		Published: true, MaxPublishMonths: 12, Channels: []string{"信用中国"}, DecidedOn: domain.MustParseDate("2026-05-20"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20")}, nil)
	env.OnActivity(acts.CheckObjectionWithdrawal, mock.Anything, mock.Anything).Return(activities.ObjectionWithdrawalResult{}, nil)
	env.OnActivity(acts.AwaitObjectionWithdrawal, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ObjectionWithdrawalInput) (activities.ObjectionWithdrawalResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.polls++
			if r.polls < 3 { // the channels take a while: the activity's retries are the poll
				return activities.ObjectionWithdrawalResult{}, temporal.NewApplicationError("pending", activities.ErrObjectionWithdrawalPending)
			}
			return activities.ObjectionWithdrawalResult{Done: true, WithdrawalID: 9, Cause: domain.CauseObjection, Status: domain.WithdrawalCompleted}, nil
		})
	env.OnSignalExternalWorkflow(mock.Anything, PenaltyWorkflowID(facts.PenaltyID), "", PenaltyWithdrawSignal, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.signalErr != nil {
				return r.signalErr
			}
			r.signals = append(r.signals, arg.(WithdrawRequest))
			return nil
		})
	if facts.RepairID != 0 {
		env.OnSignalExternalWorkflow(mock.Anything, RepairWorkflowID(facts.RepairID), "", RepairReopenSignal, mock.Anything).Return(
			func(_, _, _, _ string, arg any) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.reopens = append(r.reopens, arg.(RepairReopen))
				return nil
			})
	}
	prev := objectionRunWithdrawal
	objectionRunWithdrawal = func(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
		r.mu.Lock()
		r.withdrawals = append(r.withdrawals, in)
		r.mu.Unlock()
		return WithdrawalResult{WithdrawalID: 11}, workflow.Sleep(ctx, 26*time.Hour)
	}
	t.Cleanup(func() { objectionRunWithdrawal = prev })
	return env, r
}

// objectionOutcome is where the answer to an objection update lands.
type objectionOutcome = update[ObjectionState]

// objectionUpdateAt sends an update after d (workflow time).
func objectionUpdateAt(env *testsuite.TestWorkflowEnvironment, d time.Duration, name string, args ...any) *objectionOutcome {
	return sendUpdateAt[ObjectionState](env, d, name, args...)
}

var deptActor = ObjectionActor{Actor: "sthjj", Role: "department"}

func confirmBy(channel, action string) ObjectionChannelConfirm {
	return ObjectionChannelConfirm{ChannelID: channel, Action: domain.ObjectionAction(action), Reference: "确认-" + channel, By: "op-dept"}
}

// TestObjectionUpheldMarksForwardsAnswersAndUnmarks: the record is marked on both channels within a working day,
// the department gets the case with a 7-working-day deadline, answers "upheld", and both channels remove the mark.
func TestObjectionUpheldMarksForwardsAnswersAndUnmarks(t *testing.T) {
	f := objectionFacts("2026-11-02")
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 9))
	ready := objectionUpdateAt(env, time.Minute, ObjectionReadyUpdate)
	early := objectionUpdateAt(env, 30*time.Minute, ObjectionResolveUpdate, ObjectionResolution{Outcome: "maybe", Reason: "x", ObjectionActor: deptActor})
	marked := objectionUpdateAt(env, 2*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("dept-site", ""))
	webhook := objectionUpdateAt(env, 3*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("creditchina", "mark"))
	resolved := objectionUpdateAt(env, 26*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "经核查，公示信息与处罚决定书一致", ObjectionActor: deptActor})
	again := objectionUpdateAt(env, 27*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "withdrawn",
		Reason: "改为删除", ObjectionActor: deptActor})
	unmarked := objectionUpdateAt(env, 50*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("dept-site", "unmark"))
	repeated := objectionUpdateAt(env, 50*time.Hour+time.Minute, ObjectionConfirmChannelUpdate, confirmBy("dept-site", "unmark"))

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	require.NoError(t, ready.rejected)
	require.Equal(t, domain.ObjectionVerifying, ready.state.Status)
	require.Equal(t, "2026-11-03", ready.state.MarkDue.String(), "marked within 1 working day")
	require.Equal(t, "2026-11-03", ready.state.ForwardDue.String(), "forwarded within 1 working day")
	require.Equal(t, "2026-11-02", ready.state.ForwardedOn.String())
	require.Equal(t, "2026-11-11", ready.state.VerifyDue.String(), "7 working days from forwarding")
	require.Equal(t, domain.HolderDepartment, ready.state.Holder)
	requireRefused(t, early, "invalid_outcome")
	require.NoError(t, marked.rejected)
	requireRefused(t, webhook, "not_manual_channel") // its own system confirms
	require.NoError(t, resolved.rejected)
	require.Equal(t, domain.ObjectionResolved, resolved.state.Status)
	require.Equal(t, domain.OutcomeUpheld, resolved.state.Outcome)
	require.True(t, *resolved.state.ResolvedInTime)
	require.Equal(t, "生态环境异议复〔2026〕7号", resolved.state.ResultNo)
	requireRefused(t, again, "invalid_transition")
	require.NoError(t, unmarked.rejected)
	require.NoError(t, repeated.rejected, "a repeated confirmation is answered, not applied twice")

	require.Equal(t, []string{"objection_commitment", "objection_result"}, r.letters)
	require.Equal(t, []string{"objection.received", "objection.forwarded", "objection.marked", "objection.resolved",
		"objection.propagated", "objection.closed"}, r.actionsDone())
	for i, s := range r.steps {
		require.EqualValues(t, i+1, s.Seq, "every write carries the next step number")
	}
	require.Equal(t, []string{"creditchina", "dept-site"}, r.actions[string(domain.ObjectionMark)])
	require.Equal(t, []string{"creditchina", "dept-site"}, r.actions[string(domain.ObjectionUnmark)], "every mark is removed")
	require.Nil(t, r.actions[string(domain.ObjectionCorrect)])
	require.Len(t, r.confirmed, 2, "the operator's mark and unmark, each once")
	markedStep, _ := r.step("objection.marked")
	require.Equal(t, "2026-11-02", markedStep.Progress.MarkedOn.String())
	require.Equal(t, "sthjj", r.steps[3].Actor, "the department's answer is recorded with its actor")
	require.Empty(t, r.escalations)
	require.Empty(t, r.signals, "upheld withdraws nothing")
	require.Zero(t, r.cleared)
	closed := r.last()
	require.Equal(t, domain.ObjectionClosed, closed.Progress.Status)
	require.EqualValues(t, 202, closed.Progress.ResultLetterID)
	// The verify task and the channels' mark tasks are opened by concurrent coroutines: find it by its step.
	var verify *activities.TaskInput
	for i := range r.opened {
		if r.opened[i].Step == "verify" {
			verify = &r.opened[i]
		}
	}
	require.NotNil(t, verify, "the department's verify task is opened")
	require.EqualValues(t, domain.RoleDepartment, verify.AssigneeRole)
	require.Equal(t, "2026-11-11", verify.DueOn.String())
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "verify", Status: "done"})
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "unmark:dept-site", Status: "done"})
}

// TestObjectionIdleDepartmentIsEscalated (acceptance 3): a department that does not answer in 7 working days is
// overdue and escalated to the credit office; its late answer is recorded as late.
func TestObjectionIdleDepartmentIsEscalated(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	resolved := objectionUpdateAt(env, 14*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, resolved.rejected)

	require.Len(t, r.escalations, 1)
	e := r.escalations[0]
	require.Equal(t, "verify", e.Step)
	require.Equal(t, domain.CaseObjection, e.CaseKind)
	require.Equal(t, "2026-11-11", e.DueOn.String())
	require.Contains(t, e.Title, "逾期未答复异议")
	require.True(t, shanghaiAt("2026-11-12", 0).Equal(r.escalatedAt["verify"]), "escalated when the 7th working day is over: %s", r.escalatedAt["verify"])
	overdue, ok := r.step("objection.overdue")
	require.True(t, ok)
	require.True(t, overdue.Progress.Overdue)
	res, _ := r.step("objection.resolved")
	require.False(t, *res.Progress.ResolvedInTime)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "escalation:verify", Status: "done"})
}

// TestObjectionExtendedOnceWithNotice: the department extends once before the deadline, telling the applicant with a
// letter; a second extension is refused; an answer within the new deadline is in time and nothing is escalated.
func TestObjectionExtendedOnceWithNotice(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	noReason := objectionUpdateAt(env, 24*time.Hour, ObjectionExtendUpdate, ObjectionExtension{ObjectionActor: deptActor})
	extended := objectionUpdateAt(env, 48*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要调取执法记录核实", ObjectionActor: deptActor})
	twice := objectionUpdateAt(env, 72*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "再次延期", ObjectionActor: deptActor})
	resolved := objectionUpdateAt(env, 15*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, noReason, "reason_required")
	require.NoError(t, extended.rejected)
	require.True(t, extended.state.Extended)
	require.Equal(t, "2026-11-11", extended.state.OriginalVerifyDue.String())
	require.Equal(t, "2026-11-25", extended.state.VerifyDue.String(), "10 more working days")
	require.NotZero(t, extended.state.ExtensionLetterID)
	requireRefused(t, twice, "invalid_transition")
	require.NoError(t, resolved.rejected)
	require.True(t, *resolved.state.ResolvedInTime)
	require.Empty(t, r.escalations)
	require.Equal(t, []string{"objection_commitment", "extension_notice", "objection_result"}, r.letters)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "verify", Status: domain.TaskCancelled})
	var reopened *activities.TaskInput
	for i := range r.opened {
		if r.opened[i].Step == "verify:extended" {
			reopened = &r.opened[i]
		}
	}
	require.NotNil(t, reopened, "the department's task carries the new deadline")
	require.Equal(t, "2026-11-25", reopened.DueOn.String())
}

// TestObjectionExtensionToAStatedDate: NDRC Order 36 art. 18 fixes no length; the department states the new date,
// within the rule set's maximum, and the extension letter tells the applicant that date.
func TestObjectionExtensionToAStatedDate(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	tooLong := objectionUpdateAt(env, 24*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要现场核查",
		DueOn: domain.MustParseDate("2026-11-26"), ObjectionActor: deptActor})
	tooEarly := objectionUpdateAt(env, 30*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要现场核查",
		DueOn: domain.MustParseDate("2026-11-11"), ObjectionActor: deptActor})
	extended := objectionUpdateAt(env, 48*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要现场核查",
		DueOn: domain.MustParseDate("2026-11-18"), ObjectionActor: deptActor})
	objectionUpdateAt(env, 10*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, tooLong, "extension_too_long")
	requireRefused(t, tooEarly, "invalid_due_on")
	require.NoError(t, extended.rejected)
	require.Equal(t, "2026-11-18", extended.state.VerifyDue.String(), "the department's date")
	require.Equal(t, []string{"objection_commitment", "extension_notice", "objection_result"}, r.letters)
	require.Contains(t, r.letterTexts[1], "2026年11月18日", "the applicant is told the new date")
	require.NotContains(t, r.letterTexts[1], "个工作日", "no count of days the department did not choose")
}

// TestObjectionExtensionAfterDeadlineIsRefused: an extension must be told before the deadline passes.
func TestObjectionExtensionAfterDeadlineIsRefused(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	late := objectionUpdateAt(env, 12*24*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "来不及", ObjectionActor: deptActor})
	objectionUpdateAt(env, 13*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld", Reason: "无误", ObjectionActor: deptActor})
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, late, "invalid_transition")
	require.Len(t, r.escalations, 1)
}

// TestObjectionUnmarkedChannelIsEscalated: a manual channel that has not marked the record by the mark deadline is
// overdue and escalated; the answer cancels the mark it never made and asks it for nothing more.
func TestObjectionUnmarkedChannelIsEscalated(t *testing.T) {
	f := objectionFacts("2026-11-02")
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	objectionUpdateAt(env, 3*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld", Reason: "无误", ObjectionActor: deptActor})
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, r.escalations, 1)
	require.Equal(t, "mark:dept-site", r.escalations[0].Step)
	require.True(t, shanghaiAt("2026-11-04", 0).Equal(r.escalatedAt["mark:dept-site"]), "the mark deadline is the next working day")
	require.Equal(t, []activities.ObjectionChannelInput{{ObjectionID: 7, ChannelID: "dept-site", Action: "mark"}}, r.overdue)
	require.Equal(t, []activities.ObjectionChannelInput{{ObjectionID: 7, ChannelID: "dept-site", Action: "mark"}}, r.cancelled)
	require.Equal(t, []string{"creditchina"}, r.actions[string(domain.ObjectionUnmark)], "only the channel that marked it unmarks it")
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "mark:dept-site", Status: domain.TaskCancelled})
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "objection", CaseID: "7", Step: "escalation:mark:dept-site", Status: domain.TaskCancelled})
}

// TestObjectionCorrectedUpdatesEveryChannel: the record is corrected once (its old version kept by the activity)
// and every channel is asked to show the corrected record.
func TestObjectionCorrectedUpdatesEveryChannel(t *testing.T) {
	f := objectionFacts("2026-11-02")
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	amount := "30000.00"
	noFields := objectionUpdateAt(env, time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "corrected", Reason: "金额有误", ObjectionActor: deptActor})
	fieldsUpheld := objectionUpdateAt(env, 2*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld", Reason: "无误",
		Corrections: &domain.PenaltyCorrection{FineAmountYuan: &amount}, ObjectionActor: deptActor})
	corrected := objectionUpdateAt(env, 24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "corrected",
		Reason: "罚款金额登记有误", Corrections: &domain.PenaltyCorrection{FineAmountYuan: &amount}, ObjectionActor: deptActor})
	objectionUpdateAt(env, 48*time.Hour, ObjectionConfirmChannelUpdate, confirmBy("dept-site", ""))

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, noFields, "corrections_required")
	requireRefused(t, fieldsUpheld, "corrections_not_allowed")
	require.NoError(t, corrected.rejected)
	require.Equal(t, 2, corrected.state.PenaltyVersion)
	require.JSONEq(t, `{"fine_amount_yuan":"30000.00"}`, string(corrected.state.Corrections))

	require.Len(t, r.corrections, 1)
	require.Equal(t, "30000.00", *r.corrections[0].Correction.FineAmountYuan)
	require.Equal(t, "sthjj", r.corrections[0].By)
	// The corrected record gets a corrected 信用修复告知书: the penalty's notice of the record's new version.
	var notice *activities.IssueLetterInput
	for i, in := range r.issued {
		if in.Content != nil && in.Content.Kind == letters.KindRepairNotice {
			notice = &r.issued[i]
		}
	}
	require.NotNil(t, notice, "a corrected notice is issued")
	require.Equal(t, "penalty", notice.CaseKind)
	require.Equal(t, strconv.FormatInt(f.PenaltyID, 10), notice.CaseID)
	require.Equal(t, 2, notice.Version, "it supersedes version 1")
	require.Equal(t, []string{"creditchina", "dept-site"}, r.actions[string(domain.ObjectionCorrect)])
	require.Nil(t, r.actions[string(domain.ObjectionUnmark)], "the corrected record replaces the marked one")
	require.Equal(t, domain.ObjectionClosed, r.last().Progress.Status)
	require.Equal(t, []activities.ObjectionChannelInput{{ObjectionID: 7, ChannelID: "dept-site", Action: "mark"}}, r.cancelled,
		"the operator's mark still to do is cancelled")
}

// TestObjectionWithdrawnRunsThroughThePenaltyLifecycle: a withdrawn answer asks penalty-<id> to withdraw the record
// with cause objection and waits until it is off every channel; the marks then go with it.
func TestObjectionWithdrawnRunsThroughThePenaltyLifecycle(t *testing.T) {
	f := objectionFacts("2026-11-02")
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	objectionUpdateAt(env, 24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "withdrawn", Reason: "该信息重复公示",
		ObjectionActor: deptActor})
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, r.signals, 1)
	require.Equal(t, domain.CauseObjection, r.signals[0].Cause)
	require.Equal(t, "objection-7", r.signals[0].CauseRef)
	require.Contains(t, r.signals[0].CauseDecision, "生态环境异议复〔2026〕7号")
	require.Equal(t, 3, r.polls, "polled until the withdrawal completed")
	require.Equal(t, 1, r.cleared)
	require.Empty(t, r.withdrawals)
	require.Nil(t, r.actions[string(domain.ObjectionUnmark)])
	closed := r.last()
	require.Equal(t, domain.ObjectionClosed, closed.Progress.Status)
	require.EqualValues(t, 9, closed.Progress.WithdrawalID)
	require.Contains(t, r.actionsDone(), "objection.withdrawal_requested")
	require.Contains(t, r.actionsDone(), "objection.withdrawn")
}

// TestObjectionWithdrawnAfterLifecycleEnded: with no lifecycle left to ask, the case orders the withdrawal itself.
func TestObjectionWithdrawnAfterLifecycleEnded(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	r.signalErr = errors.New("workflow not found")
	objectionUpdateAt(env, 24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "withdrawn", Reason: "不应公示",
		ObjectionActor: deptActor})
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, r.withdrawals, 1)
	require.Equal(t, WithdrawalInput{PenaltyID: 42, Cause: domain.CauseObjection, CauseRef: "objection-7",
		CauseDecision: "生态环境局异议处理结果告知书（生态环境异议复〔2026〕7号）：异议成立，删除该信息并终止公示"}, r.withdrawals[0])
	require.Zero(t, r.polls)
	require.EqualValues(t, 11, r.last().Progress.WithdrawalID)
}

// TestObjectionAgainstRefusalReopensRepair: an objection to a refused repair marks nothing; a successful answer
// reopens the repair case; "withdrawn" is not an answer to it.
func TestObjectionAgainstRefusalReopensRepair(t *testing.T) {
	f := objectionFacts("2026-11-02")
	f.Grounds, f.RepairID, f.RepairDecisionNo, f.RepairStatus = domain.GroundsAgainstRefusal, 12, "生态环境信修不准〔2026〕12号", domain.RepairRefused
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 10))
	wrong := objectionUpdateAt(env, time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "withdrawn", Reason: "x", ObjectionActor: deptActor})
	ok := objectionUpdateAt(env, 24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "corrected",
		Reason: "罚款已于决定前缴清，原不予修复理由不成立", ObjectionActor: deptActor})
	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, wrong, "invalid_outcome")
	require.NoError(t, ok.rejected)
	require.Empty(t, r.actions, "a refusal's objection marks no channel")
	require.Len(t, r.reopens, 1)
	require.Equal(t, "objection-7", r.reopens[0].Ref)
	require.Equal(t, "sthjj", r.reopens[0].Actor)
	require.True(t, r.last().Progress.RepairReopened)
	require.Contains(t, r.actionsDone(), "objection.repair_reopened")
}

// TestObjectionFilingWritesItsOwnRow: a new filing is stored by the workflow's first activity; when the applicant's
// other objection opened meanwhile, nothing is taken in and the ready update answers the refusal (409).
func TestObjectionFilingWritesItsOwnRow(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(fmt.Sprint("open=", open), func(t *testing.T) {
			f := objectionFacts("2026-11-02")
			env, _ := newObjectionEnv(t, f, shanghaiAt("2026-11-02", 9))
			var stored []activities.ObjectionFiling
			env.OnActivity(acts.CreateObjectionCase, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ObjectionFiling) error {
				stored = append(stored, in)
				if open {
					return temporal.NewNonRetryableApplicationError("您对该处罚信息已有正在办理的异议（案件3），不能重复提出",
						activities.ErrObjectionCaseOpen, nil, int64(3))
				}
				return nil
			})
			ready := objectionUpdateAt(env, 0, ObjectionReadyUpdate)
			filing := &activities.ObjectionFiling{ObjectionID: f.ObjectionID, PenaltyID: f.PenaltyID, USCC: f.USCC,
				Grounds: "wrong_content", Statement: "有误", RuleSet: "ndrc-2026", FiledOn: domain.MustParseDate("2026-11-02")}
			if open {
				env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID, Filing: filing})
				require.True(t, env.IsWorkflowCompleted())
				require.NoError(t, env.GetWorkflowError())
				requireRefused(t, ready, activities.ErrObjectionCaseOpen)
				rej, _ := AsRejection(ready.rejected)
				require.True(t, rej.Conflict)
			} else {
				env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
				env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID, Filing: filing})
				require.NoError(t, ready.rejected)
				require.Equal(t, domain.ObjectionVerifying, ready.state.Status)
			}
			require.Len(t, stored, 1)
			require.Equal(t, f.ObjectionID, stored[0].ObjectionID)
		})
	}
}
