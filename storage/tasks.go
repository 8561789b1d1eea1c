package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"xinyong/domain"
)

// Task is open work for a principal, created and closed by workflow activities.
type Task struct {
	ID           int64          `db:"id" json:"id"`
	CaseKind     string         `db:"case_kind" json:"case_kind"`
	CaseID       string         `db:"case_id" json:"case_id"`
	Step         string         `db:"step" json:"step"`
	Title        string         `db:"title" json:"title"`
	AssigneeRole domain.Role    `db:"assignee_role" json:"assignee_role"`
	DepartmentID sql.NullString `db:"department_id" json:"-"`
	ChannelID    sql.NullString `db:"channel_id" json:"-"`
	USCC         sql.NullString `db:"uscc" json:"-"`
	DueOn        sql.NullTime   `db:"due_on" json:"-"`
	Overdue      bool           `db:"overdue" json:"overdue"`
	Status       string         `db:"status" json:"status"`
	CreatedAt    time.Time      `db:"created_at" json:"created_at"`
	// AssignedTo and AssignedLogin name the officer who has the case (OpenTasks only).
	AssignedTo    sql.NullInt64  `db:"assigned_to" json:"-"`
	AssignedLogin sql.NullString `db:"assigned_login" json:"-"`
}

// DueOnString is the due date as YYYY-MM-DD, or "" when the task has none.
func (t Task) DueOnString() string {
	if !t.DueOn.Valid {
		return ""
	}
	return t.DueOn.Time.Format("2006-01-02")
}

const taskColumns = `id, case_kind, case_id, step, title, assignee_role, department_id, channel_id, uscc, due_on, overdue, status, created_at`

// OpenTask creates a task; a second call for the same case and step while it is open changes nothing. A closed
// task is opened again: the step came round again (a case resubmitted after 补正 goes back to the department), and
// a retried call cannot find its task closed, since a workflow closes a task only after the open has returned.
func (db *DB) OpenTask(ctx context.Context, t Task) error {
	return db.OpenTaskBatch(ctx, []Task{t})
}

// OpenTaskBatch opens several tasks in one statement, each once per case and step as OpenTask says: a
// publication's operators' tasks (one a channel) cost one statement instead of one each. A case and step listed
// twice is opened as its last entry says (one row cannot be written twice by one INSERT ... ON CONFLICT).
func (db *DB) OpenTaskBatch(ctx context.Context, ts []Task) error {
	type key struct{ kind, id, step string }
	last := make(map[key]int, len(ts))
	for i, t := range ts {
		last[key{t.CaseKind, t.CaseID, t.Step}] = i
	}
	var kinds, ids, steps, titles, roles []string
	var depts, channels, usccs, dues []sql.NullString
	for i, t := range ts {
		if last[key{t.CaseKind, t.CaseID, t.Step}] != i {
			continue
		}
		kinds, ids, steps, titles = append(kinds, t.CaseKind), append(ids, t.CaseID), append(steps, t.Step), append(titles, t.Title)
		roles, depts, channels, usccs = append(roles, string(t.AssigneeRole)), append(depts, t.DepartmentID),
			append(channels, t.ChannelID), append(usccs, t.USCC)
		due := sql.NullString{}
		if t.DueOn.Valid {
			due = sql.NullString{String: t.DueOn.Time.Format("2006-01-02"), Valid: true}
		}
		dues = append(dues, due)
	}
	if len(kinds) == 0 {
		return nil
	}
	_, err := db.ExecContext(ctx, `INSERT INTO tasks (case_kind, case_id, step, title, assignee_role, department_id, channel_id, uscc, due_on)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bpchar[], $9::date[])
		ON CONFLICT (case_kind, case_id, step) DO UPDATE SET status = 'open', closed_at = NULL, overdue = false,
			title = EXCLUDED.title, due_on = EXCLUDED.due_on, created_at = now()
		WHERE tasks.status <> 'open'`, pq.Array(kinds), pq.Array(ids), pq.Array(steps), pq.Array(titles), pq.Array(roles),
		pq.Array(depts), pq.Array(channels), pq.Array(usccs), pq.Array(dues))
	if err != nil {
		return fmt.Errorf("open task %s/%s/%s (of %d): %w", kinds[0], ids[0], steps[0], len(kinds), err)
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
	Role         domain.Role
	DepartmentID string
	ChannelID    string
	USCC         string
	AfterID      int64
	Limit        int
	// UserID and Assigned ("mine", "unassigned" or "" for all) select by the case's officer.
	UserID   int64
	Assigned string
	// Inbox orders the tasks as the home page shows them instead of by id: the caller's own cases first, then
	// those nobody has claimed, then the rest; within each, overdue work first, then the nearest deadline. The
	// order is taken in SQL so that the first Limit rows are the right ones however many tasks are open.
	Inbox bool
}

// taskOrder is the ORDER BY of a task list: by id, or the inbox's order (the caller's own cases first), whose
// user id it adds to c.
func taskOrder(c *conds, f TaskFilter) string {
	if !f.Inbox {
		return "t.id"
	}
	if !f.withAssignments() {
		return "t.overdue DESC, t.due_on NULLS LAST, t.id"
	}
	return `CASE WHEN a.user_id = ` + c.arg(f.UserID) + ` THEN 0 WHEN a.user_id IS NULL THEN 1 ELSE 2 END, t.overdue DESC,
		t.due_on NULLS LAST, t.id`
}

// withAssignments tells whether the tasks are read with the officers who have their cases: always but for the inbox
// of a role whose users are never assigned a case (an enterprise, a channel's operator, an agency), which shows no
// officer and has no cases of its own to put first. Reading the assignments was half of an enterprise's inbox
// (issue 17).
func (f TaskFilter) withAssignments() bool {
	switch {
	case !f.Inbox, f.Assigned != "":
		return true
	}
	switch f.Role {
	case domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAdmin:
		return true
	}
	return false
}

// OpenTasks lists the open tasks for a principal, by id (keyset pages) or in the inbox's order.
func (db *DB) OpenTasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Task) { b.OpenTasks(f, out) })
}

// OpenTasks adds OpenTasks's read to b.
func (b *Batch) OpenTasks(f TaskFilter, out *[]Task) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var c conds // only the filters asked for (filters.go)
	addEnum(&c, "t.status = 'open' AND t.assignee_role = $?", string(f.Role), domain.Roles)
	c.addIf("t.department_id = $?", f.DepartmentID)
	c.addIf("t.channel_id = $?", f.ChannelID)
	c.addIf("t.uscc = $?::bpchar", f.USCC)
	c.add("t.id > $?", f.AfterID)
	switch f.Assigned {
	case "":
	case "mine":
		c.add("a.user_id = $?", f.UserID)
	case "unassigned":
		c.add("a.user_id IS NULL")
	default:
		c.add("FALSE")
	}
	order := taskOrder(&c, f)
	limit := limitOf(f.Limit)
	columns := `t.id, t.case_kind, t.case_id, t.step, t.title, t.assignee_role, t.department_id, t.channel_id, t.uscc,
			t.due_on, t.overdue, t.status, t.created_at`
	from := "tasks t"
	if f.withAssignments() {
		columns += ", a.user_id AS assigned_to, u.login AS assigned_login"
		from += ` LEFT JOIN case_assignments a ON a.case_kind = t.case_kind AND a.case_id = t.case_id
			LEFT JOIN users u ON u.id = a.user_id`
	}
	b.add("open tasks", out, `SELECT `+columns+`
		FROM `+from+`
		WHERE `+c.sql()+`
		ORDER BY `+order+` LIMIT `+limit, c.args, func() error { *out = firstN(*out, f.Limit); return nil })
}
