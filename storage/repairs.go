package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// RepairProgress is what the repair workflow knows about its case and writes to the row at every step.
type RepairProgress struct {
	Status                   domain.RepairStatus `db:"status" json:"status"`
	Holder                   domain.Holder       `db:"holder" json:"holder"`
	Round                    int                 `db:"round" json:"round"`
	WaitingTraining          bool                `db:"waiting_training" json:"waiting_training"`
	WaitingCreditReport      bool                `db:"waiting_credit_report" json:"waiting_credit_report"`
	ReceivedOn               domain.Date         `db:"received_on" json:"received_on"`
	AcceptanceDue            domain.Date         `db:"acceptance_due" json:"acceptance_due"`
	AcceptedOn               domain.Date         `db:"accepted_on" json:"accepted_on"`
	DecisionDue              domain.Date         `db:"decision_due" json:"decision_due"`
	OverallDue               domain.Date         `db:"overall_due" json:"overall_due"`
	SupplementDue            domain.Date         `db:"supplement_due" json:"supplement_due"`
	RectificationDue         domain.Date         `db:"rectification_due" json:"rectification_due"`
	RectificationSubmitted   bool                `db:"rectification_submitted" json:"rectification_submitted"`
	RectificationMissed      bool                `db:"rectification_missed" json:"rectification_missed"`
	WarningInterviewOn       domain.Date         `db:"warning_interview_on" json:"warning_interview_on"`
	Extended                 bool                `db:"extended" json:"extended"`
	SupplementRequested      bool                `db:"supplement_requested" json:"supplement_requested"`
	Overdue                  bool                `db:"overdue" json:"overdue"`
	DecidedOn                domain.Date         `db:"decided_on" json:"decided_on"`
	DecidedInTime            *bool               `db:"decided_in_time" json:"decided_in_time"`
	Approved                 *bool               `db:"approved" json:"approved"`
	DecisionNo               string              `db:"decision_no" json:"decision_no"`
	DecisionReason           string              `db:"decision_reason" json:"decision_reason"`
	CommitmentLetterID       int64               `db:"commitment_letter_id" json:"commitment_letter_id"`
	TrainingLetterID         int64               `db:"training_letter_id" json:"training_letter_id"`
	CreditReportAttachmentID int64               `db:"credit_report_attachment_id" json:"credit_report_attachment_id"`
	WithdrawalID             int64               `db:"withdrawal_id" json:"withdrawal_id"`
	// Provisional names the deadlines counted over days not yet known (acceptance_due, decision_due, overall_due):
	// shown as 暂定 and counted again when the holiday notice is loaded.
	Provisional domain.DeadlineNames `db:"provisional_deadlines" json:"provisional_deadlines"`
}

// Repair is a repair case: the application and where its procedure stands.
type Repair struct {
	ID                   int64        `db:"id"`
	PenaltyID            int64        `db:"penalty_id"`
	USCC                 string       `db:"uscc"`
	DepartmentID         string       `db:"department_id"`
	RuleSet              string       `db:"rule_set"`
	AppliedOn            domain.Date  `db:"applied_on"`
	Statement            string       `db:"statement"`
	ApplicantLogin       string       `db:"applicant_login"`
	CommitmentAcceptedAt time.Time    `db:"commitment_accepted_at"`
	CommitmentRemoteAddr string       `db:"commitment_remote_addr"`
	CreatedAt            time.Time    `db:"created_at"`
	UpdatedAt            time.Time    `db:"updated_at"`
	ClosedAt             sql.NullTime `db:"closed_at"`
	Seq                  int64        `db:"seq"`
	RepairProgress
	// From the penalty and the department (reads only).
	DecisionNoOfPenalty string `db:"penalty_decision_no"`
	EnterpriseName      string `db:"enterprise_name"`
	DepartmentName      string `db:"department_name"`
	PenaltyClass        string `db:"penalty_class"`
}

// repairColumns reads the case with its record's decision number, enterprise and department. COALESCE keeps the
// nullable id columns scannable into plain int64 (0 = none).
const repairColumns = `r.id, r.penalty_id, r.uscc, r.department_id, r.rule_set, r.applied_on, r.statement, r.applicant_login,
	r.commitment_accepted_at, r.commitment_remote_addr, r.created_at, r.updated_at, r.closed_at, r.seq, r.status, r.holder,
	r.round, r.waiting_training, r.waiting_credit_report, r.received_on, r.acceptance_due, r.accepted_on, r.decision_due,
	r.overall_due, r.supplement_due, r.rectification_due, r.rectification_submitted, r.rectification_missed,
	r.warning_interview_on, r.extended, r.supplement_requested, r.overdue, r.decided_on, r.decided_in_time, r.approved,
	r.decision_no, r.decision_reason, COALESCE(r.commitment_letter_id, 0) AS commitment_letter_id,
	COALESCE(r.training_letter_id, 0) AS training_letter_id,
	COALESCE(r.credit_report_attachment_id, 0) AS credit_report_attachment_id,
	COALESCE(r.withdrawal_id, 0) AS withdrawal_id, r.provisional_deadlines,
	p.decision_no AS penalty_decision_no, p.enterprise_name, d.name AS department_name, p.class AS penalty_class`

const repairFrom = ` FROM repairs r JOIN penalties p ON p.id = r.penalty_id JOIN departments d ON d.id = r.department_id`

// NewRepair is an application to store.
type NewRepair struct {
	// ID is the case's id reserved with ReserveRepairID (the repair workflow writes its own row); 0 takes the next.
	ID                   int64
	PenaltyID            int64
	USCC                 string
	DepartmentID         string
	RuleSet              string
	AppliedOn            domain.Date
	Statement            string
	ApplicantLogin       string
	CommitmentAcceptedAt time.Time
	CommitmentRemoteAddr string
	AttachmentIDs        []int64
	// CreditReportAttachmentID is a credit report handed in with the application (0: none).
	CreditReportAttachmentID int64
}

// ErrRepairOpen is returned when the record already has an open repair case; OpenRepairID says which.
type ErrRepairOpen struct{ OpenRepairID int64 }

func (e *ErrRepairOpen) Error() string {
	return fmt.Sprintf("repair case %d is open for this record", e.OpenRepairID)
}

// ReserveRepairID allocates the id of a new repair case, so that its workflow (repair-<id>) can be started before
// the row exists and write the row itself.
func (db *DB) ReserveRepairID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.GetContext(ctx, &id, `SELECT nextval(pg_get_serial_sequence('repairs', 'id'))`); err != nil {
		return 0, fmt.Errorf("reserve repair id: %w", err)
	}
	return id, nil
}

// CreateRepair stores an application with its materials and the audit entry of the submission, all or nothing. A
// record with an open case gives *ErrRepairOpen and stores nothing. With a reserved n.ID, storing it again is a
// no-op (the workflow's activity may run twice).
func (db *DB) CreateRepair(ctx context.Context, n NewRepair, e AuditEntry, details func(id int64) any) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		// The record's row lock serializes two applications for it, so the second sees the first.
		var pid int64
		if err := tx.GetContext(ctx, &pid, `SELECT id FROM penalties WHERE id = $1 FOR UPDATE`, n.PenaltyID); err != nil {
			return fmt.Errorf("repair of penalty %d: %w", n.PenaltyID, notFound(err))
		}
		if n.ID != 0 {
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM repairs WHERE id = $1)`, n.ID); err != nil {
				return fmt.Errorf("repair %d: %w", n.ID, err)
			}
			if exists {
				id = n.ID
				return nil
			}
		}
		var open int64
		err := tx.GetContext(ctx, &open, `SELECT id FROM repairs WHERE penalty_id = $1 AND status = ANY($2) ORDER BY id LIMIT 1`,
			n.PenaltyID, stringArray(domain.RepairOpenStatuses))
		if err == nil {
			return &ErrRepairOpen{OpenRepairID: open}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("open repairs of penalty %d: %w", n.PenaltyID, err)
		}
		err = tx.GetContext(ctx, &id, `INSERT INTO repairs (id, penalty_id, uscc, department_id, rule_set, applied_on,
				statement, applicant_login, commitment_accepted_at, commitment_remote_addr, credit_report_attachment_id)
			VALUES (COALESCE(NULLIF($1::bigint, 0), nextval(pg_get_serial_sequence('repairs', 'id'))), $2, $3, $4, $5, $6, $7, $8,
				$9, $10, NULLIF($11, 0)) RETURNING id`,
			n.ID, n.PenaltyID, n.USCC, n.DepartmentID, n.RuleSet, n.AppliedOn, n.Statement, n.ApplicantLogin,
			n.CommitmentAcceptedAt, n.CommitmentRemoteAddr, n.CreditReportAttachmentID)
		if err != nil {
			return fmt.Errorf("insert repair of penalty %d: %w", n.PenaltyID, err)
		}
		if err := linkAttachments(ctx, tx, id, n.AttachmentIDs, "application"); err != nil {
			return err
		}
		if n.CreditReportAttachmentID != 0 {
			if err := linkAttachments(ctx, tx, id, []int64{n.CreditReportAttachmentID}, "credit_report"); err != nil {
				return err
			}
		}
		e.CaseKind, e.CaseID = "repair", strconv.FormatInt(id, 10)
		key := "repair-" + e.CaseID + ":submitted"
		e.DedupKey = &key
		var d any
		if details != nil {
			d = details(id)
		}
		return AuditTx(ctx, tx, e, d)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

func linkAttachments(ctx context.Context, tx *sqlx.Tx, repairID int64, ids []int64, purpose string) error {
	for _, aid := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO repair_attachments (repair_id, attachment_id, purpose) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, repairID, aid, purpose); err != nil {
			return fmt.Errorf("link attachment %d to repair %d: %w", aid, repairID, err)
		}
	}
	return nil
}

// GetRepair returns a case.
func (db *DB) GetRepair(ctx context.Context, id int64) (Repair, error) {
	var r Repair
	if err := db.GetContext(ctx, &r, `SELECT `+repairColumns+repairFrom+` WHERE r.id = $1`, id); err != nil {
		return Repair{}, fmt.Errorf("repair %d: %w", id, notFound(err))
	}
	return r, nil
}

// CaseFilter is what the lists of repair and objection cases filter by; the HTTP layer scopes it to what the caller
// may see.
type CaseFilter struct {
	USCC         string
	DepartmentID string
	PenaltyID    int64
	Status       string
	// Open selects the cases still in progress only; OverdueOnly those past a deadline.
	Open        bool
	OverdueOnly bool
	// AfterOverdue and AfterID are the cursor: the last row's sort key (overdue first, then the newest).
	AfterOverdue *bool
	AfterID      int64
	Limit        int
}

// RepairFilter selects repair cases for a list.
type RepairFilter struct {
	CaseFilter
	// Brief reads only what a case's row on a home page shows and works out (repairBriefColumns: its status, holder,
	// deadline and what it waits for); the other fields stay empty.
	Brief bool
}

// repairBriefColumns are what a home page's row of a case shows: under half of the case's columns, each written out
// as text by PostgreSQL and parsed again here (issue 17).
const repairBriefColumns = `r.id, r.penalty_id, r.uscc, r.department_id, r.applied_on, r.status, r.holder,
	r.waiting_training, r.waiting_credit_report, r.acceptance_due, r.decision_due, r.supplement_due, r.rectification_due,
	r.overdue, r.decided_on, r.decision_no, p.decision_no AS penalty_decision_no, p.enterprise_name,
	d.name AS department_name`

// ListRepairs lists cases, overdue ones first, then the newest first.
func (db *DB) ListRepairs(ctx context.Context, f RepairFilter) ([]Repair, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Repair) { b.Repairs(f, out) })
}

// Repairs adds ListRepairs's read to b.
func (b *Batch) Repairs(f RepairFilter, out *[]Repair) {
	c := caseConds("r", f.CaseFilter, domain.RepairStatuses, "r.status = ANY($?)", stringArray(domain.RepairOpenStatuses))
	columns := repairColumns
	if f.Brief {
		columns = repairBriefColumns
	}
	addCaseList(b, "list repairs", "r", columns+repairFrom, c, f.Limit, out)
}

// RepairStepRecord is one step of a case as the workflow records it: its progress (written only when newer than
// what the row holds), the materials the step brought, and the audit entry (once, by its key).
type RepairStepRecord struct {
	RepairID    int64
	Seq         int64
	Progress    RepairProgress
	Attachments []int64
	Purpose     string
	Audit       AuditEntry
	Details     any
}

// RecordRepairStep writes a step of a case in one transaction; a retried step writes nothing twice and an older
// step arriving late never overwrites a newer one.
func (db *DB) RecordRepairStep(ctx context.Context, s RepairStepRecord) error {
	p := s.Progress
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE repairs SET seq = $2, status = $3, holder = $4, round = $5,
				waiting_training = $6, waiting_credit_report = $7, received_on = $8, acceptance_due = $9, accepted_on = $10,
				decision_due = $11, overall_due = $12, supplement_due = $13, rectification_due = $14,
				rectification_submitted = $15, rectification_missed = $16, warning_interview_on = $17, extended = $18,
				supplement_requested = $19, overdue = $20, decided_on = $21, decided_in_time = $22, approved = $23,
				decision_no = $24, decision_reason = $25, commitment_letter_id = NULLIF($26, 0),
				training_letter_id = NULLIF($27, 0), credit_report_attachment_id = NULLIF($28, 0),
				withdrawal_id = NULLIF($29, 0), provisional_deadlines = $30,
				closed_at = CASE WHEN $3 IN ('not_accepted', 'refused', 'closed', 'cancelled', 'revoked')
					THEN COALESCE(closed_at, now()) ELSE NULL END,
				updated_at = now()
			WHERE id = $1 AND seq < $2`,
			s.RepairID, s.Seq, p.Status, p.Holder, p.Round, p.WaitingTraining, p.WaitingCreditReport, p.ReceivedOn,
			p.AcceptanceDue, p.AcceptedOn, p.DecisionDue, p.OverallDue, p.SupplementDue, p.RectificationDue,
			p.RectificationSubmitted, p.RectificationMissed, p.WarningInterviewOn, p.Extended, p.SupplementRequested,
			p.Overdue, p.DecidedOn, p.DecidedInTime, p.Approved, p.DecisionNo, p.DecisionReason, p.CommitmentLetterID,
			p.TrainingLetterID, p.CreditReportAttachmentID, p.WithdrawalID, provisionalOf(p.Provisional))
		if err != nil {
			return fmt.Errorf("record repair %d step %d: %w", s.RepairID, s.Seq, err)
		}
		purpose := s.Purpose
		if purpose == "" {
			purpose = "supplement"
		}
		if err := linkAttachments(ctx, tx, s.RepairID, s.Attachments, purpose); err != nil {
			return err
		}
		return AuditTx(ctx, tx, s.Audit, s.Details)
	})
}

// TrainingCertificateOf returns the newest training certificate letter of an enterprise, or 0 when it has none.
func (db *DB) TrainingCertificateOf(ctx context.Context, uscc string) (int64, error) {
	var id int64
	err := db.GetContext(ctx, &id, `SELECT id FROM letters WHERE kind = 'training_certificate' AND uscc = $1
		AND superseded_by IS NULL ORDER BY id DESC LIMIT 1`, uscc)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("training certificate of %s: %w", uscc, err)
	}
	return id, nil
}

// FraudBan is a ban on repairing a record after a repair of it was revoked for fraud.
type FraudBan struct {
	ID          int64         `db:"id"`
	RepairID    int64         `db:"repair_id"`
	PenaltyID   int64         `db:"penalty_id"`
	USCC        string        `db:"uscc"`
	Reason      string        `db:"reason"`
	RevokedOn   domain.Date   `db:"revoked_on"`
	BannedUntil domain.Date   `db:"banned_until"`
	LetterID    sql.NullInt64 `db:"letter_id"`
	RevokedBy   string        `db:"revoked_by"`
	CreatedAt   time.Time     `db:"created_at"`
	// RecordID is the fraud record published for it (records.go).
	RecordID sql.NullInt64 `db:"record_id"`
}

// PutFraudBan records a fraud ban once per revoked repair.
func (db *DB) PutFraudBan(ctx context.Context, b FraudBan) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO fraud_bans (repair_id, penalty_id, uscc, reason, revoked_on, banned_until,
			letter_id, revoked_by)
		VALUES (:repair_id, :penalty_id, :uscc, :reason, :revoked_on, :banned_until, :letter_id, :revoked_by)
		ON CONFLICT (repair_id) DO NOTHING`, b)
	if err != nil {
		return fmt.Errorf("fraud ban of repair %d: %w", b.RepairID, err)
	}
	return nil
}

// ActiveFraudBan returns the ban in force on a record on a date (the one lasting longest), or nil.
func (db *DB) ActiveFraudBan(ctx context.Context, penaltyID int64, on domain.Date) (*FraudBan, error) {
	var b FraudBan
	err := db.GetContext(ctx, &b, `SELECT id, repair_id, penalty_id, uscc, reason, revoked_on, banned_until, letter_id,
			revoked_by, created_at
		FROM fraud_bans WHERE penalty_id = $1 AND banned_until >= $2 ORDER BY banned_until DESC LIMIT 1`, penaltyID, on)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fraud ban of penalty %d: %w", penaltyID, err)
	}
	return &b, nil
}

// FraudBanOfRepair returns the ban a revoked repair left, or nil.
func (db *DB) FraudBanOfRepair(ctx context.Context, repairID int64) (*FraudBan, error) {
	var b FraudBan
	err := db.GetContext(ctx, &b, `SELECT id, repair_id, penalty_id, uscc, reason, revoked_on, banned_until, letter_id,
			revoked_by, created_at, record_id FROM fraud_bans WHERE repair_id = $1`, repairID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fraud ban of repair %d: %w", repairID, err)
	}
	return &b, nil
}

// OpenRepairOf returns the open case of a record, or 0.
func (db *DB) OpenRepairOf(ctx context.Context, penaltyID int64) (int64, error) {
	var id int64
	err := db.GetContext(ctx, &id, `SELECT id FROM repairs WHERE penalty_id = $1 AND status = ANY($2) ORDER BY id LIMIT 1`,
		penaltyID, stringArray(domain.RepairOpenStatuses))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open repair of penalty %d: %w", penaltyID, err)
	}
	return id, nil
}

// RepairWithdrawal is the state of the withdrawal that follows an approved repair.
type RepairWithdrawal = CaseWithdrawal

// WithdrawalAfterRepair reports how the withdrawal of a repaired record stands (see WithdrawalForCase).
func (db *DB) WithdrawalAfterRepair(ctx context.Context, penaltyID, repairID int64) (RepairWithdrawal, error) {
	return db.WithdrawalForCase(ctx, penaltyID, "repair-"+strconv.FormatInt(repairID, 10))
}

// RepairStats are the credit office's numbers: cases by status, and how many decisions kept their deadline.
type RepairStats struct {
	ByStatus      map[string]int `json:"by_status"`
	Open          int            `json:"open"`
	Overdue       int            `json:"overdue"`
	Decided       int            `json:"decided"`
	DecidedInTime int            `json:"decided_in_time"`
	// InTimeShare is DecidedInTime / Decided (0 when nothing was decided).
	InTimeShare float64 `json:"in_time_share"`
}

// RepairStatistics counts the cases of a department ("" for all).
func (db *DB) RepairStatistics(ctx context.Context, departmentID string) (RepairStats, error) {
	st := RepairStats{ByStatus: map[string]int{}}
	var rows []struct {
		Status  string `db:"status"`
		N       int    `db:"n"`
		Overdue int    `db:"overdue"`
		Decided int    `db:"decided"`
		InTime  int    `db:"in_time"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n, count(*) FILTER (WHERE overdue) AS overdue,
			count(*) FILTER (WHERE decided_on IS NOT NULL) AS decided,
			count(*) FILTER (WHERE decided_in_time) AS in_time
		FROM repairs WHERE ($1 = '' OR department_id = $1) GROUP BY status`, departmentID)
	if err != nil {
		return st, fmt.Errorf("repair statistics: %w", err)
	}
	open := map[domain.RepairStatus]bool{}
	for _, s := range domain.RepairOpenStatuses {
		open[s] = true
	}
	for _, r := range rows {
		st.ByStatus[r.Status] = r.N
		if open[domain.RepairStatus(r.Status)] {
			st.Open += r.N
			st.Overdue += r.Overdue
		}
		st.Decided += r.Decided
		st.DecidedInTime += r.InTime
	}
	if st.Decided > 0 {
		st.InTimeShare = float64(st.DecidedInTime) / float64(st.Decided)
	}
	return st, nil
}

// RestorePenaltyPublished marks a record that a revoked repair had brought down as published again (the explicit
// new decision of a fraud revocation; the channels themselves are republished by the publish workflow). The audit
// entry is keyed by the revoked repair, so a retry writes nothing twice.
func (db *DB) RestorePenaltyPublished(ctx context.Context, penaltyID, repairID int64, reason string) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE penalties SET status = $2, updated_at = now()
			WHERE id = $1 AND status IN ($3, $4)`, penaltyID, domain.PenaltyPublished, domain.PenaltyWithdrawing, domain.PenaltyWithdrawn); err != nil {
			return fmt.Errorf("restore penalty %d published: %w", penaltyID, err)
		}
		key := fmt.Sprintf("penalty-%d:republished-after-repair-%d", penaltyID, repairID)
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "penalty.republished_after_fraud",
			CaseKind: "penalty", CaseID: strconv.FormatInt(penaltyID, 10), DedupKey: &key},
			map[string]any{"repair_id": repairID, "reason": reason})
	})
}
