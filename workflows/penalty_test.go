package workflows

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// penaltyRecorder keeps what the mocked activities and the withdrawal saw, with the workflow clock at the time.
type penaltyRecorder struct {
	mu          sync.Mutex
	env         *testsuite.TestWorkflowEnvironment
	steps       []activities.PenaltyStepInput
	stepAt      map[string]time.Time
	notices     map[string]time.Time
	escalations []activities.EscalateInput
	escalatedAt time.Time
	closed      []activities.CloseTaskInput
	opened      []activities.TaskInput
	withdrawals []WithdrawalInput
	withdrawAt  time.Time
	deliveries  []activities.RecordDeliveryInput
	letters     int
	recount     *activities.RecountResult
	// publications are the publications the lifecycle ran itself (CreatePublications); channels are the
	// channels they find (one webhook channel unless a test says otherwise); batches are the operators' tasks
	// opened together (OpenTasks) and confirmed the manual channels confirmed (ConfirmPublication).
	publications []activities.CreatePublicationsInput
	channels     []activities.PublicationChannel
	batches      []activities.OpenTasksInput
	confirmed    []activities.ConfirmPublicationInput
}

func (r *penaltyRecorder) statuses() []domain.PenaltyStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.PenaltyStatus
	for _, s := range r.steps {
		if s.Status != "" {
			out = append(out, s.Status)
		}
	}
	return out
}

// generalFine is a general-class fine of sthjj (ndrc-2026) decided on 2026-05-20.
func generalFine() activities.PenaltyFacts {
	return activities.PenaltyFacts{
		PenaltyID: 42, DepartmentID: "sthjj", DepartmentName: "生态环境局", DepartmentContact: "0511-80000002",
		DecisionNo: "镇环罚〔2026〕15号", DecidedOn: domain.MustParseDate("2026-05-20"), USCC: "91321100MA1MXY2K09",
		EnterpriseName: "镇江堃元化工有限公司", Class: domain.ClassGeneral, Published: true, RuleSet: "ndrc-2026",
		PublishDue: domain.MustParseDate("2026-05-29"), DeliveryDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		MinPublishMonths: 3, MaxPublishMonths: 12, RepairableEarly: true, Channels: []string{"信用中国", "国家企业信用信息公示系统"},
		AcceptWorkdays: 3, DecideWorkdays: 7, RevocationWithdrawalWorkdays: 3,
	}
}

func shanghaiAt(date string, hour int) time.Time {
	return domain.MustParseDate(date).Time(domain.Shanghai).Add(time.Duration(hour) * time.Hour)
}

func newPenaltyEnv(t *testing.T, facts activities.PenaltyFacts) (*testsuite.TestWorkflowEnvironment, *penaltyRecorder) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	env.SetStartTime(shanghaiAt(facts.DecidedOn.String(), 10))
	env.RegisterWorkflowWithOptions(PenaltyWorkflow, workflow.RegisterOptions{Name: PenaltyWorkflowType})
	env.RegisterWorkflow(PublishWorkflow)
	env.RegisterActivity(&activities.Activities{})
	r := &penaltyRecorder{env: env, stepAt: map[string]time.Time{}, notices: map[string]time.Time{},
		channels: []activities.PublicationChannel{{ChannelID: "creditchina", Name: "信用中国", Kind: domain.ChannelWebhook, Status: "pending"}}}

	env.OnActivity(acts.LoadPenaltyFacts, mock.Anything, mock.Anything).Return(facts, nil)
	r.recount = mockDeadlineCounting(env, map[string]domain.Date{dueDelivery: facts.DeliveryDue, duePublish: facts.PublishDue})
	env.OnActivity(acts.IssueLetter, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IssueLetterInput) (activities.LetterRef, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.letters++
			kind := string(issuedLetter(t, in).Kind)
			return activities.LetterRef{ID: int64(r.letters), Kind: kind, SHA256: "x", VerifyCode: "C" + kind}, nil
		})
	env.OnActivity(acts.PenaltyStep, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PenaltyStepInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.steps = append(r.steps, in)
		r.stepAt[in.Action] = env.Now()
		return nil
	})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.NotifyInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.notices[in.Kind] = env.Now()
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
	env.OnActivity(acts.RecordDelivery, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordDeliveryInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.deliveries = append(r.deliveries, in)
		return nil
	})
	env.OnActivity(acts.RecordRevocation, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.Audit, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.Deadline, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeadlineInput) (activities.DeadlineResult, error) {
		return activities.DeadlineResult{Due: in.From.AddDays(in.Workdays + 2)}, nil
	})
	// The lifecycle publishes the record itself; webhook channels answer at once.
	env.OnActivity(acts.CreatePublications, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreatePublicationsInput) (activities.PublishFacts, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.publications = append(r.publications, in)
			return activities.PublishFacts{PenaltyID: in.PenaltyID, DecisionNo: facts.DecisionNo, EnterpriseName: facts.EnterpriseName,
				Published: true, Channels: r.channels}, nil
		})
	env.OnActivity(acts.PublishToChannel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PublicationChannelInput) (activities.PublicationResult, error) {
			return activities.PublicationResult{ChannelID: in.ChannelID, Published: true}, nil
		})
	env.OnActivity(acts.OpenTasks, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.OpenTasksInput) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.batches = append(r.batches, in)
		return nil
	})
	env.OnActivity(acts.ConfirmPublication, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ConfirmPublicationInput) (activities.PublicationResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.confirmed = append(r.confirmed, in)
			return activities.PublicationResult{ChannelID: in.ChannelID, Published: true}, nil
		})

	prev := runWithdrawal
	runWithdrawal = func(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
		r.mu.Lock()
		r.withdrawals = append(r.withdrawals, in)
		r.withdrawAt = workflow.Now(ctx)
		r.mu.Unlock()
		// The channels take a while to confirm.
		return WithdrawalResult{WithdrawalID: 7}, workflow.Sleep(ctx, 26*time.Hour)
	}
	t.Cleanup(func() { runWithdrawal = prev })
	return env, r
}

// updateOutcome is where the answer to a penalty update lands.
type updateOutcome = update[PenaltyState]

// deliverAt sends the delivery update after d (workflow time).
func deliverAt(env *testsuite.TestWorkflowEnvironment, d time.Duration, req DeliveryRequest) *updateOutcome {
	return sendUpdateAt[PenaltyState](env, d, PenaltyDeliveryUpdate, req)
}

func TestPenaltyLifecycleRunsToExpiryWithoutAnyoneActingAfterDelivery(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	delivery := deliverAt(env, 2*time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃", Actor: "sthjj", Role: "department"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	require.True(t, delivery.done)
	require.NoError(t, delivery.rejected)
	require.NotNil(t, delivery.state.Delivery, "the update answers the new state")
	require.Equal(t, f.DecidedOn, delivery.state.Delivery.DeliveredOn)
	require.Len(t, r.deliveries, 1)
	require.Equal(t, "王堃", r.deliveries[0].SignedBy)

	// Both letters, together, before anything else.
	require.Equal(t, 2, r.letters)
	require.Equal(t, []domain.PenaltyStatus{domain.PenaltyNoticeIssued, domain.PenaltyPublished, domain.PenaltyEligible,
		domain.PenaltyWithdrawing, domain.PenaltyWithdrawn}, r.statuses())
	require.Equal(t, []activities.CreatePublicationsInput{{PenaltyID: f.PenaltyID, DueOn: f.PublishDue}}, r.publications,
		"published by the lifecycle itself, by its due date")

	// Told it may apply at the start of repair_eligible_from, Asia/Shanghai.
	eligible := shanghaiAt("2026-08-21", 0)
	require.False(t, r.notices["repair_eligible"].Before(eligible), "notified at %s", r.notices["repair_eligible"])
	require.Less(t, r.notices["repair_eligible"].Sub(eligible), time.Minute)

	// Withdrawn with cause expiry once 2027-05-20 is over, and not a minute earlier.
	require.Len(t, r.withdrawals, 1)
	require.Equal(t, domain.CauseExpiry, r.withdrawals[0].Cause)
	require.Equal(t, f.PenaltyID, r.withdrawals[0].PenaltyID)
	end := shanghaiAt("2027-05-21", 0)
	require.False(t, r.withdrawAt.Before(end), "withdrawn at %s", r.withdrawAt)
	require.Less(t, r.withdrawAt.Sub(end), time.Minute)
	require.Contains(t, r.notices, "penalty_withdrawn")

	// Delivered in time: no escalation; the delivery task was opened and closed.
	require.Empty(t, r.escalations)
	require.Equal(t, "delivery", r.opened[0].Step)
	require.EqualValues(t, domain.RoleDepartment, r.opened[0].AssigneeRole)
	require.Equal(t, f.DeliveryDue, *r.opened[0].DueOn)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "penalty", CaseID: "42", Step: "delivery", Status: "done"})

	v, err := env.QueryWorkflow(PenaltyStateQuery)
	require.NoError(t, err)
	var st PenaltyState
	require.NoError(t, v.Get(&st))
	require.Equal(t, domain.PenaltyWithdrawn, st.Status)
	require.Equal(t, "completed", st.Withdrawal.Status)
	require.True(t, st.EligibleNotified)
	require.Len(t, st.Letters, 2)
}

func TestPenaltyOverdueDeliveryEscalatesAndStillWaits(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	// Nobody records delivery in time; it comes a month later.
	late := deliverAt(env, 30*24*time.Hour, DeliveryRequest{Method: domain.DeliveryPost, DeliveredOn: domain.MustParseDate("2026-06-15"), SignedBy: "王堃"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, r.escalations, 1)
	require.Equal(t, "delivery", r.escalations[0].Step)
	require.Contains(t, r.escalations[0].Title, "逾期未登记送达")
	// Escalated when the 7th working day (2026-05-29) was over.
	require.False(t, r.escalatedAt.Before(shanghaiAt("2026-05-30", 0)))
	require.Less(t, r.escalatedAt.Sub(shanghaiAt("2026-05-30", 0)), time.Minute)
	require.Contains(t, r.stepAt, "penalty.delivery_overdue")

	require.NoError(t, late.rejected)
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "penalty", CaseID: "42", Step: "delivery", Status: "done"})
	require.Contains(t, r.closed, activities.CloseTaskInput{CaseKind: "penalty", CaseID: "42", Step: "escalation:delivery", Status: "done"})
	// Publication did not wait for the late delivery: it was due by publish_due.
	require.True(t, r.stepAt["penalty.published"].Before(shanghaiAt("2026-05-21", 0)))
}

func TestPenaltyRevocationWithdrawsEverywhereAndEnds(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryRefused, DeliveredOn: f.DecidedOn, Witness: "李四"})
	revocation := &updateOutcome{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PenaltyRevocationUpdate, "", revocation.callbacks(),
			RevocationRequest{Reason: "复议决定撤销原处罚决定（镇政复决〔2026〕3号）", Actor: "sthjj", Role: "department"})
	}, 20*24*time.Hour)

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, revocation.rejected)

	require.Len(t, r.withdrawals, 1)
	require.Equal(t, domain.CauseRevocation, r.withdrawals[0].Cause)
	require.Contains(t, r.withdrawals[0].CauseDecision, "复议决定撤销")
	require.Equal(t, domain.PenaltyRevoked, r.statuses()[len(r.statuses())-1])
	require.NotContains(t, r.statuses(), domain.PenaltyEligible, "revoked before the eligibility date")
	// The lifecycle ended with the withdrawal, long before the publication period would have.
	require.True(t, env.Now().Before(shanghaiAt("2026-07-01", 0)), "ended at %s", env.Now())
}

func TestPenaltyRepairSignalWithdrawsWithCauseRepair(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryElectronic, DeliveredOn: f.DecidedOn, ElectronicConsent: true})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PenaltyWithdrawSignal, WithdrawRequest{Cause: domain.CauseRepair, CauseRef: "repair-7", CauseDecision: "准予信用修复"})
	}, 100*24*time.Hour)
	// A second cause later is recorded, not acted on.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(PenaltyWithdrawSignal, WithdrawRequest{Cause: domain.CauseObjection, CauseRef: "objection-3"})
	}, 100*24*time.Hour+time.Minute)

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	require.Contains(t, r.notices, "repair_eligible")
	require.Len(t, r.withdrawals, 1)
	require.Equal(t, WithdrawalInput{PenaltyID: 42, Cause: domain.CauseRepair, CauseRef: "repair-7", CauseDecision: "准予信用修复"}, r.withdrawals[0])
	require.Equal(t, domain.PenaltyWithdrawn, r.statuses()[len(r.statuses())-1])
	env.AssertActivityCalled(t, "Audit", mock.Anything, mock.MatchedBy(func(in activities.AuditInput) bool {
		return in.Action == "penalty.withdraw_request_superseded"
	}))
}

func TestPenaltyDeliveryIsValidatedInTheWorkflow(t *testing.T) {
	f := generalFine()
	env, _ := newPenaltyEnv(t, f)
	cases := []struct {
		req      DeliveryRequest
		code     string
		conflict bool
	}{
		{DeliveryRequest{Method: "pigeon", DeliveredOn: f.DecidedOn, SignedBy: "x"}, "invalid_delivery_method", false},
		{DeliveryRequest{Method: domain.DeliveryRefused, DeliveredOn: f.DecidedOn}, "witness_required", false},
		{DeliveryRequest{Method: domain.DeliveryElectronic, DeliveredOn: f.DecidedOn}, "electronic_consent_required", false},
		{DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn.AddDays(-1), SignedBy: "x"}, "delivered_before_decision", false},
		{DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn.AddDays(3), SignedBy: "x"}, "delivered_on_in_future", false},
	}
	outcomes := make([]*updateOutcome, len(cases))
	for i, c := range cases {
		outcomes[i] = deliverAt(env, time.Hour, c.req)
	}
	good := deliverAt(env, 2*time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃"})
	again := deliverAt(env, 3*time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	for i, c := range cases {
		require.Error(t, outcomes[i].rejected, c.code)
		rej, ok := AsRejection(outcomes[i].rejected)
		require.True(t, ok, "%v", outcomes[i].rejected)
		require.Equal(t, c.code, rej.Code)
		require.Equal(t, c.conflict, rej.Conflict)
		require.Regexp(t, `\p{Han}`, rej.Message)
	}
	require.NoError(t, good.rejected)
	rej, ok := AsRejection(again.rejected)
	require.True(t, ok)
	require.Equal(t, "already_delivered", rej.Code)
	require.True(t, rej.Conflict)
}

// The lifecycle publishes the record itself: the manual channels' operators get their tasks in one step, a
// confirmation sent to the lifecycle is checked and recorded, and the record is published once every channel is.
func TestPenaltyPublishesItselfAndTakesTheOperatorsConfirmations(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	r.channels = []activities.PublicationChannel{
		{ChannelID: "creditchina", Name: "信用中国", Kind: domain.ChannelWebhook, Status: "pending"},
		{ChannelID: "gsxt", Name: "国家企业信用信息公示系统", Kind: domain.ChannelManual, Status: "pending"},
		{ChannelID: "dept-site", Name: "部门门户网站", Kind: domain.ChannelManual, Status: "pending"},
	}
	deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃"})
	unknown := sendUpdateAt[PublicationState](env, 2*time.Hour, PublishConfirmUpdate,
		ConfirmChannelRequest{ChannelID: "thirdparty", Reference: "TP-1", By: "op-thirdparty"})
	gsxt := sendUpdateAt[PublicationState](env, 3*time.Hour, PublishConfirmUpdate,
		ConfirmChannelRequest{ChannelID: "gsxt", Reference: "GS-1", By: "op-gsxt"})
	site := sendUpdateAt[PublicationState](env, 26*time.Hour, PublishConfirmUpdate,
		ConfirmChannelRequest{ChannelID: "dept-site", Reference: "http://example.gov.cn/1", By: "op-dept"})
	after := sendUpdateAt[PublicationState](env, 30*time.Hour, PublishConfirmUpdate,
		ConfirmChannelRequest{ChannelID: "gsxt", Reference: "GS-1", By: "op-gsxt"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, r.publications, 1)
	require.Len(t, r.batches, 1, "the operators' tasks are opened in one step")
	var steps []string
	for _, tk := range r.batches[0].Tasks {
		steps = append(steps, tk.Step)
		require.Equal(t, f.PublishDue, *tk.DueOn)
	}
	require.Equal(t, []string{"publish:gsxt", "publish:dept-site"}, steps)

	requireRefused(t, unknown, "channel_not_addressed")
	st := requireAccepted(t, gsxt).(PublicationState)
	require.Equal(t, "published", st.Channels[1].Status)
	requireAccepted(t, site)
	requireRefused(t, after, "case_closed") // the publication has ended
	require.Len(t, r.confirmed, 2)
	require.Equal(t, "op-dept", r.confirmed[1].By)

	require.Contains(t, r.statuses(), domain.PenaltyPublished)
	require.Less(t, r.stepAt["penalty.published"].Sub(shanghaiAt("2026-05-21", 12)), time.Hour,
		"published once the last channel confirmed")
	var closedSteps []string
	for _, c := range r.closed {
		closedSteps = append(closedSteps, c.Step)
	}
	require.Subset(t, closedSteps, []string{"publish:gsxt", "publish:dept-site"})
	require.Empty(t, r.escalations, "confirmed in time")
}

func TestPenaltyUnpublishedMinorIsNeverPublishedNorWithdrawn(t *testing.T) {
	f := generalFine()
	f.Class, f.Published, f.Channels = domain.ClassMinor, false, nil
	f.RepairEligibleFrom, f.PublicationEnds, f.MinPublishMonths, f.MaxPublishMonths = f.DecidedOn, f.DecidedOn.AddMonths(3), 0, 3
	env, r := newPenaltyEnv(t, f)
	deliverAt(env, time.Hour, DeliveryRequest{Method: domain.DeliveryInPerson, DeliveredOn: f.DecidedOn, SignedBy: "王堃"})
	confirm := sendUpdateAt[PublicationState](env, 30*time.Minute, PublishConfirmUpdate,
		ConfirmChannelRequest{ChannelID: "gsxt", Reference: "GS-1", By: "op-gsxt"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	requireRefused(t, confirm, "case_closed") // nothing is published
	require.Empty(t, r.publications)
	require.Empty(t, r.withdrawals)
	require.NotContains(t, r.notices, "repair_eligible")
	// (delivered is written by RecordDelivery, not by a PenaltyStep)
	require.Equal(t, []domain.PenaltyStatus{domain.PenaltyNoticeIssued, domain.PenaltyWithdrawn}, r.statuses())
	require.Contains(t, r.stepAt, "penalty.ended")
}

func TestRepairNoticeNamesEverythingTheRulesRequire(t *testing.T) {
	f := generalFine()
	f.ApplyOnline, f.ApplyWindow = "信用修复协同平台（http://example）", activities.ApplyWindow
	nc, rc := letterContents(f, domain.MustParseDate("2026-05-20"))
	notice, err := letters.Build(nc)
	require.NoError(t, err)
	receipt, err := letters.Build(rc)
	require.NoError(t, err)
	var text strings.Builder
	for _, p := range notice.Paragraphs {
		text.WriteString(p)
	}
	for _, fa := range notice.Facts {
		text.WriteString(fa.Label + fa.Value)
	}
	for _, n := range notice.Notes {
		text.WriteString(n)
	}
	for _, want := range []string{"镇江堃元化工有限公司", "91321100MA1MXY2K09", "镇环罚〔2026〕15号", "2026年5月20日", "一般",
		"信用中国", "国家企业信用信息公示系统", "3个月", "1年", "2026年8月21日", "2027年5月20日", "申请条件", "申请材料",
		"信用修复协同平台", "市政务服务中心", "0511-80000002"} {
		require.Contains(t, text.String(), want)
	}
	require.Equal(t, "生态环境局", notice.Issuer)
	var rtext strings.Builder
	for _, fa := range receipt.Facts {
		rtext.WriteString(fa.Value)
	}
	require.Contains(t, rtext.String(), "行政处罚决定书")
	require.Contains(t, rtext.String(), "信用修复告知书")
	require.Contains(t, rtext.String(), "镇环罚〔2026〕15号")
}

func TestLifecycleArgsEncodeLikePenaltyParams(t *testing.T) {
	a, err := json.Marshal(PenaltyParams{PenaltyID: 9})
	require.NoError(t, err)
	b, err := json.Marshal(activities.LifecycleArgs{PenaltyID: 9})
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
	a, err = json.Marshal(NewPenaltyParams(9))
	require.NoError(t, err)
	b, err = json.Marshal(activities.LifecycleArgs{PenaltyID: 9, Shape: activities.LifecycleShape})
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
}

func TestImportWorkflowStartsEveryBatchThenFinishes(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ImportWorkflow)
	env.RegisterActivity(&activities.Activities{})
	var rows []activities.ImportStart
	for i := range 700 {
		rows = append(rows, activities.ImportStart{Row: i + 2, PenaltyID: int64(1000 + i), Started: i == 5})
	}
	env.OnActivity(acts.NextImportBatch, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NextImportBatchInput) ([]activities.ImportStart, error) {
			var out []activities.ImportStart
			for _, r := range rows {
				if r.Row > in.AfterRow && len(out) < in.Limit {
					out = append(out, r)
				}
			}
			return out, nil
		})
	var mu sync.Mutex
	started := map[int64]string{}
	env.OnActivity(acts.StartLifecycles, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StartLifecyclesInput) error {
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, PenaltyWorkflowType, in.WorkflowType)
			require.Equal(t, TaskQueue, in.TaskQueue)
			for _, s := range in.Starts {
				started[s.PenaltyID] = s.WorkflowID
			}
			return nil
		})
	env.OnActivity(acts.FinishImport, mock.Anything, int64(3)).Return(nil).Once()
	env.ExecuteWorkflow(ImportWorkflow, ImportParams{ImportID: 3})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, started, 699, "every row but the one already started")
	require.Equal(t, "penalty-1000", started[1000])
	require.NotContains(t, started, int64(1005))
	env.AssertExpectations(t)
}

func TestPenaltyWithdrawnByExpiryStillWaitsForItsDelivery(t *testing.T) {
	f := generalFine()
	env, r := newPenaltyEnv(t, f)
	late := deliverAt(env, 400*24*time.Hour, DeliveryRequest{Method: domain.DeliveryPost, DeliveredOn: domain.MustParseDate("2027-06-01"), SignedBy: "王堃"})

	env.ExecuteWorkflow(PenaltyWorkflow, PenaltyParams{PenaltyID: f.PenaltyID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, late.rejected, "a withdrawn record's delivery can still be recorded")
	require.Len(t, r.withdrawals, 1)
	require.Equal(t, domain.CauseExpiry, r.withdrawals[0].Cause)
	require.Len(t, r.deliveries, 1)
	require.False(t, env.Now().Before(shanghaiAt("2027-06-24", 0)), "the case stayed open until the delivery")
}
