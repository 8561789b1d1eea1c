package contract

import (
	"time"

	"xinyong/domain"
)

// TrainingEnrollment is one enterprise's enrollment, attendance and test result as the training workflow holds it;
// Rev is the workflow's revision of it, so a late write never overwrites a newer one.
type TrainingEnrollment struct {
	USCC             string
	Status           domain.EnrollmentStatus
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
	AttendeeRole     domain.AttendeeRole
	AttendanceBy     string
	AttendanceAt     *time.Time
	Score            *int
	ScoreBy          string
	ScoreAt          *time.Time
	Rev              int64
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

// TrainingStepInput records that a session reached a status (open, started, closed).
type TrainingStepInput struct {
	TrainingID int64
	Status     domain.TrainingStatus
	Action     string
	Actor      string
	Role       string
	At         time.Time
	Details    map[string]any
}

// TrainingPlanInput attaches the issued 培训方案 and opens enrollment.
type TrainingPlanInput struct {
	TrainingID int64
	LetterID   int64
	At         time.Time
}

// AnnounceTrainingInput is the message every recognizing department receives about a new session.
type AnnounceTrainingInput struct {
	TrainingID int64
	Title      string
	Body       string
}

// RemindTrainingInput is the reminder sent to the enrolled enterprises before a session.
type RemindTrainingInput struct {
	TrainingID int64
	USCCs      []string
	Title      string
	Body       string
}

// TrainingCertificateInput records an issued certificate and tells the enterprise.
type TrainingCertificateInput struct {
	TrainingID int64
	USCC       string
	LetterID   int64
	Score      int
	Notice     NotifyInput
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

// Active reports whether the enrollment holds a place or a place on the waiting list.
func (e TrainingEnrollment) Active() bool {
	return e.Status == domain.EnrollmentEnrolled || e.Status == domain.EnrollmentWaitlisted
}

// Passed reports whether the enterprise attended and scored at least passScore.
func (e TrainingEnrollment) Passed(passScore int) bool {
	return e.Status == domain.EnrollmentEnrolled && e.Attended != nil && *e.Attended && e.Score != nil && *e.Score >= passScore
}
