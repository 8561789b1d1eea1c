package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// ErrWithdrawnRecord is returned when a publication would put back a record that was ordered withdrawn: no late
// publish, retry or resync re-inserts it; only an explicit republication does.
var ErrWithdrawnRecord = errors.New("record withdrawn")

// PublicationTarget is a channel a record is to be published on, with the channel's current settings.
type PublicationTarget struct {
	ChannelID   string             `db:"channel_id"`
	Name        string             `db:"name"`
	Kind        domain.ChannelKind `db:"kind"`
	Status      string             `db:"status"`
	DueOn       *domain.Date       `db:"due_on"`
	Attempts    int                `db:"attempts"`
	PublishedAt sql.NullTime       `db:"published_at"`
	EndpointURL string             `db:"endpoint_url"`
	Secret      string             `db:"secret"`
	// Blocked: a withdrawal order for the record came after this publication was authorized.
	Blocked bool `db:"blocked"`
}

// blockedExpr is true when a withdrawal order of the record is newer than the publication's last explicit
// republication (p is the publications row).
const blockedExpr = `(p.status = 'withdrawn' OR EXISTS (SELECT 1 FROM withdrawals w WHERE w.penalty_id = p.penalty_id
	AND w.created_at > COALESCE(p.republished_at, '-infinity'::timestamptz)))`

const targetColumns = `p.channel_id, c.name, c.kind, p.status, p.due_on, p.attempts, p.published_at, c.endpoint_url, c.secret,
	` + blockedExpr + ` AS blocked`

// CreatePublications creates the pending publications of a record due on dueOn, one per channel it is published
// on (none when the penalty is not published, and none once a withdrawal was ordered), and returns every
// publication of the record. A second call creates nothing new.
func (db *DB) CreatePublications(ctx context.Context, penaltyID int64, dueOn domain.Date) ([]PublicationTarget, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var p struct {
			DepartmentID string `db:"department_id"`
			Published    bool   `db:"published"`
			Withdrawals  int    `db:"withdrawals"`
		}
		// The row lock orders this against OrderWithdrawal.
		if err := tx.GetContext(ctx, &p, `SELECT department_id, published,
				(SELECT count(*) FROM withdrawals w WHERE w.penalty_id = penalties.id) AS withdrawals
			FROM penalties WHERE id = $1 FOR SHARE`, penaltyID); err != nil {
			return fmt.Errorf("publications of penalty %d: %w", penaltyID, notFound(err))
		}
		if !p.Published || p.Withdrawals > 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO publications (penalty_id, channel_id, due_on)
			SELECT $1, id, $3 FROM channels WHERE active AND (department_id IS NULL OR department_id = $2)
			ON CONFLICT (penalty_id, channel_id) DO NOTHING`, penaltyID, p.DepartmentID, dueOn)
		if err != nil {
			return fmt.Errorf("create publications of penalty %d: %w", penaltyID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ts []PublicationTarget
	if err := db.SelectContext(ctx, &ts, `SELECT `+targetColumns+` FROM publications p JOIN channels c ON c.id = p.channel_id
		WHERE p.penalty_id = $1 ORDER BY p.channel_id`, penaltyID); err != nil {
		return nil, fmt.Errorf("publications of penalty %d: %w", penaltyID, err)
	}
	return ts, nil
}

// PublicationTargetOf returns one publication of a record.
func (db *DB) PublicationTargetOf(ctx context.Context, penaltyID int64, channelID string) (PublicationTarget, error) {
	var t PublicationTarget
	err := db.GetContext(ctx, &t, `SELECT `+targetColumns+` FROM publications p JOIN channels c ON c.id = p.channel_id
		WHERE p.penalty_id = $1 AND p.channel_id = $2`, penaltyID, channelID)
	if err != nil {
		return PublicationTarget{}, fmt.Errorf("publication of penalty %d on %s: %w", penaltyID, channelID, notFound(err))
	}
	return t, nil
}

// CountPublicationAttempt counts one attempt to send a record to a channel (status sent).
func (db *DB) CountPublicationAttempt(ctx context.Context, penaltyID int64, channelID string) error {
	_, err := db.ExecContext(ctx, `UPDATE publications SET attempts = attempts + 1,
			status = CASE WHEN status IN ('pending', 'failed') THEN 'sent' ELSE status END
		WHERE penalty_id = $1 AND channel_id = $2 AND status NOT IN ('published', 'withdrawn')`, penaltyID, channelID)
	if err != nil {
		return fmt.Errorf("publication attempt of penalty %d on %s: %w", penaltyID, channelID, err)
	}
	return nil
}

// Publish runs send while holding the record's lock and marks the publication published with reference when send
// succeeds. It returns ErrWithdrawnRecord without calling send when a withdrawal was ordered after the publication
// was authorized, and does nothing when the publication is published already. Holding the lock across send means
// a withdrawal order waits for an attempt under way, so the channel always hears the publication first.
func (db *DB) Publish(ctx context.Context, penaltyID int64, channelID string, send func(PublicationTarget) (string, error)) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM penalties WHERE id = $1 FOR SHARE`, penaltyID); err != nil {
			return fmt.Errorf("lock penalty %d: %w", penaltyID, err)
		}
		var t PublicationTarget
		if err := tx.GetContext(ctx, &t, `SELECT `+targetColumns+` FROM publications p JOIN channels c ON c.id = p.channel_id
			WHERE p.penalty_id = $1 AND p.channel_id = $2`, penaltyID, channelID); err != nil {
			return fmt.Errorf("publication of penalty %d on %s: %w", penaltyID, channelID, notFound(err))
		}
		if t.Blocked {
			return fmt.Errorf("publication of penalty %d on %s: %w", penaltyID, channelID, ErrWithdrawnRecord)
		}
		if t.Status == "published" {
			return nil
		}
		ref, err := send(t)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE publications SET status = 'published', published_at = COALESCE(published_at, now()),
				reference = $3, last_error = '' WHERE penalty_id = $1 AND channel_id = $2`, penaltyID, channelID, ref); err != nil {
			return fmt.Errorf("mark penalty %d published on %s: %w", penaltyID, channelID, err)
		}
		return nil
	})
}

// RecordPublicationError keeps a publication's last failure.
func (db *DB) RecordPublicationError(ctx context.Context, penaltyID int64, channelID, msg string) error {
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := db.ExecContext(ctx, `UPDATE publications SET last_error = $3 WHERE penalty_id = $1 AND channel_id = $2
		AND status NOT IN ('published', 'withdrawn')`, penaltyID, channelID, msg)
	if err != nil {
		return fmt.Errorf("publication error of penalty %d on %s: %w", penaltyID, channelID, err)
	}
	return nil
}

// MarkPublicationOverdue flags a publication not confirmed by its due date.
func (db *DB) MarkPublicationOverdue(ctx context.Context, penaltyID int64, channelID string) error {
	_, err := db.ExecContext(ctx, `UPDATE publications SET status = 'overdue'
		WHERE penalty_id = $1 AND channel_id = $2 AND status IN ('pending', 'sent', 'failed')`, penaltyID, channelID)
	if err != nil {
		return fmt.Errorf("publication overdue of penalty %d on %s: %w", penaltyID, channelID, err)
	}
	return nil
}

// Republish is the explicit new decision that puts a withdrawn record back (a repair revoked for fraud, a
// corrected record): its publications become pending again, orders before now no longer block them, and the
// decision is recorded in the audit log (once per key).
func (db *DB) Republish(ctx context.Context, penaltyID int64, reason, key string) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM penalties WHERE id = $1 FOR UPDATE`, penaltyID); err != nil {
			return fmt.Errorf("lock penalty %d: %w", penaltyID, err)
		}
		var done int
		if err := tx.GetContext(ctx, &done, `SELECT count(*) FROM audit_log WHERE dedup_key = $1`, key); err != nil {
			return fmt.Errorf("republish of penalty %d: %w", penaltyID, err)
		}
		if done > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE publications SET status = 'pending', republished_at = now(),
				republish_reason = $2, published_at = NULL, withdrawn_at = NULL, attempts = 0, reference = '', last_error = ''
			WHERE penalty_id = $1`, penaltyID, reason); err != nil {
			return fmt.Errorf("republish penalty %d: %w", penaltyID, err)
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "penalty.republished", CaseKind: "penalty",
			CaseID: strconv.FormatInt(penaltyID, 10), DedupKey: &key}, map[string]any{"reason": reason})
	})
}

// PublicationQueueItem is a publication a manual channel's operator has to confirm.
type PublicationQueueItem struct {
	PenaltyID      int64        `db:"penalty_id"`
	ChannelID      string       `db:"channel_id"`
	Status         string       `db:"status"`
	DueOn          *domain.Date `db:"due_on"`
	DecisionNo     string       `db:"decision_no"`
	EnterpriseName string       `db:"enterprise_name"`
	USCC           string       `db:"uscc"`
	DepartmentName string       `db:"department_name"`
}

// PublicationQueue lists a manual channel's publications still to confirm (none of a withdrawn record), overdue
// first, then by due date.
func (db *DB) PublicationQueue(ctx context.Context, channelID string, limit int) ([]PublicationQueueItem, error) {
	if limit <= 0 {
		limit = 100
	}
	var qs []PublicationQueueItem
	err := db.SelectContext(ctx, &qs, `SELECT p.penalty_id, p.channel_id, p.status, p.due_on, pe.decision_no, pe.enterprise_name,
			pe.uscc, d.name AS department_name
		FROM publications p JOIN channels c ON c.id = p.channel_id JOIN penalties pe ON pe.id = p.penalty_id
		JOIN departments d ON d.id = pe.department_id
		WHERE p.channel_id = $1 AND c.kind = 'manual' AND p.status IN ('pending', 'sent', 'overdue', 'failed') AND NOT `+blockedExpr+`
		ORDER BY (p.status = 'overdue') DESC, p.due_on, p.penalty_id LIMIT $2`, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("publication queue of %s: %w", channelID, err)
	}
	return qs, nil
}
