package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Penalty is an administrative penalty record and where its lifecycle stands.
type Penalty struct {
	ID                 int64                `db:"id"`
	DepartmentID       string               `db:"department_id"`
	DecisionNo         string               `db:"decision_no"`
	USCC               string               `db:"uscc"`
	EnterpriseName     string               `db:"enterprise_name"`
	DecidedOn          domain.Date          `db:"decided_on"`
	PenaltyTypes       pq.StringArray       `db:"penalty_types"`
	FineAmountYuan     string               `db:"fine_amount_yuan"` // numeric as text: exact
	Class              string               `db:"class"`
	ClassGiven         bool                 `db:"class_given"`
	DurationMonths     int                  `db:"duration_months"`
	Facts              string               `db:"facts"`
	LegalBasis         string               `db:"legal_basis"`
	RuleSet            string               `db:"rule_set"`
	Published          bool                 `db:"published"`
	PublishDue         domain.Date          `db:"publish_due"`
	RepairEligibleFrom domain.Date          `db:"repair_eligible_from"`
	PublicationEnds    domain.Date          `db:"publication_ends"`
	Status             domain.PenaltyStatus `db:"status"`
	DeliveryMethod     sql.NullString       `db:"delivery_method"`
	DeliveredOn        *domain.Date         `db:"delivered_on"`
	DeliverySignedBy   sql.NullString       `db:"delivery_signed_by"`
	DeliveryWitness    sql.NullString       `db:"delivery_witness"`
	FlaggedObjection   bool                 `db:"flagged_objection"`
	ImportID           sql.NullInt64        `db:"import_id"`
	ImportRow          sql.NullInt32        `db:"import_row"`
	CreatedBy          string               `db:"created_by"`
	CreatedAt          time.Time            `db:"created_at"`
	UpdatedAt          time.Time            `db:"updated_at"`
	// DeliveryDue is the last day to deliver the decision and the repair notice (Deadlines.Delivery working days).
	DeliveryDue        domain.Date    `db:"delivery_due"`
	DeliveryConsent    bool           `db:"delivery_consent"`
	DeliveryRecordedBy sql.NullString `db:"delivery_recorded_by"`
	RevokedOn          *domain.Date   `db:"revoked_on"`
	RevocationReason   sql.NullString `db:"revocation_reason"`
	LifecycleStartedAt sql.NullTime   `db:"lifecycle_started_at"`
	PenaltyLaw
	// RecordKind is penalty, or a record of another procedure published like one (records.go).
	RecordKind   string        `db:"record_kind"`
	RestsOn      sql.NullInt64 `db:"rests_on"`
	ListingCause string        `db:"listing_cause"`
	// National are the national 双公示 items no other column holds.
	National PenaltyNational `db:"national"`
	// DepartmentName is read by the lists of the pages (PenaltyFilter.Named); elsewhere empty.
	DepartmentName string `db:"department_name"`
}

const penaltyColumns = `id, department_id, decision_no, uscc, enterprise_name, decided_on, penalty_types, fine_amount_yuan,
	class, class_given, duration_months, facts, legal_basis, rule_set, published, publish_due, repair_eligible_from,
	publication_ends, status, delivery_method, delivered_on, delivery_signed_by, delivery_witness, flagged_objection,
	import_id, import_row, created_by, created_at, updated_at, delivery_due, delivery_consent, delivery_recorded_by,
	revoked_on, revocation_reason, lifecycle_started_at, record_kind, rests_on, listing_cause, national, ` + penaltyLawColumns

// InsertPenalty stores a new penalty (status 'registered') and returns its id; a duplicate decision number of the
// same department is ErrConflict.
func InsertPenalty(ctx context.Context, tx sqlx.ExtContext, p Penalty) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
			penalty_types, fine_amount_yuan, class, class_given, duration_months, facts, legal_basis, rule_set, published,
			publish_due, repair_eligible_from, publication_ends, status, import_id, import_row, created_by, delivery_due)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'registered', $18, $19, $20, $21)
		RETURNING id`,
		p.DepartmentID, p.DecisionNo, p.USCC, p.EnterpriseName, p.DecidedOn, p.PenaltyTypes, p.FineAmountYuan,
		p.Class, p.ClassGiven, p.DurationMonths, p.Facts, p.LegalBasis, p.RuleSet, p.Published,
		p.PublishDue, p.RepairEligibleFrom, p.PublicationEnds, p.ImportID, p.ImportRow, p.CreatedBy, p.DeliveryDue)
	if IsUniqueViolation(err) {
		return 0, fmt.Errorf("penalty %s of %s: %w", p.DecisionNo, p.DepartmentID, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("insert penalty: %w", err)
	}
	if err := putPenaltyLaw(ctx, tx, []int64{id}, []PenaltyLaw{p.PenaltyLaw}); err != nil {
		return 0, err
	}
	if err := putPenaltyNational(ctx, tx, []int64{id}, []PenaltyNational{p.National}); err != nil {
		return 0, err
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
	// Overdue is "delivery" (not delivered after its delivery deadline) or "publication" (to be published, not yet
	// published after publish_due), judged on today's date in Beijing.
	Overdue string
	// AfterID pages forward in id order; with Newest, BeforeID pages backwards from the newest.
	AfterID  int64
	Newest   bool
	BeforeID int64
	Limit    int
	// Named reads each record's department name too (DepartmentName), for a page that shows it.
	Named bool
	// Brief reads only what a record's row on a home page shows (penaltyBriefColumns); the other fields stay empty.
	Brief bool
}

// penaltyBriefColumns are what a home page's row of a record shows and works out (its channels, its countdown, its
// lateness): a third of the record's columns, each written out as text by PostgreSQL and parsed again here (issue 17).
const penaltyBriefColumns = `id, department_id, decision_no, uscc, enterprise_name, decided_on, penalty_types, class,
	published, publish_due, repair_eligible_from, publication_ends, status, delivered_on, delivery_due, record_kind`

// ListPenalties lists penalties by id (the newest first with Newest).
func (db *DB) ListPenalties(ctx context.Context, f PenaltyFilter) ([]Penalty, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Penalty) { b.Penalties(f, out) })
}

// Penalties adds ListPenalties's read to b.
func (b *Batch) Penalties(f PenaltyFilter, out *[]Penalty) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	// Only the filters asked for are in the statement (conds): the catch-all form was planned again on every call,
	// which cost the office's and the department's lists more than running them (issue 17).
	var c conds
	c.addIf("uscc = $?::bpchar", f.USCC)
	c.addIf("department_id = $?", f.DepartmentID)
	if f.Status != "" {
		addEnum(&c, "status = $?", f.Status, domain.PenaltyStatuses)
	}
	order := "id"
	if f.Newest {
		order = "id DESC"
		c.addIf("id < $?", f.BeforeID)
	} else {
		c.add("id > $?", f.AfterID)
	}
	// Today is read by the statement, not passed to it: given as an argument, the statement was planned again on
	// every call for the date it got (issue 17).
	switch f.Overdue {
	case "":
	case "delivery":
		c.add("delivered_on IS NULL AND delivery_due < " + sqlToday + " AND status NOT IN ('withdrawn', 'revoked')")
	case "publication":
		c.add("published AND publish_due < " + sqlToday + " AND status IN ('registered', 'notice_issued', 'delivered')")
	default: // not a kind of deadline: nothing is overdue by it
		c.add("FALSE")
	}
	columns := penaltyColumns
	if f.Brief {
		columns = penaltyBriefColumns
	}
	if f.Named {
		columns += `, (SELECT d.name FROM departments d WHERE d.id = penalties.department_id) AS department_name`
	}
	b.add("list penalties", out, `SELECT `+columns+` FROM penalties WHERE `+c.sql()+`
		ORDER BY `+order+` LIMIT `+limitOf(f.Limit), c.args, func() error { *out = firstN(*out, f.Limit); return nil })
}

// SetPenaltyStatus records the lifecycle step a penalty reached (written by the penalty workflow's activities).
func (db *DB) SetPenaltyStatus(ctx context.Context, id int64, status domain.PenaltyStatus) error {
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

// NewestPublications adds to b the channels of an enterprise's newest records, as many as ListPenalties lists with
// Newest and this limit, keyed by penalty id: what its home page shows beside them, which is only each channel's
// name and status (the other fields stay empty: the page shows none of them, and each date and time read is text
// parsed again, issue 17).
func (b *Batch) NewestPublications(uscc string, limit int, out *map[int64][]Publication) {
	var ps []Publication
	b.add("publications of the newest records", &ps, `SELECT p.penalty_id, p.channel_id, c.name AS channel_name, p.status
		FROM publications p JOIN channels c ON c.id = p.channel_id
		WHERE p.penalty_id IN (SELECT id FROM penalties WHERE uscc = $1::bpchar ORDER BY id DESC LIMIT `+strconv.Itoa(max(limit, 1))+`)
		ORDER BY p.penalty_id, p.channel_id`, []any{uscc}, func() error {
		m := make(map[int64][]Publication)
		for _, p := range ps {
			m[p.PenaltyID] = append(m[p.PenaltyID], p)
		}
		*out = m
		return nil
	})
}

// advanceStatus moves a penalty to status unless it is already there or further.
func advanceStatus(ctx context.Context, ex sqlx.ExecerContext, id int64, status domain.PenaltyStatus) error {
	rank := status.Rank()
	if rank < 0 {
		return fmt.Errorf("penalty %d: unknown status %q", id, status)
	}
	var earlier []string
	for _, s := range domain.PenaltyStatuses {
		if s.Rank() < rank {
			earlier = append(earlier, string(s))
		}
	}
	_, err := ex.ExecContext(ctx, `UPDATE penalties SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3)`,
		id, status, pq.StringArray(earlier))
	if err != nil {
		return fmt.Errorf("penalty %d status %s: %w", id, status, err)
	}
	return nil
}

// PenaltyStep records a step of a penalty's lifecycle: the status it reached (never moving backwards) and its
// audit entry, together. The audit entry's dedup key makes a retried step a no-op.
func (db *DB) PenaltyStep(ctx context.Context, id int64, status domain.PenaltyStatus, e AuditEntry, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if status != "" {
			if err := advanceStatus(ctx, tx, id, status); err != nil {
				return err
			}
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// Delivery is how and when a penalty decision and its repair notice were delivered.
type Delivery struct {
	Method      domain.DeliveryMethod
	DeliveredOn domain.Date
	SignedBy    string
	Witness     string
	Consent     bool
	RecordedBy  string
}

// RecordDelivery stores the delivery of a penalty (once: a second call keeps the first) and its audit entry.
func (db *DB) RecordDelivery(ctx context.Context, id int64, d Delivery, e AuditEntry, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE penalties SET delivery_method = $2, delivered_on = $3, delivery_signed_by = $4,
				delivery_witness = $5, delivery_consent = $6, delivery_recorded_by = $7, updated_at = now()
			WHERE id = $1 AND delivered_on IS NULL`,
			id, d.Method, d.DeliveredOn, nullable(d.SignedBy), nullable(d.Witness), d.Consent, nullable(d.RecordedBy))
		if err != nil {
			return fmt.Errorf("penalty %d delivery: %w", id, err)
		}
		if err := advanceStatus(ctx, tx, id, domain.PenaltyDelivered); err != nil {
			return err
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// RecordRevocation stores that the decision was revoked or changed by review or court (once) and its audit entry.
func (db *DB) RecordRevocation(ctx context.Context, id int64, on domain.Date, reason string, e AuditEntry, details any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE penalties SET revoked_on = $2, revocation_reason = $3, updated_at = now()
			WHERE id = $1 AND revoked_on IS NULL`, id, on, reason)
		if err != nil {
			return fmt.Errorf("penalty %d revocation: %w", id, err)
		}
		return AuditTx(ctx, tx, e, details)
	})
}

// MarkLifecyclesStarted records that the lifecycle workflows of the penalties were started; it returns how many
// were not marked before.
func (db *DB) MarkLifecyclesStarted(ctx context.Context, ids []int64) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE penalties SET lifecycle_started_at = now()
		WHERE id = ANY($1) AND lifecycle_started_at IS NULL`, pq.Int64Array(ids))
	if err != nil {
		return 0, fmt.Errorf("mark lifecycles started: %w", err)
	}
	return res.RowsAffected()
}

// PenaltyByDecisionNo finds a department's penalty by its decision number.
func (db *DB) PenaltyByDecisionNo(ctx context.Context, departmentID, decisionNo string) (Penalty, error) {
	var p Penalty
	err := db.GetContext(ctx, &p, `SELECT `+penaltyColumns+` FROM penalties WHERE department_id = $1 AND decision_no = $2`,
		departmentID, decisionNo)
	if err != nil {
		return Penalty{}, fmt.Errorf("penalty %s of %s: %w", decisionNo, departmentID, notFound(err))
	}
	return p, nil
}

// PublicationChannelNames lists the active channels a department's records are published on: every channel
// that is not another department's own site.
func (db *DB) PublicationChannelNames(ctx context.Context, departmentID string) ([]string, error) {
	var names []string
	err := db.SelectContext(ctx, &names, `SELECT name FROM channels
		WHERE active AND (department_id IS NULL OR department_id = $1) ORDER BY id`, departmentID)
	if err != nil {
		return nil, fmt.Errorf("publication channels of %s: %w", departmentID, err)
	}
	return names, nil
}

// WithdrawalOrder is a record's withdrawal order (一件通用) as lists show it.
type WithdrawalOrder struct {
	ID       int64                   `db:"id" json:"id"`
	Cause    domain.WithdrawalCause  `db:"cause" json:"cause"`
	CauseRef string                  `db:"cause_ref" json:"cause_ref"`
	Status   domain.WithdrawalStatus `db:"status" json:"status"`
}

// CurrentWithdrawal returns a record's latest withdrawal order, or nil when none was ordered.
func (db *DB) CurrentWithdrawal(ctx context.Context, penaltyID int64) (*WithdrawalOrder, error) {
	var w WithdrawalOrder
	err := db.GetContext(ctx, &w, `SELECT id, cause, cause_ref, status FROM withdrawals WHERE penalty_id = $1
		ORDER BY id DESC LIMIT 1`, penaltyID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("withdrawal of %d: %w", penaltyID, err)
	}
	return &w, nil
}

// RegisterPenalty stores a new penalty with its enterprise (created when unknown; a known one keeps its name) and the audit entry of
// the registration, all or nothing: a duplicate decision number of the same department is ErrConflict and changes
// nothing.
func (db *DB) RegisterPenalty(ctx context.Context, p Penalty, e Enterprise, audit AuditEntry, details func(id int64) any) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		// The registry's name is never changed as a side effect of a registration: only the credit office or an
		// admin renames an enterprise (RenameEnterprise).
		_, err := tx.NamedExecContext(ctx, `INSERT INTO enterprises (uscc, name) VALUES (:uscc, :name)
			ON CONFLICT (uscc) DO NOTHING`, e)
		if err != nil {
			return fmt.Errorf("upsert enterprise %s: %w", e.USCC, err)
		}
		if id, err = InsertPenalty(ctx, tx, p); err != nil {
			return err
		}
		audit.CaseID = fmt.Sprint(id)
		return AuditTx(ctx, tx, audit, details(id))
	})
	return id, err
}
