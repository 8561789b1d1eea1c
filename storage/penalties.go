package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Penalty is an administrative penalty record and where its lifecycle stands.
type Penalty struct {
	ID                 int64          `db:"id"`
	DepartmentID       string         `db:"department_id"`
	DecisionNo         string         `db:"decision_no"`
	USCC               string         `db:"uscc"`
	EnterpriseName     string         `db:"enterprise_name"`
	DecidedOn          domain.Date    `db:"decided_on"`
	PenaltyTypes       pq.StringArray `db:"penalty_types"`
	FineAmountYuan     string         `db:"fine_amount_yuan"` // numeric as text: exact
	Class              string         `db:"class"`
	ClassGiven         bool           `db:"class_given"`
	DurationMonths     int            `db:"duration_months"`
	Facts              string         `db:"facts"`
	LegalBasis         string         `db:"legal_basis"`
	RuleSet            string         `db:"rule_set"`
	Published          bool           `db:"published"`
	PublishDue         domain.Date    `db:"publish_due"`
	RepairEligibleFrom domain.Date    `db:"repair_eligible_from"`
	PublicationEnds    domain.Date    `db:"publication_ends"`
	Status             string         `db:"status"`
	DeliveryMethod     sql.NullString `db:"delivery_method"`
	DeliveredOn        *domain.Date   `db:"delivered_on"`
	DeliverySignedBy   sql.NullString `db:"delivery_signed_by"`
	DeliveryWitness    sql.NullString `db:"delivery_witness"`
	FlaggedObjection   bool           `db:"flagged_objection"`
	ImportID           sql.NullInt64  `db:"import_id"`
	ImportRow          sql.NullInt32  `db:"import_row"`
	CreatedBy          string         `db:"created_by"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

const penaltyColumns = `id, department_id, decision_no, uscc, enterprise_name, decided_on, penalty_types, fine_amount_yuan,
	class, class_given, duration_months, facts, legal_basis, rule_set, published, publish_due, repair_eligible_from,
	publication_ends, status, delivery_method, delivered_on, delivery_signed_by, delivery_witness, flagged_objection,
	import_id, import_row, created_by, created_at, updated_at`

// InsertPenalty stores a new penalty (status 'registered') and returns its id; a duplicate decision number of the
// same department is ErrConflict.
func InsertPenalty(ctx context.Context, tx sqlx.ExtContext, p Penalty) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
			penalty_types, fine_amount_yuan, class, class_given, duration_months, facts, legal_basis, rule_set, published,
			publish_due, repair_eligible_from, publication_ends, status, import_id, import_row, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'registered', $18, $19, $20)
		RETURNING id`,
		p.DepartmentID, p.DecisionNo, p.USCC, p.EnterpriseName, p.DecidedOn, p.PenaltyTypes, p.FineAmountYuan,
		p.Class, p.ClassGiven, p.DurationMonths, p.Facts, p.LegalBasis, p.RuleSet, p.Published,
		p.PublishDue, p.RepairEligibleFrom, p.PublicationEnds, p.ImportID, p.ImportRow, p.CreatedBy)
	if IsUniqueViolation(err) {
		return 0, fmt.Errorf("penalty %s of %s: %w", p.DecisionNo, p.DepartmentID, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("insert penalty: %w", err)
	}
	return id, nil
}

// GetPenalty returns a penalty.
func (db *DB) GetPenalty(ctx context.Context, id int64) (Penalty, error) {
	var p Penalty
	if err := db.GetContext(ctx, &p, `SELECT `+penaltyColumns+` FROM penalties WHERE id = $1`, id); err != nil {
		return Penalty{}, fmt.Errorf("penalty %d: %w", id, notFound(err))
	}
	return p, nil
}

// PenaltyFilter selects penalties for lists; empty fields do not filter.
type PenaltyFilter struct {
	USCC         string
	DepartmentID string
	Status       string
	AfterID      int64
	Limit        int
}

// ListPenalties lists penalties by id.
func (db *DB) ListPenalties(ctx context.Context, f PenaltyFilter) ([]Penalty, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var ps []Penalty
	err := db.SelectContext(ctx, &ps, `SELECT `+penaltyColumns+` FROM penalties
		WHERE ($1 = '' OR uscc = $1) AND ($2 = '' OR department_id = $2) AND ($3 = '' OR status = $3) AND id > $4
		ORDER BY id LIMIT $5`, f.USCC, f.DepartmentID, f.Status, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list penalties: %w", err)
	}
	return ps, nil
}

// SetPenaltyStatus records the lifecycle step a penalty reached (written by the penalty workflow's activities).
func (db *DB) SetPenaltyStatus(ctx context.Context, id int64, status string) error {
	_, err := db.ExecContext(ctx, `UPDATE penalties SET status = $2, updated_at = now() WHERE id = $1`, id, status)
	if err != nil {
		return fmt.Errorf("penalty %d status %s: %w", id, status, err)
	}
	return nil
}

// Publication is a record's state on one channel.
type Publication struct {
	PenaltyID   int64        `db:"penalty_id"`
	ChannelID   string       `db:"channel_id"`
	ChannelName string       `db:"channel_name"`
	Status      string       `db:"status"`
	DueOn       *domain.Date `db:"due_on"`
	Attempts    int          `db:"attempts"`
	PublishedAt sql.NullTime `db:"published_at"`
	WithdrawnAt sql.NullTime `db:"withdrawn_at"`
	Reference   string       `db:"reference"`
	LastError   string       `db:"last_error"`
}

// PublicationsOf lists a record's channels.
func (db *DB) PublicationsOf(ctx context.Context, penaltyID int64) ([]Publication, error) {
	var ps []Publication
	err := db.SelectContext(ctx, &ps, `SELECT p.penalty_id, p.channel_id, c.name AS channel_name, p.status, p.due_on,
			p.attempts, p.published_at, p.withdrawn_at, p.reference, p.last_error
		FROM publications p JOIN channels c ON c.id = p.channel_id WHERE p.penalty_id = $1 ORDER BY p.channel_id`, penaltyID)
	if err != nil {
		return nil, fmt.Errorf("publications of %d: %w", penaltyID, err)
	}
	return ps, nil
}
