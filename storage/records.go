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
