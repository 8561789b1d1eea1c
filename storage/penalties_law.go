package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// PenaltyLaw are the facts of a decision that the class rules of SAMR Orders 107 and 45 and NDRC Order 36 need
// beyond its penalty types and amount (migrations/00015_law_penalties.sql).
type PenaltyLaw struct {
	// RegulatedField is a domain.RegulatedField ("" for none of the fields of Order 107 art. 8).
	RegulatedField string `db:"regulated_field"`
	// Discretion is a domain.Discretion ("" when not stated).
	Discretion string `db:"discretion"`
	// ViolationType is the 违法行为类型 of the national 双公示 data standard; Order 107 art. 11(3) compares it.
	ViolationType string `db:"violation_type"`
	// PublishedOn is the publication date periods run from under Order 45 art. 13 (zero until known).
	PublishedOn domain.Date `db:"published_on"`
	// Summary: decided by summary procedure (简易程序).
	Summary bool `db:"summary"`
	// PublishMinor: the department decided to publish a minor record (Order 36 art. 12).
	PublishMinor bool `db:"publish_minor"`
}

const penaltyLawColumns = `regulated_field, discretion, violation_type, published_on, summary, publish_minor`

// PublicationInput is what the class rules need to know about a stored penalty, for recomputing its class and
// periods under its recorded rule set.
func (p Penalty) PublicationInput() (domain.PenaltyInput, error) {
	fen, err := fenOf(p.FineAmountYuan)
	if err != nil {
		return domain.PenaltyInput{}, fmt.Errorf("penalty %d: %w", p.ID, err)
	}
	in := domain.PenaltyInput{FineFen: fen, DurationMonths: p.DurationMonths, DecidedOn: p.DecidedOn,
		PublishedOn: p.PublishedOn, Summary: p.Summary, PublishMinor: p.PublishMinor,
		RegulatedField: domain.RegulatedField(p.RegulatedField), Discretion: domain.Discretion(p.Discretion)}
	for _, t := range p.PenaltyTypes {
		in.Types = append(in.Types, domain.PenaltyType(t))
	}
	if p.ClassGiven {
		in.Class = domain.Class(p.Class)
	}
	return in, nil
}

// fenOf reads a stored amount in yuan ("5000.00") into fen.
func fenOf(yuan string) (int64, error) {
	yuan = strings.TrimSpace(yuan)
	if yuan == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(yuan, ".")
	n, err := strconv.ParseInt(whole+(frac + "00")[:2], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", yuan, err)
	}
	return n, nil
}

// putPenaltyLaw stores the law facts of penalties just inserted in the same transaction.
func putPenaltyLaw(ctx context.Context, tx sqlx.ExtContext, ids []int64, laws []PenaltyLaw) error {
	if len(ids) == 0 {
		return nil
	}
	n := len(ids)
	field, disc, vt, pub := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	summary, minor := make([]bool, n), make([]bool, n)
	for i, l := range laws {
		field[i], disc[i], vt[i], pub[i], summary[i], minor[i] = l.RegulatedField, l.Discretion, l.ViolationType,
			l.PublishedOn.String(), l.Summary, l.PublishMinor
	}
	_, err := tx.ExecContext(ctx, `UPDATE penalties p SET regulated_field = t.f, discretion = t.d, violation_type = t.v,
			published_on = NULLIF(t.pu, '')::date, summary = t.s, publish_minor = t.m
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[])
			AS t(id, f, d, v, pu, s, m)
		WHERE p.id = t.id`,
		pq.Int64Array(ids), pq.StringArray(field), pq.StringArray(disc), pq.StringArray(vt), pq.StringArray(pub),
		pq.BoolArray(summary), pq.BoolArray(minor))
	if err != nil {
		return fmt.Errorf("store penalty law facts: %w", err)
	}
	return nil
}

// putImportedPenaltyLaw stores the law facts and national items of the rows an import inserted (byNo: decision number to new id).
func putImportedPenaltyLaw(ctx context.Context, tx sqlx.ExtContext, byNo map[string]int64, ps []Penalty) error {
	var ids []int64
	var laws []PenaltyLaw
	var nats []PenaltyNational
	for _, p := range ps {
		if id, ok := byNo[p.DecisionNo]; ok {
			ids, laws, nats = append(ids, id), append(laws, p.PenaltyLaw), append(nats, p.National)
		}
	}
	if err := putPenaltyLaw(ctx, tx, ids, laws); err != nil {
		return err
	}
	return putPenaltyNational(ctx, tx, ids, nats)
}

// NewerSamePenalty returns a later, unrevoked penalty of the same enterprise that bars repairing p under SAMR Order
// 107, or nil: for an entry of the serious list (art. 13) any 较重 penalty; otherwise (art. 11(3)) one for the same
// type of violation (违法行为类型), not merely of the same penalty type. When p records no violation type there is
// nothing to compare and nil is returned; the department's verification covers it.
func (db *DB) NewerSamePenalty(ctx context.Context, p Penalty) (*Penalty, error) {
	if slices.Contains([]string(p.PenaltyTypes), string(domain.PenaltySeriousList)) {
		var ns []Penalty
		err := db.SelectContext(ctx, &ns, `SELECT `+penaltyColumns+` FROM penalties
			WHERE uscc = $1 AND id <> $2 AND decided_on > $3 AND status <> 'revoked' ORDER BY decided_on, id`,
			p.USCC, p.ID, p.DecidedOn)
		if err != nil {
			return nil, fmt.Errorf("newer penalties after %d: %w", p.ID, err)
		}
		for _, n := range ns {
			types := make([]domain.PenaltyType, len(n.PenaltyTypes))
			for i, t := range n.PenaltyTypes {
				types[i] = domain.PenaltyType(t)
			}
			if domain.IsHeavierPenalty(types, domain.Discretion(n.Discretion)) {
				return &n, nil
			}
		}
		return nil, nil
	}
	if strings.TrimSpace(p.ViolationType) == "" {
		return nil, nil
	}
	var n Penalty
	err := db.GetContext(ctx, &n, `SELECT `+penaltyColumns+` FROM penalties
		WHERE uscc = $1 AND id <> $2 AND decided_on > $3 AND violation_type = $4 AND status <> 'revoked'
		ORDER BY decided_on, id LIMIT 1`, p.USCC, p.ID, p.DecidedOn, strings.TrimSpace(p.ViolationType))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("newer penalties like %d: %w", p.ID, err)
	}
	return &n, nil
}

// SetRuleSetActive activates or deactivates a stored rule set (the one change a stored set allows); an unknown id is
// ErrNotFound.
func (db *DB) SetRuleSetActive(ctx context.Context, id string, active bool) error {
	q := `UPDATE rule_sets SET params = params || '{"inactive": true}'::jsonb WHERE id = $1`
	if active {
		q = `UPDATE rule_sets SET params = params - 'inactive' WHERE id = $1`
	}
	res, err := db.ExecContext(ctx, q, id)
	if err != nil {
		return fmt.Errorf("activate rule set %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("rule set %s: %w", id, ErrNotFound)
	}
	return nil
}

// provisionalOf stores a nil list as an empty array (the column is NOT NULL).
func provisionalOf(names domain.DeadlineNames) domain.DeadlineNames {
	if names == nil {
		return domain.DeadlineNames{}
	}
	return names
}

// RescheduleTask moves an open task's due date (a provisional deadline counted again).
func (db *DB) RescheduleTask(ctx context.Context, caseKind, caseID, step string, due domain.Date) error {
	_, err := db.ExecContext(ctx, `UPDATE tasks SET due_on = $4, overdue = overdue AND $4 < `+sqlToday+`
		WHERE case_kind = $1 AND case_id = $2 AND step = $3 AND status = 'open'`, caseKind, caseID, step, due)
	if err != nil {
		return fmt.Errorf("reschedule task %s-%s %s: %w", caseKind, caseID, step, err)
	}
	return nil
}

// FirstPublishedOn is the day (Asia/Shanghai) the record was first shown on a channel (zero when on none yet).
func (db *DB) FirstPublishedOn(ctx context.Context, penaltyID int64) (domain.Date, error) {
	var on sql.NullString
	if err := db.GetContext(ctx, &on, `SELECT to_char(min(published_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
		FROM publications WHERE penalty_id = $1 AND published_at IS NOT NULL`, penaltyID); err != nil {
		return domain.Date{}, fmt.Errorf("publication date of penalty %d: %w", penaltyID, err)
	}
	if !on.Valid {
		return domain.Date{}, nil
	}
	return domain.ParseDate(on.String)
}

// SetPeriodsFromPublication stores the publication date of a record whose periods run from it (SAMR Order 45
// art. 13) with the periods counted from it, and the change in its history, once (a retry finds the date stored).
func (db *DB) SetPeriodsFromPublication(ctx context.Context, id int64, publishedOn, eligibleFrom, ends domain.Date, e AuditEntry, details any) (bool, error) {
	changed := false
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE penalties SET published_on = $2, repair_eligible_from = $3,
			publication_ends = GREATEST(publication_ends, $4), updated_at = now() WHERE id = $1 AND published_on IS NULL`,
			id, publishedOn, eligibleFrom, ends)
		if err != nil {
			return fmt.Errorf("periods of penalty %d from publication: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		return AuditTx(ctx, tx, e, details)
	})
	return changed, err
}
