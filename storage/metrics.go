package storage

import (
	"context"
	"fmt"
)

// The domain gauges an office watches, read at scrape time by /metrics (see obs.RegisterDomainGauges). Each is
// one aggregate over an indexed or small table, so a scrape every 15 s costs a few milliseconds.

// OpenCaseCount is how many cases of a procedure are open at one step (the case's status).
type OpenCaseCount struct {
	Procedure string `db:"procedure"`
	Step      string `db:"step"`
	N         int64  `db:"n"`
}

// OverdueCount is how many open steps of a department are past their deadline (Beijing date).
type OverdueCount struct {
	DepartmentID string `db:"department_id"`
	N            int64  `db:"n"`
}

// ChannelLag is, per channel and kind of notice (publication, withdrawal), how many notices wait for the
// channel's confirmation and how old the oldest is.
type ChannelLag struct {
	ChannelID     string  `db:"channel_id"`
	Kind          string  `db:"kind"`
	Waiting       int64   `db:"waiting"`
	OldestSeconds float64 `db:"oldest_seconds"`
}

// OpenCases counts the cases of every procedure that are not finished, by status.
func (db *DB) OpenCases(ctx context.Context) ([]OpenCaseCount, error) {
	var out []OpenCaseCount
	err := db.SelectContext(ctx, &out, `
		SELECT 'penalty' AS procedure, status AS step, count(*) AS n FROM penalties
			WHERE status NOT IN ('withdrawn', 'revoked') GROUP BY status
		UNION ALL
		SELECT 'repair', status, count(*) FROM repairs
			WHERE status NOT IN ('not_accepted', 'refused', 'closed', 'cancelled', 'revoked') GROUP BY status
		UNION ALL
		SELECT 'objection', status, count(*) FROM objections WHERE status <> 'closed' GROUP BY status
		UNION ALL
		SELECT 'withdrawal', status, count(*) FROM withdrawals WHERE status <> 'completed' GROUP BY status
		UNION ALL
		SELECT 'training', status, count(*) FROM trainings WHERE status <> 'closed' GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("storage: open cases: %w", err)
	}
	return out, nil
}

// OverdueSteps counts open tasks past their due date, by department ("" for the credit office and channels); every
// department has a row, so that an alert sees 0 rather than no series.
func (db *DB) OverdueSteps(ctx context.Context) ([]OverdueCount, error) {
	var out []OverdueCount
	err := db.SelectContext(ctx, &out, `
		WITH overdue AS (
			SELECT coalesce(department_id, '') AS department_id, count(*) AS n FROM tasks
			WHERE status = 'open' AND (overdue OR due_on < `+sqlToday+`)
			GROUP BY 1)
		SELECT d.id AS department_id, coalesce(o.n, 0) AS n
		FROM (SELECT id FROM departments UNION SELECT '') d LEFT JOIN overdue o ON o.department_id = d.id`)
	if err != nil {
		return nil, fmt.Errorf("storage: overdue steps: %w", err)
	}
	return out, nil
}

// ChannelLags reports the notices each channel has not confirmed yet; every channel has a row per kind.
func (db *DB) ChannelLags(ctx context.Context) ([]ChannelLag, error) {
	var out []ChannelLag
	err := db.SelectContext(ctx, &out, `
		WITH waiting AS (
			SELECT wc.channel_id, 'withdrawal' AS kind, count(*) AS waiting,
				EXTRACT(EPOCH FROM now() - min(w.created_at))::float8 AS oldest_seconds
			FROM withdrawal_channels wc JOIN withdrawals w ON w.id = wc.withdrawal_id
			WHERE wc.status <> 'confirmed' GROUP BY wc.channel_id
			UNION ALL
			SELECT pb.channel_id, 'publication', count(*), EXTRACT(EPOCH FROM now() - min(p.created_at))::float8
			FROM publications pb JOIN penalties p ON p.id = pb.penalty_id
			WHERE pb.status IN ('pending', 'sent', 'overdue', 'failed') GROUP BY pb.channel_id)
		SELECT c.id AS channel_id, k.kind, coalesce(w.waiting, 0) AS waiting, coalesce(w.oldest_seconds, 0) AS oldest_seconds
		FROM channels c CROSS JOIN (VALUES ('publication'), ('withdrawal')) k(kind)
		LEFT JOIN waiting w ON w.channel_id = c.id AND w.kind = k.kind`)
	if err != nil {
		return nil, fmt.Errorf("storage: channel lags: %w", err)
	}
	return out, nil
}
