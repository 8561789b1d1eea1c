package storage

import (
	"context"
	"fmt"
)

// CaseRow is a case's status as PostgreSQL holds it, for the consistency check against its workflow.
type CaseRow struct {
	Kind   string `db:"kind"`
	ID     int64  `db:"id"`
	Status string `db:"status"`
}

// CaseRows lists every case that has a workflow of its own (penalty, repair, objection, training, withdrawal)
// with its status, oldest first.
func (db *DB) CaseRows(ctx context.Context) ([]CaseRow, error) {
	var rows []CaseRow
	err := db.SelectContext(ctx, &rows, `
		SELECT 'penalty' AS kind, id, status FROM penalties
		UNION ALL SELECT 'repair', id, status FROM repairs
		UNION ALL SELECT 'objection', id, status FROM objections
		UNION ALL SELECT 'training', id, status FROM trainings
		UNION ALL SELECT 'withdrawal', id, status FROM withdrawals
		ORDER BY kind, id`)
	if err != nil {
		return nil, fmt.Errorf("case rows: %w", err)
	}
	return rows, nil
}

// EnrollmentStatuses answers a session's enrollment statuses by USCC.
func (db *DB) EnrollmentStatuses(ctx context.Context, trainingID int64) (map[string]string, error) {
	var rows []struct {
		USCC   string `db:"uscc"`
		Status string `db:"status"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT uscc, status FROM training_enrollments WHERE training_id = $1`, trainingID); err != nil {
		return nil, fmt.Errorf("enrollments of training %d: %w", trainingID, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.USCC] = r.Status
	}
	return out, nil
}
