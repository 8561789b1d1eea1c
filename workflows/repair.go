package workflows

import (
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

// The repair case (repair-<id>): one workflow per application to repair a published record (信用修复), under the
// rule set in force on the application date (recorded on the case).
//
//  1. Received at the single window: the 信用承诺书 is rendered from the enterprise's data. When the rule set asks
//     for a training certificate or a credit report that the enterprise does not have yet, the case waits for it
//     with a visible reason (waiting_conditions): a certificate issued by a training session arrives as the signal
//     SignalTrainingCertificate, and the enterprise may attach a certificate or a report itself (update
//     "attach_condition"). A complete application is forwarded to the recognizing department (谁认定、谁修复).
//  2. The department accepts it, asks once for every missing item (补正通知书; the enterprise supplements and the
//     acceptance clock starts again from the supplement), or refuses to accept it (不予受理通知书); the deadline is
//     Deadlines.Acceptance working days from receipt.
//  3. Accepted, the department verifies and decides within Deadlines.Decision working days; it may extend once by
//     Deadlines.Extension working days (延期告知书), set a rectification deadline no later than the decision deadline
//     (整改通知书) and, when that is missed, record a warning interview (警示约谈记录); then it approves
//     (准予信用修复决定书) or refuses (不予信用修复决定书) with reasons.
//  4. Approved: the penalty's workflow is signalled (PenaltyWithdrawSignal, cause repair, CauseRef repair-<id>,
//     CauseDecision the approval's number) and starts the withdrawal (一件通用); this workflow then polls, with the
//     retry policy of the AwaitRepairWithdrawal activity, until the record is off every channel, and closes.
//  5. Every deadline is a timer; when one passes, the department's task goes overdue, the credit office gets an
//     escalation task, and the case is flagged overdue until the step is done.
//
// Human steps are updates validated here: a wrong step (deciding before accepting, accepting twice) is refused
// with Rejection code "invalid_transition" (HTTP 409) and leaves no trace. Every step is written to PostgreSQL by
// RecordRepairStep with the workflow's step number, so retries write once and late writes never win.
//
// After the workflow: a refused or not-accepted case waits RepairReopenWindow for an objection to reopen it (update
// or signal "reopen"), then ends; an approved case ends once withdrawn (closed). Any later step on an ended case
// (a reopening after the window, a revocation for fraud) is sent with update-with-start (RepairStartOptions): the
// new run of repair-<id> resumes the case from its row (RepairFacts.Progress) and handles the update. So every
// case is always reachable through the same workflow ID, and no workflow stays open for years waiting for a fraud
// that almost never comes.

// RepairWorkflowType is the registered name of RepairWorkflow.
const RepairWorkflowType = "RepairWorkflow"

// The repair workflow's query, updates and signals. Every update answers the new RepairState.
const (
	// RepairStateQuery answers the workflow's RepairState.
	RepairStateQuery = "state"
	// RepairReadyUpdate waits until the application is received (commitment rendered, deadlines set) and answers
	// the state; the application's 201 uses it.
	RepairReadyUpdate = "ready"
	// Department steps.
	RepairAcceptUpdate            = "accept"                 // RepairActor
	RepairRequestSupplementUpdate = "request_supplement"     // RepairSupplementItems
	RepairRejectUpdate            = "reject"                 // RepairReason: 不予受理
	RepairExtendUpdate            = "extend"                 // RepairReason
	RepairRectificationUpdate     = "rectification_deadline" // RepairRectification
	RepairWarningInterviewUpdate  = "warning_interview"      // RepairWarningInterview
	RepairDecideUpdate            = "decide"                 // RepairDecision
	// Enterprise steps.
	RepairSupplementUpdate      = "supplement"       // RepairSupplement: after a supplement request, or rectification
	RepairWithdrawUpdate        = "withdraw"         // RepairReason (reason optional)
	RepairAttachConditionUpdate = "attach_condition" // RepairCondition
	// Credit office: revoke an approved repair for fraud (RepairReason).
	RepairRevokeUpdate = "revoke"
	// RepairReopenUpdate reopens a refused or not-accepted case after a successful objection (RepairReopen); the
	// objection workflow may send the same as the signal RepairReopenSignal (an invalid one is logged and ignored).
	RepairReopenUpdate = "reopen"
	RepairReopenSignal = "reopen"
	// SignalTrainingCertificate tells a case waiting for training that the enterprise got a certificate
	// (TrainingCertificateSignal); the training workflow sends it to every case with waiting_training.
	SignalTrainingCertificate = "training_certificate"
)

// Rejection codes of the repair workflow.
const (
	// RejectInvalidTransition: the step does not fit the case's state (HTTP 409).
	RejectInvalidTransition = "invalid_transition"
)

// RepairReopenWindow is how long a refused or not-accepted case's workflow waits for an objection to reopen it: the
// 60 days within which an administrative reconsideration may be applied for. Later reopenings resume the case.
const RepairReopenWindow = 60 * 24 * time.Hour

// Conditions an enterprise attaches.
const (
	ConditionTrainingCertificate = "training_certificate"
	ConditionCreditReport        = "credit_report"
)

// RepairParams starts, or resumes, a repair case's workflow.
type RepairParams struct {
	RepairID int64
	// Application is a new application under the reserved RepairID: the workflow re-checks eligibility and writes
	// the case's row itself (see repair_create.go). Nil for a run that resumes an existing row.
	Application *activities.RepairApplication `json:",omitempty"`
}

// RepairStartOptions start repair-<id>, or join the run in progress: a started case is never started twice, and an
// ended one is resumed by a new run (with update-with-start).
func RepairStartOptions(repairID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: RepairWorkflowID(repairID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// RepairActor is who takes a step (set by the HTTP handler from the principal).
type RepairActor struct {
	Actor string `json:"actor,omitempty"`
	Role  string `json:"role,omitempty"`
}

// RepairReason is a step that needs (or may carry) a reason: reject, extend, withdraw, revoke.
type RepairReason struct {
	Reason string `json:"reason"`
	RepairActor
}

// RepairSupplementItems asks the enterprise once for every missing item; DueOn (optional) is printed on the notice.
type RepairSupplementItems struct {
	Items []string    `json:"items"`
	DueOn domain.Date `json:"due_on"`
	RepairActor
}

// RepairSupplement is the enterprise's supplement (or its proof of rectification): uploads it owns and a statement.
type RepairSupplement struct {
	AttachmentIDs []int64 `json:"attachment_ids"`
	Statement     string  `json:"statement"`
	RepairActor
}

// RepairRectification sets a rectification deadline with requirements.
type RepairRectification struct {
	DueOn        domain.Date `json:"due_on"`
	Requirements []string    `json:"requirements"`
	RepairActor
}

// RepairWarningInterview records a warning interview held after a missed rectification deadline.
type RepairWarningInterview struct {
	HeldOn          domain.Date `json:"held_on"`
	Notes           string      `json:"notes"`
	Place           string      `json:"place,omitempty"`
	Interviewee     string      `json:"interviewee,omitempty"`
	IntervieweeRole string      `json:"interviewee_role,omitempty"`
	Interviewers    []string    `json:"interviewers,omitempty"`
	Undertakings    string      `json:"undertakings,omitempty"`
	RepairActor
}

// RepairDecision approves or refuses the repair; a refusal needs its reasons.
type RepairDecision struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason"`
	// Fraud marks a refusal for forged materials or a seriously untrue commitment (repair_fraud.go).
	Fraud bool `json:"fraud,omitempty"`
	RepairActor
}

// RepairCondition attaches a training certificate (a training_certificate letter of the enterprise) or a credit
// report (an upload of the enterprise); the handler checks that they are the enterprise's own.
type RepairCondition struct {
	Kind         string `json:"kind"`
	LetterID     int64  `json:"letter_id,omitempty"`
	AttachmentID int64  `json:"attachment_id,omitempty"`
	RepairActor
}

// RepairReopen reopens a refused or not-accepted case; Ref names what reopened it (objection-7).
type RepairReopen struct {
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
	RepairActor
}

// TrainingCertificateSignal is the payload of SignalTrainingCertificate.
type TrainingCertificateSignal struct {
	LetterID   int64
	TrainingID int64
	USCC       string
}

// RepairState is what the workflow knows of its case (query "state", and the answer to every update).
type RepairState struct {
	RepairID int64 `json:"repair_id"`
	activities.RepairProgress
	// WaitingFor lists the conditions the case waits for: training_certificate, credit_report.
	WaitingFor []string `json:"waiting_for"`
	// Letters are the letters this run issued.
	Letters []activities.LetterRef `json:"letters"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(RepairWorkflow, workflow.RegisterOptions{Name: RepairWorkflowType})
	})
}

// repair is the workflow's state.
type repair struct {
	id      int64
	f       activities.RepairFacts
	p       activities.RepairProgress
	seq     int64
	letters []activities.LetterRef

	app *activities.RepairApplication // a new application to store (RepairParams.Application)
	// refusal ends a new application that the re-check refused before its row was written; the ready update
	// answers it.
	refusal error

	loaded    bool // facts loaded: validators can judge steps
	ready     bool // the application is received (fresh start) or the case restored (resume)
	busy      int  // steps being carried out; the main flow acts on a new state once they are recorded
	reopening bool // a reopening is being checked
	escalated map[string]bool
	// origins say how each deadline was counted, so that a provisional one can be counted again (repair_calendar.go).
	origins map[string]dueOrigin

	// lock applies one step at a time from repairStepsVersion on (nil before), so that putting a failed step's
	// state back cannot undo another step.
	lock workflow.Mutex
	// steps counts the steps this run took; continuing is set once it decided to continue as new.
	steps      int
	continuing bool
	signals    []workflow.ReceiveChannel
}

// repairStepsVersion marks the runs whose steps are applied one at a time and that continue as new before
// Temporal's limits (workflow.GetVersion).
const repairStepsVersion = "repair-steps-serialized"

// RepairMaxSteps is how many steps a run takes before it continues as new (a new run resumes the case from its
// row, as a run started after a restart does); far below Temporal's 2,000 updates per run. A variable only so that
// tests can watch a run continue; it is never changed while a worker runs.
var RepairMaxSteps = 500

// shouldContinue reports that the run took enough steps, or that Temporal suggests continuing as new.
func (w *repair) shouldContinue(ctx workflow.Context) bool {
	return w.lock != nil && !w.continuing && (w.steps >= RepairMaxSteps || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// continuable: the states a new run resumes from its row with nothing lost (no decision or withdrawal in flight,
// no reopening window to count again).
func (w *repair) continuable() bool {
	return statusIn(w.p.Status, domain.RepairWaitingConditions, domain.RepairPendingAcceptance,
		domain.RepairSupplementRequested, domain.RepairVerifying, domain.RepairRectifying)
}

// continueAsNew lets the steps and signals in progress finish, refusing new steps meanwhile, and continues as a new
// run that resumes the case from its row. It answers nil when a step finished meanwhile moved the case to a state
// that is not continuable; the run then goes on.
func (w *repair) continueAsNew(ctx workflow.Context) error {
	w.continuing = true
	if err := workflow.Await(ctx, func() bool {
		if w.busy > 0 || !workflow.AllHandlersFinished(ctx) {
			return false
		}
		for _, ch := range w.signals {
			if ch.Len() > 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	if !w.continuable() {
		w.continuing = false
		return nil
	}
	return workflow.NewContinueAsNewError(ctx, RepairWorkflowType, RepairParams{RepairID: w.id})
}

// RepairWorkflow runs (or resumes) one repair case.
func RepairWorkflow(ctx workflow.Context, in RepairParams) error {
	w := &repair{id: in.RepairID, app: in.Application, escalated: map[string]bool{}, origins: map[string]dueOrigin{}}
	w.p.Status = domain.RepairSubmitted
	if workflow.GetVersion(ctx, repairStepsVersion, workflow.DefaultVersion, 1) >= 1 {
		w.lock = workflow.NewMutex(ctx)
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(withActivityOptions(ctx))
}

func (w *repair) caseID() string { return strconv.FormatInt(w.id, 10) }

func (w *repair) snapshot() RepairState {
	s := RepairState{RepairID: w.id, RepairProgress: w.p, Letters: append([]activities.LetterRef{}, w.letters...),
		WaitingFor: []string{}}
	if w.p.WaitingTraining {
		s.WaitingFor = append(s.WaitingFor, ConditionTrainingCertificate)
	}
	if w.p.WaitingCreditReport {
		s.WaitingFor = append(s.WaitingFor, ConditionCreditReport)
	}
	return s
}

// invalid refuses a step that does not fit the case's state (409).
func invalid(message string) error { return reject(RejectInvalidTransition, message, true) }

// badValue refuses a step's value (422).
func badValue(code, message string) error { return reject(code, message, false) }

// setRepairUpdate registers a validated update. A step that arrives before the case is loaded (the first task of a
// resumed run, which update-with-start delivers together with the start) is judged by the handler once it is.
func setRepairUpdate[T any](ctx workflow.Context, w *repair, name string, validate func(workflow.Context, T) error,
	do func(workflow.Context, T) error) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name, func(ctx workflow.Context, req T) (RepairState, error) {
		if !w.ready {
			if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
				return w.snapshot(), err
			}
			if err := validate(ctx, req); err != nil {
				return w.snapshot(), err
			}
		}
		w.busy++
		defer func() { w.busy-- }()
		if w.lock != nil {
			if err := w.lock.Lock(ctx); err != nil {
				return w.snapshot(), err
			}
			defer w.lock.Unlock()
			w.steps++
			// Judged again: the step that held the lock may have changed the case.
			if err := validate(ctx, req); err != nil {
				return w.snapshot(), err
			}
		}
		// A step whose write fails for good leaves the case as it was (busy keeps the main flow from acting on
		// the state in between), and the caller gets the error.
		before := w.p
		err := do(withActivityOptions(ctx), req)
		if isInvalidData(err) {
			w.p = before
		}
		return w.snapshot(), err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req T) error {
		if w.continuing {
			return reject("case_busy", "该信用修复案件正在整理办理记录，请稍后重试", true)
		}
		if !w.ready {
			return nil
		}
		return validate(ctx, req)
	}})
}

func (w *repair) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, RepairStateQuery, func() (RepairState, error) {
		return w.snapshot(), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, RepairReadyUpdate, func(ctx workflow.Context) (RepairState, error) {
		err := workflow.Await(ctx, func() bool { return w.ready })
		if err == nil && w.refusal != nil {
			err = w.refusal
		}
		return w.snapshot(), err
	}); err != nil {
		return err
	}
	for _, err := range []error{
		setRepairUpdate(ctx, w, RepairAcceptUpdate, w.validateAccept, w.accept),
		setRepairUpdate(ctx, w, RepairRequestSupplementUpdate, w.validateRequestSupplement, w.requestSupplement),
		setRepairUpdate(ctx, w, RepairRejectUpdate, w.validateReject, w.reject),
		setRepairUpdate(ctx, w, RepairExtendUpdate, w.validateExtend, w.extend),
		setRepairUpdate(ctx, w, RepairRectificationUpdate, w.validateRectification, w.rectification),
		setRepairUpdate(ctx, w, RepairWarningInterviewUpdate, w.validateWarningInterview, w.warningInterview),
		setRepairUpdate(ctx, w, RepairDecideUpdate, w.validateDecide, w.decide),
		setRepairUpdate(ctx, w, RepairSupplementUpdate, w.validateSupplement, w.supplement),
		setRepairUpdate(ctx, w, RepairWithdrawUpdate, w.validateWithdraw, w.withdraw),
		setRepairUpdate(ctx, w, RepairAttachConditionUpdate, w.validateCondition, w.attachCondition),
		setRepairUpdate(ctx, w, RepairRevokeUpdate, w.validateRevoke, w.revoke),
		setRepairUpdate(ctx, w, RepairReopenUpdate, w.validateReopen, w.reopen),
	} {
		if err != nil {
			return err
		}
	}
	certs := workflow.GetSignalChannel(ctx, SignalTrainingCertificate)
	reopens := workflow.GetSignalChannel(ctx, RepairReopenSignal)
	calendars := workflow.GetSignalChannel(ctx, SignalCalendarChanged)
	w.signals = []workflow.ReceiveChannel{certs, reopens, calendars}
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
			return
		}
		actx := withActivityOptions(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(certs, func(c workflow.ReceiveChannel, _ bool) {
			var sig TrainingCertificateSignal
			c.Receive(ctx, &sig)
			w.trainingCertificate(actx, sig)
		})
		sel.AddReceive(calendars, func(c workflow.ReceiveChannel, _ bool) {
			var sig CalendarChanged
			c.Receive(ctx, &sig)
			w.busy++
			if err := w.recomputeDeadlines(actx, sig); err != nil {
				workflow.GetLogger(ctx).Error("recomputing provisional deadlines failed", "repair", w.id, "error", err)
			}
			w.busy--
		})
		sel.AddReceive(reopens, func(c workflow.ReceiveChannel, _ bool) {
			var req RepairReopen
			c.Receive(ctx, &req)
			if err := w.validateReopen(ctx, req); err != nil {
				workflow.GetLogger(ctx).Warn("reopen signal ignored", "repair", w.id, "error", err)
				return
			}
			w.busy++
			_ = w.reopen(actx, req)
			w.busy--
		})
		for {
			sel.Select(ctx)
		}
	})
	return nil
}

// Workflow helpers.

func (w *repair) task(step string) string {
	if w.p.Round == 0 {
		return step
	}
	return fmt.Sprintf("%s#%d", step, w.p.Round)
}

// decisionTask is the department's decision task: a separate one after an extension, so its due date is the new one.
func (w *repair) decisionTask() string {
	if w.p.Extended {
		return w.task("decision_extended")
	}
	return w.task("decision")
}

func (w *repair) deadline(ctx workflow.Context, from domain.Date, workdays int) (domain.Date, error) {
	var due activities.DeadlineResult
	err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{From: from, Workdays: workdays}).Get(ctx, &due)
	return due.Due, err
}

// record writes the case's progress and the step's audit entry.
func (w *repair) record(ctx workflow.Context, action string, by RepairActor, details map[string]any, attachments []int64,
	purpose string) error {
	w.seq++
	return workflow.ExecuteActivity(ctx, acts.RecordRepairStep, activities.RepairStepInput{
		RepairID: w.id, Seq: w.seq, Action: action, Actor: by.Actor, Role: by.Role, Progress: w.p,
		Attachments: attachments, Purpose: purpose, Details: details,
	}).Get(ctx, nil)
}

// issue has the activity build (with the texts in use), render and store a letter of the case.
func (w *repair) issue(ctx workflow.Context, kind letters.Kind, content any, data map[string]any) (activities.LetterRef, error) {
	var ref activities.LetterRef
	err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "repair", CaseID: w.caseID(), Version: w.p.Round + 1, USCC: w.f.USCC, DepartmentID: w.f.DepartmentID,
		Content: &letters.Content{Kind: kind, Data: content}, Data: data,
	}).Get(ctx, &ref)
	if err == nil {
		w.letters = append(w.letters, ref)
	}
	return ref, err
}

func (w *repair) openTask(ctx workflow.Context, step, title string, role domain.Role, due domain.Date) error {
	in := activities.TaskInput{CaseKind: "repair", CaseID: w.caseID(), Step: step, Title: title, AssigneeRole: role}
	switch role {
	case domain.RoleDepartment:
		in.DepartmentID = w.f.DepartmentID
	case domain.RoleEnterprise:
		in.USCC = w.f.USCC
	}
	if !due.IsZero() {
		in.DueOn = &due
	}
	return workflow.ExecuteActivity(ctx, acts.OpenTask, in).Get(ctx, nil)
}

// closeTasks closes tasks and their escalations (all at once; closing a closed or missing task changes nothing).
func (w *repair) closeTasks(ctx workflow.Context, status domain.TaskStatus, steps ...string) error {
	var futures []workflow.Future
	for _, s := range steps {
		for _, step := range []string{s, "escalation:" + s} {
			futures = append(futures, workflow.ExecuteActivity(ctx, acts.CloseTask, activities.CloseTaskInput{
				CaseKind: "repair", CaseID: w.caseID(), Step: step, Status: status}))
		}
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func (w *repair) notify(ctx workflow.Context, toDepartment bool, key, kind, title, body string) error {
	in := activities.NotifyInput{Key: fmt.Sprintf("repair-%d:%d:%s", w.id, w.p.Round, key), Kind: kind, Title: title,
		Body: body, CaseKind: "repair", CaseID: w.caseID()}
	if toDepartment {
		in.DepartmentID = w.f.DepartmentID
	} else {
		in.USCC = w.f.USCC
	}
	return workflow.ExecuteActivity(ctx, acts.Notify, in).Get(ctx, nil)
}

// RepairApplicationNo is the number of a repair application as letters cite it.
func RepairApplicationNo(repairID int64, appliedOn domain.Date) string {
	return fmt.Sprintf("XYXF-%d-%06d", appliedOn.Y, repairID)
}

// letterNumber is the 文号 of a department's repair letter of a kind (信修准: approval, ...).
func (w *repair) letterNumber(kind string, on domain.Date) string {
	short := strings.TrimSuffix(w.f.DepartmentName, "局")
	if w.p.Round > 0 {
		return fmt.Sprintf("%s%s〔%d〕%d-%d号", short, kind, on.Y, w.id, w.p.Round+1)
	}
	return fmt.Sprintf("%s%s〔%d〕%d号", short, kind, on.Y, w.id)
}

func (w *repair) issueOf(number string, on domain.Date) letters.Issue {
	return letters.Issue{Issuer: w.f.DepartmentName, Regulation: w.f.Regulation, Number: number, Date: on.Time(domain.Shanghai)}
}

func (w *repair) applicationRef() letters.ApplicationRef {
	return letters.ApplicationRef{EnterpriseName: w.f.EnterpriseName, USCC: w.f.USCC,
		ApplicationNo: RepairApplicationNo(w.id, w.f.AppliedOn), ReceivedOn: w.f.AppliedOn.Time(domain.Shanghai)}
}

func (w *repair) conditionsMet() bool { return !w.p.WaitingTraining && !w.p.WaitingCreditReport }

func (w *repair) terminal() bool {
	switch w.p.Status {
	case domain.RepairNotAccepted, domain.RepairRefused, domain.RepairClosed, domain.RepairCancelled, domain.RepairRevoked:
		return true
	}
	return false
}

// The procedure.

func (w *repair) run(ctx workflow.Context) error {
	if w.app != nil {
		if created, err := w.create(ctx); !created || err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(ctx, acts.LoadRepairFacts, w.id).Get(ctx, &w.f); err != nil {
		return err
	}
	w.loaded = true
	if w.f.Progress.Status == domain.RepairSubmitted || w.f.Progress.Status == "" {
		w.seq = w.f.Seq
		w.p.CreditReportAttachmentID = w.f.Progress.CreditReportAttachmentID
		refused, err := w.recheckStored(ctx)
		if err != nil {
			return err
		}
		if !refused {
			if err := w.receive(ctx); err != nil {
				return err
			}
		}
	} else {
		// A later run resumes the case as recorded.
		w.p, w.seq = w.f.Progress, w.f.Seq
		w.ready = true
		if w.p.Status == domain.RepairRectifying && !w.p.RectificationSubmitted && !w.p.RectificationMissed {
			workflow.Go(ctx, w.watchRectification)
		}
	}
	if workflow.GetVersion(ctx, overallWatchChange, workflow.DefaultVersion, 1) == 1 {
		workflow.Go(ctx, w.watchOverall)
	}

	for {
		if w.continuable() && w.shouldContinue(ctx) {
			if err := w.continueAsNew(ctx); err != nil {
				return err
			}
		}
		switch w.p.Status {
		case domain.RepairWaitingConditions:
			if err := workflow.Await(ctx, func() bool {
				return w.busy == 0 && (w.p.Status != domain.RepairWaitingConditions || w.conditionsMet() || w.shouldContinue(ctx))
			}); err != nil {
				return err
			}
			if w.p.Status == domain.RepairWaitingConditions && w.conditionsMet() {
				w.beginForward()
				if err := w.finishForward(ctx, "repair.conditions_met", RepairActor{}); err != nil {
					return err
				}
			}
		case domain.RepairPendingAcceptance, domain.RepairSupplementRequested, domain.RepairVerifying, domain.RepairRectifying:
			if err := w.watchDeadline(ctx); err != nil {
				return err
			}
		case domain.RepairApproved:
			// The approval is recorded (its letter issued) before the record is withdrawn.
			if err := workflow.Await(ctx, func() bool { return w.busy == 0 }); err != nil {
				return err
			}
			if err := w.awaitWithdrawal(ctx); err != nil {
				return err
			}
		case domain.RepairRefused, domain.RepairNotAccepted:
			status := w.p.Status
			reopened, err := workflow.AwaitWithTimeout(ctx, RepairReopenWindow, func() bool { return w.p.Status != status })
			if err != nil {
				return err
			}
			if !reopened {
				if done, err := w.finish(ctx, status); done || err != nil {
					return err
				}
			}
		default: // closed, cancelled, revoked
			if done, err := w.finish(ctx, w.p.Status); done || err != nil {
				return err
			}
		}
	}
}

// finish ends the run once every update in flight has answered, unless one of them moved the case on.
func (w *repair) finish(ctx workflow.Context, status domain.RepairStatus) (bool, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return true, err
	}
	return w.p.Status == status, nil
}

// receive takes in a new application at the single window: the commitment letter, then the conditions.
func (w *repair) receive(ctx workflow.Context) error {
	f := w.f
	w.p.Holder = domain.HolderCreditOffice
	commitment := letters.CommitmentData{
		Recipient: f.DepartmentName, EnterpriseName: f.EnterpriseName, USCC: f.USCC, LegalRepresentative: f.LegalRepresentative,
		DecisionNo: f.DecisionNo, SignedOnline: true, Date: f.AppliedOn.Time(domain.Shanghai),
	}
	ref, err := w.issue(ctx, letters.KindCommitment, commitment, map[string]any{
		"repair_id": w.id, "penalty_id": f.PenaltyID, "accepted_by": f.ApplicantLogin,
		"accepted_at": f.CommitmentAcceptedAt, "remote_addr": f.CommitmentRemoteAddr,
	})
	if err != nil {
		return err
	}
	w.p.CommitmentLetterID = ref.ID

	// Conditions of the rule set: a certificate issued before the case counts.
	if f.RequiresTraining {
		if f.TrainingLetterID != 0 {
			w.p.TrainingLetterID = f.TrainingLetterID
		} else {
			w.p.WaitingTraining = true
		}
	}
	w.p.WaitingCreditReport = f.RequiresCreditReport && w.p.CreditReportAttachmentID == 0
	if err := w.record(ctx, "repair.received", RepairActor{}, map[string]any{
		"commitment_letter_id": ref.ID, "rule_set": f.RuleSet, "requires_training": f.RequiresTraining,
		"requires_credit_report": f.RequiresCreditReport, "training_letter_id": w.p.TrainingLetterID,
	}, nil, ""); err != nil {
		return err
	}
	if w.conditionsMet() {
		w.beginForward()
		if err := w.finishForward(ctx, "repair.forwarded", RepairActor{}); err != nil {
			return err
		}
		w.ready = true
		return nil
	}
	w.p.Status, w.p.Holder = domain.RepairWaitingConditions, domain.HolderEnterprise
	var missing []string
	if w.p.WaitingTraining {
		missing = append(missing, "信用修复培训合格证明")
	}
	if w.p.WaitingCreditReport {
		missing = append(missing, "信用服务机构出具的信用报告")
	}
	what := strings.Join(missing, "和")
	if err := w.openTask(ctx, w.task("conditions"), "提交"+what+"（"+f.DecisionNo+"）", domain.RoleEnterprise, domain.Date{}); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "conditions", "repair_waiting_conditions", "信用修复申请等待补充条件",
		fmt.Sprintf("根据规则集%s，%s失信信息的信用修复须提交%s。提交后申请将自动转认定部门（%s）受理；"+
			"参加信用修复培训并考试合格后，培训证明将自动计入本申请。", f.RuleSet, f.Class.Label(), what, f.DepartmentName)); err != nil {
		return err
	}
	if err := w.record(ctx, "repair.waiting_conditions", RepairActor{}, map[string]any{"waiting_for": w.snapshot().WaitingFor}, nil, ""); err != nil {
		return err
	}
	w.ready = true
	if !w.p.WaitingTraining {
		return nil
	}
	// A certificate issued after the facts were read but before the case was recorded as waiting found no case to
	// signal; now that it is recorded, look again (the training writes the letter before it looks for cases).
	var cert int64
	if err := workflow.ExecuteActivity(ctx, acts.FindTrainingCertificate, f.USCC).Get(ctx, &cert); err != nil {
		return err
	}
	if cert != 0 && w.p.WaitingTraining {
		w.trainingCertificate(ctx, TrainingCertificateSignal{LetterID: cert, USCC: f.USCC})
	}
	return nil
}

// beginForward moves the case to the department's inbox at once (so a concurrent step sees it there);
// finishForward sets the deadlines from today (the receipt, or the supplement that restarts the clock) and records it.
func (w *repair) beginForward() {
	w.p.Status, w.p.Holder = domain.RepairPendingAcceptance, domain.HolderDepartment
	w.p.WaitingTraining, w.p.WaitingCreditReport = false, false
	w.p.AcceptanceDue, w.p.Overdue = domain.Date{}, false
}

func (w *repair) finishForward(ctx workflow.Context, action string, by RepairActor) error {
	f := w.f
	now := today(ctx)
	due, err := w.due(ctx, dueAcceptance, now, f.Deadlines.Acceptance, 0)
	if err != nil {
		return err
	}
	// The overall deadline runs from receipt at the single window (Order 36 art. 16 ¶1): the application date for
	// the first forwarding; a supplement or the missing conditions arriving complete the application anew.
	overallFrom := now
	if action == "repair.forwarded" && w.p.ReceivedOn.IsZero() && f.AppliedOn.Before(now) && !f.AppliedOn.IsZero() &&
		workflow.GetVersion(ctx, overallFromReceiptChange, workflow.DefaultVersion, 1) == 1 {
		overallFrom = f.AppliedOn
	}
	overall, err := w.due(ctx, dueOverall, overallFrom, f.Deadlines.Overall, 0)
	if err != nil {
		return err
	}
	w.p.ReceivedOn, w.p.AcceptanceDue, w.p.OverallDue = now, due, overall
	if err := w.closeTasks(ctx, domain.TaskDone, w.task("conditions"), w.task("supplement")); err != nil {
		return err
	}
	if err := w.openTask(ctx, w.task("acceptance"),
		fmt.Sprintf("受理信用修复申请（%s，%s）", f.EnterpriseName, f.DecisionNo), domain.RoleDepartment, due); err != nil {
		return err
	}
	if err := w.notify(ctx, true, action, "repair_forwarded", "收到信用修复申请",
		fmt.Sprintf("%s就行政处罚决定（%s）申请信用修复，已由市信用办转送本部门，请于%s前受理、一次性告知补正或者不予受理。",
			f.EnterpriseName, f.DecisionNo, due)); err != nil {
		return err
	}
	return w.record(ctx, action, by, map[string]any{"received_on": now, "acceptance_due": due, "overall_due": overall}, nil, "")
}

// watchDeadline waits for the current step to be done; when its deadline passes first, it escalates (once per
// step and due date) and keeps waiting.
func (w *repair) watchDeadline(ctx workflow.Context) error {
	status, round := w.p.Status, w.p.Round
	step, due := w.currentDeadline()
	changed := func() bool {
		s, d := w.currentDeadline()
		return w.p.Status != status || w.p.Round != round || s != step || d != due || w.shouldContinue(ctx)
	}
	key := step + "@" + due.String()
	if due.IsZero() || w.escalated[key] {
		return workflow.Await(ctx, changed)
	}
	inTime, err := awaitUntilEndOf(ctx, due, changed)
	if err != nil || inTime {
		return err
	}
	w.escalated[key] = true
	return w.escalate(ctx, step, due)
}

// Changes of the workflow's shape (workflow.GetVersion), so that recorded histories still replay.
const (
	// overallWatchChange: the overall deadline is watched and escalated to the credit office.
	overallWatchChange = "overall-deadline-watch"
	// overallFromReceiptChange: the overall deadline runs from the application date, not from forwarding.
	overallFromReceiptChange = "overall-deadline-from-receipt"
)

// overallRunning reports whether the overall deadline (result back to the applicant) is running: the case is with
// the department, not waiting for the enterprise, and not decided. A decision extended for a complex case (延期告知书)
// is bound by its extended deadline instead, which watchDeadline escalates.
func (w *repair) overallRunning() bool {
	if w.p.Extended {
		return false
	}
	switch w.p.Status {
	case domain.RepairPendingAcceptance, domain.RepairVerifying, domain.RepairRectifying:
		return !w.p.OverallDue.IsZero()
	}
	return false
}

// watchOverall escalates to the credit office when the overall deadline (Order 36 art. 16 ¶1: the result back to
// the applicant within 10 working days of receipt) passes with the case undecided, once per due date, and closes
// the escalation when the case is decided.
func (w *repair) watchOverall(ctx workflow.Context) {
	actx := withActivityOptions(ctx)
	for {
		if err := workflow.Await(ctx, func() bool {
			return w.ready && w.overallRunning() && !w.escalated["overall@"+w.p.OverallDue.String()]
		}); err != nil {
			return
		}
		due := w.p.OverallDue
		inTime, err := awaitUntilEndOf(ctx, due, func() bool { return !w.overallRunning() || w.p.OverallDue != due })
		if err != nil {
			return
		}
		if inTime {
			continue
		}
		key := "overall@" + due.String()
		w.escalated[key] = true
		w.busy++
		err = w.escalateOverall(actx, due)
		w.busy--
		if err != nil {
			workflow.GetLogger(ctx).Error("overall deadline escalation failed", "repair", w.id, "error", err)
			return
		}
		if err := workflow.Await(ctx, func() bool { return !w.overallRunning() }); err != nil {
			return
		}
		if err := w.closeTasks(actx, "done", w.task("overall")); err != nil {
			workflow.GetLogger(ctx).Error("closing the overall escalation failed", "repair", w.id, "error", err)
			return
		}
	}
}

func (w *repair) escalateOverall(ctx workflow.Context, due domain.Date) error {
	f := w.f
	step := w.task("overall")
	if err := workflow.ExecuteActivity(ctx, acts.Escalate, activities.EscalateInput{
		CaseKind: "repair", CaseID: w.caseID(), Step: step, DueOn: &due,
		Title: fmt.Sprintf("信用修复申请逾期未办结（%s，%s；自一窗受理之日起%d个工作日，期限%s）",
			f.EnterpriseName, f.DecisionNo, f.Deadlines.Overall, due),
	}).Get(ctx, nil); err != nil {
		return err
	}
	return w.record(ctx, "repair.overall_overdue", RepairActor{}, map[string]any{"step": step, "due_on": due}, nil, "")
}

// currentDeadline is the step whose deadline runs now: the department's acceptance or decision.
func (w *repair) currentDeadline() (string, domain.Date) {
	switch w.p.Status {
	case domain.RepairPendingAcceptance:
		return w.task("acceptance"), w.p.AcceptanceDue
	case domain.RepairVerifying, domain.RepairRectifying:
		return w.decisionTask(), w.p.DecisionDue
	}
	return "", domain.Date{}
}

func (w *repair) escalate(ctx workflow.Context, step string, due domain.Date) error {
	f := w.f
	what := "作出信用修复决定"
	if w.p.Status == domain.RepairPendingAcceptance {
		what = "受理信用修复申请"
	}
	if err := workflow.ExecuteActivity(ctx, acts.Escalate, activities.EscalateInput{
		CaseKind: "repair", CaseID: w.caseID(), Step: step, DueOn: &due,
		Title: fmt.Sprintf("%s逾期未%s（%s，%s，期限%s）", f.DepartmentName, what, f.EnterpriseName, f.DecisionNo, due),
	}).Get(ctx, nil); err != nil {
		return err
	}
	w.p.Overdue = true
	return w.record(ctx, "repair.overdue", RepairActor{}, map[string]any{"step": step, "due_on": due}, nil, "")
}

// awaitWithdrawal asks the penalty's workflow to withdraw the record everywhere and waits until it is.
func (w *repair) awaitWithdrawal(ctx workflow.Context) error {
	f := w.f
	req := WithdrawRequest{Cause: domain.CauseRepair, CauseRef: RepairWorkflowID(w.id), CauseDecision: w.p.DecisionNo}
	details := map[string]any{"penalty_workflow": PenaltyWorkflowID(f.PenaltyID), "cause_ref": req.CauseRef,
		"cause_decision": req.CauseDecision}
	if err := workflow.SignalExternalWorkflow(ctx, PenaltyWorkflowID(f.PenaltyID), "", PenaltyWithdrawSignal, req).Get(ctx, nil); err != nil {
		// The lifecycle already ended (the record came down by another cause): the poll below sees that.
		details["signal_error"] = err.Error()
	}
	if err := w.record(ctx, "repair.withdrawal_requested", RepairActor{}, details, nil, ""); err != nil {
		return err
	}
	pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 1.5, MaximumInterval: 5 * time.Minute,
		},
	})
	var res activities.RepairWithdrawalResult
	if err := workflow.ExecuteActivity(pctx, acts.AwaitRepairWithdrawal, activities.AwaitRepairWithdrawalInput{
		RepairID: w.id, PenaltyID: f.PenaltyID}).Get(ctx, &res); err != nil {
		return err
	}
	w.p.WithdrawalID = res.WithdrawalID
	w.p.Status, w.p.Holder = domain.RepairClosed, ""
	if err := w.notify(ctx, false, "closed", "repair_closed", "信用修复已办结",
		fmt.Sprintf("你单位行政处罚信息（%s）的信用修复已办结，相关信息已在各公示渠道撤下。", f.DecisionNo)); err != nil {
		return err
	}
	return w.record(ctx, "repair.closed", RepairActor{}, map[string]any{"withdrawal_id": res.WithdrawalID, "cause": res.Cause}, nil, "")
}
