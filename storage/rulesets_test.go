package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// seededRuleSets are the sets migrations/00015_law_penalties.sql ships (it corrects those 00003_rulesets.sql first
// shipped, whose seed is history and stays as it was); later sets belong in later migrations.
var seededRuleSets = []string{"js-zj-2026", "ndrc-2019", "ndrc-2023", "ndrc-2026", "samr-2021", "samr-2025"}

func ruleSetSeedSQL(t *testing.T) string {
	var sets []domain.RuleSet
	for _, rs := range domain.DefaultRuleSets() {
		if slices.Contains(seededRuleSets, rs.ID) {
			sets = append(sets, rs)
		}
	}
	require.Len(t, sets, len(seededRuleSets))
	// A base before its overlays, for the foreign key; otherwise by id.
	var ordered []domain.RuleSet
	done := map[string]bool{}
	for len(ordered) < len(sets) {
		progress := false
		for _, rs := range sets {
			if !done[rs.ID] && (rs.Base == "" || done[rs.Base]) {
				ordered, done[rs.ID], progress = append(ordered, rs), true, true
			}
		}
		require.True(t, progress, "rule set bases form a cycle or are missing")
	}
	var rows []string
	for _, rs := range ordered {
		params, err := json.Marshal(rs)
		require.NoError(t, err)
		base := "NULL"
		if rs.Base != "" {
			base = sqlString(rs.Base)
		}
		rows = append(rows, fmt.Sprintf("    (%s, %s, %s, '%s', %s,\n     %s)",
			sqlString(rs.ID), sqlString(rs.Jurisdiction), sqlString(rs.Sector), rs.EffectiveFrom, base, sqlString(string(params))))
	}
	return "INSERT INTO rule_sets (id, jurisdiction, sector, effective_from, base, params) VALUES\n" +
		strings.Join(rows, ",\n") + "\nON CONFLICT (id) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction, sector = EXCLUDED.sector,\n" +
		"    effective_from = EXCLUDED.effective_from, base = EXCLUDED.base, params = EXCLUDED.params;\n"
}

func TestSeedRuleSetsSQL(t *testing.T) {
	checkSeed(t, "../migrations/00015_law_penalties.sql", ruleSetSeedSQL(t))
}

func TestSeededRuleSetsEqualEmbedded(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	got, err := db.ListRuleSets(ctx)
	require.NoError(t, err)
	assert.Equal(t, domain.DefaultRuleSets(), got)

	one, err := db.GetRuleSet(ctx, "samr-2025")
	require.NoError(t, err)
	assert.Equal(t, "market_supervision", one.Sector)
	assert.Equal(t, 20, one.Deadlines.Publication)

	_, err = db.GetRuleSet(ctx, "nope")
	assert.ErrorIs(t, err, storage.ErrNotFound)
	_, err = db.GetResolvedRuleSet(ctx, "nope")
	assert.ErrorIs(t, err, storage.ErrNotFound)

	zj, err := db.GetResolvedRuleSet(ctx, "js-zj-2026")
	require.NoError(t, err)
	assert.True(t, zj.Classes[domain.ClassSerious].RequiresTraining)
	assert.Equal(t, "ndrc-2026", zj.Base)

	for _, tc := range []struct{ jurisdiction, sector, on, want string }{
		{"national", "general", "2026-04-01", "ndrc-2026"},
		{"national", "general", "2026-03-31", "ndrc-2023"},
		{"national", "general", "2023-04-30", "ndrc-2019"},
		{"national", "market_supervision", "2026-01-05", "samr-2025"},
		{"national", "market_supervision", "2025-12-24", "samr-2021"},
		{"321100", "general", "2026-05-01", "ndrc-2026"}, // the example overlay ships inactive
	} {
		rs, err := db.RuleSetFor(ctx, tc.jurisdiction, tc.sector, domain.MustParseDate(tc.on))
		require.NoError(t, err)
		assert.Equal(t, tc.want, rs.ID, "%+v", tc)
	}
	_, err = db.RuleSetFor(ctx, "national", "", domain.MustParseDate("2019-06-30"))
	var ne *domain.NoRuleSetError
	assert.ErrorAs(t, err, &ne)
}

func TestPutRuleSet(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()

	province := domain.RuleSet{ID: "js-2026", Name: "江苏省异议处理补充规则", Jurisdiction: "320000",
		EffectiveFrom: domain.MustParseDate("2026-06-01"), Base: "ndrc-2026",
		Overrides: json.RawMessage(`{"deadlines":{"objection_verify":5}}`)}
	require.NoError(t, db.PutRuleSet(ctx, province))
	got, err := db.GetRuleSet(ctx, "js-2026")
	require.NoError(t, err)
	assert.Equal(t, province, got)

	rs, err := db.RuleSetFor(ctx, "320100", "general", domain.MustParseDate("2026-06-01"))
	require.NoError(t, err)
	assert.Equal(t, "js-2026", rs.ID)
	assert.Equal(t, 5, rs.Deadlines.ObjectionVerify)

	// Stored sets never change: the same id again is a conflict, and so is an UPDATE behind the API's back.
	err = db.PutRuleSet(ctx, province)
	assert.ErrorIs(t, err, storage.ErrConflict)
	_, err = db.ExecContext(ctx, `UPDATE rule_sets SET jurisdiction = 'national' WHERE id = 'js-2026'`)
	assert.ErrorContains(t, err, "immutable")
	_, err = db.ExecContext(ctx, `UPDATE rule_sets SET params = params || '{"inactive": true, "name": "x"}' WHERE id = 'js-2026'`)
	assert.ErrorContains(t, err, "immutable", "activation is the only change allowed")

	// Activation is allowed, and decides whether the overlay is selected.
	zj := domain.MustParseDate("2026-06-15")
	rs, err = db.RuleSetFor(ctx, "321100", "", zj)
	require.NoError(t, err)
	assert.Equal(t, "js-2026", rs.ID, "the shipped Zhenjiang overlay is inactive; the province's applies")
	require.NoError(t, db.SetRuleSetActive(ctx, "js-zj-2026", true))
	rs, err = db.RuleSetFor(ctx, "321100", "", zj)
	require.NoError(t, err)
	assert.Equal(t, "js-zj-2026", rs.ID)
	require.NoError(t, db.SetRuleSetActive(ctx, "js-zj-2026", false))
	rs, err = db.RuleSetFor(ctx, "321100", "", zj)
	require.NoError(t, err)
	assert.Equal(t, "js-2026", rs.ID)
	assert.ErrorIs(t, db.SetRuleSetActive(ctx, "nope", true), storage.ErrNotFound)

	// A new national set takes over on its date.
	next := domain.DefaultRuleSets()[3]
	require.Equal(t, "ndrc-2026", next.ID)
	next.ID, next.Name, next.EffectiveFrom = "ndrc-2030", "假想的2030年规则", domain.MustParseDate("2030-01-01")
	next.Deadlines.Acceptance = 2
	require.NoError(t, db.PutRuleSet(ctx, next))
	rs, err = db.RuleSetFor(ctx, "national", "", domain.MustParseDate("2030-01-01"))
	require.NoError(t, err)
	assert.Equal(t, "ndrc-2030", rs.ID)
	assert.Equal(t, 2, rs.Deadlines.Acceptance)

	for name, bad := range map[string]domain.RuleSet{
		"invalid":          {ID: "Bad Id", Name: "x", Jurisdiction: "national"},
		"missing base":     {ID: "x-2026", Name: "x", Jurisdiction: "320000", EffectiveFrom: domain.MustParseDate("2026-06-01"), Base: "gone", Overrides: json.RawMessage(`{}`)},
		"invalid result":   {ID: "y-2026", Name: "y", Jurisdiction: "320000", EffectiveFrom: domain.MustParseDate("2026-06-01"), Base: "ndrc-2026", Overrides: json.RawMessage(`{"deadlines":{"decision":0}}`)},
		"unknown override": {ID: "z-2026", Name: "z", Jurisdiction: "320000", EffectiveFrom: domain.MustParseDate("2026-06-01"), Base: "ndrc-2026", Overrides: json.RawMessage(`{"deadline":{"decision":5}}`)},
	} {
		err := db.PutRuleSet(ctx, bad)
		var ie *domain.InputError
		require.ErrorAs(t, err, &ie, name)
		assert.Equal(t, "invalid_rule_set", ie.Code, name)
		_, err = db.GetRuleSet(ctx, bad.ID)
		assert.ErrorIs(t, err, storage.ErrNotFound, "%s: nothing stored", name)
	}

	all, err := db.ListRuleSets(ctx)
	require.NoError(t, err)
	var ids []string
	for _, s := range all {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{"js-2026", "js-zj-2026", "ndrc-2019", "ndrc-2023", "ndrc-2026", "ndrc-2030", "samr-2021", "samr-2025"}, ids)
}
