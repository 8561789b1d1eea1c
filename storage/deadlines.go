package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// Provisional deadlines (RULES.md "Working days", issue 13) of penalties, objections and withdrawals: each deadline
// is kept with how it was counted (Workdays after From, then Extend more), so that one counted over days whose
// holiday notice is not loaded yet can be counted again when it is. Repair cases keep theirs on the case row.

// CaseRef names a case whose workflow a loaded holiday notice concerns.
type CaseRef struct {
	Kind domain.CaseKind `db:"case_kind"`
	ID   int64           `db:"case_id"`
}

// CountCaseDeadlines counts deadlines with the calendar as it is and answers them counted. Only provisional ones
// need their origin later, so only they are stored (each replacing the one of its name); a deadline counted final
// removes a provisional one of its name (an objection extended to the department's own date).
func (db *DB) CountCaseDeadlines(ctx context.Context, kind domain.CaseKind, caseID string, ds []domain.CaseDeadline) ([]domain.CaseDeadline, error) {
	cal, err := db.LoadCalendar(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.CaseDeadline, len(ds))
	for i, d := range ds {
		out[i] = d.Count(cal)
	}
	return out, db.InTx(ctx, func(tx *sqlx.Tx) error { return putCaseDeadlines(ctx, tx, kind, caseID, out) })
}

// putCaseDeadlines stores the provisional deadlines of a case with their origins and drops stored ones of the
// names now counted final.
func putCaseDeadlines(ctx context.Context, tx *sqlx.Tx, kind domain.CaseKind, caseID string, ds []domain.CaseDeadline) error {
	for _, d := range ds {
		if !d.Provisional {
			if _, err := tx.ExecContext(ctx, `DELETE FROM case_deadlines WHERE case_kind = $1 AND case_id = $2 AND name = $3`,
				kind, caseID, d.Name); err != nil {
				return fmt.Errorf("deadline %s of %s %s: %w", d.Name, kind, caseID, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_deadlines (case_kind, case_id, name, from_on, workdays,
				extend_workdays, due_on, provisional) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (case_kind, case_id, name) DO UPDATE SET from_on = $4, workdays = $5, extend_workdays = $6,
				due_on = $7, provisional = $8, updated_at = now()`,
			kind, caseID, d.Name, d.From, d.Workdays, d.Extend, d.Due, d.Provisional); err != nil {
			return fmt.Errorf("deadline %s of %s %s: %w", d.Name, kind, caseID, err)
		}
	}
	return nil
}

// ProvisionalDeadlines names a case's deadlines that are provisional now (shown as 暂定).
func (db *DB) ProvisionalDeadlines(ctx context.Context, kind domain.CaseKind, caseID string) (map[string]bool, error) {
	var names []string
	if err := db.SelectContext(ctx, &names, `SELECT name FROM case_deadlines WHERE case_kind = $1 AND case_id = $2
		AND provisional ORDER BY name`, kind, caseID); err != nil {
		return nil, fmt.Errorf("provisional deadlines of %s %s: %w", kind, caseID, err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// RecountResult is a case's deadlines counted again after a holiday notice was loaded.
type RecountResult struct {
	// Dues are every deadline of the case by name, as stored now.
	Dues map[string]domain.Date
	// Moved are the deadlines whose date changed: name -> [old, new].
	Moved map[string][2]domain.Date
	// Provisional names the deadlines still provisional.
	Provisional []string
}

// RecountCaseDeadlines counts a case's provisional deadlines again with the calendar as it now is, in one
// transaction: the stored dates, the case's own columns and open tasks that carry them, and an entry
// <kind>.deadlines_recomputed in the case's history when anything changed (a retry finds nothing left to change).
func (db *DB) RecountCaseDeadlines(ctx context.Context, kind domain.CaseKind, caseID string, year int) (RecountResult, error) {
	cal, err := db.LoadCalendar(ctx)
	if err != nil {
		return RecountResult{}, err
	}
	res := RecountResult{Dues: map[string]domain.Date{}, Moved: map[string][2]domain.Date{}}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var ds []domain.CaseDeadline
		if err := tx.SelectContext(ctx, &ds, `SELECT name, from_on, workdays, extend_workdays, due_on, provisional
			FROM case_deadlines WHERE case_kind = $1 AND case_id = $2 ORDER BY name FOR UPDATE`, kind, caseID); err != nil {
			return fmt.Errorf("deadlines of %s %s: %w", kind, caseID, err)
		}
		var changed []domain.CaseDeadline
		for _, d := range ds {
			if d.Provisional {
				n := d.Count(cal)
				if n.Due != d.Due {
					res.Moved[d.Name] = [2]domain.Date{d.Due, n.Due}
				}
				if n.Due != d.Due || !n.Provisional {
					changed = append(changed, n)
				}
				d = n
			}
			res.Dues[d.Name] = d.Due
			if d.Provisional {
				res.Provisional = append(res.Provisional, d.Name)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := putCaseDeadlines(ctx, tx, kind, caseID, changed); err != nil {
			return err
		}
		details := map[string]any{"year": year, "provisional": res.Provisional}
		for _, d := range changed {
			if m, ok := res.Moved[d.Name]; ok {
				details[d.Name] = map[string]any{"from": m[0], "to": m[1]}
				if err := applyCaseDeadline(ctx, tx, kind, caseID, d.Name, m[1]); err != nil {
					return err
				}
			}
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: string(kind) + ".deadlines_recomputed",
			CaseKind: string(kind), CaseID: caseID}, details)
	})
	return res, err
}

// applyCaseDeadline moves a deadline's date where the case keeps it: its own column and the open task due then.
func applyCaseDeadline(ctx context.Context, tx *sqlx.Tx, kind domain.CaseKind, caseID, name string, due domain.Date) error {
	id, err := strconv.ParseInt(caseID, 10, 64)
	if err != nil {
		return fmt.Errorf("case id %q: %w", caseID, err)
	}
	var stmts []string
	switch {
	case kind == "penalty" && name == "delivery_due":
		stmts = []string{`UPDATE penalties SET delivery_due = $2 WHERE id = $1`,
			`UPDATE tasks SET due_on = $2 WHERE case_kind = 'penalty' AND case_id = $1::text AND step = 'delivery' AND status = 'open'`}
	case kind == "penalty" && name == "publish_due":
		stmts = []string{`UPDATE penalties SET publish_due = $2 WHERE id = $1`,
			`UPDATE publications SET due_on = $2 WHERE penalty_id = $1 AND status NOT IN ('published', 'withdrawn')`,
			`UPDATE tasks SET due_on = $2 WHERE case_kind = 'publication' AND case_id = $1::text AND step LIKE 'publish:%' AND status = 'open'`}
	case kind == "objection" && name == "mark_due":
		stmts = []string{`UPDATE objections SET mark_due = $2 WHERE id = $1`,
			`UPDATE objection_channels SET due_on = $2 WHERE objection_id = $1 AND action = 'mark'
			AND status NOT IN ('confirmed', 'cancelled')`,
			`UPDATE tasks SET due_on = $2 WHERE case_kind = 'objection' AND case_id = $1::text AND step LIKE 'mark:%' AND status = 'open'`}
	case kind == "objection" && (strings.HasPrefix(name, "unmark:") || strings.HasPrefix(name, "correct:")):
		action, ch, _ := strings.Cut(name, ":")
		for _, s := range []string{
			`UPDATE objection_channels SET due_on = $4 WHERE objection_id = $1 AND action = $2 AND channel_id = $3
				AND status NOT IN ('confirmed', 'cancelled')`,
			`UPDATE tasks SET due_on = $4 WHERE case_kind = 'objection' AND case_id = $1::text AND step = $2 || ':' || $3 AND status = 'open'`,
		} {
			if _, err := tx.ExecContext(ctx, s, id, action, ch, due); err != nil {
				return fmt.Errorf("objection %d channel %s due: %w", id, name, err)
			}
		}
	case kind == "objection" && name == "forward_due":
		stmts = []string{`UPDATE objections SET forward_due = $2 WHERE id = $1`}
	case kind == "objection" && name == "verify_due":
		stmts = []string{`UPDATE objections SET verify_due = $2,
				original_verify_due = CASE WHEN extended THEN original_verify_due ELSE $2 END WHERE id = $1 AND status <> 'resolved'`,
			`UPDATE tasks SET due_on = $2 WHERE case_kind = 'objection' AND case_id = $1::text AND step LIKE 'verify%' AND status = 'open'`}
	case kind == "withdrawal" && strings.HasPrefix(name, "confirm:"):
		ch := strings.TrimPrefix(name, "confirm:")
		for _, s := range []string{
			`UPDATE withdrawal_channels SET due_on = $3 WHERE withdrawal_id = $1 AND channel_id = $2 AND status <> 'confirmed'`,
			`UPDATE tasks SET due_on = $3 WHERE case_kind = 'withdrawal' AND case_id = $1::text AND step = 'confirm:' || $2 AND status = 'open'`,
		} {
			if _, err := tx.ExecContext(ctx, s, id, ch, due); err != nil {
				return fmt.Errorf("withdrawal %d channel %s due: %w", id, ch, err)
			}
		}
		return nil
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, id, due); err != nil {
			return fmt.Errorf("move %s of %s %d: %w", name, kind, id, err)
		}
	}
	return nil
}

// OpenCasesWithProvisionalDeadlines lists the open cases a loaded notice for year may concern: repair cases with
// a provisional deadline, and penalties, objections and withdrawals with a provisional deadline from December of
// the year before on (a notice can move late-December days of the year before, as the 2019 notice did).
func (db *DB) OpenCasesWithProvisionalDeadlines(ctx context.Context, year int) ([]CaseRef, error) {
	var refs []CaseRef
	err := db.SelectContext(ctx, &refs, `
		SELECT 'repair' AS case_kind, id AS case_id FROM repairs WHERE provisional_deadlines <> '{}' AND closed_at IS NULL
		UNION
		SELECT d.case_kind, d.case_id::bigint FROM case_deadlines d
		WHERE d.provisional AND d.due_on >= make_date($1 - 1, 12, 1)
			AND CASE d.case_kind
				WHEN 'penalty' THEN EXISTS (SELECT 1 FROM penalties p WHERE p.id = d.case_id::bigint AND p.status NOT IN ('withdrawn', 'revoked'))
				WHEN 'objection' THEN EXISTS (SELECT 1 FROM objections o WHERE o.id = d.case_id::bigint AND o.status <> 'closed')
				WHEN 'withdrawal' THEN EXISTS (SELECT 1 FROM withdrawals w WHERE w.id = d.case_id::bigint AND w.status <> 'completed')
				ELSE false END
		ORDER BY 1, 2`, year)
	if err != nil {
		return nil, fmt.Errorf("cases with provisional deadlines: %w", err)
	}
	return slices.Clip(refs), nil
}
