package storage

import (
	"xinyong/domain"

	"context"
	"database/sql"
	"fmt"
	"time"
)

// Task is open work for a principal, created and closed by workflow activities.
type Task struct {
	ID           int64          `db:"id" json:"id"`
	CaseKind     string         `db:"case_kind" json:"case_kind"`
	CaseID       string         `db:"case_id" json:"case_id"`
	Step         string         `db:"step" json:"step"`
	Title        string         `db:"title" json:"title"`
	AssigneeRole Role           `db:"assignee_role" json:"assignee_role"`
	DepartmentID sql.NullString `db:"department_id" json:"-"`
	ChannelID    sql.NullString `db:"channel_id" json:"-"`
	USCC         sql.NullString `db:"uscc" json:"-"`
	DueOn        sql.NullTime   `db:"due_on" json:"-"`
	Overdue      bool           `db:"overdue" json:"overdue"`
	Status       string         `db:"status" json:"status"`
	CreatedAt    time.Time      `db:"created_at" json:"created_at"`
}

// DueOnString is the due date as YYYY-MM-DD, or "" when the task has none.
func (t Task) DueOnString() string {
	if !t.DueOn.Valid {
		return ""
	}
	return t.DueOn.Time.Format("2006-01-02")
}

const taskColumns = `id, case_kind, case_id, step, title, assignee_role, department_id, channel_id, uscc, due_on, overdue, status, created_at`

// OpenTask creates a task; a second call for the same case and step changes nothing.
func (db *DB) OpenTask(ctx context.Context, t Task) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO tasks (case_kind, case_id, step, title, assignee_role, department_id, channel_id, uscc, due_on)
		VALUES (:case_kind, :case_id, :step, :title, :assignee_role, :department_id, :channel_id, :uscc, :due_on)
		ON CONFLICT (case_kind, case_id, step) DO NOTHING`, t)
	if err != nil {
		return fmt.Errorf("open task %s/%s/%s: %w", t.CaseKind, t.CaseID, t.Step, err)
	}
	return nil
}

// CloseTask marks a task done (or cancelled); closing a closed task changes nothing.
func (db *DB) CloseTask(ctx context.Context, caseKind domain.CaseKind, caseID, step string, status domain.TaskStatus) error {
	_, err := db.ExecContext(ctx, `UPDATE tasks SET status = $4, closed_at = now()
		WHERE case_kind = $1 AND case_id = $2 AND step = $3 AND status = 'open'`, caseKind, caseID, step, status)
	if err != nil {
		return fmt.Errorf("close task %s/%s/%s: %w", caseKind, caseID, step, err)
	}
	return nil
}

// MarkTaskOverdue flags an open task whose deadline passed.
func (db *DB) MarkTaskOverdue(ctx context.Context, caseKind domain.CaseKind, caseID, step string) error {
	_, err := db.ExecContext(ctx, `UPDATE tasks SET overdue = true WHERE case_kind = $1 AND case_id = $2 AND step = $3 AND status = 'open'`,
		caseKind, caseID, step)
	if err != nil {
		return fmt.Errorf("mark task overdue %s/%s/%s: %w", caseKind, caseID, step, err)
	}
	return nil
}

// TaskFilter selects the open tasks a principal sees.
type TaskFilter struct {
	Role         Role
	DepartmentID string
	ChannelID    string
	USCC         string
	AfterID      int64
	Limit        int
}

// OpenTasks lists the open tasks for a principal, overdue first, then by due date.
func (db *DB) OpenTasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var ts []Task
	err := db.SelectContext(ctx, &ts, `SELECT `+taskColumns+` FROM tasks
		WHERE status = 'open' AND assignee_role = $1
		  AND ($2 = '' OR department_id = $2) AND ($3 = '' OR channel_id = $3) AND ($4::bpchar = '' OR uscc = $4::bpchar)
		  AND id > $5
		ORDER BY id LIMIT $6`, f.Role, f.DepartmentID, f.ChannelID, f.USCC, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("open tasks: %w", err)
	}
	return ts, nil
}
