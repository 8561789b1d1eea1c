package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Training is a training session.
type Training struct {
	ID           int64                 `db:"id"`
	Title        string                `db:"title"`
	StartsAt     time.Time             `db:"starts_at"`
	EndsAt       time.Time             `db:"ends_at"`
	Venue        string                `db:"venue"`
	Capacity     int                   `db:"capacity"`
	ClassHours   int                   `db:"class_hours"`
	AgencyLogin  string                `db:"agency_login"`
	AgencyName   string                `db:"agency_name"`
	PassScore    int                   `db:"pass_score"`
	Organizer    string                `db:"organizer"`
	Status       domain.TrainingStatus `db:"status"`
	PlanLetterID sql.NullInt64         `db:"plan_letter_id"`
	CreatedBy    string                `db:"created_by"`
	CreatedAt    time.Time             `db:"created_at"`
	ClosedAt     sql.NullTime          `db:"closed_at"`
	ClosedBy     sql.NullString        `db:"closed_by"`
	// Enrolled and Waitlisted are counted from the enrollments when read.
	Enrolled   int `db:"enrolled"`
	Waitlisted int `db:"waitlisted"`
}

const trainingColumns = `t.id, t.title, t.starts_at, t.ends_at, t.venue, t.capacity, t.class_hours, t.agency_login, t.agency_name,
	t.pass_score, t.organizer, t.status, t.plan_letter_id, t.created_by, t.created_at, t.closed_at, t.closed_by,
	(SELECT count(*) FROM training_enrollments e WHERE e.training_id = t.id AND e.status = 'enrolled') AS enrolled,
	(SELECT count(*) FROM training_enrollments e WHERE e.training_id = t.id AND e.status = 'waitlisted') AS waitlisted`

// CreateTraining stores a planned session and the audit entry of its creation, together; it returns the id.
func (db *DB) CreateTraining(ctx context.Context, t Training, e AuditEntry, details any) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO trainings (title, starts_at, ends_at, venue, capacity, class_hours,
				agency_login, agency_name, pass_score, organizer, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			t.Title, t.StartsAt, t.EndsAt, t.Venue, t.Capacity, t.ClassHours, t.AgencyLogin, t.AgencyName, t.PassScore,
			t.Organizer, t.CreatedBy)
		if err != nil {
			return fmt.Errorf("insert training: %w", err)
		}
		e.CaseKind, e.CaseID = "training", fmt.Sprint(id)
		return AuditTx(ctx, tx, e, details)
	})
	return id, err
}

// GetTraining returns a session.
func (db *DB) GetTraining(ctx context.Context, id int64) (Training, error) {
	var t Training
	if err := db.GetContext(ctx, &t, `SELECT `+trainingColumns+` FROM trainings t WHERE t.id = $1`, id); err != nil {
		return Training{}, fmt.Errorf("training %d: %w", id, notFound(err))
	}
	return t, nil
}

// TrainingFilter selects sessions for lists; empty fields do not filter.
type TrainingFilter struct {
	// AgencyLogin keeps the sessions the agency runs.
	AgencyLogin string
	// OpenOrUSCC keeps, for an enterprise, the sessions open for enrollment plus those it is (or was) enrolled in.
	OpenOrUSCC string
	// Status keeps sessions in one status.
	Status string
	// BeforeID pages backwards from the newest (0: from the newest).
	BeforeID int64
	Limit    int
}

// ListTrainings lists sessions, the newest first.
func (db *DB) ListTrainings(ctx context.Context, f TrainingFilter) ([]Training, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Training) { b.Trainings(f, out) })
}

// Trainings adds ListTrainings's read to b.
func (b *Batch) Trainings(f TrainingFilter, out *[]Training) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	b.add("list trainings", out, `SELECT `+trainingColumns+` FROM trainings t
		WHERE ($1 = '' OR t.agency_login = $1)
		  AND ($2::bpchar = '' OR (t.status IN ('planned', 'open') AND t.starts_at > now())
		              OR EXISTS (SELECT 1 FROM training_enrollments e WHERE e.training_id = t.id AND e.uscc = $2::bpchar))
		  AND ($3 = '' OR t.status = $3)
		  AND ($4 = 0 OR t.id < $4)
		ORDER BY t.id DESC LIMIT $5`, []any{f.AgencyLogin, f.OpenOrUSCC, f.Status, f.BeforeID, f.Limit}, nil)
}

// AdvanceTraining moves a session to a later status (never back) and records the step's audit entry, together;
// closing also records when and by whom. A retried step changes nothing (the audit entry's dedup key).
func (db *DB) AdvanceTraining(ctx context.Context, id int64, status domain.TrainingStatus, closedBy string, at time.Time, e AuditEntry, details any) error {
	rank := status.Rank()
	if rank < 0 {
		return fmt.Errorf("training %d: unknown status %q", id, status)
	}
	var earlier []string
	for _, s := range []domain.TrainingStatus{domain.TrainingPlanned, domain.TrainingOpen, domain.TrainingStarted, domain.TrainingClosed} {
		if s.Rank() < rank {
			earlier = append(earlier, string(s))
		}
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE trainings SET status = $2,
				closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE closed_at END,
				closed_by = CASE WHEN $2 = 'closed' THEN $4 ELSE closed_by END
			WHERE id = $1 AND status = ANY($5)`, id, status, at, nullable(closedBy), pq.StringArray(earlier))
		if err != nil {
			return fmt.Errorf("training %d status %s: %w", id, status, err)
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// SetTrainingPlanLetter attaches the issued 培训方案 to its session (once: the first letter stays).
func (db *DB) SetTrainingPlanLetter(ctx context.Context, id, letterID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE trainings SET plan_letter_id = $2 WHERE id = $1 AND plan_letter_id IS NULL`, id, letterID)
	if err != nil {
		return fmt.Errorf("training %d plan letter: %w", id, err)
	}
	return nil
}

// TrainingEnrollment is one enterprise's enrollment, attendance and test result at a session.
type TrainingEnrollment struct {
	TrainingID       int64                   `db:"training_id"`
	USCC             string                  `db:"uscc"`
	EnterpriseName   string                  `db:"enterprise_name"` // read only
	Status           domain.EnrollmentStatus `db:"status"`
	WaitlistPosition sql.NullInt32           `db:"waitlist_position"`
	EnrolledBy       string                  `db:"enrolled_by"`
	EnrolledByRole   string                  `db:"enrolled_by_role"`
	DepartmentID     sql.NullString          `db:"department_id"`
	EnrolledAt       time.Time               `db:"enrolled_at"`
	CancelledAt      sql.NullTime            `db:"cancelled_at"`
	CancelledBy      sql.NullString          `db:"cancelled_by"`
	Attended         sql.NullBool            `db:"attended"`
	AttendeeName     string                  `db:"attendee_name"`
	AttendeeRole     domain.AttendeeRole     `db:"attendee_role"`
	AttendanceBy     sql.NullString          `db:"attendance_by"`
	AttendanceAt     sql.NullTime            `db:"attendance_at"`
	Score            sql.NullInt32           `db:"score"`
	ScoreBy          sql.NullString          `db:"score_by"`
	ScoreAt          sql.NullTime            `db:"score_at"`
	Rev              int64                   `db:"rev"`
}

const enrollmentColumns = `e.training_id, e.uscc, COALESCE(n.name, '') AS enterprise_name, e.status, e.waitlist_position,
	e.enrolled_by, e.enrolled_by_role, e.department_id, e.enrolled_at, e.cancelled_at, e.cancelled_by, e.attended,
	e.attendee_name, e.attendee_role, e.attendance_by, e.attendance_at, e.score, e.score_by, e.score_at, e.rev`

// SaveTrainingEnrollments writes rows as the workflow decided them, with the audit entry of the step, together.
// A row is written only when its revision is newer than the stored one, so retried and late writes change nothing.
func (db *DB) SaveTrainingEnrollments(ctx context.Context, rows []TrainingEnrollment, e AuditEntry, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, r := range rows {
			_, err := tx.NamedExecContext(ctx, `INSERT INTO training_enrollments (training_id, uscc, status, waitlist_position,
					enrolled_by, enrolled_by_role, department_id, enrolled_at, cancelled_at, cancelled_by, attended, attendee_name,
					attendee_role, attendance_by, attendance_at, score, score_by, score_at, rev)
				VALUES (:training_id, :uscc, :status, :waitlist_position, :enrolled_by, :enrolled_by_role, :department_id,
					:enrolled_at, :cancelled_at, :cancelled_by, :attended, :attendee_name, :attendee_role, :attendance_by,
					:attendance_at, :score, :score_by, :score_at, :rev)
				ON CONFLICT (training_id, uscc) DO UPDATE SET status = EXCLUDED.status,
					waitlist_position = EXCLUDED.waitlist_position, enrolled_by = EXCLUDED.enrolled_by,
					enrolled_by_role = EXCLUDED.enrolled_by_role, department_id = EXCLUDED.department_id,
					enrolled_at = EXCLUDED.enrolled_at, cancelled_at = EXCLUDED.cancelled_at,
					cancelled_by = EXCLUDED.cancelled_by, attended = EXCLUDED.attended,
					attendee_name = EXCLUDED.attendee_name, attendee_role = EXCLUDED.attendee_role,
					attendance_by = EXCLUDED.attendance_by, attendance_at = EXCLUDED.attendance_at,
					score = EXCLUDED.score, score_by = EXCLUDED.score_by, score_at = EXCLUDED.score_at, rev = EXCLUDED.rev
				WHERE training_enrollments.rev < EXCLUDED.rev`, r)
			if err != nil {
				return fmt.Errorf("save enrollment %d/%s: %w", r.TrainingID, r.USCC, err)
			}
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// EnrollmentsOf lists a session's enrollments: enrolled first, then the waiting list in order, then cancelled.
func (db *DB) EnrollmentsOf(ctx context.Context, trainingID int64) ([]TrainingEnrollment, error) {
	var es []TrainingEnrollment
	err := db.SelectContext(ctx, &es, `SELECT `+enrollmentColumns+` FROM training_enrollments e
		LEFT JOIN enterprises n ON n.uscc = e.uscc WHERE e.training_id = $1
		ORDER BY CASE e.status WHEN 'enrolled' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, e.waitlist_position, e.enrolled_at, e.uscc`,
		trainingID)
	if err != nil {
		return nil, fmt.Errorf("enrollments of training %d: %w", trainingID, err)
	}
	return es, nil
}

// EnrollmentsOfUSCC lists an enterprise's enrollments, the newest session first.
func (db *DB) EnrollmentsOfUSCC(ctx context.Context, uscc string) ([]TrainingEnrollment, error) {
	return runOne(ctx, db, func(b *Batch, out *[]TrainingEnrollment) { b.EnrollmentsOfUSCC(uscc, out) })
}

// EnrollmentsOfUSCC adds EnrollmentsOfUSCC's read to b.
func (b *Batch) EnrollmentsOfUSCC(uscc string, out *[]TrainingEnrollment) {
	b.add("enrollments of "+uscc, out, `SELECT `+enrollmentColumns+` FROM training_enrollments e
		LEFT JOIN enterprises n ON n.uscc = e.uscc WHERE e.uscc = $1::bpchar ORDER BY e.training_id DESC`, []any{uscc}, nil)
}

// TrainingsOfUSCC adds to b the sessions an enterprise is (or was) enrolled in, keyed by id.
func (b *Batch) TrainingsOfUSCC(uscc string, out *map[int64]Training) {
	var ts []Training
	b.add("trainings of "+uscc, &ts, `SELECT `+trainingColumns+` FROM trainings t
		WHERE t.id IN (SELECT training_id FROM training_enrollments WHERE uscc = $1::bpchar)`, []any{uscc}, func() error {
		m := make(map[int64]Training, len(ts))
		for _, t := range ts {
			m[t.ID] = t
		}
		*out = m
		return nil
	})
}

// DepartmentPenalized reports whether the department registered a penalty of the enterprise.
func (db *DB) DepartmentPenalized(ctx context.Context, departmentID, uscc string) (bool, error) {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM penalties WHERE department_id = $1 AND uscc = $2)`, departmentID, uscc)
	if err != nil {
		return false, fmt.Errorf("penalized %s by %s: %w", uscc, departmentID, err)
	}
	return ok, nil
}

// PenalizedEnterprises lists the enterprises a department registered penalties of, by name.
func (db *DB) PenalizedEnterprises(ctx context.Context, departmentID string) ([]Enterprise, error) {
	var es []Enterprise
	err := db.SelectContext(ctx, &es, `SELECT n.uscc, n.name, n.legal_representative, n.address FROM enterprises n
		WHERE EXISTS (SELECT 1 FROM penalties p WHERE p.department_id = $1 AND p.uscc = n.uscc) ORDER BY n.name, n.uscc`, departmentID)
	if err != nil {
		return nil, fmt.Errorf("enterprises penalized by %s: %w", departmentID, err)
	}
	return es, nil
}

// EnterpriseNames returns the registered names of enterprises by USCC (unknown codes are left out).
func (db *DB) EnterpriseNames(ctx context.Context, usccs []string) (map[string]string, error) {
	var rows []Enterprise
	err := db.SelectContext(ctx, &rows, `SELECT uscc, name, legal_representative, address FROM enterprises WHERE uscc = ANY($1)`,
		pq.StringArray(usccs))
	if err != nil {
		return nil, fmt.Errorf("enterprise names: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.USCC] = r.Name
	}
	return out, nil
}

// TrainingCertificate is a certificate issued at a session, with its letter.
type TrainingCertificate struct {
	TrainingID     int64     `db:"training_id"`
	USCC           string    `db:"uscc"`
	EnterpriseName string    `db:"enterprise_name"`
	Score          int       `db:"score"`
	CreatedAt      time.Time `db:"created_at"`
	TrainingTitle  string    `db:"training_title"`
	Letter         Letter    `db:"letter"`
}

// PutTrainingCertificate records a certificate issued for an enterprise (once: a retry keeps the first).
func (db *DB) PutTrainingCertificate(ctx context.Context, trainingID int64, uscc string, letterID int64, score int) error {
	_, err := db.ExecContext(ctx, `INSERT INTO training_certificates (training_id, uscc, letter_id, score) VALUES ($1, $2, $3, $4)
		ON CONFLICT (training_id, uscc) DO NOTHING`, trainingID, uscc, letterID, score)
	if err != nil {
		return fmt.Errorf("certificate %d/%s: %w", trainingID, uscc, err)
	}
	return nil
}

const certificateQuery = `SELECT c.training_id, c.uscc, COALESCE(n.name, '') AS enterprise_name, c.score, c.created_at,
		t.title AS training_title,
		l.id AS "letter.id", l.kind AS "letter.kind", l.case_kind AS "letter.case_kind", l.case_id AS "letter.case_id",
		l.version AS "letter.version", l.title AS "letter.title", l.number AS "letter.number", l.issuer AS "letter.issuer",
		l.addressee AS "letter.addressee", l.uscc AS "letter.uscc", l.department_id AS "letter.department_id",
		l.issued_on AS "letter.issued_on", l.sha256 AS "letter.sha256", l.verify_code AS "letter.verify_code",
		l.data AS "letter.data", l.superseded_by AS "letter.superseded_by", l.created_at AS "letter.created_at"
	FROM training_certificates c JOIN letters l ON l.id = c.letter_id JOIN trainings t ON t.id = c.training_id
	LEFT JOIN enterprises n ON n.uscc = c.uscc `

// CertificatesOf lists a session's certificates.
func (db *DB) CertificatesOf(ctx context.Context, trainingID int64) ([]TrainingCertificate, error) {
	var cs []TrainingCertificate
	if err := db.SelectContext(ctx, &cs, certificateQuery+`WHERE c.training_id = $1 ORDER BY c.letter_id`, trainingID); err != nil {
		return nil, fmt.Errorf("certificates of training %d: %w", trainingID, err)
	}
	return cs, nil
}

// CertificatesOfUSCC lists an enterprise's certificates, the newest first.
func (db *DB) CertificatesOfUSCC(ctx context.Context, uscc string) ([]TrainingCertificate, error) {
	var cs []TrainingCertificate
	if err := db.SelectContext(ctx, &cs, certificateQuery+`WHERE c.uscc = $1 ORDER BY c.letter_id DESC`, uscc); err != nil {
		return nil, fmt.Errorf("certificates of %s: %w", uscc, err)
	}
	return cs, nil
}

// TrainingRectification is a rectification deadline a department set for an enterprise at a session.
type TrainingRectification struct {
	TrainingID     int64       `db:"training_id"`
	USCC           string      `db:"uscc"`
	EnterpriseName string      `db:"enterprise_name"`
	DepartmentID   string      `db:"department_id"`
	DepartmentName string      `db:"department_name"`
	DueOn          domain.Date `db:"due_on"`
	Requirements   string      `db:"requirements"`
	SetBy          string      `db:"set_by"`
	SetAt          time.Time   `db:"set_at"`
	Rev            int64       `db:"rev"`
}

// SaveTrainingRectification records (or replaces, with a newer revision) a department's rectification deadline for
// an enterprise at a session, with its audit entry.
func (db *DB) SaveTrainingRectification(ctx context.Context, r TrainingRectification, e AuditEntry, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO training_rectifications (training_id, uscc, department_id, due_on,
				requirements, set_by, set_at, rev)
			VALUES (:training_id, :uscc, :department_id, :due_on, :requirements, :set_by, :set_at, :rev)
			ON CONFLICT (training_id, uscc, department_id) DO UPDATE SET due_on = EXCLUDED.due_on,
				requirements = EXCLUDED.requirements, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at, rev = EXCLUDED.rev
			WHERE training_rectifications.rev < EXCLUDED.rev`, r)
		if err != nil {
			return fmt.Errorf("rectification %d/%s: %w", r.TrainingID, r.USCC, err)
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// RectificationsOf lists the rectification deadlines set at a session; departmentID "" means every department's.
func (db *DB) RectificationsOf(ctx context.Context, trainingID int64, departmentID string) ([]TrainingRectification, error) {
	var rs []TrainingRectification
	err := db.SelectContext(ctx, &rs, `SELECT r.training_id, r.uscc, COALESCE(n.name, '') AS enterprise_name, r.department_id,
			d.name AS department_name, r.due_on, r.requirements, r.set_by, r.set_at, r.rev
		FROM training_rectifications r JOIN departments d ON d.id = r.department_id LEFT JOIN enterprises n ON n.uscc = r.uscc
		WHERE r.training_id = $1 AND ($2 = '' OR r.department_id = $2) ORDER BY r.set_at, r.uscc`, trainingID, departmentID)
	if err != nil {
		return nil, fmt.Errorf("rectifications of training %d: %w", trainingID, err)
	}
	return rs, nil
}

// TrainingRating is the credit office's rating of a session run by an agency.
type TrainingRating struct {
	TrainingID int64     `db:"training_id"`
	Score      int       `db:"score"`
	Comment    string    `db:"comment"`
	RatedBy    string    `db:"rated_by"`
	RatedAt    time.Time `db:"rated_at"`
}

// RateTraining stores (or replaces) the rating of a session with its audit entry.
func (db *DB) RateTraining(ctx context.Context, r TrainingRating, e AuditEntry) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO training_ratings (training_id, score, comment, rated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (training_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment,
				rated_by = EXCLUDED.rated_by, rated_at = now()`, r.TrainingID, r.Score, r.Comment, r.RatedBy)
		if err != nil {
			return fmt.Errorf("rate training %d: %w", r.TrainingID, err)
		}
		return AuditTx(ctx, tx, e, map[string]any{"score": r.Score, "comment": r.Comment})
	})
}

// RatingOf returns a session's rating, or nil when it has none.
func (db *DB) RatingOf(ctx context.Context, trainingID int64) (*TrainingRating, error) {
	var r TrainingRating
	err := db.GetContext(ctx, &r, `SELECT training_id, score, comment, rated_by, rated_at FROM training_ratings WHERE training_id = $1`, trainingID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rating of training %d: %w", trainingID, err)
	}
	return &r, nil
}

// AgencyStats are one agency's numbers.
type AgencyStats struct {
	AgencyLogin   string          `db:"agency_login" json:"agency"`
	AgencyName    string          `db:"agency_name" json:"agency_name"`
	Sessions      int             `db:"sessions" json:"sessions"`
	Held          int             `db:"held" json:"sessions_held"`
	Rated         int             `db:"rated" json:"rated"`
	AverageRating sql.NullFloat64 `db:"average_rating" json:"-"`
}

// TrainingStats are the numbers the credit office follows.
type TrainingStats struct {
	// SessionsHeld counts the sessions that took place (started or closed).
	SessionsHeld int `db:"sessions_held"`
	// EnterprisesTrained counts distinct enterprises whose attendance was recorded at a session held.
	EnterprisesTrained int `db:"enterprises_trained"`
	// Tested counts attendances with a test score; Passed those at or above the session's pass score.
	Tested int `db:"tested"`
	Passed int `db:"passed"`
	// Certified counts distinct enterprises with a certificate.
	Certified int `db:"certified"`
	// WentOnToRepair counts certified enterprises with a repair case created after their (first) certificate.
	WentOnToRepair int
	// RepairsKnown is false while the repairs table does not exist yet.
	RepairsKnown bool
	Agencies     []AgencyStats
}

// PassRate is Passed / Tested, or -1 when nobody was tested.
func (s TrainingStats) PassRate() float64 {
	if s.Tested == 0 {
		return -1
	}
	return float64(s.Passed) / float64(s.Tested)
}

// TrainingStatistics computes the training numbers of the whole city.
func (db *DB) TrainingStatistics(ctx context.Context) (TrainingStats, error) {
	var st TrainingStats
	err := db.GetContext(ctx, &st, `SELECT
			(SELECT count(*) FROM trainings WHERE status IN ('started', 'closed')) AS sessions_held,
			(SELECT count(DISTINCT e.uscc) FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
				WHERE e.attended AND e.status = 'enrolled' AND t.status IN ('started', 'closed')) AS enterprises_trained,
			(SELECT count(*) FROM training_enrollments e
				WHERE e.attended AND e.status = 'enrolled' AND e.score IS NOT NULL) AS tested,
			(SELECT count(*) FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
				WHERE e.attended AND e.status = 'enrolled' AND e.score >= t.pass_score) AS passed,
			(SELECT count(DISTINCT uscc) FROM training_certificates) AS certified`)
	if err != nil {
		return st, fmt.Errorf("training stats: %w", err)
	}
	err = db.SelectContext(ctx, &st.Agencies, `SELECT t.agency_login, max(t.agency_name) AS agency_name, count(*) AS sessions,
			count(*) FILTER (WHERE t.status IN ('started', 'closed')) AS held, count(r.training_id) AS rated,
			avg(r.score)::float8 AS average_rating
		FROM trainings t LEFT JOIN training_ratings r ON r.training_id = t.id
		GROUP BY t.agency_login ORDER BY t.agency_login`)
	if err != nil {
		return st, fmt.Errorf("agency stats: %w", err)
	}
	exists, err := db.repairsTableExists(ctx)
	if err != nil || !exists {
		return st, err
	}
	st.RepairsKnown = true
	err = db.GetContext(ctx, &st.WentOnToRepair, `SELECT count(*) FROM (
			SELECT c.uscc, min(c.created_at) AS first_certificate FROM training_certificates c GROUP BY c.uscc) f
		WHERE EXISTS (SELECT 1 FROM repairs r WHERE r.uscc = f.uscc AND r.created_at > f.first_certificate)`)
	if isUndefined(err) {
		st.RepairsKnown = false
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("trained enterprises that repaired: %w", err)
	}
	return st, nil
}

// repairsTableExists reports whether the repair cases' table is there yet (the repair capability adds it).
func (db *DB) repairsTableExists(ctx context.Context) (bool, error) {
	var ok bool
	if err := db.GetContext(ctx, &ok, `SELECT to_regclass('repairs') IS NOT NULL`); err != nil {
		return false, fmt.Errorf("repairs table: %w", err)
	}
	return ok, nil
}

// isUndefined recognizes a query against a table or column that does not exist (yet).
func isUndefined(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "42P01" || pqErr.Code == "42703")
}

// WaitingRepairs lists the repair cases of an enterprise that wait for a training certificate (none while the
// repairs table does not exist).
func (db *DB) WaitingRepairs(ctx context.Context, uscc string) ([]int64, error) {
	exists, err := db.repairsTableExists(ctx)
	if err != nil || !exists {
		return nil, err
	}
	var ids []int64
	err = db.SelectContext(ctx, &ids, `SELECT id FROM repairs WHERE uscc = $1 AND waiting_training ORDER BY id`, uscc)
	if isUndefined(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("repairs of %s waiting for training: %w", uscc, err)
	}
	return ids, nil
}

// RepairOfDepartment returns the latest open repair case of an enterprise handled by a department, or 0 when there
// is none (or while the repairs table does not exist).
func (db *DB) RepairOfDepartment(ctx context.Context, uscc, departmentID string) (int64, error) {
	exists, err := db.repairsTableExists(ctx)
	if err != nil || !exists {
		return 0, err
	}
	var id int64
	err = db.GetContext(ctx, &id, `SELECT id FROM repairs WHERE uscc = $1 AND department_id = $2
		AND status NOT IN ('not_accepted', 'refused', 'approved', 'closed', 'cancelled', 'revoked') ORDER BY id DESC LIMIT 1`,
		uscc, departmentID)
	if isUndefined(err) || errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("repair of %s at %s: %w", uscc, departmentID, err)
	}
	return id, nil
}

// EnrollmentOf returns an enterprise's enrollment at a session.
func (db *DB) EnrollmentOf(ctx context.Context, trainingID int64, uscc string) (TrainingEnrollment, error) {
	var e TrainingEnrollment
	err := db.GetContext(ctx, &e, `SELECT `+enrollmentColumns+` FROM training_enrollments e
		LEFT JOIN enterprises n ON n.uscc = e.uscc WHERE e.training_id = $1 AND e.uscc = $2`, trainingID, uscc)
	if err != nil {
		return TrainingEnrollment{}, fmt.Errorf("enrollment %d/%s: %w", trainingID, uscc, notFound(err))
	}
	return e, nil
}
