package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// The objection workflow (objection-<id>): one case per objection to a record (or to a refused repair).
//
//  1. Takes the application in: renders the 异议申诉信用承诺书 the applicant accepted and records the rule set's
//     deadlines (RULES: mark and forward within 1 working day, verify within 7 under ndrc-2026).
//  2. Marks the record "异议处理中" on every channel that shows it (the record stays visible): webhook channels are
//     called (action "mark"), manual channels' operators get a task and confirm (ObjectionConfirmChannelUpdate).
//     The record's own flag (penalties.flagged_objection) is set while the case is open. A channel that has not
//     marked the record by the mark deadline is overdue and escalated to the credit office.
//  3. Forwards the case to the recognizing department's inbox (a task due ObjectionVerify working days later).
//  4. The department answers (ObjectionResolveUpdate): corrected (with the corrected fields: the record keeps its
//     earlier version and is updated on every channel, action "correct"), withdrawn (the penalty's lifecycle
//     withdraws it everywhere with cause objection, 一件通用) or upheld (the marks are removed, action "unmark"); or
//     it extends the deadline once (ObjectionExtendUpdate), telling the applicant first with a 延期告知书. A
//     department that has not answered by the deadline is overdue and escalated.
//  5. The applicant gets the 异议处理结果告知书 with the answer; an objection against a refused repair that succeeds
//     reopens the repair case (RepairReopenSignal). The case closes when every channel shows the outcome.
//
// Human steps are updates validated here: a wrong step (answering twice, extending after the deadline) is refused
// with Rejection code "invalid_transition" (HTTP 409) and leaves no trace. Every step is written to PostgreSQL by
// RecordObjectionStep with the workflow's step number, so retries write once and late writes never win.
//
// History size: a repeated channel confirmation is accepted (it answers the first), so steps may come without
// bound while the department verifies. From objectionContinueVersion on the run counts its steps and, after
// ObjectionMaxSteps (or when Temporal suggests it), continues as new while it waits for the answer, carrying its
// state (ObjectionCarry); the new run follows the channels still open as the first did.

// ObjectionWorkflowType is the registered name of ObjectionWorkflow.
const ObjectionWorkflowType = "ObjectionWorkflow"

// The objection workflow's query and updates. Every update answers the new ObjectionState.
const (
	// ObjectionStateQuery answers the workflow's ObjectionState.
	ObjectionStateQuery = "state"
	// ObjectionReadyUpdate waits until the application is taken in (commitment rendered, case forwarded) and
	// answers the state; the application's 201 uses it.
	ObjectionReadyUpdate = "ready"
	// ObjectionResolveUpdate is the department's answer (ObjectionResolution).
	ObjectionResolveUpdate = "resolve"
	// ObjectionExtendUpdate extends the verification deadline once (ObjectionExtension).
	ObjectionExtendUpdate = "extend"
	// ObjectionConfirmChannelUpdate is a manual channel operator's confirmation (ObjectionChannelConfirm).
	ObjectionConfirmChannelUpdate = "confirm_channel"
)

// ObjectionParams starts an objection case.
type ObjectionParams struct {
	ObjectionID int64
	// Filing is a new objection under the reserved ObjectionID: the workflow writes the case's row itself (see
	// objection_create.go). Nil for a run started for an existing row.
	Filing *activities.ObjectionFiling `json:",omitempty"`
	// Carry is the state of the run this one continues (nil for the first run).
	Carry *ObjectionCarry `json:",omitempty"`
}

// ObjectionCarry is what a case's run hands to the run it continues as: the application is taken in, forwarded
// and not answered yet.
type ObjectionCarry struct {
	Progress  activities.ObjectionProgress
	Seq       int64
	Letters   []activities.LetterRef
	Channels  []ObjectionChannelState
	Escalated map[string]bool
	// Runs counts the runs before this one.
	Runs int
}

// ObjectionMaxSteps is how many steps a run takes before it continues as new: far below Temporal's 2,000 updates
// per run. A variable only so that tests can watch a run continue; it is never changed while a worker runs.
var ObjectionMaxSteps = 500

// objectionContinueVersion marks the runs that count their steps and continue as new (workflow.GetVersion).
const objectionContinueVersion = "objection-continue-as-new"

// ObjectionStartOptions start objection-<id>, or join the run in progress: a repeated start is harmless, and a
// closed case is never started again.
func ObjectionStartOptions(objectionID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: ObjectionWorkflowID(objectionID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// ObjectionActor is who takes a step (set by the HTTP handler from the principal).
type ObjectionActor struct {
	Actor string `json:"actor,omitempty"`
	Role  string `json:"role,omitempty"`
}

// ObjectionResolution is the department's answer. Corrections (corrected only) are the record's new values; the
// handler has checked them (printable, a known penalty type, an amount, no change of class or periods).
type ObjectionResolution struct {
	Outcome     domain.ObjectionOutcome   `json:"outcome"`
	Reason      string                    `json:"reason"`
	Corrections *domain.PenaltyCorrection `json:"corrections,omitempty"`
	ObjectionActor
}

// ObjectionExtension extends the verification deadline once, with the reason told to the applicant. NDRC Order 36
// art. 18 fixes no length: the department may state the new date (DueOn), which must not pass the rule set's
// maximum (Deadlines.ObjectionExtension working days after the original deadline); without one, the maximum applies.
type ObjectionExtension struct {
	Reason string      `json:"reason"`
	DueOn  domain.Date `json:"due_on,omitzero"`
	ObjectionActor
}

// ObjectionChannelConfirm is a manual channel operator's confirmation that the channel did what the case asked;
// Action (mark, unmark or correct) may be left out: the channel's pending action is meant.
type ObjectionChannelConfirm struct {
	ChannelID string                 `json:"channel_id"`
	Action    domain.ObjectionAction `json:"action,omitempty"`
	Reference string                 `json:"reference"`
	// By is the operator's login (the handler checked the operator is bound to the channel).
	By string `json:"by"`
}

// ObjectionChannelState is one thing a channel was asked to do for the case.
type ObjectionChannelState struct {
	ChannelID   string                 `json:"channel_id"`
	Name        string                 `json:"name"`
	Kind        domain.ChannelKind     `json:"kind"`
	Action      domain.ObjectionAction `json:"action"`
	Status      domain.ChannelStatus   `json:"status"`
	DueOn       domain.Date            `json:"due_on"`
	Overdue     bool                   `json:"overdue"`
	ConfirmedAt time.Time              `json:"confirmed_at"`
	Reference   string                 `json:"reference"`

	cancel workflow.CancelFunc
}

func (c *ObjectionChannelState) confirmed() bool { return c.Status == domain.ChannelConfirmed }
func (c *ObjectionChannelState) settled() bool {
	return c.confirmed() || c.Status == domain.ChannelCancelled
}

// ObjectionState is what the workflow knows of its case (query "state", and the answer to every update).
type ObjectionState struct {
	ObjectionID int64 `json:"objection_id"`
	activities.ObjectionProgress
	Channels []ObjectionChannelState `json:"channels"`
	Letters  []activities.LetterRef  `json:"letters"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(ObjectionWorkflow, workflow.RegisterOptions{Name: ObjectionWorkflowType})
	})
}

// objectionRunWithdrawal is RunWithdrawal; unit tests replace it to observe the order without the channels'
// workflows.
var objectionRunWithdrawal = RunWithdrawal

// objection is the workflow's state.
type objection struct {
	id       int64
	f        activities.ObjectionFacts
	p        activities.ObjectionProgress
	seq      int64
	letters  []activities.LetterRef
	channels []*ObjectionChannelState

	loaded     bool // facts loaded: validators can judge steps
	ready      bool // the application is taken in and forwarded
	resolution *ObjectionResolution
	resolved   bool                        // the answer is recorded
	filing     *activities.ObjectionFiling // a new filing to store (ObjectionParams.Filing)
	refusal    error                       // a new filing refused before its row was written
	escalated  map[string]bool

	// lock applies one step at a time from objectionStepsVersion on (nil before), so that putting a failed
	// step's state back cannot undo another step.
	lock workflow.Mutex

	// version is the run's objectionContinueVersion; steps counts the run's steps; continuing is set once it
	// decided to continue as new; busy counts the channel bookkeeping in flight (a task being closed, the marks
	// being recorded), which a continuing run lets finish; runs counts the runs before this one.
	version    workflow.Version
	steps      int
	continuing bool
	busy       int
	runs       int
	carried    bool
	calendars  workflow.ReceiveChannel
}

// objectionStepsVersion marks the runs whose steps are applied one at a time (workflow.GetVersion).
const objectionStepsVersion = "objection-steps-serialized"

// ObjectionWorkflow runs one objection case.
func ObjectionWorkflow(ctx workflow.Context, in ObjectionParams) error {
	w := &objection{id: in.ObjectionID, filing: in.Filing, escalated: map[string]bool{}}
	w.p.Status, w.p.Holder = domain.ObjectionSubmitted, domain.HolderCreditOffice
	if workflow.GetVersion(ctx, objectionStepsVersion, workflow.DefaultVersion, 1) >= 1 {
		w.lock = workflow.NewMutex(ctx)
	}
	w.version = workflow.GetVersion(ctx, objectionContinueVersion, workflow.DefaultVersion, 1)
	if c := in.Carry; c != nil {
		w.p, w.seq, w.letters, w.runs, w.carried = c.Progress, c.Seq, c.Letters, c.Runs, true
		for _, cs := range c.Channels {
			cs := cs
			w.channels = append(w.channels, &cs)
		}
		for k, v := range c.Escalated {
			w.escalated[k] = v
		}
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(withActivityOptions(ctx))
}

func (w *objection) caseID() string { return strconv.FormatInt(w.id, 10) }

func (w *objection) snapshot() ObjectionState {
	s := ObjectionState{ObjectionID: w.id, ObjectionProgress: w.p, Channels: []ObjectionChannelState{},
		Letters: append([]activities.LetterRef{}, w.letters...)}
	for _, c := range w.channels {
		cs := *c
		cs.cancel = nil
		s.Channels = append(s.Channels, cs)
	}
	return s
}

// setObjectionUpdate registers a validated update. The validator runs again when the handler starts, so two steps
// arriving together never both pass; a step that arrives before the case is taken in waits for it.
func setObjectionUpdate[T any](ctx workflow.Context, w *objection, name string, validate func(workflow.Context, T) error,
	do func(workflow.Context, T) error) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name, func(ctx workflow.Context, req T) (ObjectionState, error) {
		if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
			return w.snapshot(), err
		}
		if w.lock != nil {
			if err := w.lock.Lock(ctx); err != nil {
				return w.snapshot(), err
			}
			defer w.lock.Unlock()
		}
		if w.version >= 1 {
			w.steps++
		}
		if err := validate(ctx, req); err != nil {
			return w.snapshot(), err
		}
		// A step whose write fails for good leaves the case as it was, and the caller gets the error.
		before, resolution, resolved := w.p, w.resolution, w.resolved
		err := do(withActivityOptions(ctx), req)
		if isInvalidData(err) {
			w.p, w.resolution, w.resolved = before, resolution, resolved
		}
		return w.snapshot(), err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req T) error {
		if w.continuing {
			return reject("case_busy", "该异议案件正在整理办理记录，请稍后重试", true)
		}
		if !w.ready {
			return nil
		}
		return validate(ctx, req)
	}})
}

// canContinue: the run took enough steps (or Temporal suggests continuing) and waits for the department's answer.
func (w *objection) canContinue(ctx workflow.Context) bool {
	return w.version >= 1 && !w.continuing && w.ready && w.resolution == nil && !w.resolved &&
		(w.steps >= ObjectionMaxSteps || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// continueAsNew lets the steps and the channel bookkeeping in progress finish, refusing new steps meanwhile, and
// continues as a new run that carries the state. It answers nil when an answer arrived meanwhile; the run goes on.
func (w *objection) continueAsNew(ctx workflow.Context) error {
	w.continuing = true
	if err := workflow.Await(ctx, func() bool {
		return w.busy == 0 && w.calendars.Len() == 0 && workflow.AllHandlersFinished(ctx)
	}); err != nil {
		return err
	}
	if w.resolution != nil || w.resolved {
		w.continuing = false
		return nil
	}
	c := &ObjectionCarry{Progress: w.p, Seq: w.seq, Letters: append([]activities.LetterRef{}, w.letters...),
		Escalated: w.escalated, Runs: w.runs + 1}
	for _, ch := range w.channels {
		cs := *ch
		cs.cancel = nil
		c.Channels = append(c.Channels, cs)
	}
	return workflow.NewContinueAsNewError(ctx, ObjectionWorkflowType, ObjectionParams{ObjectionID: w.id, Carry: c})
}

// followChannels follows the channels a continued run carried that are still open, as startChannels did.
func (w *objection) followChannels(ctx workflow.Context) {
	for _, c := range w.channels {
		if c.settled() {
			continue
		}
		c := c
		cctx, cancel := workflow.WithCancel(ctx)
		c.cancel = cancel
		workflow.Go(cctx, func(ctx workflow.Context) { w.send(ctx, c) })
		workflow.Go(ctx, func(ctx workflow.Context) { w.watchChannel(ctx, c) })
	}
}

func (w *objection) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, ObjectionStateQuery, func() (ObjectionState, error) {
		return w.snapshot(), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, ObjectionReadyUpdate, func(ctx workflow.Context) (ObjectionState, error) {
		err := workflow.Await(ctx, func() bool { return w.ready })
		if err == nil && w.refusal != nil {
			err = w.refusal
		}
		return w.snapshot(), err
	}); err != nil {
		return err
	}
	for _, err := range []error{
		setObjectionUpdate(ctx, w, ObjectionResolveUpdate, w.validateResolve, w.resolve),
		setObjectionUpdate(ctx, w, ObjectionExtendUpdate, w.validateExtend, w.extend),
		setObjectionUpdate(ctx, w, ObjectionConfirmChannelUpdate, w.validateConfirm, w.confirm),
	} {
		if err != nil {
			return err
		}
	}
	w.calendars = onCalendarChanged(ctx, &w.busy, w.recountDeadlines)
	return nil
}

// Helpers.

func (w *objection) deadline(ctx workflow.Context, from domain.Date, workdays int) (domain.Date, error) {
	due, err := w.counted(ctx, from, workdays)
	return due.Due, err
}

// counted is deadline with whether the date is provisional (counted over a year whose notice is not loaded).
func (w *objection) counted(ctx workflow.Context, from domain.Date, workdays int) (activities.DeadlineResult, error) {
	var due activities.DeadlineResult
	err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{From: from, Workdays: workdays}).Get(ctx, &due)
	return due, err
}

// record writes the case's progress and the step's audit entry.
func (w *objection) record(ctx workflow.Context, action string, by ObjectionActor, details map[string]any) error {
	w.seq++
	return workflow.ExecuteActivity(ctx, acts.RecordObjectionStep, activities.ObjectionStepInput{
		ObjectionID: w.id, Seq: w.seq, Action: action, Actor: by.Actor, Role: by.Role, Progress: w.p, Details: details,
	}).Get(ctx, nil)
}

// issue has the activity build (with the texts in use), render and store a letter of the case.
func (w *objection) issue(ctx workflow.Context, kind letters.Kind, content any, data map[string]any) (activities.LetterRef, error) {
	var ref activities.LetterRef
	err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "objection", CaseID: w.caseID(), Version: 1, USCC: w.f.USCC, DepartmentID: w.f.DepartmentID,
		Content: &letters.Content{Kind: kind, Data: content}, Data: data,
	}).Get(ctx, &ref)
	if err == nil {
		w.letters = append(w.letters, ref)
	}
	return ref, err
}

func (w *objection) openTask(ctx workflow.Context, in activities.TaskInput) error {
	in.CaseKind, in.CaseID = "objection", w.caseID()
	return workflow.ExecuteActivity(ctx, acts.OpenTask, in).Get(ctx, nil)
}

// closeTasks closes tasks and their escalations.
func (w *objection) closeTasks(ctx workflow.Context, status domain.TaskStatus, steps ...string) error {
	for _, s := range steps {
		for _, step := range []string{s, "escalation:" + s} {
			if err := workflow.ExecuteActivity(ctx, acts.CloseTask, activities.CloseTaskInput{
				CaseKind: "objection", CaseID: w.caseID(), Step: step, Status: status}).Get(ctx, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *objection) notify(ctx workflow.Context, toDepartment bool, key, kind, title, body string) error {
	in := activities.NotifyInput{Key: fmt.Sprintf("objection-%d:%s", w.id, key), Kind: kind, Title: title, Body: body,
		CaseKind: "objection", CaseID: w.caseID()}
	if toDepartment {
		in.DepartmentID = w.f.DepartmentID
	} else {
		in.USCC = w.f.USCC
	}
	return workflow.ExecuteActivity(ctx, acts.Notify, in).Get(ctx, nil)
}

func (w *objection) escalate(ctx workflow.Context, step, title string, due domain.Date) error {
	if w.escalated[step] {
		return nil
	}
	w.escalated[step] = true
	return workflow.ExecuteActivity(ctx, acts.Escalate, activities.EscalateInput{
		CaseKind: "objection", CaseID: w.caseID(), Step: step, Title: title, DueOn: &due,
	}).Get(ctx, nil)
}

// ObjectionApplicationNo is the number of an objection as letters cite it.
func ObjectionApplicationNo(objectionID int64, filedOn domain.Date) string {
	return fmt.Sprintf("XYYY-%d-%06d", filedOn.Y, objectionID)
}

// letterNumber is the 文号 of a department's objection letter of a kind (异议复: the answer, 异议延: an extension).
func (w *objection) letterNumber(kind string, on domain.Date) string {
	return fmt.Sprintf("%s%s〔%d〕%d号", strings.TrimSuffix(w.f.DepartmentName, "局"), kind, on.Y, w.id)
}

func (w *objection) applicationRef() letters.ApplicationRef {
	return letters.ApplicationRef{EnterpriseName: w.f.EnterpriseName, USCC: w.f.USCC,
		ApplicationNo: ObjectionApplicationNo(w.id, w.f.FiledOn), ReceivedOn: w.f.FiledOn.Time(domain.Shanghai)}
}

func (w *objection) marksRecord() bool { return w.f.Grounds != domain.GroundsAgainstRefusal }

func (w *objection) stateText() string {
	return "当前状态：" + w.p.Status.Label()
}

// verifyStep is the department's task: a new one after an extension (its due date is the new deadline).
func (w *objection) verifyStep() string {
	if w.p.Extended {
		return "verify:extended"
	}
	return "verify"
}

// The procedure.

func (w *objection) run(ctx workflow.Context) error {
	if w.filing != nil {
		if created, err := w.create(ctx); !created || err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(ctx, acts.LoadObjectionFacts, w.id).Get(ctx, &w.f); err != nil {
		return err
	}
	w.loaded = true
	if w.carried {
		w.followChannels(ctx)
		w.ready = true
	} else if err := w.receive(ctx); err != nil {
		return err
	}
	if err := w.awaitAnswer(ctx); err != nil {
		return err
	}
	if err := w.propagate(ctx); err != nil {
		return err
	}
	w.p.Status, w.p.Holder = domain.ObjectionClosed, ""
	if err := w.record(ctx, "objection.closed", ObjectionActor{}, map[string]any{"outcome": w.p.Outcome}); err != nil {
		return err
	}
	// A confirmation still being answered finishes before the workflow does, so its caller gets its answer.
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// receive takes the application in at the single window: the commitment letter, the marks on the channels, and the
// forwarding to the department.
func (w *objection) receive(ctx workflow.Context) error {
	f := w.f
	commitment := letters.ObjectionCommitmentData{
		Recipient: f.DepartmentName, EnterpriseName: f.EnterpriseName, USCC: f.USCC, LegalRepresentative: f.LegalRepresentative,
		DecisionNo: f.DecisionNo, Grounds: domain.ObjectionGrounds(f.Grounds), SignedOnline: true,
		Date: f.FiledOn.Time(domain.Shanghai),
	}
	ref, err := w.issue(ctx, letters.KindObjectionCommitment, commitment, map[string]any{
		"objection_id": w.id, "penalty_id": f.PenaltyID, "grounds": f.Grounds, "accepted_by": f.FiledBy,
		"accepted_at": f.CommitmentAcceptedAt, "remote_addr": f.CommitmentRemoteAddr,
	})
	if err != nil {
		return err
	}
	w.p.CommitmentLetterID = ref.ID
	counted := workflow.GetVersion(ctx, deadlinesCountChange, workflow.DefaultVersion, 1) >= 1
	if counted {
		ds, err := countDeadlines(ctx, "objection", w.caseID(),
			domain.CaseDeadline{Name: dueMark, From: f.FiledOn, Workdays: f.Deadlines.ObjectionMark},
			domain.CaseDeadline{Name: dueForward, From: f.FiledOn, Workdays: f.Deadlines.ObjectionForward})
		if err != nil {
			return err
		}
		w.p.MarkDue, w.p.ForwardDue = ds[0].Due, ds[1].Due
	} else {
		if w.p.MarkDue, err = w.deadline(ctx, f.FiledOn, f.Deadlines.ObjectionMark); err != nil {
			return err
		}
		if w.p.ForwardDue, err = w.deadline(ctx, f.FiledOn, f.Deadlines.ObjectionForward); err != nil {
			return err
		}
	}
	channels := make([]string, 0, len(f.Channels))
	for _, c := range f.Channels {
		channels = append(channels, c.ChannelID)
	}
	if err := w.record(ctx, "objection.received", ObjectionActor{}, map[string]any{
		"commitment_letter_id": ref.ID, "rule_set": f.RuleSet, "grounds": f.Grounds, "mark_due": w.p.MarkDue,
		"forward_due": w.p.ForwardDue, "channels": channels,
	}); err != nil {
		return err
	}

	// 1. "异议处理中" on every channel that shows the record (the record's own flag is set by the step above).
	if w.marksRecord() && len(f.Channels) > 0 {
		dues := make([]activities.ObjectionChannelDue, 0, len(f.Channels))
		for _, c := range f.Channels {
			dues = append(dues, activities.ObjectionChannelDue{ChannelID: c.ChannelID, DueOn: w.p.MarkDue})
		}
		if err := w.startChannels(ctx, domain.ObjectionMark, dues); err != nil {
			return err
		}
	}

	// 2. The department's inbox.
	now := today(ctx)
	var due domain.Date
	dueText := ""
	if counted {
		ds, err := countDeadlines(ctx, "objection", w.caseID(),
			domain.CaseDeadline{Name: dueVerify, From: now, Workdays: f.Deadlines.ObjectionVerify})
		if err != nil {
			return err
		}
		due = ds[0].Due
		if ds[0].Provisional {
			dueText = provisionalText
		}
	} else if due, err = w.deadline(ctx, now, f.Deadlines.ObjectionVerify); err != nil {
		return err
	}
	w.p.ForwardedOn, w.p.VerifyDue, w.p.OriginalVerifyDue = now, due, due
	w.p.Status, w.p.Holder = domain.ObjectionVerifying, domain.HolderDepartment
	what := "异议"
	if !w.marksRecord() {
		what = "对不予信用修复决定的异议"
	}
	if err := w.openTask(ctx, activities.TaskInput{Step: w.verifyStep(), AssigneeRole: domain.RoleDepartment,
		DepartmentID: f.DepartmentID, DueOn: &due,
		Title: fmt.Sprintf("核实并答复%s（%s，%s）", what, f.DecisionNo, f.EnterpriseName)}); err != nil {
		return err
	}
	if err := w.notify(ctx, true, "forwarded", "objection_forwarded", "收到异议申请，请核实答复",
		fmt.Sprintf("%s对行政处罚决定（%s）提出异议（%s），请于%s%s前核实并答复；需要延长的，应在期限届满前告知申请人。",
			f.EnterpriseName, f.DecisionNo, f.Grounds.Label(), due, dueText)); err != nil {
		return err
	}
	if err := w.record(ctx, "objection.forwarded", ObjectionActor{}, map[string]any{
		"verify_due": due, "forwarded_in_time": !now.After(w.p.ForwardDue)}); err != nil {
		return err
	}
	w.ready = true
	return w.notify(ctx, false, "received", "objection_received", "异议申请已受理",
		fmt.Sprintf("你单位对行政处罚决定（%s）提出的异议已受理并转%s核实，答复期限为%s%s。%s", f.DecisionNo, f.DepartmentName, due,
			dueText, markText(w.marksRecord(), len(f.Channels))))
}

func markText(marks bool, channels int) string {
	if !marks || channels == 0 {
		return ""
	}
	return fmt.Sprintf("异议处理期间，该信息在%d个公示渠道标注“%s”。", channels, activities.ObjectionMarkText)
}

// awaitAnswer waits for the department's answer; when the deadline (perhaps extended) passes unanswered the task
// goes overdue and the credit office is told, and the case still waits.
func (w *objection) awaitAnswer(ctx workflow.Context) error {
	for {
		due := w.p.VerifyDue
		inTime, err := awaitUntilEndOf(ctx, due, func() bool { return w.resolved || w.p.VerifyDue != due || w.canContinue(ctx) })
		if err != nil {
			return err
		}
		if w.canContinue(ctx) {
			if err := w.continueAsNew(ctx); err != nil {
				return err
			}
			continue
		}
		switch {
		case w.resolved:
			return nil
		case w.p.VerifyDue != due:
			continue // extended
		case !inTime && !w.p.Overdue && w.resolution == nil:
			step := w.verifyStep()
			if err := w.escalate(ctx, step, fmt.Sprintf("%s逾期未答复异议（%s，%s）", w.f.DepartmentName, w.f.DecisionNo,
				w.f.EnterpriseName), due); err != nil {
				return err
			}
			w.p.Overdue = true
			if err := w.record(ctx, "objection.overdue", ObjectionActor{}, map[string]any{"step": step, "due_on": due}); err != nil {
				return err
			}
		}
		if err := workflow.Await(ctx, func() bool {
			return w.resolved || w.p.VerifyDue != due || (!w.p.Overdue && w.resolution == nil) || w.canContinue(ctx)
		}); err != nil {
			return err
		}
	}
}

// Channels.

// startChannels asks channels to do an action and follows each until it is confirmed (or cancelled).
func (w *objection) startChannels(ctx workflow.Context, action domain.ObjectionAction, dues []activities.ObjectionChannelDue) error {
	var rows []activities.ObjectionChannelRow
	if err := workflow.ExecuteActivity(ctx, acts.OpenObjectionChannels, activities.OpenObjectionChannelsInput{
		ObjectionID: w.id, Action: action, Channels: dues}).Get(ctx, &rows); err != nil {
		return err
	}
	for _, r := range rows {
		c := &ObjectionChannelState{ChannelID: r.ChannelID, Name: r.Name, Kind: r.Kind, Action: r.Action, Status: r.Status,
			DueOn: r.DueOn, Overdue: r.Status == domain.ChannelOverdue, ConfirmedAt: r.ConfirmedAt, Reference: r.Reference}
		w.channels = append(w.channels, c)
		if c.settled() {
			continue
		}
		cctx, cancel := workflow.WithCancel(ctx)
		c.cancel = cancel
		workflow.Go(cctx, func(ctx workflow.Context) { w.send(ctx, c) })
		workflow.Go(ctx, func(ctx workflow.Context) { w.watchChannel(ctx, c) })
	}
	return nil
}

func (w *objection) channel(id string, action domain.ObjectionAction) *ObjectionChannelState {
	for _, c := range w.channels {
		if c.ChannelID == id && c.Action == action {
			return c
		}
	}
	return nil
}

func (w *objection) channelsOf(action domain.ObjectionAction) []*ObjectionChannelState {
	var out []*ObjectionChannelState
	for _, c := range w.channels {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

func (w *objection) allSettled() bool {
	for _, c := range w.channels {
		if !c.settled() {
			return false
		}
	}
	return true
}

func channelStep(c *ObjectionChannelState) string { return string(c.Action) + ":" + c.ChannelID }

func (w *objection) channelInput(c *ObjectionChannelState) activities.ObjectionChannelInput {
	return activities.ObjectionChannelInput{ObjectionID: w.id, ChannelID: c.ChannelID, Action: c.Action}
}

func (w *objection) markConfirmed(c *ObjectionChannelState, conf activities.ObjectionChannelConfirmation) {
	if c.settled() {
		return
	}
	switch conf.Status {
	case domain.ChannelCancelled:
		c.Status = domain.ChannelCancelled
		return
	case domain.ChannelConfirmed:
	default:
		return
	}
	c.Status, c.ConfirmedAt, c.Reference = domain.ChannelConfirmed, conf.ConfirmedAt, conf.Reference
}

// send carries one action to a channel: a webhook channel's system is called until it answers 2xx; a manual
// channel's operator gets a task and confirms through ObjectionConfirmChannelUpdate.
func (w *objection) send(ctx workflow.Context, c *ObjectionChannelState) {
	log := workflow.GetLogger(ctx)
	if c.Kind == domain.ChannelWebhook {
		var conf activities.ObjectionChannelConfirmation
		if err := workflow.ExecuteActivity(withChannelOptions(ctx), acts.NotifyObjectionChannel, w.channelInput(c)).Get(ctx, &conf); err != nil {
			log.Warn("objection channel call ended without confirmation", "objection", w.id, "channel", c.ChannelID, "action", c.Action, "error", err)
			return
		}
		w.busy++
		defer func() { w.busy-- }()
		w.markConfirmed(c, conf)
		if err := w.afterMarks(ctx); err != nil {
			log.Warn("record objection marks", "objection", w.id, "error", err)
		}
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx) // the task is closed even when the action is cancelled
	step := channelStep(c)
	due := c.DueOn
	title := fmt.Sprintf("%s：%s（%s）", c.Action.Label(), w.f.EnterpriseName, w.f.DecisionNo)
	if err := w.openTask(ctx, activities.TaskInput{Step: step, AssigneeRole: domain.RoleChannelOperator, ChannelID: c.ChannelID,
		Title: title, DueOn: &due}); err != nil {
		log.Error("open objection channel task", "objection", w.id, "channel", c.ChannelID, "error", err)
	}
	if c.Status == domain.ChannelPending {
		if err := workflow.ExecuteActivity(ctx, acts.MarkObjectionChannelSent, w.channelInput(c)).Get(ctx, nil); err != nil {
			log.Error("mark objection channel sent", "objection", w.id, "channel", c.ChannelID, "error", err)
		}
		if !c.settled() && !c.Overdue {
			c.Status = domain.ChannelSent
		}
	}
	_ = workflow.Await(ctx, c.settled)
	w.busy++
	defer func() { w.busy-- }()
	status := domain.TaskDone
	if !c.confirmed() {
		status = domain.TaskCancelled
	}
	_ = workflow.ExecuteActivity(withActivityOptions(dctx), acts.CloseTask, activities.CloseTaskInput{
		CaseKind: "objection", CaseID: w.caseID(), Step: step, Status: status}).Get(dctx, nil)
}

// watchChannel marks a channel action overdue when its due date ends unconfirmed and escalates it to the credit
// office; the escalation closes when the channel confirms after all (or the action is cancelled).
func (w *objection) watchChannel(ctx workflow.Context, c *ObjectionChannelState) {
	inTime, _, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return c.DueOn }, c.settled)
	if err != nil || inTime || c.settled() {
		return
	}
	step := channelStep(c)
	c.Overdue = true
	c.Status = domain.ChannelOverdue
	w.busy++ // until escalated
	escalating := true
	defer func() {
		if escalating {
			w.busy--
		}
	}()
	if err := workflow.ExecuteActivity(ctx, acts.MarkObjectionChannelOverdue, w.channelInput(c)).Get(ctx, nil); err != nil {
		return
	}
	what := "逾期未标注“异议处理中”"
	switch c.Action {
	case domain.ObjectionUnmark:
		what = "逾期未撤除异议标注"
	case domain.ObjectionCorrect:
		what = "逾期未更新更正后的信息"
	}
	if err := w.escalate(ctx, step, fmt.Sprintf("公示渠道%s：%s（%s，%s）", what, c.Name, w.f.EnterpriseName, w.f.DecisionNo), c.DueOn); err != nil {
		return
	}
	escalating = false
	w.busy--
	if err := workflow.Await(ctx, c.settled); err != nil {
		return
	}
	w.busy++
	defer func() { w.busy-- }()
	status := domain.TaskDone
	if !c.confirmed() {
		status = domain.TaskCancelled
	}
	_ = workflow.ExecuteActivity(ctx, acts.CloseTask, activities.CloseTaskInput{
		CaseKind: "objection", CaseID: w.caseID(), Step: "escalation:" + step, Status: status}).Get(ctx, nil)
}

// cancelChannel stops an action no longer needed (a mark not yet made when the case was answered).
func (w *objection) cancelChannel(ctx workflow.Context, c *ObjectionChannelState) error {
	if c.settled() {
		return nil
	}
	if err := workflow.ExecuteActivity(ctx, acts.CancelObjectionChannel, w.channelInput(c)).Get(ctx, nil); err != nil {
		return err
	}
	if c.settled() { // confirmed meanwhile
		return nil
	}
	c.Status = domain.ChannelCancelled
	if c.cancel != nil && c.Kind == domain.ChannelWebhook {
		c.cancel()
	}
	return nil
}

func (w *objection) findPending(req ObjectionChannelConfirm) (*ObjectionChannelState, *ObjectionChannelState) {
	var pending, done *ObjectionChannelState
	for _, c := range w.channels {
		if c.ChannelID != req.ChannelID || (req.Action != "" && c.Action != req.Action) {
			continue
		}
		if c.settled() {
			if c.confirmed() {
				done = c
			}
			continue
		}
		pending = c
	}
	return pending, done
}

func (w *objection) validateConfirm(ctx workflow.Context, req ObjectionChannelConfirm) error {
	if strings.TrimSpace(req.ChannelID) == "" {
		return badValue("invalid_channel", "请指定确认的公示渠道")
	}
	switch req.Action {
	case "", domain.ObjectionMark, domain.ObjectionUnmark, domain.ObjectionCorrect:
	default:
		return badValue("invalid_action", "确认事项 action 应为 mark（标注异议）、unmark（撤除标注）或 correct（更正信息）")
	}
	if n := len([]rune(strings.TrimSpace(req.Reference))); n == 0 || n > 200 {
		return badValue("invalid_reference", "请填写办理凭据（渠道的办理编号或说明，不超过200字）")
	}
	pending, done := w.findPending(req)
	switch {
	case (pending != nil && pending.Kind != domain.ChannelManual) || (done != nil && done.Kind != domain.ChannelManual):
		return reject("not_manual_channel", "系统对接渠道由渠道系统自动确认，无需人工确认", true)
	case pending == nil && done != nil:
		return nil // a repeated confirmation answers the first one
	case pending == nil:
		return invalid("该异议案件没有需要此渠道确认的事项；" + w.stateText())
	}
	return nil
}

func (w *objection) confirm(ctx workflow.Context, req ObjectionChannelConfirm) error {
	pending, _ := w.findPending(req)
	if pending == nil {
		return nil
	}
	var conf activities.ObjectionChannelConfirmation
	if err := workflow.ExecuteActivity(ctx, acts.ConfirmObjectionChannel, activities.ConfirmObjectionChannelInput{
		ObjectionID: w.id, ChannelID: pending.ChannelID, Action: pending.Action, Reference: strings.TrimSpace(req.Reference), By: req.By,
	}).Get(ctx, &conf); err != nil {
		return err
	}
	w.markConfirmed(pending, conf)
	return w.afterMarks(ctx)
}

// afterMarks records the day the last channel marked the record.
func (w *objection) afterMarks(ctx workflow.Context) error {
	marks := w.channelsOf(domain.ObjectionMark)
	if len(marks) == 0 || !w.p.MarkedOn.IsZero() {
		return nil
	}
	for _, c := range marks {
		if !c.confirmed() {
			return nil
		}
	}
	w.p.MarkedOn = today(ctx)
	return w.record(ctx, "objection.marked", ObjectionActor{}, map[string]any{
		"marked_on": w.p.MarkedOn, "mark_due": w.p.MarkDue, "in_time": !w.p.MarkedOn.After(w.p.MarkDue)})
}
