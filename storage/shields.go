package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Shield statuses.
const (
	ShieldPending  = domain.ShieldPending
	ShieldShielded = domain.ShieldShielded
	ShieldRefused  = domain.ShieldRefused
	ShieldRestored = domain.ShieldRestored
)

// Shield is a bankruptcy shielding case (破产重整/和解).
type Shield struct {
	ID                 int64         `db:"id" json:"id"`
	USCC               string        `db:"uscc" json:"uscc"`
	DepartmentID       string        `db:"department_id" json:"department_id"`
	Procedure          string        `db:"procedure" json:"procedure"`
	RulingNo           string        `db:"ruling_no" json:"ruling_no"`
	RulingAttachmentID int64         `db:"ruling_attachment_id" json:"ruling_attachment_id"`
	Applicant          string        `db:"applicant" json:"applicant"`
	ApplicantRole      string        `db:"applicant_role" json:"applicant_role"`
	AdministratorName  string        `db:"administrator_name" json:"administrator_name"`
	RuleSet            string        `db:"rule_set" json:"rule_set"`
	AppliedOn          domain.Date   `db:"applied_on" json:"applied_on"`
	DecisionDue        *domain.Date  `db:"decision_due" json:"decision_due"`
	Status             string        `db:"status" json:"status"`
	DecidedOn          *domain.Date  `db:"decided_on" json:"decided_on"`
	DecisionNo         string        `db:"decision_no" json:"decision_no"`
	DecisionReason     string        `db:"decision_reason" json:"decision_reason"`
	RecordIDs          pq.Int64Array `db:"record_ids" json:"record_ids"`
	RestoredOn         *domain.Date  `db:"restored_on" json:"restored_on"`
	RestoreRulingNo    string        `db:"restore_ruling_no" json:"restore_ruling_no"`
	CreatedAt          time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time     `db:"updated_at" json:"updated_at"`
}

const shieldColumns = `id, uscc, department_id, procedure, ruling_no, ruling_attachment_id, applicant, applicant_role,
	administrator_name, rule_set, applied_on, decision_due, status, decided_on, decision_no, decision_reason, record_ids,
	restored_on, restore_ruling_no, created_at, updated_at`

// InsertShield stores a new application (status pending) with its audit entry and returns its id.
func (db *DB) InsertShield(ctx context.Context, s Shield) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO bankruptcy_shields (uscc, department_id, procedure, ruling_no,
				ruling_attachment_id, applicant, applicant_role, administrator_name, rule_set, applied_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, s.USCC, s.DepartmentID, s.Procedure, s.RulingNo,
			s.RulingAttachmentID, s.Applicant, s.ApplicantRole, s.AdministratorName, s.RuleSet, s.AppliedOn); err != nil {
			return fmt.Errorf("insert shield: %w", err)
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: s.Applicant, Role: string(domain.RoleEnterprise), Action: "shield.applied",
			CaseKind: "shield", CaseID: strconv.FormatInt(id, 10)}, map[string]any{"ruling_no": s.RulingNo,
			"procedure": s.Procedure, "department_id": s.DepartmentID, "applicant_role": s.ApplicantRole})
	})
	return id, err
}

// GetShield returns a shielding case.
func (db *DB) GetShield(ctx context.Context, id int64) (Shield, error) {
	var s Shield
	if err := db.GetContext(ctx, &s, `SELECT `+shieldColumns+` FROM bankruptcy_shields WHERE id = $1`, id); err != nil {
		return Shield{}, fmt.Errorf("shield %d: %w", id, notFound(err))
	}
	return s, nil
}

// ShieldStep records a step of a shielding case: the whole row as the workflow knows it, and the audit entry
// (once per key, so a retried activity writes once).
func (db *DB) ShieldStep(ctx context.Context, s Shield, action, actor, key string, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE bankruptcy_shields SET decision_due = $2, status = $3, decided_on = $4,
				decision_no = $5, decision_reason = $6, record_ids = $7, restored_on = $8, restore_ruling_no = $9, updated_at = now()
			WHERE id = $1`, s.ID, s.DecisionDue, s.Status, s.DecidedOn, s.DecisionNo, s.DecisionReason, s.RecordIDs,
			s.RestoredOn, s.RestoreRulingNo); err != nil {
			return fmt.Errorf("shield %d step: %w", s.ID, err)
		}
		role := "system"
		if actor == "" {
			actor = "system"
		} else {
			role = string(domain.RoleDepartment)
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: actor, Role: role, Action: action, CaseKind: "shield",
			CaseID: strconv.FormatInt(s.ID, 10), DedupKey: &key}, details)
	})
}

// ShieldableRecords are the enterprise's records a department published that are on the channels now.
func (db *DB) ShieldableRecords(ctx context.Context, uscc, departmentID string) ([]Penalty, error) {
	var ps []Penalty
	if err := db.SelectContext(ctx, &ps, `SELECT `+penaltyColumns+` FROM penalties
		WHERE uscc = $1 AND department_id = $2 AND published AND status IN ('registered', 'notice_issued', 'delivered', 'published', 'eligible')
		ORDER BY id`, uscc, departmentID); err != nil {
		return nil, fmt.Errorf("shieldable records of %s: %w", uscc, err)
	}
	return ps, nil
}
