package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"xinyong/domain"
)

// StatusCase is what the public status lookup (/status) may learn of a repair or objection case: its kind and id
// (to find its letters), the enterprise's USCC (compared by the caller), its status and the deadline of its current
// step. Nothing else is read.
type StatusCase struct {
	CaseKind    string      `db:"case_kind"` // repair or objection
	CaseID      int64       `db:"case_id"`
	USCC        string      `db:"uscc"`
	Status      string      `db:"status"`
	Deadline    domain.Date `db:"deadline"` // zero: no deadline runs
	Provisional bool        `db:"provisional"`
}

// NormalizeLookupCode is a typed lookup code as stored: upper case, without the dashes and spaces of its printed
// form ("3f2a-91c0-bb7e" finds 3F2A91C0BB7E); "" when it cannot be one.
func NormalizeLookupCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "", "\u3000", "").Replace(strings.TrimSpace(s)))
	if len(s) != 12 {
		return ""
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return ""
		}
	}
	return s
}

// LookupCodeOf returns the lookup code of a repair or objection case (printed on its receipt).
func (db *DB) LookupCodeOf(ctx context.Context, caseKind string, id int64) (string, error) {
	var q string
	switch caseKind {
	case "repair":
		q = `SELECT lookup_code FROM repairs WHERE id = $1`
	case "objection":
		q = `SELECT lookup_code FROM objections WHERE id = $1`
	default:
		return "", fmt.Errorf("lookup code of %s %d: unknown case kind", caseKind, id)
	}
	var code string
	if err := db.GetContext(ctx, &code, q, id); err != nil {
		return "", fmt.Errorf("lookup code of %s %d: %w", caseKind, id, notFound(err))
	}
	return code, nil
}

// CaseByLookupCode finds the case a lookup code belongs to, with the deadline of the step it is at (none once it
// is decided). It is one indexed read whether or not the code exists; ErrNotFound when it does not.
func (db *DB) CaseByLookupCode(ctx context.Context, code string) (StatusCase, error) {
	var c StatusCase
	err := db.GetContext(ctx, &c, `
		SELECT 'repair' AS case_kind, r.id AS case_id, r.uscc, r.status,
			(CASE r.status
				WHEN $2 THEN r.acceptance_due
				WHEN $3 THEN r.supplement_due
				WHEN $4 THEN r.decision_due
				WHEN $5 THEN r.rectification_due
				WHEN $6 THEN r.overall_due
			END) AS deadline, r.provisional_deadlines <> '{}' AS provisional
		FROM repairs r WHERE r.lookup_code = $1
		UNION ALL
		SELECT 'objection', o.id, o.uscc, o.status,
			(CASE o.status WHEN $7 THEN o.forward_due WHEN $8 THEN o.verify_due END), false
		FROM objections o WHERE o.lookup_code = $1
		LIMIT 1`, code,
		domain.RepairPendingAcceptance, domain.RepairSupplementRequested, domain.RepairVerifying, domain.RepairRectifying,
		domain.RepairSubmitted, domain.ObjectionSubmitted, domain.ObjectionVerifying)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return StatusCase{}, ErrNotFound
		}
		return StatusCase{}, fmt.Errorf("case by lookup code: %w", err)
	}
	return c, nil
}
