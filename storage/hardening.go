package storage

import (
	"context"
	"fmt"
	"time"
)

// WithdrawalIncludesChannel tells whether a withdrawal order goes to a channel, so its operator may read the
// order's letter.
func (db *DB) WithdrawalIncludesChannel(ctx context.Context, withdrawalID int64, channelID string) (bool, error) {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM withdrawal_channels WHERE withdrawal_id = $1 AND channel_id = $2)`,
		withdrawalID, channelID)
	if err != nil {
		return false, fmt.Errorf("withdrawal %d channel %s: %w", withdrawalID, channelID, err)
	}
	return ok, nil
}

// UploadedBytesSince sums the sizes of a user's uploads since a time (the per-user upload quota).
func (db *DB) UploadedBytesSince(ctx context.Context, userID int64, since time.Time) (int64, error) {
	var n int64
	err := db.GetContext(ctx, &n, `SELECT COALESCE(sum(size_bytes), 0) FROM attachments WHERE owner_user_id = $1 AND created_at >= $2`,
		userID, since)
	if err != nil {
		return 0, fmt.Errorf("uploads of user %d: %w", userID, err)
	}
	return n, nil
}

// EnterpriseChange is an explicit change of the registry's record of an enterprise; empty fields stay unchanged.
type EnterpriseChange struct {
	Name                string
	LegalRepresentative string
	Address             string
}

// UpdateEnterprise changes the registry's record of an enterprise (only the credit office or an admin asks for it)
// and returns the record before and after; ErrNotFound when the enterprise is unknown.
func (db *DB) UpdateEnterprise(ctx context.Context, uscc string, ch EnterpriseChange) (before, after Enterprise, err error) {
	before, err = db.GetEnterprise(ctx, uscc)
	if err != nil {
		return Enterprise{}, Enterprise{}, err
	}
	_, err = db.ExecContext(ctx, `UPDATE enterprises SET name = COALESCE(NULLIF($2, ''), name),
			legal_representative = COALESCE(NULLIF($3, ''), legal_representative),
			address = COALESCE(NULLIF($4, ''), address)
		WHERE uscc = $1`, uscc, ch.Name, ch.LegalRepresentative, ch.Address)
	if err != nil {
		return Enterprise{}, Enterprise{}, fmt.Errorf("update enterprise %s: %w", uscc, err)
	}
	after, err = db.GetEnterprise(ctx, uscc)
	return before, after, err
}
