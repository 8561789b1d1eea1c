package httpapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeadlineAPIMatchesTheRules(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		from     string
		workdays string
		want     string
	}{
		{"2026-09-30", "3", "2026-10-10"},  // a Saturday make-up working day
		{"2026-09-30", "10", "2026-10-20"}, // through National Day
		{"2026-02-12", "7", "2026-02-28"},  // through Spring Festival
		{"2025-12-31", "1", "2026-01-04"},  // a Sunday make-up day
	} {
		got := decode[map[string]any](t, e.do("GET", "/api/v1/calendar/deadline?from="+tc.from+"&workdays="+tc.workdays, "", nil))
		assert.Equal(t, tc.want, got["deadline"], "%s + %s", tc.from, tc.workdays)
		assert.Equal(t, false, got["provisional"])
	}
	got := decode[map[string]any](t, e.do("GET", "/api/v1/calendar/deadline?from=2026-12-30&workdays=5", "", nil))
	assert.Equal(t, true, got["provisional"], "2027 has no notice yet")
	requireError(t, e.do("GET", "/api/v1/calendar/deadline?from=2026-02-30&workdays=3", "", nil), 422, "invalid_date")
	requireError(t, e.do("GET", "/api/v1/calendar/deadline?from=2026-02-10&workdays=-1", "", nil), 422, "invalid_workdays")
	requireError(t, e.do("GET", "/api/v1/calendar/deadline?from=2026-02-10", "", nil), 422, "invalid_workdays")
}

func TestImportingANewYearMakesDeadlinesFinal(t *testing.T) {
	e := newTestEnv(t)
	notice := `{"year": 2027, "papers": ["https://www.gov.cn/example-2027"], "days": [
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "春节", "date": "2027-02-06", "isOffDay": true},
		{"name": "春节", "date": "2027-02-08", "isOffDay": true}]}`
	requireError(t, e.do("POST", "/api/v1/calendar/years", e.token("office"), notice), 403, "forbidden")
	resp := e.do("POST", "/api/v1/calendar/years", e.token("admin"), notice)
	require.Equal(t, 201, resp.StatusCode)
	got := decode[map[string]any](t, e.do("GET", "/api/v1/calendar/deadline?from=2027-02-05&workdays=1", "", nil))
	assert.Equal(t, "2027-02-09", got["deadline"], "Monday 2027-02-08 is off under the imported notice")
	assert.Equal(t, false, got["provisional"])
	requireError(t, e.do("POST", "/api/v1/calendar/years", e.token("admin"), `{"year": 2028, "days": [{"date": "2028-13-01", "isOffDay": true}]}`), 422, "invalid_holiday_file")
}

func TestRuleSetsAreListedAndOverlaysResolve(t *testing.T) {
	e := newTestEnv(t)
	got := decode[page[map[string]any]](t, e.do("GET", "/api/v1/rulesets", "", nil))
	ids := map[string]map[string]any{}
	for _, rs := range got.Items {
		ids[rs["id"].(string)] = rs
	}
	require.Contains(t, ids, "ndrc-2026")
	require.Contains(t, ids, "samr-2025")
	assert.Equal(t, "2026-04-01", ids["ndrc-2026"]["effective_from"])
	assert.Equal(t, "2025-12-25", ids["samr-2025"]["effective_from"])
	assert.NotNil(t, ids["ndrc-2026"]["deadlines"])

	overlay := `{"id": "test-overlay-2026", "name": "测试地方规则", "jurisdiction": "320100", "effective_from": "2026-06-01",
		"base": "ndrc-2026", "overrides": {"classes": {"general": {"requires_training": true}}}}`
	requireError(t, e.do("POST", "/api/v1/rulesets", e.token("scjgj"), overlay), 403, "forbidden")
	require.Equal(t, 201, e.do("POST", "/api/v1/rulesets", e.token("admin"), overlay).StatusCode)
	requireError(t, e.do("POST", "/api/v1/rulesets", e.token("admin"), overlay), 409, "rule_set_exists")
	rs := decode[map[string]any](t, e.do("GET", "/api/v1/rulesets/test-overlay-2026", "", nil))
	resolved := rs["resolved"].(map[string]any)
	general := resolved["classes"].(map[string]any)["general"].(map[string]any)
	assert.Equal(t, true, general["requires_training"])
	assert.Equal(t, float64(12), general["max_publish_months"], "the rest comes from the base")
}

func TestPublicationPeriodsPreview(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("sthjj")
	got := decode[map[string]any](t, e.do("POST", "/api/v1/publication-periods", tok, map[string]any{
		"penalty_types": []string{"fine", "license_suspension"}, "fine_amount_yuan": "200000", "duration_months": 6,
		"decided_on": "2026-05-31",
	}))
	assert.Equal(t, "serious", got["class"], "the longest period wins")
	assert.Equal(t, "ndrc-2026", got["rule_set"])
	assert.Equal(t, "2027-06-01", got["repair_eligible_from"])
	assert.Equal(t, "2029-05-31", got["publication_ends"])
	requireError(t, e.do("POST", "/api/v1/publication-periods", tok, map[string]any{
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "12.345", "decided_on": "2026-05-31",
	}), 422, "invalid_amount")
}

func TestParseYuan(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "12": 1200, "12.5": 1250, "12.05": 1205, "50000.00": 5000000} {
		got, err := ParseYuan(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"-1", "1.234", "abc", "1.", ".5", "1e5", "99999999999999"} {
		_, err := ParseYuan(in)
		assert.Error(t, err, in)
	}
}
