package httpapi

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// lawCase is one class rule checked through POST /api/v1/publication-periods; its name cites the article.
type lawCase struct {
	name     string
	req      map[string]any
	class    string
	publish  bool
	eligible string
	ends     string
	auto     bool
	early    bool
}

func runLawCases(t *testing.T, e *testEnv, base map[string]any, ruleSet string, cases []lawCase) {
	t.Helper()
	tok := e.token("scjgj")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := map[string]any{}
			for k, v := range base {
				req[k] = v
			}
			for k, v := range tc.req {
				req[k] = v
			}
			resp := e.do("POST", "/api/v1/publication-periods", tok, req)
			require.Equal(t, 200, resp.StatusCode)
			got := decode[map[string]any](t, resp)
			assert.Equal(t, ruleSet, got["rule_set"])
			assert.Equal(t, tc.class, got["class"], "class")
			assert.Equal(t, tc.publish, got["published"], "published")
			assert.Equal(t, tc.eligible, got["repair_eligible_from"], "repair eligible from")
			assert.Equal(t, tc.ends, got["publication_ends"], "publication ends")
			assert.Equal(t, tc.auto, got["auto_ends_without_application"], "ends by itself")
			assert.Equal(t, tc.early, got["repairable_early"], "repairable early")
		})
	}
}

// TestPublicationPeriodsSAMR2025 covers the class rules of SAMR Order 107 arts. 7-9 and Order 45 arts. 2 and 13.
func TestPublicationPeriodsSAMR2025(t *testing.T) {
	e := newTestEnv(t)
	base := map[string]any{"sector": "market_supervision", "decided_on": "2026-03-02", "published_on": "2026-03-10"}
	fine := func(amount, discretion, field string) map[string]any {
		return map[string]any{"penalty_types": []string{"fine"}, "fine_amount_yuan": amount, "discretion": discretion, "regulated_field": field}
	}
	types := func(field string, ts ...string) map[string]any {
		return map[string]any{"penalty_types": ts, "regulated_field": field}
	}
	runLawCases(t, e, base, "samr-2025", []lawCase{
		{"art. 7 ¶1 warning alone not published", types("", "warning"), "minor", false, "2026-03-02", "2026-03-02", false, true},
		{"art. 7 ¶2 criticism ends after 3 months", types("", "criticism"), "minor", true, "2026-03-10", "2026-06-10", true, true},
		{"art. 7 ¶3 50,000 lighter is a low fine", fine("50000", "lighter", ""), "minor", true, "2026-03-10", "2026-06-10", true, true},
		{"art. 7 ¶3 30,000 mitigated is a low fine", fine("30000", "mitigated", ""), "minor", true, "2026-03-10", "2026-06-10", true, true},
		{"art. 7 ¶3 40,000 normal is general", fine("40000", "normal", ""), "general", true, "2026-06-11", "2027-03-10", false, true},
		{"art. 9 5,000,000 advertising fine is general", fine("5000000", "heavier", ""), "general", true, "2026-06-11", "2027-03-10", false, true},
		{"art. 8 ¶1(1) food fine is serious", fine("80000", "normal", "food"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(1) drug confiscation is serious", types("drug", "confiscation"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(1) medical devices", fine("60000", "normal", "medical_device"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(1) cosmetics", fine("60000", "normal", "cosmetics"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(1) special equipment", fine("60000", "normal", "special_equipment"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(1) key industrial products", fine("60000", "normal", "key_industrial_product"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(2) restriction of business", types("", "business_restriction"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 ¶1(2) production suspension after it ends", map[string]any{"penalty_types": []string{"production_suspension"}, "duration_months": 18},
			"serious", true, "2027-09-03", "2029-03-10", false, true},
		{"art. 8 ¶1(2) practice ban", types("", "practice_ban"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 8 last ¶ downgrade not repairable early", types("", "license_downgrade"), "serious", true, "2029-03-11", "2029-03-10", false, false},
		{"art. 8 last ¶ licence revocation not repairable early", types("", "license_revocation"), "serious", true, "2029-03-11", "2029-03-10", false, false},
		{"art. 8 last ¶ business licence revocation not repairable early", types("", "business_license_revocation"), "serious", true, "2029-03-11", "2029-03-10", false, false},
		{"art. 8 last ¶ closure not repairable early", types("", "closure"), "serious", true, "2029-03-11", "2029-03-10", false, false},
		{"art. 8 licence suspension not listed: general", types("", "license_suspension"), "general", true, "2026-06-11", "2027-03-10", false, true},
		{"art. 8 ¶1(1) licence suspension in the food field", types("food", "license_suspension"), "serious", true, "2027-03-11", "2029-03-10", false, true},
		{"art. 9 confiscation is general", types("", "confiscation"), "general", true, "2026-06-11", "2027-03-10", false, true},
		{"Order 45 art. 2 summary procedure not published", map[string]any{"penalty_types": []string{"fine"}, "fine_amount_yuan": "200", "summary": true},
			"minor", false, "2026-03-02", "2026-03-02", false, true},
		{"Order 45 art. 13 periods from publication", map[string]any{"penalty_types": []string{"confiscation"}, "published_on": "2026-04-20"},
			"general", true, "2026-07-21", "2027-04-20", false, true},
	})

	tok := e.token("scjgj")
	for field, bad := range map[string]map[string]any{
		"regulated_field": {"regulated_field": "tobacco"},
		"discretion":      {"discretion": "lenient"},
		"published_on":    {"published_on": "2026-02-30"},
	} {
		req := map[string]any{"sector": "market_supervision", "decided_on": "2026-03-02", "penalty_types": []string{"fine"}, "fine_amount_yuan": "100"}
		for k, v := range bad {
			req[k] = v
		}
		got := requireError(t, e.do("POST", "/api/v1/publication-periods", tok, req), 422, map[string]string{
			"regulated_field": "invalid_regulated_field", "discretion": "invalid_discretion", "published_on": "invalid_date"}[field])
		assert.Equal(t, field, got.Error.Details["field"])
	}
}

// TestPublicationPeriodsNDRC2026 covers the class rules of NDRC Order 36 that the registration flags drive.
func TestPublicationPeriodsNDRC2026(t *testing.T) {
	e := newTestEnv(t)
	base := map[string]any{"decided_on": "2026-05-10"}
	runLawCases(t, e, base, "ndrc-2026", []lawCase{
		{"art. 8(1) summary procedure is minor, art. 12 not published", map[string]any{"penalty_types": []string{"fine"}, "fine_amount_yuan": "200", "summary": true},
			"minor", false, "2026-05-10", "2026-08-10", false, true},
		{"art. 12 minor published on the department's decision, at most 3 months", map[string]any{"penalty_types": []string{"warning"}, "publish_minor": true},
			"minor", true, "2026-05-10", "2026-08-10", false, true},
		{"art. 12 minor in principle not published", map[string]any{"penalty_types": []string{"warning"}},
			"minor", false, "2026-05-10", "2026-08-10", false, true},
		{"general: periods from the decision whatever the publication date", map[string]any{"penalty_types": []string{"confiscation"}, "published_on": "2026-05-20"},
			"general", true, "2026-08-11", "2027-05-10", false, true},
		{"serious: licence revocation", map[string]any{"penalty_types": []string{"license_revocation"}},
			"serious", true, "2027-05-11", "2029-05-10", false, true},
	})
}

// TestRegistrationKeepsTheLawFacts registers through the API and the CSV import with the new inputs and reads them
// back; unknown values are refused and store nothing.
func TestRegistrationKeepsTheLawFacts(t *testing.T) {
	e, _ := newRepairTestEnv(t)
	ent := storage.DemoEnterprises[3]
	tok := e.token("scjgj")
	resp := e.do("POST", "/api/v1/penalties", tok, map[string]any{
		"decision_no": "镇市监罚〔2026〕101号", "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2026-03-02",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "80000", "facts": "生产不符合食品安全标准的食品",
		"regulated_field": "food", "discretion": "normal", "violation_type": "生产经营不符合食品安全标准的食品",
		"published_on": "2026-03-10"})
	require.Equal(t, 201, resp.StatusCode)
	got := decode[map[string]any](t, resp)
	assert.Equal(t, "serious", got["class"], "Order 107 art. 8 ¶1(1)")
	assert.Equal(t, "food", got["regulated_field"])
	assert.Equal(t, "normal", got["discretion"])
	assert.Equal(t, "生产经营不符合食品安全标准的食品", got["violation_type"])
	assert.Equal(t, "2026-03-10", got["published_on"])
	assert.Equal(t, "2029-03-10", got["publication_ends"], "Order 45 art. 13: from publication")

	for _, bad := range []map[string]any{{"regulated_field": "tobacco"}, {"discretion": "lenient"}} {
		req := map[string]any{"decision_no": "镇市监罚〔2026〕102号", "uscc": ent.USCC, "enterprise_name": ent.Name,
			"decided_on": "2026-03-02", "penalty_types": []string{"fine"}, "fine_amount_yuan": "100"}
		for k, v := range bad {
			req[k] = v
		}
		resp := e.do("POST", "/api/v1/penalties", tok, req)
		assert.Equal(t, 422, resp.StatusCode)
	}
	_, err := e.db.PenaltyByDecisionNo(context.Background(), "scjgj", "镇市监罚〔2026〕102号")
	assert.ErrorIs(t, err, storage.ErrNotFound, "a refused registration stores nothing")

	csv := "decision_no,uscc,enterprise_name,decided_on,penalty_types,fine_amount_yuan,regulated_field,discretion,violation_type,published_on,summary,publish_minor\n" +
		"镇市监罚〔2026〕201号," + ent.USCC + "," + ent.Name + ",2026-03-02,fine,40000,,lighter,虚假广告,2026-03-05,false,\n" +
		"镇市监罚〔2026〕202号," + ent.USCC + "," + ent.Name + ",2026-03-02,fine,40000,,sometimes,虚假广告,,,\n" +
		"镇市监罚〔2026〕203号," + ent.USCC + "," + ent.Name + ",2026-03-02,fine,40000,,normal,虚假广告,,maybe,\n"
	resp = e.postCSV(tok, csv)
	require.Equal(t, 201, resp.StatusCode)
	imp := decode[importAnswer](t, resp)
	assert.Equal(t, 1, imp.Registered)
	assert.Equal(t, 2, imp.Rejected)
	p, err := e.db.PenaltyByDecisionNo(context.Background(), "scjgj", "镇市监罚〔2026〕201号")
	require.NoError(t, err)
	assert.Equal(t, "lighter", p.Discretion)
	assert.Equal(t, "虚假广告", p.ViolationType)
	assert.Equal(t, "2026-03-05", p.PublishedOn.String())
	assert.Equal(t, "minor", p.Class, "Order 107 art. 7 ¶3: a low fine under lighter discretion")
}

// TestNewerSameViolationBarsRepair: Order 107 art. 11(3) compares the type of violation, not the penalty type.
func TestNewerSameViolationBarsRepair(t *testing.T) {
	e, _ := newRepairTestEnv(t)
	ctx := context.Background()
	ent := storage.DemoEnterprises[3]
	store := func(no, decided, violation string, types ...string) storage.Penalty {
		id, err := storage.InsertPenalty(ctx, e.db, storage.Penalty{
			DepartmentID: "scjgj", DecisionNo: no, USCC: ent.USCC, EnterpriseName: ent.Name,
			DecidedOn: domain.MustParseDate(decided), PenaltyTypes: types, FineAmountYuan: "0", Class: "general",
			RuleSet: "samr-2025", Published: true, PublishDue: domain.MustParseDate(decided),
			RepairEligibleFrom: domain.MustParseDate(decided), PublicationEnds: domain.MustParseDate("2029-01-01"),
			CreatedBy: "scjgj", DeliveryDue: domain.MustParseDate(decided),
			PenaltyLaw: storage.PenaltyLaw{ViolationType: violation},
		})
		require.NoError(t, err)
		p, err := e.db.GetPenalty(ctx, id)
		require.NoError(t, err)
		return p
	}
	old := store("镇市监罚〔2026〕1号", "2026-01-05", "虚假广告", "confiscation")
	store("镇市监罚〔2026〕2号", "2026-02-05", "无照经营", "confiscation") // same penalty type, other violation
	n, err := e.db.NewerSamePenalty(ctx, old)
	require.NoError(t, err)
	assert.Nil(t, n, "a confiscation for another violation does not bar repair")
	store("镇市监罚〔2026〕3号", "2026-03-05", "虚假广告", "warning") // same violation, other penalty type
	n, err = e.db.NewerSamePenalty(ctx, old)
	require.NoError(t, err)
	require.NotNil(t, n)
	assert.Equal(t, "镇市监罚〔2026〕3号", n.DecisionNo)

	// Art. 13: a serious-list entry needs no new 较重 penalty, whatever the violation.
	listed := store("镇市监罚〔2026〕4号", "2026-03-10", "", "serious_list")
	store("镇市监罚〔2026〕5号", "2026-03-11", "无照经营", "confiscation")
	n, err = e.db.NewerSamePenalty(ctx, listed)
	require.NoError(t, err)
	assert.Nil(t, n, "a confiscation is not a 较重 penalty")
	store("镇市监罚〔2026〕6号", "2026-03-12", "无照经营", "production_suspension")
	n, err = e.db.NewerSamePenalty(ctx, listed)
	require.NoError(t, err)
	require.NotNil(t, n)
	assert.Equal(t, "镇市监罚〔2026〕6号", n.DecisionNo)
	assert.True(t, strings.HasPrefix(n.DecisionNo, "镇市监罚"))
}

// TestOverlayShipsInactiveAndAnAdminActivatesIt: Order 36 arts. 14-15 allow extra conditions only from laws and
// rules, so js-zj-2026 is not applied until an admin says so.
func TestOverlayShipsInactiveAndAnAdminActivatesIt(t *testing.T) {
	e := newTestEnv(t)
	rs := decode[map[string]any](t, e.do("GET", "/api/v1/rulesets/js-zj-2026", "", nil))
	assert.Equal(t, true, rs["inactive"])
	preview := map[string]any{"penalty_types": []string{"practice_ban"}, "decided_on": "2026-05-10", "jurisdiction": "321100"}
	got := decode[map[string]any](t, e.do("POST", "/api/v1/publication-periods", e.token("office"), preview))
	assert.Equal(t, "ndrc-2026", got["rule_set"])
	assert.Equal(t, false, got["requires_training"])

	requireError(t, e.do("POST", "/api/v1/rulesets/js-zj-2026/activate", e.token("office"), nil), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/rulesets/nope/activate", e.token("admin"), nil), 404, "not_found")
	resp := e.do("POST", "/api/v1/rulesets/js-zj-2026/activate", e.token("admin"), nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Nil(t, decode[map[string]any](t, resp)["inactive"])
	got = decode[map[string]any](t, e.do("POST", "/api/v1/publication-periods", e.token("office"), preview))
	assert.Equal(t, "js-zj-2026", got["rule_set"])
	assert.Equal(t, true, got["requires_training"])

	require.Equal(t, 200, e.do("POST", "/api/v1/rulesets/js-zj-2026/deactivate", e.token("admin"), nil).StatusCode)
	got = decode[map[string]any](t, e.do("POST", "/api/v1/publication-periods", e.token("office"), preview))
	assert.Equal(t, "ndrc-2026", got["rule_set"])
}

// TestCasePageShowsRuleSetNotesToStaff: staff see what the case's rule set assumes; the enterprise sees its facts.
func TestCasePageShowsRuleSetNotesToStaff(t *testing.T) {
	e, _ := newRepairTestEnv(t)
	ent := storage.DemoEnterprises[3]
	resp := e.do("POST", "/api/v1/penalties", e.token("scjgj"), map[string]any{
		"decision_no": "镇市监罚〔2026〕301号", "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2026-03-02",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "80000", "regulated_field": "food", "discretion": "normal"})
	require.Equal(t, 201, resp.StatusCode)
	id := int64(decode[map[string]any](t, resp)["id"].(float64))
	page := func(login string) string {
		resp := e.do("GET", "/penalties/"+itoa(id), e.token(login), nil)
		require.Equal(t, 200, resp.StatusCode)
		defer resp.Body.Close()
		var b strings.Builder
		_, err := io.Copy(&b, resp.Body)
		require.NoError(t, err)
		return b.String()
	}
	staff := page("office")
	assert.Contains(t, staff, `id="rule-set-notes"`)
	assert.Contains(t, staff, "本系统假设")
	assert.Contains(t, staff, "监管领域：食品")
	own := page(ent.USCC)
	assert.NotContains(t, own, `id="rule-set-notes"`)
	assert.Contains(t, own, "裁量等级：一般处罚")
}

// TestPublicationPeriodsRegimesByDecisionDate selects the rule set of the regime in force on the decision date
// through POST /api/v1/publication-periods: SAMR Order 107 (samr-2025) from 2025-12-25, SAMR Order 45 (samr-2021,
// 2021-09-01 to 2025-12-24), NDRC Order 58 (ndrc-2023) from 2023-05-01, and the practice under 发改办财金〔2019〕527号
// (ndrc-2019) from 2019-07-01 to 2023-04-30 (market supervision too before Order 45); before 2019-07-01 there is
// none: a 422 no_rule_set with a Chinese message.
func TestPublicationPeriodsRegimesByDecisionDate(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("scjgj")
	for _, tc := range []struct {
		sector, decided, ruleSet string
	}{
		{"market_supervision", "2025-12-25", "samr-2025"},
		{"market_supervision", "2025-12-24", "samr-2021"},
		{"market_supervision", "2021-09-01", "samr-2021"},
		{"market_supervision", "2021-08-31", "ndrc-2019"},
		{"market_supervision", "2019-07-01", "ndrc-2019"},
		{"", "2023-05-01", "ndrc-2023"},
		{"", "2023-04-30", "ndrc-2019"},
		{"", "2019-07-01", "ndrc-2019"},
	} {
		t.Run(tc.sector+" "+tc.decided, func(t *testing.T) {
			resp := e.do("POST", "/api/v1/publication-periods", tok, map[string]any{"sector": tc.sector, "decided_on": tc.decided,
				"penalty_types": []string{"confiscation"}})
			require.Equal(t, 200, resp.StatusCode)
			got := decode[map[string]any](t, resp)
			assert.Equal(t, tc.ruleSet, got["rule_set"])
		})
	}
	// 527号: serious cases need training and a credit report; 特定严重失信 (serious list) is not repairable early.
	resp := e.do("POST", "/api/v1/publication-periods", tok, map[string]any{"decided_on": "2020-06-15", "penalty_types": []string{"serious_list"}})
	require.Equal(t, 200, resp.StatusCode)
	got := decode[map[string]any](t, resp)
	assert.Equal(t, "ndrc-2019", got["rule_set"])
	assert.Equal(t, false, got["repairable_early"], "527号: 特定严重失信行为 published the full 3 years")
	assert.Equal(t, "2023-06-15", got["publication_ends"])

	for _, sector := range []string{"", "market_supervision"} {
		got := requireError(t, e.do("POST", "/api/v1/publication-periods", tok, map[string]any{"sector": sector, "decided_on": "2019-06-30",
			"penalty_types": []string{"fine"}, "fine_amount_yuan": "1000"}), 422, "no_rule_set")
		assert.Contains(t, got.Error.Message, "2019-06-30")
		assert.NotContains(t, got.Error.Message, "market_supervision", "no internal codes")
	}
}
