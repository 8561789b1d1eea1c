package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"xinyong/domain"
)

// ListRuleSets returns every stored rule set as defined (overlays unresolved), ordered by id.
func (db *DB) ListRuleSets(ctx context.Context) ([]domain.RuleSet, error) {
	return listRuleSets(ctx, db.DB)
}

func listRuleSets(ctx context.Context, q sqlx.QueryerContext) ([]domain.RuleSet, error) {
	var raws [][]byte
	if err := sqlx.SelectContext(ctx, q, &raws, `SELECT params FROM rule_sets ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list rule sets: %w", err)
	}
	sets := make([]domain.RuleSet, 0, len(raws))
	for _, raw := range raws {
		rs, err := decodeStoredRuleSet(raw)
		if err != nil {
			return nil, err
		}
		sets = append(sets, rs)
	}
	return sets, nil
}

// GetRuleSet returns one rule set as defined (an overlay unresolved).
func (db *DB) GetRuleSet(ctx context.Context, id string) (domain.RuleSet, error) {
	var raw []byte
	if err := db.GetContext(ctx, &raw, `SELECT params FROM rule_sets WHERE id = $1`, id); err != nil {
		return domain.RuleSet{}, fmt.Errorf("rule set %s: %w", id, notFound(err))
	}
	return decodeStoredRuleSet(raw)
}

// GetResolvedRuleSet returns the effective rule set with the given id (an overlay applied to its bases), for a case
// that recorded it.
func (db *DB) GetResolvedRuleSet(ctx context.Context, id string) (domain.RuleSet, error) {
	sets, err := db.ListRuleSets(ctx)
	if err != nil {
		return domain.RuleSet{}, err
	}
	if !containsRuleSet(sets, id) {
		return domain.RuleSet{}, fmt.Errorf("rule set %s: %w", id, ErrNotFound)
	}
	rs, err := domain.ResolveRuleSet(sets, id)
	if err != nil {
		return domain.RuleSet{}, fmt.Errorf("resolve rule set %s: %w", id, err)
	}
	return rs, nil
}

// RuleSetFor returns the effective rule set for a department's jurisdiction and sector on a date (see
// domain.SelectRuleSet); a *domain.NoRuleSetError when none is in force.
func (db *DB) RuleSetFor(ctx context.Context, jurisdiction, sector string, on domain.Date) (domain.RuleSet, error) {
	sets, err := db.ListRuleSets(ctx)
	if err != nil {
		return domain.RuleSet{}, err
	}
	rs, err := domain.SelectRuleSet(sets, jurisdiction, sector, on)
	if err != nil {
		return domain.RuleSet{}, fmt.Errorf("rule set for %s/%s on %s: %w", jurisdiction, sector, on, err)
	}
	return rs, nil
}

// PutRuleSet stores a new rule set. It is validated first (an overlay also against its stored base, so that it
// resolves to a valid set); an existing id is ErrConflict, since a stored set may already be recorded on cases and
// is never changed.
func (db *DB) PutRuleSet(ctx context.Context, rs domain.RuleSet) error {
	if err := rs.Validate(); err != nil {
		return err
	}
	params, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("put rule set %s: marshal: %w", rs.ID, err)
	}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		// Serializes puts so that the check against the stored sets and the insert see the same sets.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE rule_sets IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock rule sets: %w", err)
		}
		sets, err := listRuleSets(ctx, tx)
		if err != nil {
			return err
		}
		if containsRuleSet(sets, rs.ID) {
			return fmt.Errorf("rule set %s exists: %w", rs.ID, ErrConflict)
		}
		if rs.IsOverlay() {
			if _, err := domain.ResolveRuleSet(append(sets, rs), rs.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO rule_sets (id, jurisdiction, sector, effective_from, base, params)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			rs.ID, rs.Jurisdiction, rs.Sector, rs.EffectiveFrom, sql.NullString{String: rs.Base, Valid: rs.Base != ""}, string(params))
		if IsUniqueViolation(err) {
			return fmt.Errorf("rule set %s exists: %w", rs.ID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put rule set %s: %w", rs.ID, err)
	}
	return nil
}

func containsRuleSet(sets []domain.RuleSet, id string) bool {
	for _, s := range sets {
		if s.ID == id {
			return true
		}
	}
	return false
}

// decodeStoredRuleSet decodes a stored definition without re-validating it: a set that was valid when stored must
// stay readable even if validation later becomes stricter, because cases refer to it.
func decodeStoredRuleSet(raw []byte) (domain.RuleSet, error) {
	rs, err := domain.DecodeRuleSet(raw)
	if err != nil {
		return domain.RuleSet{}, fmt.Errorf("decode stored rule set: %w", err)
	}
	return rs, nil
}
