package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// The training session (training-<id>): one workflow per session planned by the credit office. It issues the
// training plan (培训方案) and tells the departments; it keeps the enrollment (capacity and a waiting list that
// moves up when someone cancels) as updates, so two enrollments racing for the last place are decided one after
// the other in the workflow, never by two concurrent SQL transactions; it reminds the enrolled enterprises a day
// before the session; from the start of the session it takes attendance and test results (updates, one by one or a
// whole CSV at once); when the agency closes the session (or by itself TrainingCloseGrace after its end) it issues
// a certificate (培训证明) to every enterprise that attended and passed, signals each of their repair cases that
// waits for training (SignalTrainingCertificate, declared with the repair workflow; the certificate letter is stored
// before the cases are looked up, so a case that starts waiting meanwhile finds the letter itself), and ends.
//
// PostgreSQL mirrors the workflow's decisions (activities write whole enrollment rows with the workflow's revision
// number, so a late retry never overwrites a newer decision); pages and lists read it, never the workflow.
//
// History size: every human step is one update (a department's bulk enrollment and a CSV of results are one update
// each) plus one activity. A session is shared, so one enterprise enrolling and cancelling in a loop could reach
// Temporal's limit of updates per run and jam the session for everyone: the workflow continues as new, carrying its
// state (TrainingCarry), after trainingMaxSteps steps or when Temporal suggests it, at its next wait.
//
// A step's write that fails for good (activities.ErrInvalidData) answers the update with the error and leaves the
// enrollments as they were, so the workflow never gets ahead of the database; steps are applied one at a time so
// that putting one back cannot undo another.

// TrainingWorkflowType is the registered name of TrainingWorkflow.
const TrainingWorkflowType = "TrainingWorkflow"

// The training workflow's query and updates.
const (
	// TrainingStateQuery answers the workflow's TrainingState.
	TrainingStateQuery = "state"
	// TrainingPlanUpdate waits until the training plan letter is issued and answers the state.
	TrainingPlanUpdate = "plan"
	// TrainingEnrollUpdate enrolls enterprises (EnrollRequest → EnrollResult).
	TrainingEnrollUpdate = "enroll"
	// TrainingCancelUpdate cancels an enrollment and moves the waiting list up (CancelRequest → TrainingState).
	TrainingCancelUpdate = "cancel"
	// TrainingAttendanceUpdate records who attended for an enterprise (AttendanceRequest → TrainingState).
	TrainingAttendanceUpdate = "attendance"
	// TrainingResultUpdate records an enterprise's test score (ResultRequest → TrainingState).
	TrainingResultUpdate = "result"
	// TrainingRecordsUpdate applies many attendance and score rows at once (RecordsRequest → RecordsResult); bad
	// rows are reported, good rows applied.
	TrainingRecordsUpdate = "records"
	// TrainingRectificationUpdate records a department's rectification deadline for an enterprise it met at the
	// session (RectificationRequest → TrainingState).
	TrainingRectificationUpdate = "rectification"
	// TrainingCloseUpdate closes the session (CloseRequest → TrainingState): certificates follow at once.
	TrainingCloseUpdate = "close"
)

const (
	// TrainingReminderLead is how long before the session the enrolled enterprises are reminded.
	TrainingReminderLead = 24 * time.Hour
	// TrainingCloseGrace is how long after its end a session the agency did not close closes by itself: time to
	// mark the tests.
	TrainingCloseGrace = 7 * 24 * time.Hour
	// MaxEnrollBatch bounds one enrollment request (a department's bulk enrollment).
	MaxEnrollBatch = 500
	// MaxRecordRows bounds one batch of attendance and results (a CSV upload).
	MaxRecordRows = 1000
	// certificateParallelism bounds how many certificates are rendered at once.
	certificateParallelism = 8
)

// TrainingParams starts a session's workflow with the facts of the session, so the workflow never waits for them.
type TrainingParams struct {
	TrainingID  int64
	Title       string
	StartsAt    time.Time
	EndsAt      time.Time
	Venue       string
	Capacity    int
	ClassHours  int
	AgencyLogin string
	AgencyName  string
	PassScore   int
	// Organizer is the credit office that organizes the session: the issuer of the plan and the certificates.
	Organizer string
	// Carry is the state of the run this one continues (nil for the first run).
	Carry *TrainingCarry `json:",omitempty"`
}

// TrainingCarry is what a session's run hands to the run it continues as.
type TrainingCarry struct {
	Status         domain.TrainingStatus
	Plan           *activities.LetterRef
	Enrollments    []activities.TrainingEnrollment
	Seq, Rev       int64
	CloseRequested bool
	ClosedBy       string
	ClosedByRole   string
	// Announced: the plan is issued and the departments told; Reminded: the reminder went out; Started: the
	// session's start is recorded.
	Announced, Reminded, Started bool
	// Runs counts the runs before this one.
	Runs int
}

// TrainingMaxSteps is how many steps a run takes before it continues as new: far below Temporal's 2,000 updates
// per run, and a history of a few thousand events. A variable only so that tests can watch runs continue; it is
// never changed while a worker runs.
var TrainingMaxSteps = 500

// trainingStepsVersion marks the runs whose steps are serialized, put back when their write fails, and that
// continue as new (workflow.GetVersion; runs recorded before keep their old shape).
const trainingStepsVersion = "training-steps-v2"

// TrainingStartOptions are the options of every start of a session's workflow: the business key as ID and
// reject-duplicate, so a repeated start starts nothing.
func TrainingStartOptions(trainingID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: TrainingWorkflowID(trainingID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

// EnrollRequest enrolls enterprises: an enterprise itself (one USCC) or a department the enterprises it penalized
// (the HTTP handler checks that). Actor, Role and DepartmentID are the caller.
type EnrollRequest struct {
	USCCs        []string
	Actor        string
	Role         string
	DepartmentID string
}

// EnrollOutcome is where one enterprise stands after an enrollment request.
type EnrollOutcome struct {
	USCC             string                  `json:"uscc"`
	Status           domain.EnrollmentStatus `json:"status"`
	WaitlistPosition int                     `json:"waitlist_position,omitempty"`
	// AlreadyEnrolled: the enterprise held a place (or a place on the waiting list) before this request.
	AlreadyEnrolled bool `json:"already_enrolled"`
}

// EnrollResult answers TrainingEnrollUpdate.
type EnrollResult struct {
	Outcomes []EnrollOutcome
}

// CancelRequest cancels an enterprise's enrollment.
type CancelRequest struct {
	USCC  string
	Actor string
	Role  string
}

// AttendanceRequest records whether an enterprise attended, and who came for it.
type AttendanceRequest struct {
	USCC         string
	Attended     bool
	AttendeeName string
	// AttendeeRole is domain.AttendeeLegalRepresentative or domain.AttendeeResponsibleManager.
	AttendeeRole domain.AttendeeRole
	Actor        string
	Role         string
}

// ResultRequest records an enterprise's test score (0 to 100).
type ResultRequest struct {
	USCC  string
	Score int
	Actor string
	Role  string
}

// RecordRow is one row of a batch of attendance and results; a nil field is left as it is.
type RecordRow struct {
	Row          int
	USCC         string
	Attended     *bool
	AttendeeName string
	AttendeeRole domain.AttendeeRole
	Score        *int
}

// RecordsRequest is a batch of attendance and results (a CSV upload).
type RecordsRequest struct {
	Rows  []RecordRow
	Actor string
	Role  string
}

// RowOutcome is what became of one row of a batch.
type RowOutcome struct {
	Row     int    `json:"row"`
	USCC    string `json:"uscc"`
	Applied bool   `json:"applied"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// RecordsResult answers TrainingRecordsUpdate.
type RecordsResult struct {
	Outcomes []RowOutcome
	Applied  int
	Rejected int
}

// RectificationRequest is a rectification deadline a department sets for an enterprise it met at the session.
type RectificationRequest struct {
	USCC           string
	DepartmentID   string
	DepartmentName string
	DueOn          domain.Date
	Requirements   string
	Actor          string
	Role           string
}

// CloseRequest closes the session.
type CloseRequest struct {
	Actor string
	Role  string
}

// TrainingCertificateRef is a certificate the workflow issued.
type TrainingCertificateRef struct {
	USCC       string
	LetterID   int64
	VerifyCode string
}

// The workflow's own statuses besides storage's: closing lasts while the certificates are issued.
const trainingClosing = "closing"

// TrainingState is what the workflow knows of its session (query "state", and the answer to most updates).
type TrainingState struct {
	TrainingID   int64
	Status       domain.TrainingStatus
	PlanLetter   *activities.LetterRef
	Enrolled     int
	Waitlisted   int
	Enrollments  []activities.TrainingEnrollment
	Certificates []TrainingCertificateRef
	ClosedBy     string
	// Runs counts the runs the session continued as new from.
	Runs int
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(TrainingWorkflow, workflow.RegisterOptions{Name: TrainingWorkflowType})
	})
}

// training is the workflow's state.
type training struct {
	p      TrainingParams
	status domain.TrainingStatus
	plan   *activities.LetterRef
	list   []*activities.TrainingEnrollment // in order of enrollment (Seq)
	byUSCC map[string]*activities.TrainingEnrollment
	seq    int64
	rev    int64

	closeRequested bool
	closedBy       string
	closedByRole   string
	certificates   []TrainingCertificateRef

	// version is the run's trainingStepsVersion; the fields below are used from version 1 on.
	version workflow.Version
	// lock applies one step at a time.
	lock workflow.Mutex
	// steps counts the steps this run took; continuing is set once the run decided to continue as new.
	steps      int
	continuing bool
	announced  bool
	reminded   bool
	started    bool
	runs       int
}

// TrainingWorkflow runs one training session.
func TrainingWorkflow(ctx workflow.Context, p TrainingParams) error {
	w := &training{p: p, status: domain.TrainingPlanned, byUSCC: map[string]*activities.TrainingEnrollment{}}
	w.version = workflow.GetVersion(ctx, trainingStepsVersion, workflow.DefaultVersion, 1)
	if w.version >= 1 {
		w.lock = workflow.NewMutex(ctx)
	}
	if c := p.Carry; c != nil {
		w.status, w.plan, w.seq, w.rev = c.Status, c.Plan, c.Seq, c.Rev
		w.closeRequested, w.closedBy, w.closedByRole = c.CloseRequested, c.ClosedBy, c.ClosedByRole
		w.announced, w.reminded, w.started, w.runs = c.Announced, c.Reminded, c.Started, c.Runs
		w.restoreEnrollments(c.Enrollments)
		w.p.Carry = nil
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(withActivityOptions(ctx))
}

// restoreEnrollments replaces the enrollments with copies of list (in order of enrollment).
func (w *training) restoreEnrollments(list []activities.TrainingEnrollment) {
	w.list = make([]*activities.TrainingEnrollment, 0, len(list))
	w.byUSCC = make(map[string]*activities.TrainingEnrollment, len(list))
	for _, e := range list {
		e := e
		w.list = append(w.list, &e)
		w.byUSCC[e.USCC] = &e
	}
}

// copyEnrollments copies the enrollments; a step never writes through the pointers an enrollment holds (it
// replaces them), so copies of the structs are enough.
func (w *training) copyEnrollments() []activities.TrainingEnrollment {
	out := make([]activities.TrainingEnrollment, len(w.list))
	for i, e := range w.list {
		out[i] = *e
	}
	return out
}

// step applies one step (apply changes the state and writes it): from version 1 on one step at a time, and the
// enrollments are put back as they were when the write fails, so the workflow never runs ahead of the database.
func (w *training) step(ctx workflow.Context, apply func() error) error {
	if w.version < 1 {
		return apply()
	}
	if err := w.lock.Lock(ctx); err != nil {
		return err
	}
	defer w.lock.Unlock()
	w.steps++
	before := w.copyEnrollments()
	err := apply()
	if err != nil {
		w.restoreEnrollments(before)
	}
	return err
}

// rejectIfContinuing refuses a step while the run hands over to the next one (a moment: its last steps finish).
func (w *training) rejectIfContinuing() error {
	if w.continuing {
		return reject("session_busy", "该培训场次正在整理办理记录，请稍后重试", true)
	}
	return nil
}

// shouldContinue reports that the run has taken enough steps, or that Temporal suggests continuing as new.
func (w *training) shouldContinue(ctx workflow.Context) bool {
	return w.version >= 1 && (w.steps >= TrainingMaxSteps || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
}

// wait waits up to d for cond (nil: just d). From version 1 on it also wakes up when the run should continue as
// new, and then answers the continue-as-new error, which the workflow returns.
func (w *training) wait(ctx workflow.Context, d time.Duration, cond func() bool) (bool, error) {
	if w.version < 1 {
		if cond == nil {
			return false, workflow.Sleep(ctx, d)
		}
		return workflow.AwaitWithTimeout(ctx, d, cond)
	}
	met := func() bool { return cond != nil && cond() }
	if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return met() || w.shouldContinue(ctx) }); err != nil {
		return false, err
	}
	if met() {
		return true, nil
	}
	if w.shouldContinue(ctx) {
		return false, w.continueAsNew(ctx)
	}
	return false, nil
}

// continueAsNew lets the steps in progress finish, refusing new ones meanwhile, and continues as a new run that
// carries the state.
func (w *training) continueAsNew(ctx workflow.Context) error {
	w.continuing = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	p := w.p
	p.Carry = &TrainingCarry{Status: w.status, Plan: w.plan, Enrollments: w.copyEnrollments(), Seq: w.seq, Rev: w.rev,
		CloseRequested: w.closeRequested, ClosedBy: w.closedBy, ClosedByRole: w.closedByRole,
		Announced: w.announced, Reminded: w.reminded, Started: w.started, Runs: w.runs + 1}
	return workflow.NewContinueAsNewError(ctx, TrainingWorkflowType, p)
}

func (w *training) caseID() string { return strconv.FormatInt(w.p.TrainingID, 10) }

func (w *training) counts() (enrolled, waitlisted int) {
	for _, e := range w.list {
		switch e.Status {
		case domain.EnrollmentEnrolled:
			enrolled++
		case domain.EnrollmentWaitlisted:
			waitlisted++
		}
	}
	return enrolled, waitlisted
}

func (w *training) snapshot() TrainingState {
	s := TrainingState{TrainingID: w.p.TrainingID, Status: w.status, PlanLetter: w.plan, ClosedBy: w.closedBy, Runs: w.runs,
		Enrollments: make([]activities.TrainingEnrollment, 0, len(w.list)), Certificates: slices.Clone(w.certificates)}
	s.Enrolled, s.Waitlisted = w.counts()
	for _, e := range w.list {
		s.Enrollments = append(s.Enrollments, *e)
	}
	return s
}

func (w *training) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, TrainingStateQuery, func() (TrainingState, error) {
		return w.snapshot(), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, TrainingPlanUpdate, func(ctx workflow.Context) (TrainingState, error) {
		err := workflow.Await(ctx, func() bool { return w.plan != nil })
		return w.snapshot(), err
	}); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{TrainingEnrollUpdate, w.enroll, w.validateEnroll},
		{TrainingCancelUpdate, w.cancel, w.validateCancel},
		{TrainingAttendanceUpdate, w.attendance, w.validateAttendance},
		{TrainingResultUpdate, w.result, w.validateResult},
		{TrainingRecordsUpdate, w.records, w.validateRecords},
		{TrainingRectificationUpdate, w.rectification, w.validateRectification},
		{TrainingCloseUpdate, w.close, w.validateClose},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

// Rejections shared by several updates.

func (w *training) rejectIfClosed() error {
	if err := w.rejectIfContinuing(); err != nil {
		return err
	}
	if w.closeRequested {
		return reject("session_closed", "该培训场次已结束，不能再办理", true)
	}
	return nil
}

func (w *training) rejectIfStarted(ctx workflow.Context) error {
	if !workflow.Now(ctx).Before(w.p.StartsAt) {
		return reject("enrollment_closed", "培训已开始，报名和取消报名均已截止", true)
	}
	return nil
}

func (w *training) rejectIfNotStarted(ctx workflow.Context) error {
	if workflow.Now(ctx).Before(w.p.StartsAt) {
		return reject("session_not_started", fmt.Sprintf("培训尚未开始（%s开始），开始后才能登记", formatDateTime(w.p.StartsAt)), true)
	}
	return nil
}

// Enrollment.

func (w *training) validateEnroll(ctx workflow.Context, req EnrollRequest) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if err := w.rejectIfStarted(ctx); err != nil {
		return err
	}
	switch {
	case len(req.USCCs) == 0:
		return reject("usccs_required", "请指定报名的企业（统一社会信用代码）", false)
	case len(req.USCCs) > MaxEnrollBatch:
		return reject("too_many_enrollments", fmt.Sprintf("一次最多为%d家企业报名", MaxEnrollBatch), false)
	}
	if len(req.USCCs) == 1 {
		if e := w.byUSCC[req.USCCs[0]]; e != nil && e.Active() {
			if e.Status == domain.EnrollmentWaitlisted {
				return reject("already_enrolled", fmt.Sprintf("该企业已在本场培训的候补名单中（第%d位）", e.WaitlistPosition), true)
			}
			return reject("already_enrolled", "该企业已报名本场培训", true)
		}
	}
	return nil
}

func (w *training) enroll(ctx workflow.Context, req EnrollRequest) (EnrollResult, error) {
	var out EnrollResult
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyEnroll(ctx, req)
		return err
	})
	if err != nil {
		return EnrollResult{}, err
	}
	return out, nil
}

func (w *training) applyEnroll(ctx workflow.Context, req EnrollRequest) (EnrollResult, error) {
	now := workflow.Now(ctx)
	w.rev++
	var res EnrollResult
	var changed []activities.TrainingEnrollment
	var notices []activities.NotifyInput
	seen := map[string]bool{}
	enrolled, waitlisted := w.counts()
	for _, u := range req.USCCs {
		if seen[u] {
			continue
		}
		seen[u] = true
		if e := w.byUSCC[u]; e != nil && e.Active() {
			res.Outcomes = append(res.Outcomes, EnrollOutcome{USCC: u, Status: e.Status, WaitlistPosition: e.WaitlistPosition, AlreadyEnrolled: true})
			continue
		}
		w.seq++
		e := w.byUSCC[u]
		if e == nil {
			e = &activities.TrainingEnrollment{USCC: u}
			w.byUSCC[u] = e
		} else {
			// Enrolling again after a cancellation: a fresh enrollment at the end of the line.
			w.list = slices.DeleteFunc(w.list, func(x *activities.TrainingEnrollment) bool { return x.USCC == u })
			*e = activities.TrainingEnrollment{USCC: u}
		}
		w.list = append(w.list, e)
		e.Seq, e.EnrolledBy, e.EnrolledByRole, e.DepartmentID, e.EnrolledAt, e.Rev = w.seq, req.Actor, req.Role, req.DepartmentID, now, w.rev
		if enrolled < w.p.Capacity {
			e.Status = domain.EnrollmentEnrolled
			enrolled++
			notices = append(notices, w.notice(u, "enrolled", "training_enrolled", "信用修复培训报名成功",
				w.byWhom(req)+fmt.Sprintf("报名参加“%s”成功。培训时间：%s至%s；地点：%s；共%d学时。请法定代表人或主要负责人准时参加。",
					w.p.Title, formatDateTime(w.p.StartsAt), formatDateTime(w.p.EndsAt), w.p.Venue, w.p.ClassHours)))
		} else {
			waitlisted++
			e.Status, e.WaitlistPosition = domain.EnrollmentWaitlisted, waitlisted
			notices = append(notices, w.notice(u, "waitlisted", "training_waitlisted", "信用修复培训名额已满，已列入候补名单",
				w.byWhom(req)+fmt.Sprintf("报名参加“%s”（%s）。名额已满，已列入候补名单第%d位；有企业取消报名时按顺序递补，递补后将另行通知。",
					w.p.Title, formatDateTime(w.p.StartsAt), e.WaitlistPosition)))
		}
		changed = append(changed, *e)
		res.Outcomes = append(res.Outcomes, EnrollOutcome{USCC: u, Status: e.Status, WaitlistPosition: e.WaitlistPosition})
	}
	if len(changed) == 0 {
		return res, nil
	}
	err := w.save(ctx, "training.enroll", req.Actor, req.Role, changed, map[string]any{"outcomes": res.Outcomes}, notices)
	return res, err
}

// byWhom starts a message to an enterprise with who enrolled it.
func (w *training) byWhom(req EnrollRequest) string {
	if req.Role == string(domain.RoleDepartment) {
		return "认定部门已为你单位"
	}
	return "你单位已"
}

func (w *training) validateCancel(ctx workflow.Context, req CancelRequest) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if err := w.rejectIfStarted(ctx); err != nil {
		return err
	}
	if e := w.byUSCC[req.USCC]; e == nil || !e.Active() {
		return reject("not_enrolled", "该企业未报名本场培训或已取消报名", true)
	}
	return nil
}

func (w *training) cancel(ctx workflow.Context, req CancelRequest) (TrainingState, error) {
	var out TrainingState
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyCancel(ctx, req)
		return err
	})
	if err != nil {
		return TrainingState{}, err
	}
	return out, nil
}

func (w *training) applyCancel(ctx workflow.Context, req CancelRequest) (TrainingState, error) {
	e := w.byUSCC[req.USCC]
	if e == nil || !e.Active() {
		return w.snapshot(), nil // replayed after a validation that no longer holds: nothing to do
	}
	now := workflow.Now(ctx)
	w.rev++
	wasEnrolled := e.Status == domain.EnrollmentEnrolled
	e.Status, e.WaitlistPosition, e.CancelledAt, e.CancelledBy, e.Rev = domain.EnrollmentCancelled, 0, &now, req.Actor, w.rev
	changed := []activities.TrainingEnrollment{*e}
	notices := []activities.NotifyInput{w.notice(req.USCC, fmt.Sprintf("cancelled-%d", w.rev), "training_cancelled",
		"已取消信用修复培训报名", fmt.Sprintf("你单位参加“%s”（%s）的报名已取消。", w.p.Title, formatDateTime(w.p.StartsAt)))}
	details := map[string]any{"uscc": req.USCC, "was": map[bool]string{true: "enrolled", false: "waitlisted"}[wasEnrolled]}
	// The first on the waiting list takes the freed place; everyone behind moves up one.
	promote := wasEnrolled
	position := 0
	for _, x := range w.list {
		if x.Status != domain.EnrollmentWaitlisted {
			continue
		}
		if promote {
			promote = false
			x.Status, x.WaitlistPosition, x.Rev = domain.EnrollmentEnrolled, 0, w.rev
			changed = append(changed, *x)
			details["moved_up"] = x.USCC
			notices = append(notices, w.notice(x.USCC, fmt.Sprintf("moved-up-%d", w.rev), "training_enrolled",
				"信用修复培训候补已转为正式报名",
				fmt.Sprintf("有企业取消报名，你单位已由候补转为正式报名“%s”。培训时间：%s至%s；地点：%s；共%d学时。请法定代表人或主要负责人准时参加。",
					w.p.Title, formatDateTime(w.p.StartsAt), formatDateTime(w.p.EndsAt), w.p.Venue, w.p.ClassHours)))
			continue
		}
		position++
		if x.WaitlistPosition != position {
			x.WaitlistPosition, x.Rev = position, w.rev
			changed = append(changed, *x)
		}
	}
	err := w.save(ctx, "training.cancel", req.Actor, req.Role, changed, details, notices)
	return w.snapshot(), err
}

// Attendance and results.

// checkAttendance returns why an attendance row cannot be recorded, or nil.
func (w *training) checkAttendance(uscc string, attended bool, name string, role domain.AttendeeRole) error {
	if e := w.byUSCC[uscc]; e == nil || e.Status != domain.EnrollmentEnrolled {
		return reject("not_enrolled", "该企业不在本场培训的报名名单中（候补或已取消的不能登记）", false)
	}
	if !attended {
		return nil
	}
	switch {
	case strings.TrimSpace(name) == "":
		return reject("attendee_name_required", "请填写参训人员姓名", false)
	case len([]rune(strings.TrimSpace(name))) > 50:
		return reject("invalid_attendee_name", "参训人员姓名过长（不超过50字）", false)
	case role != domain.AttendeeLegalRepresentative && role != domain.AttendeeResponsibleManager:
		return reject("invalid_attendee_role", "参训人员身份应为法定代表人（legal_representative）或主要负责人（responsible_manager）", false)
	}
	return nil
}

// checkScore returns why a score cannot be recorded, or nil.
func (w *training) checkScore(uscc string, score int) error {
	if e := w.byUSCC[uscc]; e == nil || e.Status != domain.EnrollmentEnrolled {
		return reject("not_enrolled", "该企业不在本场培训的报名名单中（候补或已取消的不能登记）", false)
	}
	if score < 0 || score > 100 {
		return reject("invalid_score", "考试成绩应为0到100之间的整数", false)
	}
	return nil
}

func (w *training) rejectIfNotRecording(ctx workflow.Context) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	return w.rejectIfNotStarted(ctx)
}

func (w *training) validateAttendance(ctx workflow.Context, req AttendanceRequest) error {
	if err := w.rejectIfNotRecording(ctx); err != nil {
		return err
	}
	return w.checkAttendance(req.USCC, req.Attended, req.AttendeeName, req.AttendeeRole)
}

func (w *training) setAttendance(e *activities.TrainingEnrollment, attended bool, name string, role domain.AttendeeRole, actor string, now time.Time) {
	e.Attended, e.AttendanceBy, e.AttendanceAt = &attended, actor, &now
	if attended {
		e.AttendeeName, e.AttendeeRole = strings.TrimSpace(name), role
	} else {
		e.AttendeeName, e.AttendeeRole = "", ""
	}
	e.Rev = w.rev
}

func (w *training) attendance(ctx workflow.Context, req AttendanceRequest) (TrainingState, error) {
	var out TrainingState
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyAttendance(ctx, req)
		return err
	})
	if err != nil {
		return TrainingState{}, err
	}
	return out, nil
}

func (w *training) applyAttendance(ctx workflow.Context, req AttendanceRequest) (TrainingState, error) {
	e := w.byUSCC[req.USCC]
	if e == nil {
		return w.snapshot(), nil
	}
	w.rev++
	w.setAttendance(e, req.Attended, req.AttendeeName, req.AttendeeRole, req.Actor, workflow.Now(ctx))
	err := w.save(ctx, "training.attendance", req.Actor, req.Role, []activities.TrainingEnrollment{*e},
		map[string]any{"uscc": req.USCC, "attended": req.Attended, "attendee_name": e.AttendeeName, "attendee_role": e.AttendeeRole}, nil)
	return w.snapshot(), err
}

func (w *training) validateResult(ctx workflow.Context, req ResultRequest) error {
	if err := w.rejectIfNotRecording(ctx); err != nil {
		return err
	}
	return w.checkScore(req.USCC, req.Score)
}

func (w *training) result(ctx workflow.Context, req ResultRequest) (TrainingState, error) {
	var out TrainingState
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyResult(ctx, req)
		return err
	})
	if err != nil {
		return TrainingState{}, err
	}
	return out, nil
}

func (w *training) applyResult(ctx workflow.Context, req ResultRequest) (TrainingState, error) {
	e := w.byUSCC[req.USCC]
	if e == nil {
		return w.snapshot(), nil
	}
	w.rev++
	now := workflow.Now(ctx)
	score := req.Score
	e.Score, e.ScoreBy, e.ScoreAt, e.Rev = &score, req.Actor, &now, w.rev
	err := w.save(ctx, "training.result", req.Actor, req.Role, []activities.TrainingEnrollment{*e},
		map[string]any{"uscc": req.USCC, "score": score}, nil)
	return w.snapshot(), err
}

func (w *training) validateRecords(ctx workflow.Context, req RecordsRequest) error {
	if err := w.rejectIfNotRecording(ctx); err != nil {
		return err
	}
	switch {
	case len(req.Rows) == 0:
		return reject("no_rows", "没有需要登记的记录", false)
	case len(req.Rows) > MaxRecordRows:
		return reject("too_many_rows", fmt.Sprintf("一次最多登记%d行", MaxRecordRows), false)
	}
	return nil
}

// checkRow returns why a batch row cannot be applied, or nil.
func (w *training) checkRow(r RecordRow) error {
	if r.Attended == nil && r.Score == nil {
		return reject("empty_row", "该行既没有签到信息也没有考试成绩", false)
	}
	if r.Attended != nil {
		if err := w.checkAttendance(r.USCC, *r.Attended, r.AttendeeName, r.AttendeeRole); err != nil {
			return err
		}
	}
	if r.Score != nil {
		return w.checkScore(r.USCC, *r.Score)
	}
	return nil
}

func (w *training) records(ctx workflow.Context, req RecordsRequest) (RecordsResult, error) {
	var out RecordsResult
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyRecords(ctx, req)
		return err
	})
	if err != nil {
		return RecordsResult{}, err
	}
	return out, nil
}

func (w *training) applyRecords(ctx workflow.Context, req RecordsRequest) (RecordsResult, error) {
	now := workflow.Now(ctx)
	w.rev++
	var res RecordsResult
	touched := map[string]bool{}
	var order []string
	for _, r := range req.Rows {
		if err := w.checkRow(r); err != nil {
			rej, _ := AsRejection(err)
			res.Outcomes = append(res.Outcomes, RowOutcome{Row: r.Row, USCC: r.USCC, Code: rej.Code, Message: rej.Message})
			res.Rejected++
			continue
		}
		e := w.byUSCC[r.USCC]
		if r.Attended != nil {
			w.setAttendance(e, *r.Attended, r.AttendeeName, r.AttendeeRole, req.Actor, now)
		}
		if r.Score != nil {
			score := *r.Score
			e.Score, e.ScoreBy, e.ScoreAt, e.Rev = &score, req.Actor, &now, w.rev
		}
		if !touched[r.USCC] {
			touched[r.USCC] = true
			order = append(order, r.USCC)
		}
		res.Outcomes = append(res.Outcomes, RowOutcome{Row: r.Row, USCC: r.USCC, Applied: true})
		res.Applied++
	}
	if res.Applied == 0 {
		return res, nil
	}
	changed := make([]activities.TrainingEnrollment, 0, len(order))
	for _, u := range order {
		changed = append(changed, *w.byUSCC[u])
	}
	err := w.save(ctx, "training.records", req.Actor, req.Role, changed,
		map[string]any{"applied": res.Applied, "rejected": res.Rejected, "usccs": order}, nil)
	return res, err
}

// Rectification deadlines set at the session.

func (w *training) validateRectification(ctx workflow.Context, req RectificationRequest) error {
	if err := w.rejectIfNotRecording(ctx); err != nil {
		return err
	}
	if e := w.byUSCC[req.USCC]; e == nil || e.Status != domain.EnrollmentEnrolled {
		return reject("not_enrolled", "该企业不在本场培训的报名名单中", false)
	}
	switch {
	case strings.TrimSpace(req.Requirements) == "":
		return reject("requirements_required", "请写明整改要求", false)
	case req.DueOn.IsZero():
		return reject("invalid_due_on", "请填写整改期限（YYYY-MM-DD）", false)
	case !req.DueOn.After(today(ctx)):
		return reject("invalid_due_on", fmt.Sprintf("整改期限%s应晚于今天（%s）", req.DueOn, today(ctx)), false)
	}
	return nil
}

func (w *training) rectification(ctx workflow.Context, req RectificationRequest) (TrainingState, error) {
	var out TrainingState
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyRectification(ctx, req)
		return err
	})
	if err != nil {
		return TrainingState{}, err
	}
	return out, nil
}

func (w *training) applyRectification(ctx workflow.Context, req RectificationRequest) (TrainingState, error) {
	w.rev++
	req.Requirements = strings.TrimSpace(req.Requirements)
	err := workflow.ExecuteActivity(withActivityOptions(ctx), acts.SaveTrainingRectification, activities.TrainingRectificationInput{
		TrainingID: w.p.TrainingID, USCC: req.USCC, DepartmentID: req.DepartmentID, DueOn: req.DueOn,
		Requirements: req.Requirements, Actor: req.Actor, Role: req.Role, At: workflow.Now(ctx), Rev: w.rev,
		Notice: w.notice(req.USCC, fmt.Sprintf("rectification-%d", w.rev), "training_rectification", "认定部门在培训现场明确了整改期限",
			fmt.Sprintf("%s在“%s”现场对接中要求你单位于%s前完成整改：%s", req.DepartmentName, w.p.Title, req.DueOn, req.Requirements)),
	}).Get(ctx, nil)
	return w.snapshot(), err
}

// Closing.

func (w *training) validateClose(ctx workflow.Context, req CloseRequest) error {
	if err := w.rejectIfContinuing(); err != nil {
		return err
	}
	if w.closeRequested {
		return reject("already_closed", "该培训场次已结束", true)
	}
	return w.rejectIfNotStarted(ctx)
}

func (w *training) close(ctx workflow.Context, req CloseRequest) (TrainingState, error) {
	var out TrainingState
	err := w.step(ctx, func() error {
		var err error
		out, err = w.applyClose(ctx, req)
		return err
	})
	if err != nil {
		return TrainingState{}, err
	}
	return out, nil
}

func (w *training) applyClose(ctx workflow.Context, req CloseRequest) (TrainingState, error) {
	if !w.closeRequested {
		w.closeRequested, w.closedBy, w.closedByRole = true, req.Actor, req.Role
		w.status = trainingClosing
	}
	return w.snapshot(), nil
}

// save writes a step's changed rows, its audit entry and its notifications.
func (w *training) save(ctx workflow.Context, action, actor, role string, rows []activities.TrainingEnrollment,
	details map[string]any, notices []activities.NotifyInput) error {
	return workflow.ExecuteActivity(withActivityOptions(ctx), acts.SaveTrainingEnrollments, activities.SaveEnrollmentsInput{
		TrainingID: w.p.TrainingID, Rev: w.rev, Action: action, Actor: actor, Role: role, Rows: rows, Details: details,
		Notices: notices,
	}).Get(ctx, nil)
}

func (w *training) notice(uscc, key, kind, title, body string) activities.NotifyInput {
	return activities.NotifyInput{Key: fmt.Sprintf("training-%d:%s:%s", w.p.TrainingID, key, uscc), USCC: uscc, Kind: kind,
		Title: title, Body: body, CaseKind: "training", CaseID: w.caseID()}
}
