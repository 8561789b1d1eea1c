package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// IdempotentResponse is the stored first answer to a write that carried an Idempotency-Key.
type IdempotentResponse struct {
	BodyHash    []byte        `db:"body_hash"`
	Method      string        `db:"method"`
	Path        string        `db:"path"`
	Status      sql.NullInt64 `db:"status"`
	Response    []byte        `db:"response"`
	ContentType string        `db:"content_type"`
}

// IdempotencyClaimTimeout is how long a key stays "in progress" before another request may take it over; it is
// well above the longest request (the server's write timeout is one minute).
var IdempotencyClaimTimeout = 2 * time.Minute

// ClaimIdempotencyKey reserves a key for a request. It returns (nil, nil) when the caller owns the key now,
// or the earlier request's record when the key was used before (Status is null while that request runs).
func (db *DB) ClaimIdempotencyKey(ctx context.Context, principal, key, method, path string, bodyHash []byte) (*IdempotentResponse, error) {
	_, err := db.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, body_hash) VALUES ($1, $2, $3, $4, $5)`,
		principal, key, method, path, bodyHash)
	if err == nil {
		return nil, nil
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	// A key still "in progress" long after its request began belongs to a request that crashed (or whose process
	// died) before answering: it is taken over, so the caller's retry is not refused forever.
	res, err := db.ExecContext(ctx, `UPDATE idempotency_keys SET method = $3, path = $4, body_hash = $5, created_at = now()
		WHERE principal = $1 AND key = $2 AND status IS NULL AND created_at < now() - $6::interval`,
		principal, key, method, path, bodyHash, fmt.Sprintf("%d seconds", int(IdempotencyClaimTimeout.Seconds())))
	if err != nil {
		return nil, fmt.Errorf("take over idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var r IdempotentResponse
	err = db.GetContext(ctx, &r, `SELECT body_hash, method, path, status, response, content_type FROM idempotency_keys
		WHERE principal = $1 AND key = $2`, principal, key)
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return &r, nil
}

// CompleteIdempotencyKey stores the answer given under a key.
func (db *DB) CompleteIdempotencyKey(ctx context.Context, principal, key string, status int, contentType string, body []byte) error {
	_, err := db.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, response = $4, content_type = $5
		WHERE principal = $1 AND key = $2`, principal, key, status, body, contentType)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a key whose request failed on the server's side, so the caller may retry.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, principal, key string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND status IS NULL`, principal, key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// IsUniqueViolation tells whether err is a PostgreSQL unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
