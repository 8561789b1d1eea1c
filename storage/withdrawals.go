package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// Withdrawal is a withdrawal order (一件通用) with the record it concerns.
type Withdrawal struct {
	ID            int64                   `db:"id"`
	PenaltyID     int64                   `db:"penalty_id"`
	Cause         domain.WithdrawalCause  `db:"cause"`
	CauseRef      string                  `db:"cause_ref"`
	CauseDecision string                  `db:"cause_decision"`
	Status        domain.WithdrawalStatus `db:"status"`
	LetterID      sql.NullInt64           `db:"letter_id"`
	OrderedOn     domain.Date             `db:"ordered_on"`
	CreatedAt     time.Time               `db:"created_at"`
	CompletedAt   sql.NullTime            `db:"completed_at"`
	// The record, from its penalty.
	DepartmentID   string      `db:"department_id"`
	DepartmentName string      `db:"department_name"`
	DecisionNo     string      `db:"decision_no"`
	USCC           string      `db:"uscc"`
	EnterpriseName string      `db:"enterprise_name"`
	DecidedOn      domain.Date `db:"decided_on"`
	// Channel counts (lists only).
	Channels  int          `db:"channels"`
	Confirmed int          `db:"confirmed"`
	Overdue   int          `db:"overdue"`
	NextDue   *domain.Date `db:"next_due"`
}

// WithdrawalChannel is one addressed channel of an order. EndpointURL and Secret are the channel's current
// delivery settings (read at every attempt, so a corrected endpoint is used by the next retry).
type WithdrawalChannel struct {
	WithdrawalID int64                `db:"withdrawal_id"`
	ChannelID    string               `db:"channel_id"`
	Name         string               `db:"name"`
	Kind         domain.ChannelKind   `db:"kind"`
	Status       domain.ChannelStatus `db:"status"`
	Attempts     int                  `db:"attempts"`
	DueOn        domain.Date          `db:"due_on"`
	SentAt       sql.NullTime         `db:"sent_at"`
	ConfirmedAt  sql.NullTime         `db:"confirmed_at"`
	OverdueAt    sql.NullTime         `db:"overdue_at"`
	Reference    string               `db:"reference"`
	ConfirmedBy  string               `db:"confirmed_by"`
	LastError    string               `db:"last_error"`
	EndpointURL  string               `db:"endpoint_url"`
	Secret       string               `db:"secret"`
	// Provisional: the due date was counted over days whose holiday notice is not loaded yet (暂定).
	Provisional bool `db:"provisional"`
}

const withdrawalColumns = `w.id, w.penalty_id, w.cause, w.cause_ref, w.cause_decision, w.status, w.letter_id, w.ordered_on,
	w.created_at, w.completed_at, p.department_id, d.name AS department_name, p.decision_no, p.uscc, p.enterprise_name,
	p.decided_on`

const withdrawalFrom = ` FROM withdrawals w JOIN penalties p ON p.id = w.penalty_id JOIN departments d ON d.id = p.department_id`

const withdrawalChannelColumns = `wc.withdrawal_id, wc.channel_id, c.name, c.kind, wc.status, wc.attempts, wc.due_on,
	wc.sent_at, wc.confirmed_at, wc.overdue_at, wc.reference, wc.confirmed_by, wc.last_error, c.endpoint_url, c.secret,
	COALESCE((SELECT d.provisional FROM case_deadlines d WHERE d.case_kind = 'withdrawal' AND d.case_id = wc.withdrawal_id::text
		AND d.name = 'confirm:' || wc.channel_id), false) AS provisional`

// NewWithdrawal orders a record's withdrawal for a cause on a date.
type NewWithdrawal struct {
	PenaltyID     int64
	Cause         domain.WithdrawalCause
	CauseRef      string
	CauseDecision string
	OrderedOn     domain.Date
}

// OrderWithdrawal creates the order of a record and cause with one row per channel the record is (or was being)
// published on, each due deadline_workdays working days after the order; a second order for the same record and
// cause returns the first one's id (created false) and changes nothing. The penalty row is locked, so an order and
// a publication attempt never interleave: a publication either finished before the order (and is withdrawn by it)
// or sees the order and is not sent.
func (db *DB) OrderWithdrawal(ctx context.Context, in NewWithdrawal, cal *domain.Calendar) (id int64, created bool, err error) {
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var pid int64
		if err := tx.GetContext(ctx, &pid, `SELECT id FROM penalties WHERE id = $1 FOR UPDATE`, in.PenaltyID); err != nil {
			return fmt.Errorf("withdrawal of penalty %d: %w", in.PenaltyID, notFound(err))
		}
		err := tx.GetContext(ctx, &id, `INSERT INTO withdrawals (penalty_id, cause, cause_ref, cause_decision, ordered_on)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (penalty_id, cause) DO NOTHING RETURNING id`,
			in.PenaltyID, in.Cause, in.CauseRef, in.CauseDecision, in.OrderedOn)
		if errors.Is(err, sql.ErrNoRows) {
			created = false
			if err := tx.GetContext(ctx, &id, `SELECT id FROM withdrawals WHERE penalty_id = $1 AND cause = $2`, in.PenaltyID, in.Cause); err != nil {
				return fmt.Errorf("withdrawal of penalty %d (%s): %w", in.PenaltyID, in.Cause, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("order withdrawal of penalty %d (%s): %w", in.PenaltyID, in.Cause, err)
		}
		created = true
		// Every channel that published the record or was asked to (sent, overdue, failed, or tried at least
		// once): a publication still pending was never confirmed nor pushed, and the order itself takes it
		// off the operators' queues (blockedExpr), so a letter asking that channel to withdraw would only
		// confuse it. Withdrawn ones are down already.
		var chans []struct {
			ID       string `db:"id"`
			Workdays int    `db:"deadline_workdays"`
		}
		if err := tx.SelectContext(ctx, &chans, `SELECT c.id, c.deadline_workdays FROM publications p
			JOIN channels c ON c.id = p.channel_id WHERE p.penalty_id = $1
				AND (p.status IN ('published', 'sent', 'overdue', 'failed') OR p.attempts > 0) ORDER BY c.id`, in.PenaltyID); err != nil {
			return fmt.Errorf("channels of penalty %d: %w", in.PenaltyID, err)
		}
		// Each channel's deadline is kept with its origin: a provisional one is counted again when its year's
		// notice is loaded (deadlines.go).
		dues := make([]domain.CaseDeadline, 0, len(chans))
		for _, ch := range chans {
			d := domain.CaseDeadline{Name: "confirm:" + ch.ID, From: in.OrderedOn, Workdays: ch.Workdays}.Count(cal)
			if _, err := tx.ExecContext(ctx, `INSERT INTO withdrawal_channels (withdrawal_id, channel_id, due_on)
				VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, ch.ID, d.Due); err != nil {
				return fmt.Errorf("withdrawal %d channel %s: %w", id, ch.ID, err)
			}
			dues = append(dues, d)
		}
		if err := putCaseDeadlines(ctx, tx, "withdrawal", strconv.FormatInt(id, 10), dues); err != nil {
			return err
		}
		key := "withdrawal-" + strconv.FormatInt(id, 10) + "-ordered"
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "withdrawal.ordered", CaseKind: "withdrawal",
			CaseID: strconv.FormatInt(id, 10), DedupKey: &key}, map[string]any{
			"penalty_id": in.PenaltyID, "cause": in.Cause, "cause_ref": in.CauseRef, "channels": len(chans)})
	})
	return id, created, err
}

// GetWithdrawal returns an order with its record.
func (db *DB) GetWithdrawal(ctx context.Context, id int64) (Withdrawal, error) {
	var w Withdrawal
	if err := db.GetContext(ctx, &w, `SELECT `+withdrawalColumns+withdrawalFrom+` WHERE w.id = $1`, id); err != nil {
		return Withdrawal{}, fmt.Errorf("withdrawal %d: %w", id, notFound(err))
	}
	return w, nil
}

// WithdrawalChannels lists an order's channels by id.
func (db *DB) WithdrawalChannels(ctx context.Context, id int64) ([]WithdrawalChannel, error) {
	var cs []WithdrawalChannel
	err := db.SelectContext(ctx, &cs, `SELECT `+withdrawalChannelColumns+` FROM withdrawal_channels wc
		JOIN channels c ON c.id = wc.channel_id WHERE wc.withdrawal_id = $1 ORDER BY wc.channel_id`, id)
	if err != nil {
		return nil, fmt.Errorf("channels of withdrawal %d: %w", id, err)
	}
	return cs, nil
}

// EnterpriseChannelState is where one channel stands with one of an enterprise's withdrawal orders.
type EnterpriseChannelState struct {
	WithdrawalID int64                  `db:"withdrawal_id"`
	DecisionNo   string                 `db:"decision_no"`
	Cause        domain.WithdrawalCause `db:"cause"`
	ChannelName  string                 `db:"channel_name"`
	Status       domain.ChannelStatus   `db:"status"`
	ConfirmedAt  sql.NullTime           `db:"confirmed_at"`
}

// EnterpriseChannelStates lists, channel by channel, the enterprise's newest limit withdrawal orders, the newest
// first: what its home page shows, read in one statement rather than the orders with their counts and then their
// channels (issue 17).
func (db *DB) EnterpriseChannelStates(ctx context.Context, uscc string, limit int) ([]EnterpriseChannelState, error) {
	return runOne(ctx, db, func(b *Batch, out *[]EnterpriseChannelState) { b.EnterpriseChannelStates(uscc, limit, out) })
}

// EnterpriseChannelStates adds EnterpriseChannelStates's read to b.
func (b *Batch) EnterpriseChannelStates(uscc string, limit int, out *[]EnterpriseChannelState) {
	b.add("withdrawals of "+uscc+" by channel", out, `SELECT w.id AS withdrawal_id, w.decision_no, w.cause, c.name AS channel_name, wc.status,
			wc.confirmed_at
		FROM (SELECT w.id, w.cause, p.decision_no FROM withdrawals w JOIN penalties p ON p.id = w.penalty_id
			WHERE p.uscc = $1::bpchar ORDER BY w.id DESC LIMIT `+limitOf(limit)+`) w
		JOIN withdrawal_channels wc ON wc.withdrawal_id = w.id JOIN channels c ON c.id = wc.channel_id
		ORDER BY w.id DESC, wc.channel_id`, []any{uscc}, nil)
}

// WithdrawalChannel returns one channel of an order.
func (db *DB) WithdrawalChannel(ctx context.Context, id int64, channelID string) (WithdrawalChannel, error) {
	var wc WithdrawalChannel
	err := db.GetContext(ctx, &wc, `SELECT `+withdrawalChannelColumns+` FROM withdrawal_channels wc
		JOIN channels c ON c.id = wc.channel_id WHERE wc.withdrawal_id = $1 AND wc.channel_id = $2`, id, channelID)
	if err != nil {
		return WithdrawalChannel{}, fmt.Errorf("withdrawal %d channel %s: %w", id, channelID, notFound(err))
	}
	return wc, nil
}

// WithdrawalFilter selects orders; empty fields do not filter.
type WithdrawalFilter struct {
	Status       string
	DepartmentID string
	USCC         string
	// ChannelID keeps the orders addressed to that channel.
	ChannelID string
	PenaltyID int64
	AfterID   int64
	Limit     int
}

// ListWithdrawals lists orders by id with their channel counts.
func (db *DB) ListWithdrawals(ctx context.Context, f WithdrawalFilter) ([]Withdrawal, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Withdrawal) { b.Withdrawals(f, out) })
}

// Withdrawals adds ListWithdrawals's read to b.
func (b *Batch) Withdrawals(f WithdrawalFilter, out *[]Withdrawal) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	// Only the filters asked for are in the statement (conds): planned generically, the catch-all one walked every
	// withdrawal in id order looking for one enterprise's.
	var c conds
	if f.Status != "" {
		addEnum(&c, "w.status = $?", f.Status, domain.WithdrawalStatuses)
	}
	c.addIf("p.department_id = $?", f.DepartmentID)
	c.addIf("p.uscc = $?::bpchar", f.USCC)
	c.addIf("EXISTS (SELECT 1 FROM withdrawal_channels x WHERE x.withdrawal_id = w.id AND x.channel_id = $?)", f.ChannelID)
	c.addIf("w.penalty_id = $?", f.PenaltyID)
	c.add("w.id > $?", f.AfterID)
	b.add("list withdrawals", out, `SELECT `+withdrawalColumns+`,
			count(wc.channel_id) AS channels,
			count(wc.channel_id) FILTER (WHERE wc.status = 'confirmed') AS confirmed,
			count(wc.channel_id) FILTER (WHERE wc.status = 'overdue') AS overdue,
			min(wc.due_on) FILTER (WHERE wc.status <> 'confirmed') AS next_due`+withdrawalFrom+`
		LEFT JOIN withdrawal_channels wc ON wc.withdrawal_id = w.id
		WHERE `+c.sql()+`
		GROUP BY w.id, p.id, d.id ORDER BY w.id LIMIT `+limitOf(f.Limit), c.args, func() error { *out = firstN(*out, f.Limit); return nil })
}

// ChannelQueueItem is one order awaiting (or having had) a channel's confirmation.
type ChannelQueueItem struct {
	WithdrawalChannel
	PenaltyID      int64                  `db:"penalty_id"`
	DecisionNo     string                 `db:"decision_no"`
	EnterpriseName string                 `db:"enterprise_name"`
	USCC           string                 `db:"uscc"`
	Cause          domain.WithdrawalCause `db:"cause"`
}

// ChannelQueue lists a channel's unconfirmed orders, overdue first, then by due date.
func (db *DB) ChannelQueue(ctx context.Context, channelID string, limit int) ([]ChannelQueueItem, error) {
	if limit <= 0 {
		limit = 100
	}
	var qs []ChannelQueueItem
	err := db.SelectContext(ctx, &qs, `SELECT `+withdrawalChannelColumns+`, w.penalty_id, p.decision_no, p.enterprise_name,
			p.uscc, w.cause
		FROM withdrawal_channels wc JOIN channels c ON c.id = wc.channel_id JOIN withdrawals w ON w.id = wc.withdrawal_id
		JOIN penalties p ON p.id = w.penalty_id
		WHERE wc.channel_id = $1 AND wc.status <> 'confirmed'
		ORDER BY (wc.status = 'overdue') DESC, wc.due_on, wc.withdrawal_id LIMIT $2`, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("queue of channel %s: %w", channelID, err)
	}
	return qs, nil
}

// SetWithdrawalLetter records the order's 告知函 (the first one stays) and moves the order in progress.
func (db *DB) SetWithdrawalLetter(ctx context.Context, id, letterID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE withdrawals SET letter_id = COALESCE(letter_id, $2),
			status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END
		WHERE id = $1`, id, letterID)
	if err != nil {
		return fmt.Errorf("withdrawal %d letter: %w", id, err)
	}
	return nil
}

// BeginWithdrawalAttempt counts one notification attempt of a channel (status sent) and returns the channel with
// its current settings; a confirmed channel is returned unchanged, so a retry after success sends nothing.
func (db *DB) BeginWithdrawalAttempt(ctx context.Context, id int64, channelID string) (WithdrawalChannel, error) {
	_, err := db.ExecContext(ctx, `UPDATE withdrawal_channels SET attempts = attempts + 1, sent_at = COALESCE(sent_at, now()),
			status = CASE WHEN status IN ('pending', 'failed') THEN 'sent' ELSE status END
		WHERE withdrawal_id = $1 AND channel_id = $2 AND status <> 'confirmed'`, id, channelID)
	if err != nil {
		return WithdrawalChannel{}, fmt.Errorf("withdrawal %d channel %s attempt: %w", id, channelID, err)
	}
	return db.WithdrawalChannel(ctx, id, channelID)
}

// MarkWithdrawalChannelSent records that a manual channel's operator was given the order (no attempt counted).
func (db *DB) MarkWithdrawalChannelSent(ctx context.Context, id int64, channelID string) error {
	_, err := db.ExecContext(ctx, `UPDATE withdrawal_channels SET sent_at = COALESCE(sent_at, now()), status = 'sent'
		WHERE withdrawal_id = $1 AND channel_id = $2 AND status = 'pending'`, id, channelID)
	if err != nil {
		return fmt.Errorf("withdrawal %d channel %s sent: %w", id, channelID, err)
	}
	return nil
}

// RecordWithdrawalAttemptError keeps the last failure of a channel's notification, for the order's page.
func (db *DB) RecordWithdrawalAttemptError(ctx context.Context, id int64, channelID, msg string) error {
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := db.ExecContext(ctx, `UPDATE withdrawal_channels SET last_error = $3
		WHERE withdrawal_id = $1 AND channel_id = $2 AND status <> 'confirmed'`, id, channelID, msg)
	if err != nil {
		return fmt.Errorf("withdrawal %d channel %s error: %w", id, channelID, err)
	}
	return nil
}

// ConfirmWithdrawalChannel records a channel's confirmation (the first one stands: a second confirmation changes
// nothing) and marks the record withdrawn on that channel at the confirmation time, with its audit entry.
func (db *DB) ConfirmWithdrawalChannel(ctx context.Context, id int64, channelID, reference, by string) (WithdrawalChannel, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE withdrawal_channels SET status = 'confirmed', confirmed_at = now(),
				reference = $3, confirmed_by = $4, last_error = '', sent_at = COALESCE(sent_at, now())
			WHERE withdrawal_id = $1 AND channel_id = $2 AND status <> 'confirmed'`, id, channelID, reference, by)
		if err != nil {
			return fmt.Errorf("confirm withdrawal %d channel %s: %w", id, channelID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE publications p SET status = 'withdrawn', withdrawn_at = wc.confirmed_at
			FROM withdrawal_channels wc JOIN withdrawals w ON w.id = wc.withdrawal_id
			WHERE wc.withdrawal_id = $1 AND wc.channel_id = $2 AND p.penalty_id = w.penalty_id AND p.channel_id = wc.channel_id
			  AND p.status <> 'withdrawn'`, id, channelID); err != nil {
			return fmt.Errorf("withdraw publication of withdrawal %d channel %s: %w", id, channelID, err)
		}
		key := "withdrawal-" + strconv.FormatInt(id, 10) + "-confirmed-" + channelID
		return AuditTx(ctx, tx, AuditEntry{Actor: by, Role: confirmerRole(by), Action: "withdrawal.channel_confirmed",
			CaseKind: "withdrawal", CaseID: strconv.FormatInt(id, 10), DedupKey: &key},
			map[string]any{"channel_id": channelID, "reference": reference})
	})
	if err != nil {
		return WithdrawalChannel{}, err
	}
	return db.WithdrawalChannel(ctx, id, channelID)
}

func confirmerRole(by string) string {
	if by == "webhook" || by == "system" {
		return "system"
	}
	return string(domain.RoleChannelOperator)
}

// MarkWithdrawalChannelOverdue flags an unconfirmed channel whose due date passed.
func (db *DB) MarkWithdrawalChannelOverdue(ctx context.Context, id int64, channelID string) error {
	_, err := db.ExecContext(ctx, `UPDATE withdrawal_channels SET status = 'overdue', overdue_at = COALESCE(overdue_at, now())
		WHERE withdrawal_id = $1 AND channel_id = $2 AND status IN ('pending', 'sent', 'failed')`, id, channelID)
	if err != nil {
		return fmt.Errorf("withdrawal %d channel %s overdue: %w", id, channelID, err)
	}
	return nil
}

// CompleteWithdrawal closes an order whose channels all confirmed: the order is completed (once) and every
// publication of the record on its channels is marked withdrawn at its channel's confirmation time.
func (db *DB) CompleteWithdrawal(ctx context.Context, id int64) (Withdrawal, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var open int
		if err := tx.GetContext(ctx, &open, `SELECT count(*) FROM withdrawal_channels WHERE withdrawal_id = $1 AND status <> 'confirmed'`, id); err != nil {
			return fmt.Errorf("withdrawal %d: %w", id, err)
		}
		if open > 0 {
			return fmt.Errorf("withdrawal %d: %d channels not confirmed: %w", id, open, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = 'completed', completed_at = COALESCE(completed_at, now())
			WHERE id = $1`, id); err != nil {
			return fmt.Errorf("complete withdrawal %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE publications p SET status = 'withdrawn', withdrawn_at = COALESCE(wc.confirmed_at, now())
			FROM withdrawal_channels wc JOIN withdrawals w ON w.id = wc.withdrawal_id
			WHERE wc.withdrawal_id = $1 AND p.penalty_id = w.penalty_id AND p.channel_id = wc.channel_id AND p.status <> 'withdrawn'`, id); err != nil {
			return fmt.Errorf("withdraw publications of withdrawal %d: %w", id, err)
		}
		key := "withdrawal-" + strconv.FormatInt(id, 10) + "-completed"
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "withdrawal.completed", CaseKind: "withdrawal",
			CaseID: strconv.FormatInt(id, 10), DedupKey: &key}, nil)
	})
	if err != nil {
		return Withdrawal{}, err
	}
	return db.GetWithdrawal(ctx, id)
}

// CaseWithdrawal is how the withdrawal a case asked for stands.
type CaseWithdrawal struct {
	// Done: the record is off every channel (its order completed, or its lifecycle ended withdrawn or revoked).
	Done          bool
	WithdrawalID  int64
	Cause         domain.WithdrawalCause
	Status        domain.WithdrawalStatus
	PenaltyStatus domain.PenaltyStatus
}

// WithdrawalForCase reports the withdrawal a case (cause ref such as repair-<id> or objection-<id>) asked for: the
// order made for it or, when another cause came first, the record's latest order; a record whose lifecycle ended
// (withdrawn or revoked) counts as done.
func (db *DB) WithdrawalForCase(ctx context.Context, penaltyID int64, causeRef string) (CaseWithdrawal, error) {
	var out CaseWithdrawal
	var w struct {
		ID     int64                   `db:"id"`
		Cause  domain.WithdrawalCause  `db:"cause"`
		Status domain.WithdrawalStatus `db:"status"`
	}
	err := db.GetContext(ctx, &w, `SELECT id, cause, status FROM withdrawals WHERE penalty_id = $1
		ORDER BY (cause_ref = $2) DESC, id DESC LIMIT 1`, penaltyID, causeRef)
	switch {
	case err == nil:
		out.WithdrawalID, out.Cause, out.Status = w.ID, w.Cause, w.Status
		out.Done = w.Status == domain.WithdrawalCompleted
	case !errors.Is(err, sql.ErrNoRows):
		return out, fmt.Errorf("withdrawal for %s: %w", causeRef, err)
	}
	if err := db.GetContext(ctx, &out.PenaltyStatus, `SELECT status FROM penalties WHERE id = $1`, penaltyID); err != nil {
		return out, fmt.Errorf("withdrawal for %s: %w", causeRef, notFound(err))
	}
	if out.PenaltyStatus == domain.PenaltyWithdrawn || out.PenaltyStatus == domain.PenaltyRevoked {
		out.Done = true
	}
	return out, nil
}
