package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Record kinds: rows of the penalties table that are not administrative penalties (issue 14). They are published and
// withdrawn with the penalties' machinery; their own workflows (workflows/records.go) say when.
const (
	RecordPenalty      = domain.RecordKindPenalty
	RecordFraud        = domain.RecordKindFraud
	RecordAbnormalList = domain.RecordKindAbnormalList
	RecordSeriousList  = domain.RecordKindSeriousList
)

// RecordKindLabel is the Chinese name of a record kind.
func RecordKindLabel(kind string) string { return domain.RecordKindLabel(kind) }

// FraudRecord is the record published when a fraud is found in a repair: its own number (the fraud letter's), the
// department that found it, the record it rests on and its publication dates.
type FraudRecord struct {
	RepairID        int64
	RestsOn         int64
	DepartmentID    string
	Number          string
	USCC            string
	EnterpriseName  string
	FoundOn         domain.Date
	PublishDue      domain.Date
	PublicationEnds domain.Date
	Facts           string
	RuleSet         string
	CreatedBy       string
}

// PutFraudRecord stores the fraud record of a repair case once (a retry finds the first) and links it to the case's
// fraud ban; it returns the record's id. The row is published at once and its lifecycle is marked started: its
// workflow is the record's own, not the penalty lifecycle.
func (db *DB) PutFraudRecord(ctx context.Context, r FraudRecord) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
				penalty_types, class, class_given, facts, legal_basis, rule_set, published, publish_due, repair_eligible_from,
				publication_ends, status, created_by, delivery_due, lifecycle_started_at, record_kind, rests_on)
			VALUES ($1, $2, $3, $4, $5, $6, 'serious', true, $7, $8, $9, true, $10, $11, $11, 'published', $12, $5, now(), $13, $14)
			ON CONFLICT (department_id, decision_no) DO NOTHING RETURNING id`,
			r.DepartmentID, r.Number, r.USCC, r.EnterpriseName, r.FoundOn, pq.StringArray{}, r.Facts,
			"《信用修复管理办法》：提供虚假材料、作出虚假承诺的，记入信用记录并公示三年，不得提前修复", r.RuleSet,
			r.PublishDue, r.PublicationEnds, r.CreatedBy, RecordFraud, r.RestsOn)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("fraud record of repair %d: %w", r.RepairID, err)
		}
		if id == 0 {
			if err := tx.GetContext(ctx, &id, `SELECT id FROM penalties WHERE department_id = $1 AND decision_no = $2`,
				r.DepartmentID, r.Number); err != nil {
				return fmt.Errorf("fraud record of repair %d: %w", r.RepairID, err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fraud_bans SET record_id = $2 WHERE repair_id = $1`, r.RepairID, id); err != nil {
			return fmt.Errorf("fraud record of repair %d: %w", r.RepairID, err)
		}
		key := "fraud-record-" + strconv.FormatInt(r.RepairID, 10)
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "record.fraud_published", CaseKind: "penalty",
			CaseID: strconv.FormatInt(id, 10), DedupKey: &key}, map[string]any{"repair_id": r.RepairID, "rests_on": r.RestsOn,
			"number": r.Number, "publication_ends": r.PublicationEnds})
	})
	return id, err
}

// RecordsRestingOn lists the records of a kind that rest on a record (a penalty's fraud records, its listings).
func (db *DB) RecordsRestingOn(ctx context.Context, penaltyID int64, kind string) ([]Penalty, error) {
	var ps []Penalty
	if err := db.SelectContext(ctx, &ps, `SELECT `+penaltyColumns+` FROM penalties WHERE rests_on = $1 AND record_kind = $2
		ORDER BY id`, penaltyID, kind); err != nil {
		return nil, fmt.Errorf("records resting on %d: %w", penaltyID, err)
	}
	return ps, nil
}

// Listing causes of the business-abnormality list (Order 107 art. 6 ff.).
var AbnormalCauses = map[string]string{
	"annual_report": "未按照规定期限公示年度报告",
	"disclosure":    "未在责令的期限内公示有关企业信息",
	"false_info":    "公示企业信息隐瞒真实情况、弄虚作假",
	"address":       "通过登记的住所或者经营场所无法联系",
}

// NoEnd is the publication end stored for a record that does not end by itself (an abnormal-list entry): the
// column is required, and no date a case could reach compares after it.
var NoEnd = domain.MustParseDate("9999-12-31")

// Listing is a list entry to register: its kind, its own number (文号), the enterprise, the date, the cause and,
// for a serious listing, the penalty it rests on.
type Listing struct {
	Kind           string
	DepartmentID   string
	Number         string
	USCC           string
	EnterpriseName string
	ListedOn       domain.Date
	Cause          string // abnormal: a key of AbnormalCauses
	Facts          string
	RestsOn        int64 // serious: the penalty; 0 none
	RuleSet        string
	PublishDue     domain.Date
	// PublishDueCounted is how PublishDue was counted; a provisional one is kept (case_deadlines, name publish_due)
	// and counted again when its year's notice is loaded. Zero: not counted here.
	PublishDueCounted domain.CaseDeadline
	EligibleFrom      domain.Date
	Ends              domain.Date
	CreatedBy         string
}

// InsertListing stores a list entry, published; the handler then starts its record workflow and marks its lifecycle
// started (MarkLifecyclesStarted), and the reconciler starts the workflow of an entry left unmarked by a handler
// that died in between. A number the department used already is ErrConflict.
func (db *DB) InsertListing(ctx context.Context, l Listing) (int64, error) {
	var id int64
	class := "general"
	if l.Kind == RecordSeriousList {
		class = "serious"
	}
	var restsOn sql.NullInt64
	if l.RestsOn != 0 {
		restsOn = sql.NullInt64{Int64: l.RestsOn, Valid: true}
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
				penalty_types, class, class_given, facts, legal_basis, rule_set, published, publish_due, repair_eligible_from,
				publication_ends, status, created_by, delivery_due, lifecycle_started_at, record_kind, rests_on, listing_cause)
			VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, '', $9, true, $10, $11, $12, 'published', $13, $5, NULL, $14, $15, $16)
			RETURNING id`,
			l.DepartmentID, l.Number, l.USCC, l.EnterpriseName, l.ListedOn, pq.StringArray{}, class, l.Facts, l.RuleSet,
			l.PublishDue, l.EligibleFrom, l.Ends, l.CreatedBy, l.Kind, restsOn, l.Cause)
		if IsUniqueViolation(err) {
			return fmt.Errorf("listing %s of %s: %w", l.Number, l.DepartmentID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("insert listing: %w", err)
		}
		if l.PublishDueCounted.Name != "" {
			if err := putCaseDeadlines(ctx, tx, "penalty", strconv.FormatInt(id, 10), []domain.CaseDeadline{l.PublishDueCounted}); err != nil {
				return err
			}
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: l.CreatedBy, Role: string(domain.RoleDepartment), Action: "listing.registered",
			CaseKind: "penalty", CaseID: strconv.FormatInt(id, 10)}, map[string]any{"kind": l.Kind, "number": l.Number,
			"cause": l.Cause, "rests_on": l.RestsOn, "listed_on": l.ListedOn})
	})
	return id, err
}

// ListingFilter selects list entries.
type ListingFilter struct {
	USCC         string
	DepartmentID string
	Kind         string
	Limit        int
}

// ListListings lists list entries, the newest first.
func (db *DB) ListListings(ctx context.Context, f ListingFilter) ([]Penalty, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 100
	}
	var ps []Penalty
	err := db.SelectContext(ctx, &ps, `SELECT `+penaltyColumns+` FROM penalties
		WHERE record_kind IN ('abnormal_list', 'serious_list') AND ($1 = '' OR uscc = $1) AND ($2 = '' OR department_id = $2)
		  AND ($3 = '' OR record_kind = $3)
		ORDER BY id DESC LIMIT $4`, f.USCC, f.DepartmentID, f.Kind, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list listings: %w", err)
	}
	return ps, nil
}

// NewerHeavierPenalty returns a penalty of the enterprise classed general or serious (较重及以上) decided after a
// date, or nil.
func (db *DB) NewerHeavierPenalty(ctx context.Context, uscc string, after domain.Date) (*Penalty, error) {
	var p Penalty
	err := db.GetContext(ctx, &p, `SELECT `+penaltyColumns+` FROM penalties WHERE uscc = $1 AND record_kind = 'penalty'
		AND class IN ('general', 'serious') AND decided_on > $2 AND status <> 'revoked' ORDER BY decided_on LIMIT 1`, uscc, after)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("newer penalty of %s: %w", uscc, err)
	}
	return &p, nil
}

// IsListing reports whether a record kind is a list entry.
func IsListing(kind string) bool { return kind == RecordAbnormalList || kind == RecordSeriousList }
