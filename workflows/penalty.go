package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// The penalty lifecycle (penalty-<id>): one workflow per registered penalty, living until its record is off every
// channel. It issues the repair notice and the delivery receipt together (两书同送), waits for delivery and
// escalates when the delivery deadline passes, publishes the record (双公示) through the publish workflow, tells the
// enterprise when it may apply for repair, and withdraws the record everywhere (一件通用) at the end of its
// publication period, or earlier when a repair is granted, an objection upheld or the decision revoked.
//
// History size: a lifecycle makes 60 to 130 events; rejected updates leave no events, and a delivery, a revocation
// and a withdrawal are each accepted once. But signals (withdraw requests, calendar changes) may come without
// bound while the record waits out its publication period, so from penaltyContinueVersion on the run counts them
// and, once it took PenaltyMaxSteps steps (or Temporal suggests it), continues as new at its long wait, carrying
// its state (PenaltyCarry), when no child runs (publication finished, no withdrawal yet) and no step is in flight.
// While a withdrawal runs, a repeated withdraw request costs only its signal (its audit entry is written once).

// PenaltyWorkflowType is the registered name of PenaltyWorkflow (the import starts it by name).
const PenaltyWorkflowType = "PenaltyWorkflow"

// The penalty workflow's query, updates and signal.
const (
	// PenaltyStateQuery answers the workflow's PenaltyState.
	PenaltyStateQuery = "state"
	// PenaltyLettersUpdate waits until the repair notice and the delivery receipt are issued and answers the state;
	// registration uses it to return the letters with the 201.
	PenaltyLettersUpdate = "letters"
	// PenaltyDeliveryUpdate records the delivery (DeliveryRequest); validated, so a wrong one is refused.
	PenaltyDeliveryUpdate = "delivery"
	// PenaltyRevocationUpdate records that the decision was revoked or changed (RevocationRequest) and withdraws the
	// record everywhere with cause revocation.
	PenaltyRevocationUpdate = "revocation"
	// PenaltyWithdrawSignal asks for the record to be withdrawn everywhere (WithdrawRequest): sent by the repair
	// workflow (cause repair) and the objection workflow (cause objection). The first request wins; later ones are
	// recorded in the audit log and otherwise ignored, since the record comes down once.
	PenaltyWithdrawSignal = "withdraw"
)

// PenaltyParams starts a penalty lifecycle.
type PenaltyParams struct {
	PenaltyID int64
	// Carry is the state of the run this one continues (nil for the first run).
	Carry *PenaltyCarry `json:",omitempty"`
	// Shape, when set, is the version of penaltyShapeVersion the run takes without asking GetVersion, which spares
	// every record a marker and the visibility write of its search-attribute upsert (NewPenaltyParams sets it).
	// Unset (runs started before), the run asks GetVersion as it did.
	Shape workflow.Version `json:",omitempty"`
}

// NewPenaltyParams is the input of a lifecycle started now.
func NewPenaltyParams(id int64) PenaltyParams {
	return PenaltyParams{PenaltyID: id, Shape: PenaltyShape}
}

// PenaltyShape is the version of penaltyShapeVersion a lifecycle started now takes (the import's activity starts
// lifecycles with the same, activities.LifecycleShape).
const PenaltyShape = workflow.Version(activities.LifecycleShape)

// PenaltyCarry is what a lifecycle's run hands to the run it continues as: the letters are issued, publication has
// finished (published, not published, or failed) and no withdrawal is requested yet.
type PenaltyCarry struct {
	State PenaltyState
	// DeliveryDone: the delivery watch finished (delivered); otherwise the new run watches on.
	DeliveryDone bool
	// Runs counts the runs before this one.
	Runs int
	// PublicationEnds is the end of publication as the run knew it (a restart for fraud may have moved it later).
	PublicationEnds domain.Date
}

// PenaltyMaxSteps is how many steps (updates and signals) a run takes before it continues as new. A variable only
// so that tests can watch a run continue; it is never changed while a worker runs.
var PenaltyMaxSteps = 500

// penaltyContinueVersion marks the runs that count their steps and continue as new (workflow.GetVersion).
const penaltyContinueVersion = "penalty-continue-as-new"

// PenaltyStartOptions are the options every start of a penalty lifecycle uses: the business key as ID and
// reject-duplicate, so a second start (a retried registration, an import batch run again) starts nothing.
func PenaltyStartOptions(penaltyID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: PenaltyWorkflowID(penaltyID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

// DeliveryRequest records how the decision and the repair notice were delivered; Actor and Role are the
// department user who records it (set by the HTTP handler).
type DeliveryRequest struct {
	Method      domain.DeliveryMethod `json:"method"`
	DeliveredOn domain.Date           `json:"delivered_on"`
	SignedBy    string                `json:"signed_by,omitempty"`
	Witness     string                `json:"witness,omitempty"`
	// ElectronicConsent: the enterprise signed its consent to electronic delivery (required for electronic).
	ElectronicConsent bool   `json:"electronic_consent,omitempty"`
	Actor             string `json:"actor,omitempty"`
	Role              string `json:"role,omitempty"`
}

// RevocationRequest records that the decision was revoked or changed by review or court; DecidedOn defaults to
// today.
type RevocationRequest struct {
	Reason    string      `json:"reason"`
	DecidedOn domain.Date `json:"decided_on"`
	Actor     string      `json:"actor,omitempty"`
	Role      string      `json:"role,omitempty"`
}

// WithdrawRequest asks for the record's withdrawal with a cause, the case behind it (repair-12, objection-3) and
// the decision in words (for the 告知函).
type WithdrawRequest struct {
	Cause         domain.WithdrawalCause
	CauseRef      string
	CauseDecision string
}

// WithdrawalState is the lifecycle's withdrawal: requested, ordered (running) or completed.
type WithdrawalState struct {
	Cause         domain.WithdrawalCause `json:"cause"`
	CauseRef      string                 `json:"cause_ref"`
	CauseDecision string                 `json:"cause_decision"`
	Status        string                 `json:"status"`
	DueOn         domain.Date            `json:"due_on"`
	// Provisional: DueOn was counted over days whose holiday notice is not loaded yet (暂定); counted again when it is.
	Provisional bool `json:"provisional,omitempty"`
}

// PenaltyState is what the workflow knows of its record (query "state", and the answer to every update).
type PenaltyState struct {
	PenaltyID       int64                  `json:"penalty_id"`
	Status          domain.PenaltyStatus   `json:"status"`
	Letters         []activities.LetterRef `json:"letters"`
	DeliveryDue     domain.Date            `json:"delivery_due"`
	Delivery        *DeliveryRequest       `json:"delivery"`
	DeliveryOverdue bool                   `json:"delivery_overdue"`
	// Publication is not_published, publishing, published, cancelled or failed ("" before it starts).
	Publication      string             `json:"publication"`
	EligibleNotified bool               `json:"eligible_notified"`
	Withdrawal       *WithdrawalState   `json:"withdrawal"`
	Revocation       *RevocationRequest `json:"revocation"`
}

// Rejection is why the penalty workflow refused an update: a Chinese message for people and a code for machines;
// Conflict says the request clashes with the case's state (HTTP 409) rather than having a bad value (422).
type Rejection struct {
	Code     string
	Message  string
	Conflict bool
}

func (r *Rejection) Error() string { return r.Message }

// rejectionMark is the second detail of every refusal, so that a refusal can be told from any other typed
// ApplicationError (an activity's internal not_found must reach a caller as a fault, not as a 4xx).
const rejectionMark = "xinyong.refusal"

func reject(code, message string, conflict bool) error {
	return temporal.NewApplicationErrorWithOptions(message, code, temporal.ApplicationErrorOptions{
		NonRetryable: true, Details: []any{conflict, rejectionMark},
	})
}

// Refusal is the error a workflow's validator returns to refuse an update (what reject builds); clients' tests
// use it to stand in for a workflow.
func Refusal(code, message string, conflict bool) error { return reject(code, message, conflict) }

// AsRejection recognizes an update a workflow refused on purpose (built by reject), as the client sees it.
func AsRejection(err error) (*Rejection, bool) {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() == "" || !ae.HasDetails() {
		return nil, false
	}
	// Decoded as any, so that details of other shapes (another error's) are told apart rather than misread.
	var conflict, mark any
	if ae.Details(&conflict, &mark) != nil || mark != rejectionMark {
		return nil, false
	}
	c, ok := conflict.(bool)
	if !ok {
		return nil, false
	}
	return &Rejection{Code: ae.Type(), Message: ae.Message(), Conflict: c}, true
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(PenaltyWorkflow, workflow.RegisterOptions{Name: PenaltyWorkflowType})
	})
}

// runWithdrawal is RunWithdrawal; unit tests replace it to observe the order without the channels' workflows.
var runWithdrawal = RunWithdrawal

// penalty is the workflow's state.
type penalty struct {
	id    int64
	facts activities.PenaltyFacts
	state PenaltyState

	loaded        bool
	lettersIssued bool
	deliveryDone  bool // the delivery watch finished: delivered, or no longer needed after a revocation
	finished      bool // the record is withdrawn everywhere (or its period ended unpublished)
	cancelPublish workflow.CancelFunc

	// pending is the step (delivery or revocation) whose write is in flight: from penaltyStepsVersion on, a step
	// enters the state only once written, and pending refuses a second one meanwhile.
	pending string

	// version is the run's penaltyContinueVersion; steps counts the run's steps, continuing is set once it
	// decided to continue as new; runs counts the runs before this one; carried: this run continues another.
	version    workflow.Version
	steps      int
	continuing bool
	runs       int
	carried    bool
	signals    workflow.ReceiveChannel
	restarts   workflow.ReceiveChannel
	calendars  workflow.ReceiveChannel
	// recounting counts provisional deadlines being counted again (deadlines.go); a continue-as-new waits for them.
	recounting int
	// revocationDueCounted: the withdrawal deadline after a revocation was counted with its origin (movable).
	revocationDueCounted bool
	// publicationEnds is a carried restarted end of publication (zero: none).
	publicationEnds domain.Date
	// superseded are the later withdraw requests already put on record in this run.
	superseded map[string]bool

	// localStart: this run takes the registration's short database steps (facts, both letters, the notice_issued
	// step, the notification and the delivery task) as local activities, so the 201 waits for one workflow task
	// instead of four activity round trips through the server (penaltyLocalStartVersion).
	localStart bool
	// localSteps: this run also takes its lifecycle steps and the delivery task's escalation and closing as local
	// activities (penaltyLocalStepsVersion).
	localSteps bool
	// shape is the run's penaltyShapeVersion.
	shape workflow.Version
	// pub is the publication run inside this workflow (from penaltyShapeVersion on; nil before it starts, and in
	// runs that publish through the publish workflow as a child); publishing: it has not returned yet.
	pub        *publication
	publishing bool
}

// penaltyLocalStepsVersion marks the runs whose lifecycle steps are local activities (see penalty.localSteps).
const penaltyLocalStepsVersion = "penalty-local-steps"

// act runs a short database step, local from penaltyLocalStepsVersion on.
func (w *penalty) act(ctx workflow.Context, name string, fn any, arg any) workflow.Future {
	return shortStep(ctx, w.localSteps, name, fn, arg)
}

// penaltyStepsVersion marks the runs in which a human step enters the workflow's state only after its write
// succeeded, so a write that fails for good leaves the case as it was (workflow.GetVersion).
const penaltyStepsVersion = "penalty-steps-after-write"

// penaltyLocalStartVersion marks the runs whose registration steps are local activities (see penalty.localStart).
const penaltyLocalStartVersion = "penalty-local-start"

// stepsAfterWrite reports whether this run records steps after their write (asked where a step starts, so runs
// recorded before keep their shape).
func (w *penalty) stepsAfterWrite(ctx workflow.Context) bool {
	return w.versionOf(ctx, penaltyStepsVersion) >= 1
}

// penaltyShapeVersion marks the runs that take every change in penaltyShape without a marker of its own, and that
// publish the record (双公示) themselves instead of through a child publish workflow (publishInline). The SDK
// records each workflow.GetVersion as a marker and an upsert of the TemporalChangeVersion search attribute, and the
// server writes the workflow's visibility record again for each upsert: four of them in every registration's first
// workflow task. A child is a second workflow per record, with its own start, visibility record, first workflow
// task and the parent's task for its start (issue 17). Runs recorded before ask for each change as they did and
// keep their child.
const penaltyShapeVersion = "penalty-shape"

// penaltyShape are the changes (each at version 1) that a run from penaltyShapeVersion on takes without asking.
// A change made later gets a GetVersion of its own (versionOf asks for anything not listed).
var penaltyShape = map[string]bool{
	penaltyContinueVersion: true, penaltyLocalStartVersion: true, penaltyLocalStepsVersion: true,
	deadlinesCountChange: true, penaltyStepsVersion: true, revocationWithdrawalChange: true,
	periodsFromPublicationChange: true,
}

// versionOf is workflow.GetVersion(changeID, DefaultVersion, 1) for this run: 1 without a marker for a change the
// run's shape already takes.
func (w *penalty) versionOf(ctx workflow.Context, changeID string) workflow.Version {
	if w.shape >= 1 && penaltyShape[changeID] {
		return 1
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1)
}

// PenaltyWorkflow runs one penalty's lifecycle.
func PenaltyWorkflow(ctx workflow.Context, in PenaltyParams) error {
	w := &penalty{id: in.PenaltyID, state: PenaltyState{
		PenaltyID: in.PenaltyID, Status: domain.PenaltyRegistered, Letters: []activities.LetterRef{},
	}, superseded: map[string]bool{}}
	w.shape = in.Shape
	if w.shape == 0 {
		w.shape = workflow.GetVersion(ctx, penaltyShapeVersion, workflow.DefaultVersion, PenaltyShape)
	}
	w.version = w.versionOf(ctx, penaltyContinueVersion)
	if c := in.Carry; c != nil {
		w.state, w.deliveryDone, w.runs, w.carried = c.State, c.DeliveryDone, c.Runs, true
		w.publicationEnds = c.PublicationEnds
		w.lettersIssued = true
		if w.state.Letters == nil {
			w.state.Letters = []activities.LetterRef{}
		}
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(withActivityOptions(ctx))
}

func (w *penalty) caseID() string { return strconv.FormatInt(w.id, 10) }

func (w *penalty) snapshot() PenaltyState {
	s := w.state
	s.Letters = append([]activities.LetterRef{}, w.state.Letters...)
	return s
}

// raise moves the in-memory status forward only (the database does the same in PenaltyStep).
func (w *penalty) raise(status domain.PenaltyStatus) {
	if status.Rank() > w.state.Status.Rank() {
		w.state.Status = status
	}
}

func (w *penalty) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, PenaltyStateQuery, func() (PenaltyState, error) {
		return w.snapshot(), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, PenaltyLettersUpdate, func(ctx workflow.Context) (PenaltyState, error) {
		err := workflow.Await(ctx, func() bool { return w.lettersIssued })
		return w.snapshot(), err
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PenaltyDeliveryUpdate, w.deliver,
		workflow.UpdateHandlerOptions{Validator: w.validateDelivery}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PenaltyRevocationUpdate, w.revoke,
		workflow.UpdateHandlerOptions{Validator: w.validateRevocation}); err != nil {
		return err
	}
	if w.shape >= 1 {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, PublishConfirmUpdate, w.confirmPublication,
			workflow.UpdateHandlerOptions{Validator: w.validateConfirmPublication}); err != nil {
			return err
		}
	}
	signals := workflow.GetSignalChannel(ctx, PenaltyWithdrawSignal)
	w.signals = signals
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var req WithdrawRequest
			signals.Receive(ctx, &req)
			w.countStep()
			w.requestWithdrawal(ctx, req)
		}
	})
	w.calendars = onCalendarChanged(ctx, &w.recounting, w.recountDeadlines)
	restarts := workflow.GetSignalChannel(ctx, PenaltyRestartPeriodSignal)
	w.restarts = restarts
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var req PeriodRestart
			restarts.Receive(ctx, &req)
			w.countStep()
			// Only ever later: the main flow's last sleep (sleepUntilEnd) then sleeps until the new end.
			if req.Until.After(w.facts.PublicationEnds) {
				w.facts.PublicationEnds = req.Until
			}
		}
	})
	return nil
}

// PenaltyRestartPeriodSignal restarts the record's publication period (PeriodRestart): sent by a repair case
// refused for fraud under a rule set where the period restarts (samr-2025, Order 107 art. 23).
const PenaltyRestartPeriodSignal = "restart_period"

// PeriodRestart is the payload of PenaltyRestartPeriodSignal: the new last day of publication and why.
type PeriodRestart struct {
	Until  domain.Date
	Reason string
}

// sleepUntilEnd sleeps until the end of the publication period, which a restart may move later meanwhile; it
// reports false when a withdrawal was requested first.
func (w *penalty) sleepUntilEnd(ctx workflow.Context) (bool, error) {
	for {
		end := w.facts.PublicationEnds
		if w.withdrawalRequested() {
			return false, nil
		}
		wait := endOfDay(end).Sub(workflow.Now(ctx))
		if wait <= 0 {
			return true, nil
		}
		woke, err := workflow.AwaitWithTimeout(ctx, wait, func() bool {
			return w.withdrawalRequested() || w.facts.PublicationEnds != end || w.canContinue(ctx)
		})
		if err != nil || !woke {
			return err == nil, err
		}
		if w.withdrawalRequested() {
			return false, nil
		}
		if w.canContinue(ctx) {
			if err := w.continueAsNew(ctx); err != nil {
				return false, err
			}
		}
	}
}

// countStep counts a step of this run (from penaltyContinueVersion on).
func (w *penalty) countStep() {
	if w.version >= 1 {
		w.steps++
	}
}

// canContinue: the run took enough steps (or Temporal suggests continuing) and is at a point a new run resumes
// from with nothing lost: letters issued, publication finished, no withdrawal requested, no step in flight.
func (w *penalty) canContinue(ctx workflow.Context) bool {
	return w.version >= 1 && !w.continuing && w.lettersIssued && w.pending == "" && w.recounting == 0 && w.state.Withdrawal == nil &&
		w.state.Publication != "publishing" &&
		(w.steps >= PenaltyMaxSteps || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// continueAsNew lets the steps and signals in progress finish, refusing new steps meanwhile, and continues as a new
// run that carries the state. It answers nil when what finished meanwhile asked for a withdrawal; the run goes on.
func (w *penalty) continueAsNew(ctx workflow.Context) error {
	w.continuing = true
	if err := workflow.Await(ctx, func() bool {
		return w.pending == "" && w.signals.Len() == 0 && w.restarts.Len() == 0 && w.calendars.Len() == 0 &&
			w.recounting == 0 && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return err
	}
	if w.state.Withdrawal != nil {
		w.continuing = false
		return nil
	}
	next := NewPenaltyParams(w.id)
	next.Carry = &PenaltyCarry{State: w.snapshot(), DeliveryDone: w.deliveryDone, Runs: w.runs + 1,
		PublicationEnds: w.facts.PublicationEnds}
	return workflow.NewContinueAsNewError(ctx, PenaltyWorkflowType, next)
}

// rejectIfContinuing refuses a step while the run hands over to the next one (a moment).
func (w *penalty) rejectIfContinuing() error {
	if w.continuing {
		return reject("case_busy", "该处罚信息正在整理办理记录，请稍后重试", true)
	}
	return nil
}

// requestWithdrawal takes the first valid request; the main flow carries it out at its next wait.
func (w *penalty) requestWithdrawal(ctx workflow.Context, req WithdrawRequest) {
	switch req.Cause {
	case domain.CauseRepair, domain.CauseExpiry, domain.CauseObjection, domain.CauseRevocation:
	default:
		workflow.GetLogger(ctx).Warn("withdraw request with an unknown cause ignored", "cause", req.Cause)
		return
	}
	if w.state.Withdrawal != nil {
		// The record comes down once; a later cause is kept on record so nobody wonders where it went (once: a
		// repeated request costs only its signal).
		if key := string(req.Cause) + ":" + req.CauseRef; w.version >= 1 {
			if w.superseded[key] {
				return
			}
			w.superseded[key] = true
		}
		_ = workflow.ExecuteActivity(withActivityOptions(ctx), acts.Audit, activities.AuditInput{
			Key:    fmt.Sprintf("penalty-%d:withdraw-request:%s:%s", w.id, req.Cause, req.CauseRef),
			Action: "penalty.withdraw_request_superseded", CaseKind: "penalty", CaseID: w.caseID(),
			Details: map[string]any{"cause": req.Cause, "cause_ref": req.CauseRef, "current_cause": w.state.Withdrawal.Cause},
		}).Get(ctx, nil)
		return
	}
	w.state.Withdrawal = &WithdrawalState{Cause: req.Cause, CauseRef: req.CauseRef, CauseDecision: req.CauseDecision, Status: "requested"}
}

func (w *penalty) validateDelivery(ctx workflow.Context, req DeliveryRequest) error {
	if err := w.rejectIfContinuing(); err != nil {
		return err
	}
	switch {
	case !w.loaded:
		return reject("case_not_ready", "处罚信息正在初始化，请稍后重试", true)
	case w.state.Delivery != nil:
		return reject("already_delivered", fmt.Sprintf("该处罚决定书已于%s登记送达，不能重复登记", w.state.Delivery.DeliveredOn), true)
	case w.pending != "":
		return reject("step_in_progress", "该处罚信息正在登记上一步骤，请稍后刷新查看", true)
	case w.state.Revocation != nil:
		// A record withdrawn by expiry still needs its delivery proven; a revoked decision does not.
		return reject("case_closed", "该处罚决定已撤销，无需再登记送达", true)
	}
	switch req.Method {
	case domain.DeliveryInPerson, domain.DeliveryPost, domain.DeliveryElectronic, domain.DeliveryRefused:
	default:
		return reject("invalid_delivery_method", "送达方式应为 in_person（直接送达）、post（邮寄送达）、electronic（电子送达）或 refused（留置送达）", false)
	}
	now := today(ctx)
	switch {
	case req.DeliveredOn.IsZero():
		return reject("invalid_delivered_on", "请填写送达日期（受送达人签收的日期）", false)
	case req.DeliveredOn.Before(w.facts.DecidedOn):
		return reject("delivered_before_decision", fmt.Sprintf("送达日期%s早于处罚决定日期%s", req.DeliveredOn, w.facts.DecidedOn), false)
	case req.DeliveredOn.After(now):
		return reject("delivered_on_in_future", fmt.Sprintf("送达日期%s晚于今天（%s）", req.DeliveredOn, now), false)
	}
	switch req.Method {
	case domain.DeliveryRefused:
		if strings.TrimSpace(req.Witness) == "" {
			return reject("witness_required", "受送达人拒绝签收的，应填写见证人", false)
		}
	case domain.DeliveryElectronic:
		if !req.ElectronicConsent {
			return reject("electronic_consent_required", "电子送达须经受送达人书面同意，请确认已取得其同意（electronic_consent）", false)
		}
	}
	return nil
}

func (w *penalty) deliver(ctx workflow.Context, req DeliveryRequest) (PenaltyState, error) {
	req.SignedBy, req.Witness = strings.TrimSpace(req.SignedBy), strings.TrimSpace(req.Witness)
	w.countStep()
	after := w.stepsAfterWrite(ctx)
	if after {
		w.pending = "delivery" // a concurrent second step is refused by the validators
	} else {
		w.state.Delivery = &req // taken at once, so a concurrent second delivery is refused by the validator
	}
	err := workflow.ExecuteActivity(withActivityOptions(ctx), acts.RecordDelivery, activities.RecordDeliveryInput{
		PenaltyID: w.id, Method: req.Method, DeliveredOn: req.DeliveredOn, SignedBy: req.SignedBy,
		Witness: req.Witness, Consent: req.ElectronicConsent, Actor: req.Actor, Role: req.Role,
	}).Get(ctx, nil)
	if after {
		w.pending = ""
		if err != nil {
			return w.snapshot(), err
		}
		w.state.Delivery = &req
	}
	if err != nil {
		return w.snapshot(), err
	}
	w.raise(domain.PenaltyDelivered)
	return w.snapshot(), nil
}

func (w *penalty) validateRevocation(ctx workflow.Context, req RevocationRequest) error {
	if err := w.rejectIfContinuing(); err != nil {
		return err
	}
	switch {
	case !w.loaded:
		return reject("case_not_ready", "处罚信息正在初始化，请稍后重试", true)
	case w.state.Revocation != nil:
		return reject("already_revoked", fmt.Sprintf("已于%s登记该处罚决定被撤销", w.state.Revocation.DecidedOn), true)
	case w.pending != "":
		return reject("step_in_progress", "该处罚信息正在登记上一步骤，请稍后刷新查看", true)
	case w.finished:
		return reject("case_closed", "该处罚信息已撤下公示，流程已结束", true)
	case strings.TrimSpace(req.Reason) == "":
		return reject("reason_required", "请说明撤销或变更处罚决定的原因（复议决定、判决等）", false)
	}
	if !req.DecidedOn.IsZero() {
		if req.DecidedOn.Before(w.facts.DecidedOn) {
			return reject("invalid_decided_on", fmt.Sprintf("撤销日期%s早于处罚决定日期%s", req.DecidedOn, w.facts.DecidedOn), false)
		}
		if t := today(ctx); req.DecidedOn.After(t) {
			return reject("invalid_decided_on", fmt.Sprintf("撤销日期%s晚于今天（%s）", req.DecidedOn, t), false)
		}
	}
	return nil
}

func (w *penalty) revoke(ctx workflow.Context, req RevocationRequest) (PenaltyState, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	w.countStep()
	if req.DecidedOn.IsZero() {
		req.DecidedOn = today(ctx)
	}
	after := w.stepsAfterWrite(ctx)
	if after {
		w.pending = "revocation"
	} else {
		w.state.Revocation = &req
	}
	err := workflow.ExecuteActivity(withActivityOptions(ctx), acts.RecordRevocation, activities.RecordRevocationInput{
		PenaltyID: w.id, DecidedOn: req.DecidedOn, Reason: req.Reason, Actor: req.Actor, Role: req.Role,
	}).Get(ctx, nil)
	if after {
		w.pending = ""
		if err != nil {
			return w.snapshot(), err
		}
		w.state.Revocation = &req
	}
	if err != nil {
		return w.snapshot(), err
	}
	w.requestWithdrawal(ctx, WithdrawRequest{Cause: domain.CauseRevocation, CauseRef: "revocation-" + req.DecidedOn.String(),
		CauseDecision: "行政处罚决定已被撤销或变更：" + req.Reason})
	return w.snapshot(), nil
}

// step records a lifecycle step in PostgreSQL and in the workflow's state.
func (w *penalty) step(ctx workflow.Context, status domain.PenaltyStatus, action string, details map[string]any) error {
	err := w.act(ctx, "PenaltyStep", acts.PenaltyStep, activities.PenaltyStepInput{
		PenaltyID: w.id, Status: status, Action: action, Details: details,
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	if status != "" {
		w.raise(status)
	}
	return nil
}

func (w *penalty) notify(ctx workflow.Context, key, kind, title, body string) error {
	return workflow.ExecuteActivity(ctx, acts.Notify, activities.NotifyInput{
		Key: fmt.Sprintf("penalty-%d:%s", w.id, key), USCC: w.facts.USCC, Kind: kind, Title: title, Body: body,
		CaseKind: "penalty", CaseID: w.caseID(),
	}).Get(ctx, nil)
}

// withdrawalRequested is what every long wait also wakes up for.
func (w *penalty) withdrawalRequested() bool { return w.state.Withdrawal != nil }

// sleepUntil sleeps until t unless a withdrawal is requested or the date moved first; it reports whether t was
// reached. A run that
// took enough steps meanwhile continues as new from here (the error is the continue-as-new error).
func (w *penalty) sleepUntil(ctx workflow.Context, t time.Time, moved func() bool) (bool, error) {
	for {
		if w.withdrawalRequested() || moved() {
			return false, nil
		}
		wait := t.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return true, nil
		}
		woke, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return w.withdrawalRequested() || moved() || w.canContinue(ctx) })
		if err != nil || !woke {
			return !woke, err
		}
		if w.withdrawalRequested() || moved() {
			return false, nil
		}
		if err := w.continueAsNew(ctx); err != nil {
			return false, err
		}
	}
}

func (w *penalty) run(ctx workflow.Context) error {
	w.localStart = w.versionOf(ctx, penaltyLocalStartVersion) >= 1
	w.localSteps = w.versionOf(ctx, penaltyLocalStepsVersion) >= 1
	if err := w.startActivity(ctx, "LoadPenaltyFacts", acts.LoadPenaltyFacts, w.id).Get(ctx, &w.facts); err != nil {
		return err
	}
	w.state.DeliveryDue = w.facts.DeliveryDue
	if !w.carried && w.versionOf(ctx, deadlinesCountChange) >= 1 {
		if err := w.countDeadlines(ctx); err != nil {
			return err
		}
	}
	w.loaded = true
	if w.publicationEnds.After(w.facts.PublicationEnds) { // a carried restart
		w.facts.PublicationEnds = w.publicationEnds
	}

	// A continued run resumes where its predecessor stopped: letters issued, publication finished.
	if !w.carried {
		// 两书同送: the repair notice and the delivery receipt, together, before anything else.
		if err := w.issueLetters(ctx); err != nil {
			return err
		}
	}
	if !w.deliveryDone {
		workflow.Go(ctx, w.watchDelivery)
	}

	// 双公示: publish by publish_due, unless the rule set does not publish this record.
	switch {
	case w.carried:
	case w.facts.Published && !w.withdrawalRequested():
		w.startPublication(ctx)
	case !w.facts.Published:
		w.state.Publication = "not_published"
	}

	// The enterprise is told when it may apply: only for published records that a repair can end early.
	if err := w.awaitEligibility(ctx); err != nil {
		return err
	}

	// The end of the publication period withdraws the record by itself.
	reached, err := w.sleepUntilEnd(ctx)
	if err != nil {
		return err
	}
	if reached {
		end := w.facts.PublicationEnds
		w.requestWithdrawal(ctx, WithdrawRequest{Cause: domain.CauseExpiry, CauseRef: "expiry-" + end.String(),
			CauseDecision: fmt.Sprintf("公示期已于%s届满，依规自动停止公示", end)})
	}
	if err := w.withdraw(ctx); err != nil {
		return err
	}

	// The case stays open until the decision is delivered (unless it was revoked), and until every update that
	// is still being handled has answered.
	if err := workflow.Await(ctx, func() bool { return w.deliveryDone && !w.publishing }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func monthsText(n int) string {
	if n > 0 && n%12 == 0 {
		return strconv.Itoa(n/12) + "年"
	}
	return strconv.Itoa(n) + "个月"
}

// noticeNumber is the 文号 of a penalty's repair notice.
func noticeNumber(f activities.PenaltyFacts, issued domain.Date) string {
	return fmt.Sprintf("%s信修告〔%d〕%d号", strings.TrimSuffix(f.DepartmentName, "局"), issued.Y, f.PenaltyID)
}

// letterContents is what the 信用修复告知书 and the 送达回证 of a penalty say. The activity applies the wording:
// workflow code never reads letter texts, which may change between a run and its replay.
func letterContents(f activities.PenaltyFacts, issued domain.Date) (notice, receipt letters.Content) {
	date := issued.Time(domain.Shanghai)
	number := noticeNumber(f, issued)
	d := letters.RepairNoticeData{
		Issue:          letters.Issue{Issuer: f.DepartmentName, Regulation: f.Regulation, Number: number, Date: date},
		EnterpriseName: f.EnterpriseName, USCC: f.USCC, DecisionNo: f.DecisionNo,
		DecidedOn: f.DecidedOn.Time(domain.Shanghai), ClassLabel: f.Class.Label(), Channels: f.Channels,
		PublicationMax: monthsText(f.MaxPublishMonths), PublicationEnds: f.PublicationEnds.Time(domain.Shanghai),
		RepairEligibleFrom: f.RepairEligibleFrom.Time(domain.Shanghai),
		ApplyOnline:        f.ApplyOnline, ApplyWindow: f.ApplyWindow,
		AcceptWorkingDays: f.AcceptWorkdays, DecideWorkingDays: f.DecideWorkdays, Contact: f.DepartmentContact,
		Unpublished: !f.Published, AutoEnds: f.AutoEnds, Basis: f.Reasons, RuleSet: f.RuleSet,
	}
	if f.MinPublishMonths > 0 {
		d.PublicationMin = monthsText(f.MinPublishMonths)
	}
	if !f.Published {
		d.Channels = []string{"不向社会公示"}
	}
	if f.RequiresTraining {
		d.ExtraConditions = append(d.ExtraConditions, "参加信用修复培训并取得培训合格证明")
	}
	if f.RequiresCreditReport {
		d.ExtraConditions = append(d.ExtraConditions, "提交信用服务机构出具的信用报告")
	}
	if f.NoNewSamePenalty {
		d.ExtraConditions = append(d.ExtraConditions, "公示期间未再受到同一类型的行政处罚")
	}
	notice = letters.Content{Kind: letters.KindRepairNotice, Data: d}
	receipt = letters.Content{Kind: letters.KindDeliveryReceipt, Data: letters.DeliveryReceiptData{
		Issue:     letters.Issue{Issuer: f.DepartmentName, Date: date},
		Recipient: f.EnterpriseName, USCC: f.USCC, Address: f.EnterpriseAddress,
		Documents: []letters.ReceiptDocument{{Name: "行政处罚决定书", Number: f.DecisionNo}, {Name: "信用修复告知书", Number: number}},
		Remarks:   "行政处罚决定书与信用修复告知书同时送达（两书同送）。",
	}}
	return notice, receipt
}

func (w *penalty) issueLetters(ctx workflow.Context) error {
	f := w.facts
	notice, receipt := letterContents(f, today(ctx))
	data := map[string]any{"penalty_id": f.PenaltyID, "decision_no": f.DecisionNo, "decided_on": f.DecidedOn,
		"class": f.Class, "rule_set": f.RuleSet, "repair_eligible_from": f.RepairEligibleFrom,
		"publication_ends": f.PublicationEnds, "channels": f.Channels}
	var futures []workflow.Future
	for _, c := range []letters.Content{notice, receipt} {
		futures = append(futures, w.startActivity(ctx, "IssueLetter", acts.IssueLetter, activities.IssueLetterInput{
			CaseKind: "penalty", CaseID: w.caseID(), Version: 1, USCC: f.USCC, DepartmentID: f.DepartmentID,
			Content: &c, Data: data,
		}))
	}
	for _, fut := range futures {
		var ref activities.LetterRef
		if err := fut.Get(ctx, &ref); err != nil {
			return err
		}
		w.state.Letters = append(w.state.Letters, ref)
	}
	err := w.startActivity(ctx, "PenaltyStep", acts.PenaltyStep, activities.PenaltyStepInput{
		PenaltyID: w.id, Status: domain.PenaltyNoticeIssued, Action: "penalty.notice_issued",
		Details: map[string]any{"letters": w.state.Letters},
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	w.raise(domain.PenaltyNoticeIssued)
	w.lettersIssued = true
	return w.startActivity(ctx, "Notify", acts.Notify, activities.NotifyInput{
		Key: fmt.Sprintf("penalty-%d:%s", w.id, "registered"), USCC: w.facts.USCC, Kind: "penalty_registered",
		Title: "您有一条新的行政处罚信用记录", CaseKind: "penalty", CaseID: w.caseID(),
		Body: fmt.Sprintf("%s对你单位作出行政处罚决定（%s，%s），属%s失信信息。信用修复告知书已随决定书出具，可在“我的信用记录”中查看。",
			f.DepartmentName, f.DecisionNo, f.DecidedOn, f.Class.Label()),
	}).Get(ctx, nil)
}

// startActivity runs one of the registration's short steps: a local activity from penaltyLocalStartVersion on
// (by its registered name, since the contract's functions only name activities), a regular one in the runs
// recorded before.
func (w *penalty) startActivity(ctx workflow.Context, name string, fn any, arg any) workflow.Future {
	return shortStep(ctx, w.localStart, name, fn, arg)
}

// watchDelivery keeps the department's delivery task: it is due Deadlines.Delivery working days after the
// decision; when that passes the task goes overdue and the credit office is told, and it still waits.
func (w *penalty) watchDelivery(ctx workflow.Context) {
	defer func() { w.deliveryDone = true }()
	settled := func() bool { return w.state.Delivery != nil || w.state.Revocation != nil }
	if !w.state.DeliveryOverdue { // a continued run finds the task open and escalated already
		w.openAndWatchDelivery(ctx, settled)
	}
	if err := workflow.Await(ctx, settled); err != nil {
		return
	}
	w.closeDelivery(ctx)
}

// openAndWatchDelivery opens the delivery task and escalates it when its due date passes.
func (w *penalty) openAndWatchDelivery(ctx workflow.Context, settled func() bool) {
	f := w.facts
	due := w.state.DeliveryDue
	_ = w.startActivity(ctx, "OpenTask", acts.OpenTask, activities.TaskInput{
		CaseKind: "penalty", CaseID: w.caseID(), Step: "delivery",
		Title:        fmt.Sprintf("送达行政处罚决定书和信用修复告知书（%s，%s）", f.DecisionNo, f.EnterpriseName),
		AssigneeRole: domain.RoleDepartment, DepartmentID: f.DepartmentID, DueOn: &due,
	}).Get(ctx, nil)
	// A provisional delivery deadline counted again moves the wait (the task moved with it).
	inTime, due, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return w.state.DeliveryDue }, settled)
	if err != nil {
		return
	}
	if !inTime {
		w.state.DeliveryOverdue = true
		_ = w.act(ctx, "Escalate", acts.Escalate, activities.EscalateInput{
			CaseKind: "penalty", CaseID: w.caseID(), Step: "delivery",
			Title: fmt.Sprintf("%s逾期未登记送达处罚决定书和信用修复告知书（%s）", f.DepartmentName, f.DecisionNo), DueOn: &due,
		}).Get(ctx, nil)
		_ = w.step(ctx, "", "penalty.delivery_overdue", map[string]any{"delivery_due": due})
	}
}

// closeDelivery closes the delivery task and its escalation.
func (w *penalty) closeDelivery(ctx workflow.Context) {
	status := domain.TaskDone
	if w.state.Delivery == nil {
		status = domain.TaskCancelled // revoked before delivery: nothing left to deliver
	}
	_ = w.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{
		CaseKind: "penalty", CaseID: w.caseID(), Step: "delivery", Status: status}).Get(ctx, nil)
	if w.state.DeliveryOverdue {
		_ = w.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{
			CaseKind: "penalty", CaseID: w.caseID(), Step: "escalation:delivery", Status: status}).Get(ctx, nil)
	}
}

func (w *penalty) announceEligibility(ctx workflow.Context) error {
	f := w.facts
	w.state.EligibleNotified = true
	if err := w.notify(ctx, "eligible", "repair_eligible", "您可以申请信用修复",
		fmt.Sprintf("你单位的行政处罚信息（%s，%s作出）已满最短公示期限，自%s起可以申请信用修复；如不申请，将于%s公示期满后自动停止公示。"+
			"请在履行处罚决定规定的义务后，通过信用修复协同平台或%s提出申请。",
			f.DecisionNo, f.DepartmentName, f.RepairEligibleFrom, f.PublicationEnds, f.ApplyWindow)); err != nil {
		return err
	}
	return w.step(ctx, domain.PenaltyEligible, "penalty.eligible", map[string]any{"repair_eligible_from": f.RepairEligibleFrom})
}

// withdraw carries out the requested withdrawal: everywhere through 一件通用 for a published record; a record that
// was never published simply ends.
func (w *penalty) withdraw(ctx workflow.Context) error {
	wd := w.state.Withdrawal
	f := w.facts
	if !f.Published {
		wd.Status = "completed"
		if err := w.step(ctx, w.finalStatus(), "penalty.ended", map[string]any{"cause": wd.Cause, "published": false}); err != nil {
			return err
		}
		w.finished = true
		return nil
	}
	if w.cancelPublish != nil && w.state.Publication == "publishing" {
		w.cancelPublish()
	}
	if wd.Cause == domain.CauseRevocation && w.state.Revocation != nil {
		// A revoked decision must be off every channel within its own deadline (RULES: 3 working days).
		if err := w.countRevocationWithdrawalDue(ctx); err != nil {
			return err
		}
	}
	wd.Status = "ordered"
	if err := w.step(ctx, domain.PenaltyWithdrawing, "penalty.withdrawing", map[string]any{
		"cause": wd.Cause, "cause_ref": wd.CauseRef, "due_on": wd.DueOn}); err != nil {
		return err
	}
	var (
		done   bool
		result WithdrawalResult
		runErr error
	)
	workflow.Go(ctx, func(ctx workflow.Context) {
		result, runErr = runWithdrawal(ctx, WithdrawalInput{PenaltyID: w.id, Cause: wd.Cause, CauseRef: wd.CauseRef,
			CauseDecision: wd.CauseDecision})
		done = true
	})
	if !wd.DueOn.IsZero() {
		inTime, err := w.awaitRevocationWithdrawal(ctx, func() bool { return done })
		if err != nil {
			return err
		}
		if !inTime {
			if err := workflow.ExecuteActivity(ctx, acts.Escalate, activities.EscalateInput{
				CaseKind: "penalty", CaseID: w.caseID(), Step: "revocation_withdrawal",
				Title: fmt.Sprintf("处罚决定（%s）撤销后逾期未在全部渠道撤下公示", f.DecisionNo), DueOn: &wd.DueOn,
			}).Get(ctx, nil); err != nil {
				return err
			}
		}
	}
	if err := workflow.Await(ctx, func() bool { return done }); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("withdrawal of penalty %d (%s): %w", w.id, wd.Cause, runErr)
	}
	wd.Status = "completed"
	if err := w.step(ctx, w.finalStatus(), "penalty.withdrawn", map[string]any{"cause": wd.Cause, "cause_ref": wd.CauseRef,
		"withdrawal": result}); err != nil {
		return err
	}
	w.finished = true
	return w.notify(ctx, "withdrawn", "penalty_withdrawn", "行政处罚信息已撤下公示",
		fmt.Sprintf("你单位的行政处罚信息（%s）已在各公示渠道撤下公示（原因：%s）。", f.DecisionNo, wd.Cause.Label()))
}

func (w *penalty) finalStatus() domain.PenaltyStatus {
	if w.state.Revocation != nil {
		return domain.PenaltyRevoked
	}
	return domain.PenaltyWithdrawn
}
