package domain

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ruleSet(t *testing.T, id string) RuleSet {
	t.Helper()
	for _, rs := range DefaultRuleSets() {
		if rs.ID == id {
			return rs
		}
	}
	t.Fatalf("no rule set %s", id)
	return RuleSet{}
}

func TestDefaultRuleSets(t *testing.T) {
	sets := DefaultRuleSets()
	var ids []string
	for _, rs := range sets {
		ids = append(ids, rs.ID)
		require.NoError(t, rs.Validate(), rs.ID)
	}
	assert.Equal(t, []string{"js-zj-2026", "ndrc-2019", "ndrc-2023", "ndrc-2026", "samr-2021", "samr-2025"}, ids)

	ndrc := ruleSet(t, "ndrc-2026")
	assert.Equal(t, National, ndrc.Jurisdiction)
	assert.Equal(t, "", ndrc.Sector)
	assert.Equal(t, d("2026-04-01"), ndrc.EffectiveFrom)
	assert.Equal(t, ClassRule{Published: false, MaxPublishMonths: 3, MinPublishMonths: 0, RepairableEarly: true}, ndrc.Classes[ClassMinor])
	assert.Equal(t, ClassRule{Published: true, MaxPublishMonths: 12, MinPublishMonths: 3, RepairableEarly: true}, ndrc.Classes[ClassGeneral])
	assert.Equal(t, ClassRule{Published: true, MaxPublishMonths: 36, MinPublishMonths: 12, RepairableEarly: true}, ndrc.Classes[ClassSerious])
	assert.Equal(t, Deadlines{Acceptance: 3, Decision: 7, Extension: 10, Overall: 10, Forwarding: 1, ChannelWithdrawal: 3,
		ObjectionMark: 1, ObjectionForward: 1, ObjectionVerify: 7, ObjectionExtension: 10, Delivery: 7, Publication: 7,
		RevocationWithdrawal: 3, BankruptcyShield: 10}, ndrc.Deadlines)

	samr := ruleSet(t, "samr-2025")
	assert.Equal(t, "market_supervision", samr.Sector)
	assert.Equal(t, d("2025-12-25"), samr.EffectiveFrom)
	assert.Equal(t, 2, samr.Deadlines.Acceptance)
	assert.Equal(t, 7, samr.Deadlines.Decision)
	assert.Equal(t, 10, samr.Deadlines.Extension)
	assert.Equal(t, 3, samr.Deadlines.ChannelWithdrawal)
	assert.Equal(t, 20, samr.Deadlines.Publication)
	assert.Equal(t, 7, samr.Deadlines.BankruptcyShield)
	assert.True(t, samr.WarningOnlyNotPublished)
	assert.True(t, samr.NoNewSamePenaltyRequired)
	assert.Equal(t, ClassifyByField, samr.Classification)
	assert.Equal(t, PeriodsFromPublication, samr.PeriodsFrom)
	assert.Zero(t, samr.Fines, "Order 107 has no amount-based class")
	assert.Equal(t, int64(50000), samr.LowFineMaxYuan)
	assert.Equal(t, 3, samr.LowFineAutoEndMonths)

	old := ruleSet(t, "ndrc-2023")
	assert.Equal(t, d("2023-05-01"), old.EffectiveFrom)
	assert.Contains(t, old.Name, "第58号")

	zj := ruleSet(t, "js-zj-2026")
	assert.True(t, zj.IsOverlay())
	assert.Equal(t, "ndrc-2026", zj.Base)
	assert.Empty(t, zj.Classes, "an overlay stores only its overrides")

	// Callers get copies: changing one does not change the shipped data.
	sets[3].Classes[ClassMinor] = ClassRule{}
	assert.Equal(t, 3, ruleSet(t, "ndrc-2026").Classes[ClassMinor].MaxPublishMonths)
}

func TestRuleSetJSONRoundTrip(t *testing.T) {
	for _, rs := range DefaultRuleSets() {
		b, err := json.Marshal(rs)
		require.NoError(t, err)
		back, err := ParseRuleSet(b)
		require.NoError(t, err, rs.ID)
		assert.Equal(t, rs, back, rs.ID)

		// The shipped file says the same as the marshalled form (no field lost or renamed).
		file, err := os.ReadFile("rulesets/" + rs.ID + ".json")
		require.NoError(t, err)
		assert.JSONEq(t, string(file), string(b), rs.ID)
	}
}

func TestParseRuleSetStrict(t *testing.T) {
	b, err := json.Marshal(ruleSet(t, "ndrc-2026"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["deadlines"].(map[string]any)["acceptanse"] = 3
	typo, err := json.Marshal(m)
	require.NoError(t, err)
	_, err = ParseRuleSet(typo)
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "invalid_rule_set", ie.Code)
	assert.Contains(t, ie.Error(), "acceptanse")

	_, err = ParseRuleSet([]byte(`{"id": "x"} {"id": "y"}`))
	require.ErrorAs(t, err, &ie)
}

func TestValidateRuleSet(t *testing.T) {
	for _, tc := range []struct {
		name   string
		id     string
		change func(*RuleSet)
		field  string
	}{
		{"bad id", "ndrc-2026", func(rs *RuleSet) { rs.ID = "NDRC 2026" }, "id"},
		{"no name", "ndrc-2026", func(rs *RuleSet) { rs.Name = " " }, "name"},
		{"no date", "ndrc-2026", func(rs *RuleSet) { rs.EffectiveFrom = Date{} }, "effective_from"},
		{"bad sector", "ndrc-2026", func(rs *RuleSet) { rs.Sector = "Market Supervision" }, "sector"},
		{"local full set", "ndrc-2026", func(rs *RuleSet) { rs.Jurisdiction = "321100" }, "jurisdiction"},
		{"missing class", "ndrc-2026", func(rs *RuleSet) { delete(rs.Classes, ClassSerious) }, "classes.serious"},
		{"unknown class", "ndrc-2026", func(rs *RuleSet) { rs.Classes["grave"] = rs.Classes[ClassSerious] }, "classes"},
		{"min above max", "ndrc-2026", func(rs *RuleSet) {
			r := rs.Classes[ClassGeneral]
			r.MinPublishMonths = 13
			rs.Classes[ClassGeneral] = r
		}, "classes.general.min_publish_months"},
		{"zero max", "ndrc-2026", func(rs *RuleSet) {
			r := rs.Classes[ClassMinor]
			r.MaxPublishMonths = 0
			rs.Classes[ClassMinor] = r
		}, "classes.minor.max_publish_months"},
		{"zero deadline", "ndrc-2026", func(rs *RuleSet) { rs.Deadlines.ObjectionVerify = 0 }, "deadlines.objection_verify"},
		{"absurd deadline", "ndrc-2026", func(rs *RuleSet) { rs.Deadlines.Publication = 300 }, "deadlines.publication"},
		{"fine thresholds crossed", "ndrc-2026", func(rs *RuleSet) { rs.Fines.SeriousMinYuan = 5000 }, "fines.serious_min_yuan"},
		{"low fine half set", "samr-2025", func(rs *RuleSet) { rs.LowFineAutoEndMonths = 0 }, "low_fine_auto_end_months"},
		{"full set with overrides", "ndrc-2026", func(rs *RuleSet) { rs.Overrides = json.RawMessage(`{}`) }, "overrides"},
		{"national overlay", "js-zj-2026", func(rs *RuleSet) { rs.Jurisdiction = National }, "jurisdiction"},
		{"overlay on itself", "js-zj-2026", func(rs *RuleSet) { rs.Base = rs.ID }, "base"},
		{"overlay with direct params", "js-zj-2026", func(rs *RuleSet) { rs.Deadlines.Acceptance = 2 }, "overrides"},
		{"overlay without overrides", "js-zj-2026", func(rs *RuleSet) { rs.Overrides = nil }, "overrides"},
		{"overlay overrides not an object", "js-zj-2026", func(rs *RuleSet) { rs.Overrides = json.RawMessage(`[1]`) }, "overrides"},
		{"overlay overrides identity", "js-zj-2026", func(rs *RuleSet) { rs.Overrides = json.RawMessage(`{"effective_from": "2020-01-01"}`) }, "overrides.effective_from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := ruleSet(t, tc.id)
			tc.change(&rs)
			err := rs.Validate()
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, ie.Field, tc.field)
			assert.Contains(t, ie.Error(), "规则集无效")
		})
	}
}

// TestHasParamsCoversEveryField guards hasParams against a parameter added to RuleSet and forgotten there.
func TestHasParamsCoversEveryField(t *testing.T) {
	identity := map[string]bool{"ID": true, "Name": true, "Jurisdiction": true, "Sector": true, "EffectiveFrom": true,
		"Base": true, "Source": true, "Notes": true, "Overrides": true, "Inactive": true, "Regulation": true}
	typ := reflect.TypeOf(RuleSet{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		if identity[f.Name] {
			continue
		}
		var rs RuleSet
		v := reflect.ValueOf(&rs).Elem().Field(i)
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Int, reflect.Int64:
			v.SetInt(1)
		case reflect.Map:
			v.Set(reflect.MakeMapWithSize(v.Type(), 1))
			v.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		case reflect.String:
			v.SetString("x")
		case reflect.Struct:
			v.Field(0).SetInt(1)
		default:
			t.Fatalf("field %s of kind %s: teach this test and hasParams about it", f.Name, v.Kind())
		}
		assert.True(t, rs.hasParams(), f.Name)
	}
	assert.False(t, RuleSet{ID: "x", Name: "x", Base: "y", Overrides: json.RawMessage(`{}`)}.hasParams())
}

func TestResolveOverlay(t *testing.T) {
	sets := DefaultRuleSets()
	zj, err := ResolveRuleSet(sets, "js-zj-2026")
	require.NoError(t, err)
	ndrc := ruleSet(t, "ndrc-2026")

	assert.Equal(t, "js-zj-2026", zj.ID)
	assert.Equal(t, "ndrc-2026", zj.Base)
	assert.Equal(t, "321100", zj.Jurisdiction)
	assert.Equal(t, d("2026-04-01"), zj.EffectiveFrom)
	assert.True(t, zj.Classes[ClassSerious].RequiresTraining)

	// Everything the overlay does not mention is the base's.
	want := ndrc.Classes[ClassSerious]
	want.RequiresTraining = true
	assert.Equal(t, want, zj.Classes[ClassSerious])
	assert.Equal(t, ndrc.Classes[ClassMinor], zj.Classes[ClassMinor])
	assert.Equal(t, ndrc.Classes[ClassGeneral], zj.Classes[ClassGeneral])
	assert.Equal(t, ndrc.Deadlines, zj.Deadlines)
	assert.Equal(t, ndrc.Fines, zj.Fines)
	assert.Equal(t, ndrc.FraudBanMonths, zj.FraudBanMonths)
	assert.Subset(t, zj.Notes, ndrc.Notes)

	// A full set resolves to itself.
	got, err := ResolveRuleSet(sets, "ndrc-2026")
	require.NoError(t, err)
	assert.Equal(t, ndrc, got)

	// Resolving does not touch the base in the list.
	assert.False(t, ruleSet(t, "ndrc-2026").Classes[ClassSerious].RequiresTraining)
}

func overlay(id, jurisdiction, base, from, overrides string) RuleSet {
	return RuleSet{ID: id, Name: id, Jurisdiction: jurisdiction, EffectiveFrom: MustParseDate(from), Base: base,
		Overrides: json.RawMessage(overrides)}
}

func TestResolveOverlayErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		set  RuleSet
		with []RuleSet
	}{
		"unknown parameter": {set: overlay("x-2026", "320000", "ndrc-2026", "2026-04-01", `{"deadlines": {"acceptence": 2}}`)},
		"wrong type":        {set: overlay("x-2026", "320000", "ndrc-2026", "2026-04-01", `{"deadlines": {"acceptance": "two"}}`)},
		"invalid result":    {set: overlay("x-2026", "320000", "ndrc-2026", "2026-04-01", `{"deadlines": {"acceptance": 0}}`)},
		"removes a class":   {set: overlay("x-2026", "320000", "ndrc-2026", "2026-04-01", `{"classes": {"minor": null}}`)},
		"missing base":      {set: overlay("x-2026", "320000", "nope-2026", "2026-04-01", `{}`)},
		"cycle": {set: overlay("a-2026", "320000", "b-2026", "2026-04-01", `{}`),
			with: []RuleSet{overlay("b-2026", "320000", "a-2026", "2026-04-01", `{}`)}},
	} {
		all := append(append(DefaultRuleSets(), tc.with...), tc.set)
		_, err := ResolveRuleSet(all, tc.set.ID)
		var ie *InputError
		require.ErrorAs(t, err, &ie, name)
		assert.Equal(t, "invalid_rule_set", ie.Code, name)
	}
	_, err := ruleSet(t, "js-zj-2026").Resolve(ruleSet(t, "samr-2025"))
	assert.Error(t, err, "an overlay applies only to its own base")
}

func TestResolveChainAndNull(t *testing.T) {
	province := overlay("js-2026", "320000", "ndrc-2026", "2026-04-01", `{"deadlines": {"objection_verify": 5}}`)
	city := overlay("js-zj-2027", "321100", "js-2026", "2026-06-01", `{"classes": {"serious": {"requires_credit_report": true}}}`)
	samrLocal := overlay("js-samr-2026", "320000", "samr-2025", "2026-01-01",
		`{"low_fine_max_yuan": null, "low_fine_auto_end_months": null}`)
	sets := append(DefaultRuleSets(), province, city, samrLocal)

	got, err := ResolveRuleSet(sets, "js-zj-2027")
	require.NoError(t, err)
	assert.Equal(t, 5, got.Deadlines.ObjectionVerify, "the province's change")
	assert.True(t, got.Classes[ClassSerious].RequiresCreditReport, "the city's change")
	assert.Equal(t, "js-2026", got.Base)

	got, err = ResolveRuleSet(sets, "js-samr-2026")
	require.NoError(t, err)
	assert.Zero(t, got.LowFineMaxYuan, "null removes a parameter")
	assert.Zero(t, got.LowFineAutoEndMonths)
	assert.Equal(t, "market_supervision", got.Sector, "an overlay for all sectors keeps its base's sector")
}

func TestSelectRuleSet(t *testing.T) {
	province := overlay("js-2026", "320000", "ndrc-2026", "2026-04-01", `{"deadlines": {"objection_verify": 5}}`)
	later := ruleSet(t, "ndrc-2026")
	later.ID, later.EffectiveFrom = "ndrc-2030", d("2030-01-01")
	sets := append(DefaultRuleSets(), province, later)
	// The shipped Zhenjiang overlay comes inactive; these cases are about an activated one.
	for i := range sets {
		if sets[i].ID == "js-zj-2026" {
			require.True(t, sets[i].Inactive, "shipped inactive")
			sets[i].Inactive = false
		}
	}

	for _, tc := range []struct {
		name, jurisdiction, sector, on string
		want, base                     string
	}{
		{"national on its first day", "national", "", "2026-04-01", "ndrc-2026", ""},
		{"predecessor the day before", "national", "", "2026-03-31", "ndrc-2023", ""},
		{"predecessor on its first day", "national", "", "2023-05-01", "ndrc-2023", ""},
		{"department sector 'general' is national", "national", "general", "2026-05-01", "ndrc-2026", ""},
		{"market supervision from 2025-12-25", "national", "market_supervision", "2025-12-25", "samr-2025", ""},
		{"market supervision before samr-2025: Order 45", "national", "market_supervision", "2025-12-24", "samr-2021", ""},
		{"market supervision on Order 45's first day", "national", "market_supervision", "2021-09-01", "samr-2021", ""},
		{"market supervision before Order 45: 527 practice", "national", "market_supervision", "2021-08-31", "ndrc-2019", ""},
		{"before Order 58: 527 practice", "national", "", "2023-04-30", "ndrc-2019", ""},
		{"527 practice on its first day", "national", "", "2019-07-01", "ndrc-2019", ""},
		{"sector set beats a later national set", "national", "market_supervision", "2026-06-01", "samr-2025", ""},
		{"Zhenjiang overlay", "321100", "", "2026-04-01", "js-zj-2026", "ndrc-2026"},
		{"Zhenjiang district gets the city overlay", "321102", "", "2026-07-01", "js-zj-2026", "ndrc-2026"},
		{"Nanjing gets the province overlay", "320100", "", "2026-07-01", "js-2026", "ndrc-2026"},
		{"Beijing gets no overlay", "110000", "", "2026-07-01", "ndrc-2026", ""},
		{"Zhenjiang before the overlay", "321100", "", "2026-03-31", "ndrc-2023", ""},
		{"Zhenjiang market supervision: overlay is for ndrc-2026", "321100", "market_supervision", "2026-07-01", "samr-2025", ""},
		{"a new national set drops the old overlay", "321100", "", "2030-01-02", "ndrc-2030", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SelectRuleSet(sets, tc.jurisdiction, tc.sector, d(tc.on))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.ID)
			assert.Equal(t, tc.base, got.Base)
			require.Len(t, got.Classes, 3, "the result is resolved")

			// The order of the list does not matter.
			shuffled := append([]RuleSet(nil), sets...)
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, err := SelectRuleSet(shuffled, tc.jurisdiction, tc.sector, d(tc.on))
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}

	got, err := SelectRuleSet(sets, "321100", "", d("2026-05-01"))
	require.NoError(t, err)
	assert.True(t, got.Classes[ClassSerious].RequiresTraining)
	shipped, err := SelectRuleSet(DefaultRuleSets(), "321100", "", d("2026-05-01"))
	require.NoError(t, err)
	assert.Equal(t, "ndrc-2026", shipped.ID, "an inactive overlay is never selected")
	assert.Equal(t, 7, got.Deadlines.ObjectionVerify, "the city overlay is built on ndrc-2026, not on the province's")
}

func TestSelectRuleSetNone(t *testing.T) {
	_, err := SelectRuleSet(DefaultRuleSets(), "national", "market_supervision", d("2019-06-30"))
	var ne *NoRuleSetError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "no_rule_set", ne.ErrorCode())
	assert.Contains(t, ne.Error(), "2019-06-30")
	assert.Contains(t, ne.Error(), "没有已生效")

	_, err = SelectRuleSet(nil, "national", "", d("2026-04-01"))
	require.ErrorAs(t, err, &ne)

	broken := append(DefaultRuleSets(), overlay("x-2026", "321100", "gone-2026", "2026-04-01", `{}`))
	_, err = SelectRuleSet(broken, "321100", "", d("2026-05-01"))
	var ie *InputError
	require.ErrorAs(t, err, &ie, "a broken overlay for the jurisdiction is an error, not silently skipped")
}
