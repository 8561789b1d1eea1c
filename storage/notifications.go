package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Notification is a message to an enterprise, a department or a user, shown on their home page.
type Notification struct {
	ID           int64          `db:"id" json:"id"`
	USCC         sql.NullString `db:"uscc" json:"-"`
	UserLogin    sql.NullString `db:"user_login" json:"-"`
	DepartmentID sql.NullString `db:"department_id" json:"-"`
	Kind         string         `db:"kind" json:"kind"`
	Title        string         `db:"title" json:"title"`
	Body         string         `db:"body" json:"body"`
	CaseKind     string         `db:"case_kind" json:"case_kind"`
	CaseID       string         `db:"case_id" json:"case_id"`
	CreatedAt    time.Time      `db:"created_at" json:"created_at"`
	ReadAt       sql.NullTime   `db:"read_at" json:"-"`
	DedupKey     sql.NullString `db:"dedup_key" json:"-"`
}

// Notify records a notification; the dedup key makes a retried activity's second write a no-op.
func (db *DB) Notify(ctx context.Context, n Notification) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO notifications (uscc, user_login, department_id, kind, title, body, case_kind, case_id, dedup_key)
		VALUES (:uscc, :user_login, :department_id, :kind, :title, :body, :case_kind, :case_id, :dedup_key)
		ON CONFLICT (dedup_key) DO NOTHING`, n)
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.Kind, err)
	}
	return nil
}

// NotificationsFor lists the latest notifications of an enterprise (uscc) or a department.
func (db *DB) NotificationsFor(ctx context.Context, uscc, departmentID string, limit int) ([]Notification, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Notification) { b.Notifications(uscc, departmentID, limit, out) })
}

// Notifications adds NotificationsFor's read to b (nothing when neither uscc nor departmentID is given).
func (b *Batch) Notifications(uscc, departmentID string, limit int, out *[]Notification) {
	// One statement per kind of reader (conds), each with a plan of its own: the "either" form was planned again on
	// every call (issue 17).
	var c conds
	switch {
	case uscc != "" && departmentID != "":
		c.add("(uscc = $?::bpchar OR department_id = $?)", uscc, departmentID)
	case uscc != "":
		c.add("uscc = $?::bpchar", uscc)
	case departmentID != "":
		c.add("department_id = $?", departmentID)
	default:
		return
	}
	b.add("notifications", out, `SELECT id, uscc, user_login, department_id, kind, title, body, case_kind, case_id, created_at, read_at, dedup_key
		FROM notifications WHERE `+c.sql()+` ORDER BY id DESC LIMIT `+limitOf(limit), c.args,
		func() error { *out = firstN(*out, limit); return nil })
}
