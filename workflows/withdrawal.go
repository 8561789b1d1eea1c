package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// Withdrawal (一件通用): one order per record and cause, one 告知函 addressed to every channel that has the record,
// each channel notified in parallel and tracked until it confirms; a channel late past its due date is escalated
// to the credit office and still completes the order when it confirms.

// WithdrawalConfirmUpdate is a manual channel operator's confirmation (ConfirmChannelRequest); it answers the
// order's new state.
const WithdrawalConfirmUpdate = "confirm_channel"

// WithdrawalStateQuery answers the order's state (WithdrawalOrderState).
const WithdrawalStateQuery = "state"

// WithdrawalInput orders a record's withdrawal everywhere with a cause (see activities.WithdrawalInput).
type WithdrawalInput = activities.WithdrawalInput

// ConfirmChannelRequest confirms that a manual channel withdrew the record.
type ConfirmChannelRequest struct {
	ChannelID string
	Reference string
	// By is the operator's login (the handler checked the operator is bound to the channel).
	By string
}

// WithdrawalChannelState is one channel of an order as the workflow tracks it.
type WithdrawalChannelState struct {
	ChannelID   string               `json:"channel_id"`
	Name        string               `json:"name"`
	Kind        domain.ChannelKind   `json:"kind"`
	DueOn       domain.Date          `json:"due_on"`
	Status      domain.ChannelStatus `json:"status"`
	Overdue     bool                 `json:"overdue"`
	ConfirmedAt time.Time            `json:"confirmed_at"`
	Reference   string               `json:"reference"`
}

func (c *WithdrawalChannelState) confirmed() bool { return c.Status == domain.ChannelConfirmed }

// WithdrawalOrderState is the order as the workflow knows it.
type WithdrawalOrderState struct {
	WithdrawalID int64                    `json:"withdrawal_id"`
	Status       domain.WithdrawalStatus  `json:"status"`
	LetterID     int64                    `json:"letter_id"`
	Channels     []WithdrawalChannelState `json:"channels"`
}

// WithdrawalResult is a completed order: when it completed and each channel's confirmation time.
type WithdrawalResult struct {
	WithdrawalID int64                    `json:"withdrawal_id"`
	CompletedAt  time.Time                `json:"completed_at"`
	Channels     []WithdrawalChannelState `json:"channels,omitempty"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) { w.RegisterWorkflow(WithdrawalWorkflow) })
}

// channelRetryPolicy retries a channel's webhook for as long as it takes (nothing may be dropped); the first
// retries are quick so a blip costs seconds, the backoff is capped so a channel back from an outage hears from us
// within minutes.
var channelRetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    5 * time.Minute,
}

// withChannelOptions is the activity context of one call to a channel's system.
func withChannelOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// One call is bounded by activities.WebhookTimeout (15 s); a little more covers the database writes around it.
		// Kept short because a call lost with a dead worker is retried only once this timeout passes.
		StartToCloseTimeout: 25 * time.Second,
		RetryPolicy:         channelRetryPolicy,
	})
}

// RunWithdrawal orders a record's withdrawal (one order per record and cause) and runs the order's workflow as a
// child until every channel confirmed. Callers (penalty, repair, objection workflows) use only this function. A
// child already started, or finished, by an earlier run is waited for through the order's status instead.
func RunWithdrawal(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
	if in.OrderedOn.IsZero() {
		in.OrderedOn = today(ctx)
	}
	var id int64
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), acts.OrderWithdrawal, in).Get(ctx, &id); err != nil {
		return WithdrawalResult{}, fmt.Errorf("order withdrawal of penalty %d (%s): %w", in.PenaltyID, in.Cause, err)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: WithdrawalWorkflowID(id), TaskQueue: TaskQueue,
		// The order outlives its caller: once ordered, every channel must withdraw whatever happens upstream.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		// A failed or terminated earlier run is resumed by a new one; a completed one is not run again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	})
	var res WithdrawalResult
	err := workflow.ExecuteChildWorkflow(cctx, WithdrawalWorkflow, id).Get(ctx, &res)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &started) {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
		})
		var out activities.WithdrawalOutcome
		if err := workflow.ExecuteActivity(actx, acts.AwaitWithdrawalCompleted, id).Get(ctx, &out); err != nil {
			return WithdrawalResult{}, fmt.Errorf("await withdrawal %d: %w", id, err)
		}
		return WithdrawalResult{WithdrawalID: id, CompletedAt: out.CompletedAt}, nil
	}
	if err != nil {
		return WithdrawalResult{}, fmt.Errorf("withdrawal %d: %w", id, err)
	}
	return res, nil
}

// withdrawal is the order workflow's state.
type withdrawal struct {
	id       int64
	facts    activities.WithdrawalFacts
	loaded   bool
	status   domain.WithdrawalStatus
	letterID int64
	channels []*WithdrawalChannelState

	// version is the run's withdrawalContinueVersion; from version 1 on the run counts its steps and continues as
	// new (a new run resumes the order from its rows, as a run started after a failure does) once it took
	// WithdrawalMaxSteps of them: repeated confirmations are each an update of the run.
	version    workflow.Version
	steps      int
	continuing bool
	// calendars and recounting: provisional channel deadlines counted again (withdrawal_deadlines.go).
	calendars  workflow.ReceiveChannel
	recounting int
	// local: this run takes its short database steps (loading the order, the letter's record, the operators'
	// tasks, channel marks, escalations, confirmations, completion) as local activities, without a round trip
	// through the server for each (withdrawalLocalStepsVersion).
	local bool
}

// withdrawalLocalStepsVersion marks the runs whose database steps are local activities (see withdrawal.local).
const withdrawalLocalStepsVersion = "withdrawal-local-steps"

// act runs one of the order's database steps, local from withdrawalLocalStepsVersion on.
func (w *withdrawal) act(ctx workflow.Context, name string, fn any, arg any) workflow.Future {
	return shortStep(ctx, w.local, name, fn, arg)
}

// WithdrawalMaxSteps is how many confirmations a run of an order takes before it continues as new: far below
// Temporal's 2,000 updates per run. A variable only so that tests can watch a run continue; it is never changed
// while a worker runs.
var WithdrawalMaxSteps = 500

// withdrawalContinueVersion marks the runs that count their steps and continue as new (workflow.GetVersion; runs
// recorded before keep their shape).
const withdrawalContinueVersion = "withdrawal-continue-as-new"

// WithdrawalWorkflow runs one withdrawal order (ID WithdrawalWorkflowID(id)) until every channel confirmed. The
// order's state lives in its rows, so a run that continues as new carries nothing but the order's id: the new run
// loads the channels as they are (confirmed ones stay confirmed, the letter is not issued again).
func WithdrawalWorkflow(ctx workflow.Context, withdrawalID int64) (WithdrawalResult, error) {
	w := &withdrawal{id: withdrawalID, status: domain.WithdrawalPending}
	w.version = workflow.GetVersion(ctx, withdrawalContinueVersion, workflow.DefaultVersion, 1)
	w.local = workflow.GetVersion(ctx, withdrawalLocalStepsVersion, workflow.DefaultVersion, 1) >= 1
	if err := w.setup(ctx); err != nil {
		return WithdrawalResult{}, err
	}
	return w.run(withActivityOptions(ctx))
}

func (w *withdrawal) caseID() string { return strconv.FormatInt(w.id, 10) }

func (w *withdrawal) snapshot() WithdrawalOrderState {
	s := WithdrawalOrderState{WithdrawalID: w.id, Status: w.status, LetterID: w.letterID, Channels: []WithdrawalChannelState{}}
	for _, c := range w.channels {
		s.Channels = append(s.Channels, *c)
	}
	return s
}

func (w *withdrawal) channel(id string) *WithdrawalChannelState {
	for _, c := range w.channels {
		if c.ChannelID == id {
			return c
		}
	}
	return nil
}

func (w *withdrawal) allConfirmed() bool {
	for _, c := range w.channels {
		if !c.confirmed() {
			return false
		}
	}
	return true
}

func (w *withdrawal) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, WithdrawalStateQuery, func() (WithdrawalOrderState, error) {
		return w.snapshot(), nil
	}); err != nil {
		return err
	}
	w.calendars = onCalendarChanged(ctx, &w.recounting, w.recountDeadlines)
	return workflow.SetUpdateHandlerWithOptions(ctx, WithdrawalConfirmUpdate, w.confirmChannel,
		workflow.UpdateHandlerOptions{Validator: w.validateConfirm})
}

// checkConfirm refuses a confirmation the order cannot take; a repeated confirmation is accepted (it answers the
// first one).
func (w *withdrawal) checkConfirm(req ConfirmChannelRequest) error {
	if strings.TrimSpace(req.ChannelID) == "" {
		return reject("invalid_channel", "请指定确认撤下的公示渠道", false)
	}
	if n := len([]rune(strings.TrimSpace(req.Reference))); n == 0 || n > 200 {
		return reject("invalid_reference", "请填写撤下凭据（渠道的办理编号或说明，不超过200字）", false)
	}
	if !w.loaded {
		return nil // checked again by the handler once the order is loaded
	}
	c := w.channel(req.ChannelID)
	switch {
	case c == nil:
		return reject("channel_not_addressed", "该撤下公示告知函未送达此渠道", false)
	case c.Kind != domain.ChannelManual:
		return reject("not_manual_channel", "系统对接渠道由渠道系统自动确认，无需人工确认", true)
	}
	return nil
}

func (w *withdrawal) validateConfirm(ctx workflow.Context, req ConfirmChannelRequest) error {
	if w.continuing {
		return reject("order_busy", "该撤下公示指令正在整理办理记录，请稍后重试", true)
	}
	return w.checkConfirm(req)
}

// shouldContinue reports that the run took enough steps, or that Temporal suggests continuing as new.
func (w *withdrawal) shouldContinue(ctx workflow.Context) bool {
	return w.version >= 1 && !w.continuing &&
		(w.steps >= WithdrawalMaxSteps || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// awaitConfirmed waits until every channel confirmed; a run that took enough steps meanwhile lets the
// confirmations in progress finish, refusing new ones, and continues as new.
func (w *withdrawal) awaitConfirmed(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return w.allConfirmed() || w.shouldContinue(ctx) }); err != nil {
		return err
	}
	if w.allConfirmed() {
		return nil
	}
	w.continuing = true
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && w.recounting == 0 && w.calendars.Len() == 0
	}); err != nil {
		return err
	}
	if w.allConfirmed() { // the last confirmations finished meanwhile
		w.continuing = false
		return nil
	}
	return workflow.NewContinueAsNewError(ctx, WithdrawalWorkflow, w.id)
}

func (w *withdrawal) confirmChannel(ctx workflow.Context, req ConfirmChannelRequest) (WithdrawalOrderState, error) {
	if err := workflow.Await(ctx, func() bool { return w.loaded }); err != nil {
		return WithdrawalOrderState{}, err
	}
	if err := w.checkConfirm(req); err != nil {
		return WithdrawalOrderState{}, err
	}
	if w.version >= 1 {
		w.steps++
	}
	c := w.channel(req.ChannelID)
	if c.confirmed() {
		return w.snapshot(), nil
	}
	var conf activities.ChannelConfirmation
	if err := w.act(withActivityOptions(ctx), "ConfirmWithdrawalChannel", acts.ConfirmWithdrawalChannel, activities.ConfirmChannelInput{
		WithdrawalID: w.id, ChannelID: c.ChannelID, Reference: strings.TrimSpace(req.Reference), By: req.By,
	}).Get(ctx, &conf); err != nil {
		return WithdrawalOrderState{}, err
	}
	w.markConfirmed(c, conf)
	return w.snapshot(), nil
}

func (w *withdrawal) markConfirmed(c *WithdrawalChannelState, conf activities.ChannelConfirmation) {
	c.Status = domain.ChannelConfirmed
	c.ConfirmedAt = conf.ConfirmedAt
	c.Reference = conf.Reference
}

func (w *withdrawal) run(ctx workflow.Context) (WithdrawalResult, error) {
	if err := w.act(ctx, "LoadWithdrawal", acts.LoadWithdrawal, w.id).Get(ctx, &w.facts); err != nil {
		return WithdrawalResult{}, err
	}
	for _, cf := range w.facts.Channels {
		w.channels = append(w.channels, &WithdrawalChannelState{ChannelID: cf.ChannelID, Name: cf.Name, Kind: cf.Kind,
			DueOn: cf.DueOn, Status: cf.Status, Overdue: cf.Status == domain.ChannelOverdue, ConfirmedAt: cf.ConfirmedAt, Reference: cf.Reference})
	}
	w.letterID = w.facts.LetterID
	w.loaded = true

	if w.letterID == 0 {
		var ref activities.LetterRef
		data := withdrawalNotice(w.facts)
		if err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
			CaseKind: "withdrawal", CaseID: w.caseID(), Version: 1, USCC: w.facts.USCC, DepartmentID: w.facts.DepartmentID,
			Content: &letters.Content{Kind: letters.KindWithdrawalNotice, Data: data}, Data: data,
		}).Get(ctx, &ref); err != nil {
			return WithdrawalResult{}, err
		}
		w.letterID = ref.ID
	}
	if err := w.act(ctx, "RecordWithdrawalLetter", acts.RecordWithdrawalLetter, activities.WithdrawalLetterInput{
		WithdrawalID: w.id, LetterID: w.letterID}).Get(ctx, nil); err != nil {
		return WithdrawalResult{}, err
	}
	w.status = domain.WithdrawalInProgress

	// Each channel's notification and deadline run side by side; the order completes after both finished their
	// bookkeeping (the operator's task and any escalation closed).
	wg := workflow.NewWaitGroup(ctx)
	for _, c := range w.channels {
		if c.confirmed() {
			continue
		}
		c := c
		wg.Add(2)
		workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); w.notify(ctx, c) })
		workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); w.watchDeadline(ctx, c) })
	}
	if err := w.awaitConfirmed(ctx); err != nil {
		return WithdrawalResult{}, err
	}
	wg.Wait(ctx)

	var out activities.WithdrawalOutcome
	if err := w.act(ctx, "CompleteWithdrawal", acts.CompleteWithdrawal, w.id).Get(ctx, &out); err != nil {
		return WithdrawalResult{}, err
	}
	w.status = domain.WithdrawalCompleted
	if err := workflow.ExecuteActivity(ctx, acts.Notify, activities.NotifyInput{
		Key: "withdrawal-" + w.caseID() + "-completed", USCC: w.facts.USCC, Kind: "withdrawal_completed",
		Title: "行政处罚信息已在各公示渠道撤下", Body: w.completionText(), CaseKind: "withdrawal", CaseID: w.caseID(),
	}).Get(ctx, nil); err != nil {
		return WithdrawalResult{}, err
	}
	// A confirmation still being answered finishes before the workflow does, so its caller gets its answer.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return WithdrawalResult{}, err
	}
	res := WithdrawalResult{WithdrawalID: w.id, CompletedAt: out.CompletedAt}
	for _, c := range w.channels {
		res.Channels = append(res.Channels, *c)
	}
	return res, nil
}

// notify sends the order to one channel: a webhook channel's system is called until it answers 2xx; a manual
// channel's operator gets a task and confirms through WithdrawalConfirmUpdate.
func (w *withdrawal) notify(ctx workflow.Context, c *WithdrawalChannelState) {
	log := workflow.GetLogger(ctx)
	in := activities.WithdrawalChannelInput{WithdrawalID: w.id, ChannelID: c.ChannelID}
	if c.Kind == domain.ChannelWebhook {
		var conf activities.ChannelConfirmation
		err := workflow.ExecuteActivity(withChannelOptions(ctx), acts.NotifyWithdrawalChannel, in).Get(ctx, &conf)
		switch {
		case err == nil:
			if !c.confirmed() {
				w.markConfirmed(c, conf)
			}
			return
		case isNotWebhook(err):
			// The channel was switched to manual confirmation meanwhile: its operator confirms instead.
			c.Kind = domain.ChannelManual
		default:
			// Only cancellation ends an activity retried without limit.
			log.Warn("withdrawal channel notification ended without confirmation", "withdrawal", w.id, "channel", c.ChannelID, "error", err)
			return
		}
	}
	due := c.DueOn
	step := "confirm:" + c.ChannelID
	if err := w.act(ctx, "OpenTask", acts.OpenTask, activities.TaskInput{
		CaseKind: "withdrawal", CaseID: w.caseID(), Step: step, AssigneeRole: domain.RoleChannelOperator, ChannelID: c.ChannelID,
		Title: fmt.Sprintf("确认撤下：%s（%s）", w.facts.EnterpriseName, w.facts.DecisionNo), DueOn: &due,
	}).Get(ctx, nil); err != nil {
		log.Error("open channel task", "withdrawal", w.id, "channel", c.ChannelID, "error", err)
	}
	if c.Status == domain.ChannelPending {
		if err := w.act(ctx, "MarkWithdrawalChannelSent", acts.MarkWithdrawalChannelSent, in).Get(ctx, nil); err != nil {
			log.Error("mark channel sent", "withdrawal", w.id, "channel", c.ChannelID, "error", err)
		}
		if !c.confirmed() && !c.Overdue {
			c.Status = domain.ChannelSent
		}
	}
	if err := workflow.Await(ctx, c.confirmed); err != nil {
		return
	}
	_ = w.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{CaseKind: "withdrawal", CaseID: w.caseID(), Step: step}).Get(ctx, nil)
}

// watchDeadline marks a channel overdue when its due date ends unconfirmed and escalates it to the credit office;
// the escalation task closes when the channel confirms after all.
func (w *withdrawal) watchDeadline(ctx workflow.Context, c *WithdrawalChannelState) {
	inTime, due, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return c.DueOn }, c.confirmed)
	if err != nil || inTime {
		return
	}
	step := "confirm:" + c.ChannelID
	c.Overdue = true
	c.Status = domain.ChannelOverdue
	in := activities.WithdrawalChannelInput{WithdrawalID: w.id, ChannelID: c.ChannelID}
	if err := w.act(ctx, "MarkWithdrawalChannelOverdue", acts.MarkWithdrawalChannelOverdue, in).Get(ctx, nil); err != nil {
		return
	}
	if err := w.act(ctx, "Escalate", acts.Escalate, activities.EscalateInput{
		CaseKind: "withdrawal", CaseID: w.caseID(), Step: step, DueOn: &due,
		Title: fmt.Sprintf("公示渠道逾期未确认撤下：%s（%s，%s）", c.Name, w.facts.EnterpriseName, w.facts.DecisionNo),
	}).Get(ctx, nil); err != nil {
		return
	}
	if err := workflow.Await(ctx, c.confirmed); err != nil {
		return
	}
	_ = w.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{
		CaseKind: "withdrawal", CaseID: w.caseID(), Step: "escalation:" + step}).Get(ctx, nil)
}

// isNotWebhook recognizes a call to a channel that is no longer a webhook channel.
func isNotWebhook(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == activities.ErrNotWebhook
}

// completionText tells the enterprise where its record came down and when.
func (w *withdrawal) completionText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "你单位的行政处罚信息（%s，%s）已按“一件通用”告知函在全部公示渠道撤下（原因：%s）：",
		w.facts.DecisionNo, w.facts.DepartmentName, w.facts.Cause.Label())
	for i, c := range w.channels {
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "%s于%s确认撤下", c.Name, c.ConfirmedAt.In(domain.Shanghai).Format("2006-01-02 15:04"))
	}
	if len(w.channels) == 0 {
		b.WriteString("该信息未在任何渠道公示")
	}
	b.WriteString("。")
	return b.String()
}

// withdrawalNotice is what the 告知函 says, from the order's facts; the activity applies the wording.
func withdrawalNotice(f activities.WithdrawalFacts) letters.WithdrawalNoticeData {
	d := letters.WithdrawalNoticeData{
		Issue: letters.Issue{
			Issuer: activities.CreditOfficeIssuer, Date: f.OrderedOn.Time(domain.Shanghai), Regulation: f.Regulation,
			Number: fmt.Sprintf("信用办撤〔%d〕%d号", f.OrderedOn.Time(domain.Shanghai).Year(), f.ID),
		},
		EnterpriseName: f.EnterpriseName, USCC: f.USCC, RecordTitle: "行政处罚信息", DecisionNo: f.DecisionNo,
		Cause: domain.WithdrawalCause(f.Cause), CauseDecision: f.CauseDecision, Contact: activities.CreditOfficeContact,
	}
	for _, c := range f.Channels {
		d.Channels = append(d.Channels, letters.ChannelLine{Name: c.Name, Kind: c.Kind.Label(), DueOn: c.DueOn.Time(domain.Shanghai),
			Provisional: c.Provisional})
	}
	return d
}
