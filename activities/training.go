package activities

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"xinyong/domain"
	"xinyong/storage"
)

// TrainingEnrollment is one enterprise's enrollment, attendance and test result as the training workflow holds it;
// Rev is the workflow's revision of it, so a late write never overwrites a newer one.
type TrainingEnrollment struct {
	USCC             string
	Status           string
	Seq              int64 // order of enrollment: the waiting list moves up in this order
	WaitlistPosition int   // 1-based while waitlisted, else 0
	EnrolledBy       string
	EnrolledByRole   string
	DepartmentID     string
	EnrolledAt       time.Time
	CancelledAt      *time.Time
	CancelledBy      string
	Attended         *bool
	AttendeeName     string
	AttendeeRole     string
	AttendanceBy     string
	AttendanceAt     *time.Time
	Score            *int
	ScoreBy          string
	ScoreAt          *time.Time
	Rev              int64
}

// Active reports whether the enrollment holds a place or a place on the waiting list.
func (e TrainingEnrollment) Active() bool {
	return e.Status == storage.EnrollmentEnrolled || e.Status == storage.EnrollmentWaitlisted
}

// Passed reports whether the enterprise attended and scored at least passScore.
func (e TrainingEnrollment) Passed(passScore int) bool {
	return e.Status == storage.EnrollmentEnrolled && e.Attended != nil && *e.Attended && e.Score != nil && *e.Score >= passScore
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func (e TrainingEnrollment) row(trainingID int64) storage.TrainingEnrollment {
	r := storage.TrainingEnrollment{
		TrainingID: trainingID, USCC: e.USCC, Status: e.Status, EnrolledBy: e.EnrolledBy, EnrolledByRole: e.EnrolledByRole,
		DepartmentID: nullString(e.DepartmentID), EnrolledAt: e.EnrolledAt, CancelledAt: nullTime(e.CancelledAt),
		CancelledBy: nullString(e.CancelledBy), AttendeeName: e.AttendeeName, AttendeeRole: e.AttendeeRole,
		AttendanceBy: nullString(e.AttendanceBy), AttendanceAt: nullTime(e.AttendanceAt), ScoreBy: nullString(e.ScoreBy),
		ScoreAt: nullTime(e.ScoreAt), Rev: e.Rev,
	}
	if e.Status == storage.EnrollmentWaitlisted {
		r.WaitlistPosition = sql.NullInt32{Int32: int32(e.WaitlistPosition), Valid: true}
	}
	if e.Attended != nil {
		r.Attended = sql.NullBool{Bool: *e.Attended, Valid: true}
	}
	if e.Score != nil {
		r.Score = sql.NullInt32{Int32: int32(*e.Score), Valid: true}
	}
	return r
}

// SaveEnrollmentsInput is one step of a session's enrollment (enroll, cancel, attendance, results): the rows it
// changed, its audit entry (recorded once per revision) and the messages to the enterprises concerned.
type SaveEnrollmentsInput struct {
	TrainingID int64
	Rev        int64
	Action     string
	Actor      string
	Role       string
	Rows       []TrainingEnrollment
	Details    map[string]any
	Notices    []NotifyInput
}

// SaveTrainingEnrollments writes a step's rows and audit entry together, then its notifications (each once).
func (a *Activities) SaveTrainingEnrollments(ctx context.Context, in SaveEnrollmentsInput) error {
	rows := make([]storage.TrainingEnrollment, len(in.Rows))
	for i, r := range in.Rows {
		rows[i] = r.row(in.TrainingID)
	}
	key := fmt.Sprintf("training-%d:rev-%d", in.TrainingID, in.Rev)
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: in.Action, CaseKind: "training",
		CaseID: strconv.FormatInt(in.TrainingID, 10), DedupKey: &key}
	if e.Actor == "" {
		e.Actor, e.Role = "system", "system"
	}
	if err := a.DB.SaveTrainingEnrollments(ctx, rows, e, in.Details); err != nil {
		return err
	}
	for _, n := range in.Notices {
		if err := a.Notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// TrainingStepInput records that a session reached a status (open, started, closed).
type TrainingStepInput struct {
	TrainingID int64
	Status     string
	Action     string
	Actor      string
	Role       string
	At         time.Time
	Details    map[string]any
}

// TrainingStep moves the session's status forward with its audit entry, once per action.
func (a *Activities) TrainingStep(ctx context.Context, in TrainingStepInput) error {
	key := fmt.Sprintf("training-%d:%s", in.TrainingID, in.Action)
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: in.Action, CaseKind: "training",
		CaseID: strconv.FormatInt(in.TrainingID, 10), DedupKey: &key}
	if e.Actor == "" {
		e.Actor, e.Role = "system", "system"
	}
	closedBy := ""
	if in.Status == storage.TrainingClosed {
		closedBy = e.Actor
	}
	return a.DB.AdvanceTraining(ctx, in.TrainingID, in.Status, closedBy, in.At, e, in.Details)
}

// TrainingPlanInput attaches the issued 培训方案 and opens enrollment.
type TrainingPlanInput struct {
	TrainingID int64
	LetterID   int64
	At         time.Time
}

// RecordTrainingPlan attaches the plan letter to its session and opens enrollment (once).
func (a *Activities) RecordTrainingPlan(ctx context.Context, in TrainingPlanInput) error {
	if err := a.DB.SetTrainingPlanLetter(ctx, in.TrainingID, in.LetterID); err != nil {
		return err
	}
	return a.TrainingStep(ctx, TrainingStepInput{TrainingID: in.TrainingID, Status: storage.TrainingOpen,
		Action: "training.plan_issued", At: in.At, Details: map[string]any{"letter_id": in.LetterID}})
}

// AnnounceTrainingInput is the message every recognizing department receives about a new session.
type AnnounceTrainingInput struct {
	TrainingID int64
	Title      string
	Body       string
}

// AnnounceTraining tells every department of a new session, so it notifies the enterprises it penalized (once
// per department).
func (a *Activities) AnnounceTraining(ctx context.Context, in AnnounceTrainingInput) error {
	depts, err := a.DB.ListDepartments(ctx)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(in.TrainingID, 10)
	for _, d := range depts {
		if err := a.Notify(ctx, NotifyInput{Key: fmt.Sprintf("training-%d:announce:%s", in.TrainingID, d.ID),
			DepartmentID: d.ID, Kind: "training_planned", Title: in.Title, Body: in.Body, CaseKind: "training", CaseID: id}); err != nil {
			return err
		}
	}
	return nil
}

// RemindTrainingInput is the reminder sent to the enrolled enterprises before a session.
type RemindTrainingInput struct {
	TrainingID int64
	USCCs      []string
	Title      string
	Body       string
}

// RemindTrainingEnrollees notifies each enrolled enterprise (once per enterprise and session).
func (a *Activities) RemindTrainingEnrollees(ctx context.Context, in RemindTrainingInput) error {
	id := strconv.FormatInt(in.TrainingID, 10)
	for _, u := range in.USCCs {
		if err := a.Notify(ctx, NotifyInput{Key: fmt.Sprintf("training-%d:reminder:%s", in.TrainingID, u), USCC: u,
			Kind: "training_reminder", Title: in.Title, Body: in.Body, CaseKind: "training", CaseID: id}); err != nil {
			return err
		}
	}
	return nil
}

// EnterpriseNames returns the registered names of enterprises, for the letters the workflow writes.
func (a *Activities) EnterpriseNames(ctx context.Context, usccs []string) (map[string]string, error) {
	return a.DB.EnterpriseNames(ctx, usccs)
}

// TrainingCertificateInput records an issued certificate and tells the enterprise.
type TrainingCertificateInput struct {
	TrainingID int64
	USCC       string
	LetterID   int64
	Score      int
	Notice     NotifyInput
}

// RecordTrainingCertificate stores the certificate of an enterprise and notifies it (each once).
func (a *Activities) RecordTrainingCertificate(ctx context.Context, in TrainingCertificateInput) error {
	if err := a.DB.PutTrainingCertificate(ctx, in.TrainingID, in.USCC, in.LetterID, in.Score); err != nil {
		return err
	}
	return a.Notify(ctx, in.Notice)
}

// FindWaitingRepairs lists the repair cases of an enterprise that wait for a training certificate.
func (a *Activities) FindWaitingRepairs(ctx context.Context, uscc string) ([]int64, error) {
	return a.DB.WaitingRepairs(ctx, uscc)
}

// TrainingRectificationInput is a rectification deadline a department set for an enterprise at a session.
type TrainingRectificationInput struct {
	TrainingID   int64
	USCC         string
	DepartmentID string
	DueOn        domain.Date
	Requirements string
	Actor        string
	Role         string
	At           time.Time
	Rev          int64
	Notice       NotifyInput
}

// SaveTrainingRectification records the deadline (a newer revision replaces an older one) and tells the enterprise.
func (a *Activities) SaveTrainingRectification(ctx context.Context, in TrainingRectificationInput) error {
	key := fmt.Sprintf("training-%d:rev-%d", in.TrainingID, in.Rev)
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: "training.rectification", CaseKind: "training",
		CaseID: strconv.FormatInt(in.TrainingID, 10), DedupKey: &key}
	err := a.DB.SaveTrainingRectification(ctx, storage.TrainingRectification{
		TrainingID: in.TrainingID, USCC: in.USCC, DepartmentID: in.DepartmentID, DueOn: in.DueOn,
		Requirements: in.Requirements, SetBy: in.Actor, SetAt: in.At, Rev: in.Rev,
	}, e, map[string]any{"uscc": in.USCC, "department_id": in.DepartmentID, "due_on": in.DueOn, "requirements": in.Requirements})
	if err != nil {
		return err
	}
	return a.Notify(ctx, in.Notice)
}
