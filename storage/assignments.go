package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Case assignment: which officer of the department handles a case. A case is claimed by an officer or assigned by
// the department's lead; the audit log under the case is its history.

// caseDepartmentQueries find the department that handles a case of each kind.
var caseDepartmentQueries = map[string]string{
	"penalty":   `SELECT department_id FROM penalties WHERE id = $1`,
	"repair":    `SELECT department_id FROM repairs WHERE id = $1`,
	"objection": `SELECT department_id FROM objections WHERE id = $1`,
}

// CaseDepartment returns the department of a case; an unknown kind or case is ErrNotFound.
func (db *DB) CaseDepartment(ctx context.Context, kind string, id int64) (string, error) {
	q, ok := caseDepartmentQueries[kind]
	if !ok {
		return "", fmt.Errorf("case kind %q: %w", kind, ErrNotFound)
	}
	var dept string
	if err := db.GetContext(ctx, &dept, q, id); err != nil {
		return "", fmt.Errorf("department of %s %d: %w", kind, id, notFound(err))
	}
	return dept, nil
}

// Assignment is the officer who handles a case.
type Assignment struct {
	CaseKind     string `db:"case_kind" json:"case_kind"`
	CaseID       string `db:"case_id" json:"case_id"`
	DepartmentID string `db:"department_id" json:"department_id"`
	UserID       int64  `db:"user_id" json:"user_id"`
	Login        string `db:"login" json:"login"`
	DisplayName  string `db:"display_name" json:"display_name"`
	AssignedBy   string `db:"assigned_by" json:"assigned_by"`
}

// CaseAssignment returns a case's assignment, or ErrNotFound when nobody has it.
func (db *DB) CaseAssignment(ctx context.Context, kind, id string) (Assignment, error) {
	var a Assignment
	err := db.GetContext(ctx, &a, `SELECT a.case_kind, a.case_id, a.department_id, a.user_id, u.login, u.display_name, a.assigned_by
		FROM case_assignments a JOIN users u ON u.id = a.user_id WHERE a.case_kind = $1 AND a.case_id = $2`, kind, id)
	if err != nil {
		return Assignment{}, fmt.Errorf("assignment of %s %s: %w", kind, id, notFound(err))
	}
	return a, nil
}

// ErrAssignedToOther refuses a claim of a case another officer has (only the lead reassigns).
var ErrAssignedToOther = errors.New("case assigned to another officer")

// AssignCase gives a case to an officer of its department. Unless lead, the caller may only claim an unassigned
// case (or one it has). The change and its history entry commit together; the case row is locked so two claims
// are judged one after the other.
func (db *DB) AssignCase(ctx context.Context, kind, id, departmentID string, to User, lead bool, by AuditEntry) (Assignment, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var prev struct {
			UserID int64  `db:"user_id"`
			Login  string `db:"login"`
		}
		err := tx.GetContext(ctx, &prev, `SELECT a.user_id, u.login FROM case_assignments a JOIN users u ON u.id = a.user_id
			WHERE a.case_kind = $1 AND a.case_id = $2 FOR UPDATE OF a`, kind, id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("assign %s %s: %w", kind, id, err)
		}
		if prev.UserID == to.ID {
			return nil
		}
		if prev.UserID != 0 && !lead {
			return ErrAssignedToOther
		}
		if prev.UserID == 0 {
			// Nothing to lock yet: a concurrent first claim shows as a conflict on the key.
			res, err := tx.ExecContext(ctx, `INSERT INTO case_assignments (case_kind, case_id, department_id, user_id, assigned_by)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_kind, case_id) DO NOTHING`, kind, id, departmentID, to.ID, by.Actor)
			if err != nil {
				return fmt.Errorf("assign %s %s: %w", kind, id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrAssignedToOther
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE case_assignments SET user_id = $3, assigned_by = $4, assigned_at = now()
			WHERE case_kind = $1 AND case_id = $2`, kind, id, to.ID, by.Actor); err != nil {
			return fmt.Errorf("reassign %s %s: %w", kind, id, err)
		}
		by.Action, by.CaseKind, by.CaseID = "case.assign", kind, id
		details := map[string]any{"user_id": to.ID, "login": to.Login, "display_name": to.DisplayName}
		if prev.UserID != 0 {
			by.Action = "case.reassign"
			details["previous_login"] = prev.Login
		}
		return AuditTx(ctx, tx, by, details)
	})
	if err != nil {
		return Assignment{}, err
	}
	return db.CaseAssignment(ctx, kind, id)
}

// Why an unassignment was refused.
var (
	ErrNotAssigned = errors.New("case not assigned")
	ErrNotYours    = errors.New("case assigned to another officer, not the caller")
)

// UnassignCase returns a case to the department's unassigned cases. Unless lead, the caller may only release a
// case it has itself (ErrNotYours); a case nobody has is ErrNotAssigned. The change and its history entry
// commit together.
func (db *DB) UnassignCase(ctx context.Context, kind, id string, caller int64, lead bool, by AuditEntry) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var prev struct {
			UserID      int64  `db:"user_id"`
			Login       string `db:"login"`
			DisplayName string `db:"display_name"`
		}
		err := tx.GetContext(ctx, &prev, `SELECT a.user_id, u.login, u.display_name FROM case_assignments a JOIN users u ON u.id = a.user_id
			WHERE a.case_kind = $1 AND a.case_id = $2 FOR UPDATE OF a`, kind, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotAssigned
		}
		if err != nil {
			return fmt.Errorf("unassign %s %s: %w", kind, id, err)
		}
		if prev.UserID != caller && !lead {
			return ErrNotYours
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_assignments WHERE case_kind = $1 AND case_id = $2`, kind, id); err != nil {
			return fmt.Errorf("unassign %s %s: %w", kind, id, err)
		}
		by.Action, by.CaseKind, by.CaseID = "case.unassign", kind, id
		return AuditTx(ctx, tx, by, map[string]any{"previous_login": prev.Login, "previous_display_name": prev.DisplayName})
	})
}

// ErrNothingToUrge refuses an urge for a case without an overdue step of its department.
var ErrNothingToUrge = errors.New("no overdue department step")

// UrgeCase records the credit office's urge (督办) of a department on a case's overdue step: a notice to the
// department and an entry in the case's history, together. It returns the urged steps' titles.
func (db *DB) UrgeCase(ctx context.Context, kind, id, departmentID, message string, by AuditEntry) ([]string, error) {
	var titles []string
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &titles, `SELECT title FROM tasks WHERE case_kind = $1 AND case_id = $2
			AND status = 'open' AND overdue AND assignee_role = 'department' AND department_id = $3 ORDER BY id`,
			kind, id, departmentID); err != nil {
			return fmt.Errorf("urge %s %s: %w", kind, id, err)
		}
		if len(titles) == 0 {
			return ErrNothingToUrge
		}
		body := "逾期事项：" + strings.Join(titles, "；")
		if message != "" {
			body += "。督办意见：" + message
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO notifications (department_id, kind, title, body, case_kind, case_id)
			VALUES ($1, 'urge', '信用办督办：请尽快办理逾期事项', $2, $3, $4)`, departmentID, body, kind, id)
		if err != nil {
			return fmt.Errorf("urge %s %s: notify: %w", kind, id, err)
		}
		by.Action, by.CaseKind, by.CaseID = "case.urge", kind, id
		return AuditTx(ctx, tx, by, map[string]any{"department_id": departmentID, "steps": titles, "message": message})
	})
	return titles, err
}
