package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// lookup posts a status lookup as JSON from a client address (X-Forwarded-For through the trusted test proxy).
func lookup(t *testing.T, e *testEnv, code, uscc, from string) (*http.Response, time.Duration) {
	t.Helper()
	body := fmt.Sprintf(`{"code":%q,"uscc":%q}`, code, uscc)
	req := httptest.NewRequest("POST", "/status", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	started := time.Now()
	resp, err := e.srv.App().Test(req, -1)
	took := time.Since(started)
	require.NoError(t, err)
	return resp, took
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// TestStatusLookup is issue 20's acceptance 3: a repair case's lookup code and its enterprise's USCC show the case's
// step and legal deadline at /status without a login (form and JSON) and nothing else; a wrong pair is 404 after
// the same work as a right one; the 31st lookup in a minute from one address is 429.
func TestStatusLookup(t *testing.T) {
	e := newHardenedEnv(t, Config{TrustedProxies: []string{"0.0.0.0"}})
	ctx := context.Background()
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	pid := e.storeFine("sthjj", "镇环罚〔2026〕31号", a)
	id, err := e.db.CreateRepair(ctx, storage.NewRepair{PenaltyID: pid, USCC: a.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.Today(), ApplicantLogin: a.USCC}, storage.AuditEntry{Actor: a.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
	require.NoError(t, err)
	due := domain.MustParseDate("2026-12-09")
	require.NoError(t, e.db.RecordRepairStep(ctx, storage.RepairStepRecord{RepairID: id, Seq: 1,
		Progress: storage.RepairProgress{Status: domain.RepairPendingAcceptance, Holder: "department", ReceivedOn: domain.Today(), AcceptanceDue: due},
		Audit:    storage.AuditEntry{Actor: "system", Role: "system", Action: "repair.forwarded", CaseKind: "repair", CaseID: itoa(id)}}))

	// The receipt (the case as its enterprise reads it) carries the code; it is stored without dashes.
	rj := decode[map[string]any](t, e.do("GET", "/api/v1/repairs/"+itoa(id), e.token(a.USCC), nil))
	code, _ := rj["lookup_code"].(string)
	require.Len(t, code, 12, "the receipt carries a lookup code: %v", rj)
	printed := code[:4] + "-" + strings.ToLower(code[4:8]) + "-" + code[8:]

	resp, _ := lookup(t, e, printed, a.USCC, "10.0.0.1")
	require.Equal(t, 200, resp.StatusCode)
	st := decode[map[string]any](t, resp)
	assert.Equal(t, "pending_acceptance", st["step"])
	assert.Equal(t, "待受理", st["step_label"])
	assert.Equal(t, "2026-12-09", st["deadline"])
	assert.Equal(t, "repair", st["case_kind"])
	for k := range st {
		assert.Contains(t, []string{"case_kind", "case_kind_label", "step", "step_label", "deadline", "deadline_provisional", "letters"}, k,
			"the lookup shows nothing else")
	}

	// The page: a form without login, and the answer as a page.
	page := e.do("GET", "/status", "", nil, "Accept", "text/html")
	require.Equal(t, 200, page.StatusCode)
	html, _ := io.ReadAll(page.Body)
	assert.Contains(t, string(html), `action="/status"`)
	form := url.Values{"code": {code}, "uscc": {a.USCC}}
	req := httptest.NewRequest("POST", "/status", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("X-Forwarded-For", "10.0.0.2")
	resp, err = e.srv.App().Test(req, -1)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	html, _ = io.ReadAll(resp.Body)
	assert.Contains(t, string(html), "待受理")
	assert.Contains(t, string(html), "2026-12-09")
	assert.NotContains(t, string(html), a.Name, "the page does not name the enterprise")
	assert.NotContains(t, string(html), "镇环罚〔2026〕31号", "nor the record")

	// Wrong pairs: another enterprise's USCC, an unknown code, a malformed code. All 404 with the same body.
	for i, wrong := range [][2]string{{code, b.USCC}, {"0123456789AB", a.USCC}, {"not-a-code", a.USCC}} {
		resp, _ := lookup(t, e, wrong[0], wrong[1], fmt.Sprintf("10.0.1.%d", i))
		requireError(t, resp, 404, "case_not_found")
	}

	// Timing: right and wrong pairs, interleaved, take the same time (the same work on both paths). Addresses
	// change every ten lookups so the limiter stays out of it. A systematic difference shows in every attempt; the
	// test's other packages running beside it on a loaded machine may skew one (it did, once in a full run), so a
	// comparison that fails is measured again, three attempts at most.
	var mr, mw, mu time.Duration
	for attempt := 1; attempt <= 3; attempt++ {
		var right, wrongUSCC, unknown []time.Duration
		for i := 0; i < 30; i++ {
			from := fmt.Sprintf("10.%d.%d.1", attempt, i)
			_, d1 := lookup(t, e, code, a.USCC, from)
			_, d2 := lookup(t, e, code, b.USCC, from)
			_, d3 := lookup(t, e, "0123456789AB", a.USCC, from)
			right, wrongUSCC, unknown = append(right, d1), append(wrongUSCC, d2), append(unknown, d3)
		}
		mr, mw, mu = median(right), median(wrongUSCC), median(unknown)
		t.Logf("attempt %d, median lookup: right %s, wrong USCC %s, unknown code %s", attempt, mr, mw, mu)
		if mw > mr/2 && mw < mr*2 && mu > mr/2 && mu < mr*2 {
			break
		}
	}
	for _, m := range []time.Duration{mw, mu} {
		assert.Greater(t, m, mr/2, "a wrong pair is not answered much faster than a right one")
		assert.Less(t, m, mr*2, "nor much slower")
	}

	// Rate limit: 30 lookups a minute from one address, the 31st is 429 (right or wrong pair alike).
	for i := 1; i <= 30; i++ {
		pair := [2]string{code, a.USCC}
		if i%2 == 0 {
			pair = [2]string{"0123456789AB", a.USCC}
		}
		resp, _ := lookup(t, e, pair[0], pair[1], "10.9.9.9")
		require.NotEqual(t, 429, resp.StatusCode, "lookup %d", i)
	}
	resp, _ = lookup(t, e, code, a.USCC, "10.9.9.9")
	assert.Equal(t, 429, resp.StatusCode, "the 31st lookup in a minute")
	resp, _ = lookup(t, e, code, a.USCC, "10.9.9.10")
	assert.Equal(t, 200, resp.StatusCode, "another address still looks up")
}
