package storage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// RestartPublicationPeriod moves a record's end of publication to until after a fraud finding under a rule set
// where the period restarts (SAMR Order 107 art. 23), once per repair case, with its audit entry. An end already
// later is kept.
func (db *DB) RestartPublicationPeriod(ctx context.Context, penaltyID, repairID int64, from, until domain.Date, reason string) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.Date
		if err := tx.GetContext(ctx, &before, `SELECT publication_ends FROM penalties WHERE id = $1 FOR UPDATE`, penaltyID); err != nil {
			return fmt.Errorf("publication end of penalty %d: %w", penaltyID, notFound(err))
		}
		if !until.After(before) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE penalties SET publication_ends = $2, updated_at = now() WHERE id = $1`,
			penaltyID, until); err != nil {
			return fmt.Errorf("restart publication of penalty %d: %w", penaltyID, err)
		}
		key := fmt.Sprintf("penalty-%d:period-restarted-after-fraud-%d", penaltyID, repairID)
		return AuditTx(ctx, tx, AuditEntry{Actor: "system", Role: "system", Action: "penalty.period_restarted_after_fraud",
			CaseKind: "penalty", CaseID: strconv.FormatInt(penaltyID, 10), DedupKey: &key},
			map[string]any{"repair_id": repairID, "reason": reason, "from": from, "publication_ends_before": before,
				"publication_ends": until})
	})
}
