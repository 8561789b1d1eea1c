package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbound pushes: applications (repairs, objections) that a publishing channel or another platform pushes with a
// signed request (Order 36 arts. 13, 17). One row per push, keyed by the channel's Idempotency-Key.

// Case kinds an inbound push may create.
const (
	InboundRepair    = "repair"
	InboundObjection = "objection"
)

// InboundPush is one accepted push and the case it created.
type InboundPush struct {
	ID              int64        `db:"id"`
	ChannelID       string       `db:"channel_id"`
	PushKey         string       `db:"push_key"`
	CaseKind        string       `db:"case_kind"`
	CaseID          int64        `db:"case_id"`
	BodySHA256      []byte       `db:"body_sha256"`
	PushedAt        time.Time    `db:"pushed_at"`
	ExternalRef     string       `db:"external_ref"`
	ReceivedAt      time.Time    `db:"received_at"`
	ResultOutcome   string       `db:"result_outcome"`
	ResultSentAt    sql.NullTime `db:"result_sent_at"`
	ResultReference string       `db:"result_reference"`
}

const inboundColumns = `id, channel_id, push_key, case_kind, case_id, body_sha256, pushed_at, external_ref, received_at,
	result_outcome, result_sent_at, result_reference`

// ClaimInboundPush stores a push under its channel and key, naming the case it is about to create; when the key
// was used before it returns the earlier push instead (created is false) and stores nothing.
func (db *DB) ClaimInboundPush(ctx context.Context, p InboundPush) (InboundPush, bool, error) {
	var out InboundPush
	err := db.GetContext(ctx, &out, `INSERT INTO inbound_pushes (channel_id, push_key, case_kind, case_id, body_sha256,
		pushed_at, external_ref) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (channel_id, push_key) DO NOTHING RETURNING `+inboundColumns,
		p.ChannelID, p.PushKey, p.CaseKind, p.CaseID, p.BodySHA256, p.PushedAt, p.ExternalRef)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return out, false, fmt.Errorf("claim inbound push %s/%s: %w", p.ChannelID, p.PushKey, err)
	}
	err = db.GetContext(ctx, &out, `SELECT `+inboundColumns+` FROM inbound_pushes WHERE channel_id = $1 AND push_key = $2`,
		p.ChannelID, p.PushKey)
	if err != nil {
		return out, false, fmt.Errorf("read inbound push %s/%s: %w", p.ChannelID, p.PushKey, notFound(err))
	}
	return out, false, nil
}

// ForgetInboundPush removes a push whose case was refused before it was stored, so that the refusal changes
// nothing (the channel may push a corrected application under the same key).
func (db *DB) ForgetInboundPush(ctx context.Context, id int64) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM inbound_pushes WHERE id = $1 AND result_sent_at IS NULL`, id); err != nil {
		return fmt.Errorf("forget inbound push %d: %w", id, err)
	}
	return nil
}

// InboundPushOfCase is the push that created a case (ErrNotFound when it was not pushed).
func (db *DB) InboundPushOfCase(ctx context.Context, kind string, caseID int64) (InboundPush, error) {
	var out InboundPush
	err := db.GetContext(ctx, &out, `SELECT `+inboundColumns+` FROM inbound_pushes WHERE case_kind = $1 AND case_id = $2`,
		kind, caseID)
	if err != nil {
		return out, fmt.Errorf("inbound push of %s %d: %w", kind, caseID, notFound(err))
	}
	return out, nil
}

// MarkInboundResultSent records that the channel confirmed the case's result (the first confirmation stays).
func (db *DB) MarkInboundResultSent(ctx context.Context, kind string, caseID int64, outcome, reference string) error {
	_, err := db.ExecContext(ctx, `UPDATE inbound_pushes SET result_outcome = $3, result_reference = $4, result_sent_at = now()
		WHERE case_kind = $1 AND case_id = $2 AND result_sent_at IS NULL`, kind, caseID, outcome, reference)
	if err != nil {
		return fmt.Errorf("mark inbound result of %s %d: %w", kind, caseID, err)
	}
	return nil
}

// InboundPushesWithoutResult lists pushes whose result was not sent yet, received before the given time, after
// the id after (a page of at most limit), for the reconciler.
func (db *DB) InboundPushesWithoutResult(ctx context.Context, before time.Time, after int64, limit int) ([]InboundPush, error) {
	var out []InboundPush
	err := db.SelectContext(ctx, &out, `SELECT `+inboundColumns+` FROM inbound_pushes
		WHERE result_sent_at IS NULL AND received_at < $1 AND id > $2 ORDER BY id LIMIT $3`, before, after, limit)
	if err != nil {
		return nil, fmt.Errorf("inbound pushes without result: %w", err)
	}
	return out, nil
}

// RecordsByNumber finds an enterprise's records (penalties and listings) by their document number (文号), of one
// department when departmentID is set.
func (db *DB) RecordsByNumber(ctx context.Context, uscc, number, departmentID string) ([]Penalty, error) {
	var out []Penalty
	err := db.SelectContext(ctx, &out, `SELECT `+penaltyColumns+` FROM penalties
		WHERE uscc = $1 AND decision_no = $2 AND ($3 = '' OR department_id = $3) ORDER BY id LIMIT 5`, uscc, number, departmentID)
	if err != nil {
		return nil, fmt.Errorf("records %s of %s: %w", number, uscc, err)
	}
	return out, nil
}

// InboundPushByKey is the push a channel sent under a key (ErrNotFound when none).
func (db *DB) InboundPushByKey(ctx context.Context, channelID, key string) (InboundPush, error) {
	var out InboundPush
	err := db.GetContext(ctx, &out, `SELECT `+inboundColumns+` FROM inbound_pushes WHERE channel_id = $1 AND push_key = $2`,
		channelID, key)
	if err != nil {
		return out, fmt.Errorf("inbound push %s/%s: %w", channelID, key, notFound(err))
	}
	return out, nil
}
