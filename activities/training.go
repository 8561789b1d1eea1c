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

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func enrollmentRow(e TrainingEnrollment, trainingID int64) storage.TrainingEnrollment {
	r := storage.TrainingEnrollment{
		TrainingID: trainingID, USCC: e.USCC, Status: e.Status, EnrolledBy: e.EnrolledBy, EnrolledByRole: e.EnrolledByRole,
		DepartmentID: nullString(e.DepartmentID), EnrolledAt: e.EnrolledAt, CancelledAt: nullTime(e.CancelledAt),
		CancelledBy: nullString(e.CancelledBy), AttendeeName: e.AttendeeName, AttendeeRole: e.AttendeeRole,
		AttendanceBy: nullString(e.AttendanceBy), AttendanceAt: nullTime(e.AttendanceAt), ScoreBy: nullString(e.ScoreBy),
		ScoreAt: nullTime(e.ScoreAt), Rev: e.Rev,
	}
	if e.Status == domain.EnrollmentWaitlisted {
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

// SaveTrainingEnrollments writes a step's rows and audit entry together, then its notifications (each once).
func (a *Activities) SaveTrainingEnrollments(ctx context.Context, in SaveEnrollmentsInput) error {
	rows := make([]storage.TrainingEnrollment, len(in.Rows))
	for i, r := range in.Rows {
		rows[i] = enrollmentRow(r, in.TrainingID)
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

// TrainingStep moves the session's status forward with its audit entry, once per action.
func (a *Activities) TrainingStep(ctx context.Context, in TrainingStepInput) error {
	key := fmt.Sprintf("training-%d:%s", in.TrainingID, in.Action)
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: in.Action, CaseKind: "training",
		CaseID: strconv.FormatInt(in.TrainingID, 10), DedupKey: &key}
	if e.Actor == "" {
		e.Actor, e.Role = "system", "system"
	}
	closedBy := ""
	if in.Status == domain.TrainingClosed {
		closedBy = e.Actor
	}
	return a.DB.AdvanceTraining(ctx, in.TrainingID, in.Status, closedBy, in.At, e, in.Details)
}

// RecordTrainingPlan attaches the plan letter to its session and opens enrollment (once).
func (a *Activities) RecordTrainingPlan(ctx context.Context, in TrainingPlanInput) error {
	if err := a.DB.SetTrainingPlanLetter(ctx, in.TrainingID, in.LetterID); err != nil {
		return err
	}
	return a.TrainingStep(ctx, TrainingStepInput{TrainingID: in.TrainingID, Status: domain.TrainingOpen,
		Action: "training.plan_issued", At: in.At, Details: map[string]any{"letter_id": in.LetterID}})
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
