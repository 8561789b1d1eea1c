package storage

import (
	"context"
	"fmt"
	"time"
)

// CountStep counts one step under key in the window that starts at windowStart and answers how many steps the
// window holds now (this one included). Windows older than keep are deleted on the way, so the table stays small.
func (db *DB) CountStep(ctx context.Context, key string, windowStart time.Time, keep time.Duration) (int, error) {
	var hits int
	err := db.GetContext(ctx, &hits, `INSERT INTO step_rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET hits = step_rate_limits.hits + 1
		RETURNING hits`, key, windowStart)
	if err != nil {
		return 0, fmt.Errorf("count step %s: %w", key, err)
	}
	if hits == 1 {
		// A new window: a good moment to forget the old ones.
		if _, err := db.ExecContext(ctx, `DELETE FROM step_rate_limits WHERE window_start < $1`, windowStart.Add(-keep)); err != nil {
			return 0, fmt.Errorf("forget old step windows: %w", err)
		}
	}
	return hits, nil
}

// UncountStep takes back one step counted under key in the window that starts at windowStart.
func (db *DB) UncountStep(ctx context.Context, key string, windowStart time.Time) error {
	if _, err := db.ExecContext(ctx, `UPDATE step_rate_limits SET hits = hits - 1
		WHERE key = $1 AND window_start = $2 AND hits > 0`, key, windowStart); err != nil {
		return fmt.Errorf("uncount step %s: %w", key, err)
	}
	return nil
}
