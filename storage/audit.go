package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID       int64           `db:"id" json:"id"`
	At       time.Time       `db:"at" json:"at"`
	Actor    string          `db:"actor" json:"actor"`
	Role     string          `db:"role" json:"role"`
	Action   string          `db:"action" json:"action"`
	CaseKind string          `db:"case_kind" json:"case_kind"`
	CaseID   string          `db:"case_id" json:"case_id"`
	Details  json.RawMessage `db:"details" json:"details"`
	// DedupKey makes a retried activity's write a no-op; empty means always append.
	DedupKey *string `db:"dedup_key" json:"-"`
}

// Audit appends an entry; details is marshalled to JSON.
func (db *DB) Audit(ctx context.Context, e AuditEntry, details any) error {
	return audit(ctx, db.DB, e, details)
}

// AuditTx appends an entry inside a transaction, so the change and its record commit together.
func AuditTx(ctx context.Context, tx *sqlx.Tx, e AuditEntry, details any) error {
	return audit(ctx, tx, e, details)
}

func audit(ctx context.Context, ex sqlx.ExecerContext, e AuditEntry, details any) error {
	d := []byte("{}")
	if details != nil {
		var err error
		if d, err = json.Marshal(details); err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
	}
	_, err := ex.ExecContext(ctx, `INSERT INTO audit_log (actor, role, action, case_kind, case_id, details, dedup_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedup_key) DO NOTHING`,
		e.Actor, e.Role, e.Action, e.CaseKind, e.CaseID, string(d), e.DedupKey)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditOf returns the audit entries of a case, oldest first.
func (db *DB) AuditOf(ctx context.Context, caseKind, caseID string) ([]AuditEntry, error) {
	var es []AuditEntry
	err := db.SelectContext(ctx, &es, `SELECT id, at, actor, role, action, case_kind, case_id, details, dedup_key
		FROM audit_log WHERE case_kind = $1 AND case_id = $2 ORDER BY id`, caseKind, caseID)
	if err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", caseKind, caseID, err)
	}
	return es, nil
}
