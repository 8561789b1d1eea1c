package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/egress"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// newHardenedEnv is a test server with the given settings (no allow-list for channel hosts unless cfg has one).
func newHardenedEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	return &testEnv{t: t, db: db, srv: New(db, nil, slog.New(slog.NewTextHandler(tLogWriter{t}, nil)), cfg)}
}

// gzipBomb is a gzip stream of n zero bytes (about n/1000 bytes compressed).
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(zeros) {
		_, err := zw.Write(zeros[:min(left, len(zeros))])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func (e *testEnv) raw(method, path, token, contentType string, body []byte, headers ...string) *http.Response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.App().Test(req, -1)
	require.NoError(e.t, err)
	return resp
}

// Defect 1: a compressed body is refused before anything inflates it (JSON, multipart, the login form), and the
// process does not allocate the inflated size.
func TestCompressedRequestBodiesAreRefusedUninflated(t *testing.T) {
	e := newTestEnv(t)
	dept := e.token("scjgj")
	ent := e.token(storage.DemoEnterprises[0].USCC)
	bomb := gzipBomb(t, 64<<20) // 64 MB of zeros in about 64 KB
	require.Less(t, len(bomb), 200<<10)

	_, loginPage := e.browser().get("/login")
	csrf := csrfOf(t, loginPage)
	before := e.countAttachments()

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	for _, tc := range []struct {
		name, method, path, token, ct, encoding string
		headers                                 []string
	}{
		{"json", "POST", "/api/v1/penalties", dept, "application/json", "gzip", nil},
		{"json deflate", "POST", "/api/v1/penalties", dept, "application/json", "deflate", nil},
		{"json brotli", "POST", "/api/v1/penalties", dept, "application/json", "br", nil},
		{"json stacked", "POST", "/api/v1/tokens", dept, "application/json", "identity, gzip", nil},
		{"multipart", "POST", "/api/v1/attachments", ent, "multipart/form-data; boundary=xyz", "gzip", nil},
		{"login form", "POST", "/login", "", "application/x-www-form-urlencoded", "gzip", []string{"Cookie", loginCSRFCookie + "=" + csrf}},
		{"login multipart", "POST", "/login", "", "multipart/form-data; boundary=xyz", "gzip", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.raw(tc.method, tc.path, tc.token, tc.ct, bomb, append([]string{"Content-Encoding", tc.encoding}, tc.headers...)...)
			if tc.token == "" { // the login page answers with an HTML error page
				require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
				page, _ := io.ReadAll(resp.Body)
				assert.Contains(t, string(page), "compressed_body_not_accepted")
				return
			}
			requireError(t, resp, http.StatusUnsupportedMediaType, "compressed_body_not_accepted")
		})
	}
	runtime.ReadMemStats(&ms)
	assert.Less(t, ms.TotalAlloc-allocated, uint64(32<<20), "no request body was inflated (64 MB each)")
	assert.Equal(t, before, e.countAttachments())

	// Identity is no compression: an ordinary JSON body passes on to the handler.
	resp := e.raw("POST", "/api/v1/tokens", dept, "application/json", []byte(`{"name":"ok"}`), "Content-Encoding", "identity")
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

func postLogin(e *testEnv, csrf, login, password, xff string) int {
	form := url.Values{"_csrf": {csrf}, "login": {login}, "password": {password}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: csrf})
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := e.srv.App().Test(req, -1)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// Defect 4: parallel wrong guesses are judged one at a time (at most the limit are checked), the lock is per
// source, and the owner logs in from elsewhere. The test server sits behind a trusted proxy (app.Test's peer is
// 0.0.0.0), so X-Forwarded-For names the source.
func TestLoginLockoutIsAtomicAndPerSource(t *testing.T) {
	var checked atomic.Int32
	lim := storage.DefaultLoginLimits
	lim.SourceFailed = func() { checked.Add(1) }
	e := newHardenedEnv(t, Config{TrustedProxies: []string{"0.0.0.0"}, LoginRatePerMinute: 1000, LoginLimits: lim})
	_, page := e.browser().get("/login")
	csrf := csrfOf(t, page)

	const attacker = "203.0.113.7"
	var wg sync.WaitGroup
	statuses := make([]int, 24)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = postLogin(e, csrf, "scjgj", "guess-"+itoa(int64(i)), attacker)
		}()
	}
	wg.Wait()
	unauthorized := 0
	for _, s := range statuses {
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, s)
		if s == http.StatusUnauthorized {
			unauthorized++
		}
	}
	assert.Equal(t, lim.PerSource, unauthorized, "exactly the limit of guesses were answered 'wrong password'")
	assert.Equal(t, int32(lim.PerSource), checked.Load(), "no more passwords than the limit were checked")
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "scjgj", "demo", attacker), "the guessing source stays locked")

	// The owner, from another address, is not locked out by the anonymous guesser.
	assert.Equal(t, http.StatusSeeOther, postLogin(e, csrf, "scjgj", "demo", "198.51.100.20"))
	// Nor did the owner's success reset the guesser's lock.
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "scjgj", "guess", attacker))
	// A client cannot pick its source: the right-most untrusted address counts, not what it prepends.
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "scjgj", "guess", "198.51.100.20, "+attacker))
}

// Defect 4, distributed guessing: the longer per-login cap locks the login everywhere once many sources failed.
func TestLoginGlobalCapAcrossSources(t *testing.T) {
	lim := storage.LoginLimits{PerSource: 3, PerAddress: 30, Window: 15 * time.Minute, PerLogin: 6, LoginWindow: time.Hour}
	e := newHardenedEnv(t, Config{TrustedProxies: []string{"0.0.0.0"}, LoginRatePerMinute: 1000, LoginLimits: lim})
	_, page := e.browser().get("/login")
	csrf := csrfOf(t, page)
	for _, src := range []string{"203.0.113.1", "203.0.113.2"} {
		for i := 0; i < 3; i++ {
			require.Equal(t, http.StatusUnauthorized, postLogin(e, csrf, "sthjj", "x", src))
		}
	}
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "sthjj", "demo", "203.0.113.3"))
	assert.Equal(t, http.StatusSeeOther, postLogin(e, csrf, "scjgj", "demo", "203.0.113.3"), "other logins are not affected")
}

// Without trusted proxies, X-Forwarded-For is ignored: a client cannot dodge the per-source lock by inventing
// addresses.
func TestForwardedForIgnoredWithoutTrustedProxies(t *testing.T) {
	e := newHardenedEnv(t, Config{LoginRatePerMinute: 1000})
	_, page := e.browser().get("/login")
	csrf := csrfOf(t, page)
	for i := 0; i < storage.DefaultLoginLimits.PerSource; i++ {
		require.Equal(t, http.StatusUnauthorized, postLogin(e, csrf, "scjgj", "x", "203.0.113."+itoa(int64(i+1))))
	}
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "scjgj", "demo", "198.51.100.99"))
}

// Defect 5, save time: endpoints on loopback, link-local (metadata), private, CGNAT, multicast or unspecified
// addresses are refused unless allowed explicitly.
func TestChannelEndpointsMayNotPointInside(t *testing.T) {
	e := newHardenedEnv(t, Config{})
	office := e.token("office")
	for i, ep := range []string{
		"http://127.0.0.1:7243/api/v1/namespaces/default/workflows", "https://127.0.0.1/", "http://localhost:6379/",
		"https://169.254.169.254/latest/meta-data/", "https://[::1]:5432/", "https://10.1.2.3/hook", "https://192.168.0.10/hook",
		"https://172.16.0.1/", "https://100.64.0.1/", "https://224.0.0.1/", "https://0.0.0.0/", "https://[fd00::1]/",
		"https://[::ffff:127.0.0.1]/", "https://100.100.100.200/",
	} {
		body := map[string]any{"id": "evil-" + itoa(int64(i)), "name": "内部" + itoa(int64(i)), "kind": "webhook", "deadline_workdays": 3,
			"endpoint_url": ep, "secret": "0123456789abcdef-shared"}
		er := requireError(t, e.do("POST", "/api/v1/channels", office, body), 422, "endpoint_not_allowed")
		assert.Equal(t, "endpoint_url", er.Error.Details["field"], ep)
	}
	ok := map[string]any{"id": "public", "name": "公网渠道", "kind": "webhook", "deadline_workdays": 3,
		"endpoint_url": "https://203.0.113.10/hook", "secret": "0123456789abcdef-shared"}
	assert.Equal(t, 201, e.do("POST", "/api/v1/channels", office, ok).StatusCode)

	// The deployment's allow-list admits its internal channel host.
	allowed := newHardenedEnv(t, Config{ChannelEgress: egress.MustParse("10.1.2.3")})
	body := map[string]any{"id": "internal", "name": "内部渠道", "kind": "webhook", "deadline_workdays": 3,
		"endpoint_url": "https://10.1.2.3/hook", "secret": "0123456789abcdef-shared"}
	assert.Equal(t, 201, allowed.do("POST", "/api/v1/channels", allowed.token("office"), body).StatusCode)
}

// Defect 6: registrations and imports never rename a known enterprise; only the office or an admin does.
func TestRegistrationsDoNotRenameEnterprises(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	ctx := context.Background()
	ent := storage.DemoEnterprises[2]
	resp := e.do("POST", "/api/v1/penalties", e.token("scjgj"), generalFine("市监罚〔2026〕901号", ent.USCC, "张冠李戴有限公司"))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	got, err := e.db.GetEnterprise(ctx, ent.USCC)
	require.NoError(t, err)
	assert.Equal(t, ent.Name, got.Name, "a department's registration does not rename the registry's enterprise")

	_, _, err = e.db.CreateImport(ctx, storage.NewImport{DepartmentID: "sthjj", CreatedBy: "sthjj", Filename: "x.csv",
		SHA256: strings.Repeat("0", 64), Enterprises: []storage.Enterprise{{USCC: ent.USCC, Name: "导入改名有限公司"}}})
	require.NoError(t, err)
	got, err = e.db.GetEnterprise(ctx, ent.USCC)
	require.NoError(t, err)
	assert.Equal(t, ent.Name, got.Name, "an import does not rename it either")

	path := "/api/v1/enterprises/" + ent.USCC
	requireError(t, e.do("PATCH", path, e.token("scjgj"), `{"name": "部门改名有限公司"}`), 403, "forbidden")
	requireError(t, e.do("PATCH", path, e.token(ent.USCC), `{"name": "自改名有限公司"}`), 403, "forbidden")
	requireError(t, e.do("PATCH", path, e.token("office"), `{"name": "  "}`), 422, "invalid_name")
	requireError(t, e.do("PATCH", "/api/v1/enterprises/91000000000000000X", e.token("office"), `{"name": "某公司"}`), 404, "not_found")
	resp = e.do("PATCH", path, e.token("office"), `{"name": "镇江更名后有限公司"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "镇江更名后有限公司", decode[map[string]any](t, resp)["name"])
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'enterprise.update' AND case_id = $1`, ent.USCC))
	assert.Equal(t, 1, n)
}

// Defect 7: the page after login is one of this site's pages, whatever the next parameter says.
func TestLoginRedirectStaysOnSitePages(t *testing.T) {
	e := newTestEnv(t)
	for next, want := range map[string]string{
		"/\t/evil.com":          "/",
		"/%09/evil.com":         "/",
		"//evil.com":            "/",
		"/\\evil.com":           "/",
		"/%5Cevil.com":          "/",
		"/%2F%2Fevil.com":       "/",
		"https://evil.com/":     "/",
		"/ /evil.com":           "/",
		"/\r\nSet-Cookie:x=1":   "/",
		"/api/v1/me":            "/",
		"/nowhere":              "/",
		"javascript:alert(1)":   "/",
		"/penalties/5?tab=docs": "/penalties/5?tab=docs",
		"/repairs":              "/repairs",
	} {
		b := e.browser()
		_, page := b.get("/login")
		resp, _ := b.post("/login", url.Values{"_csrf": {csrfOf(t, page)}, "login": {"office"}, "password": {"demo"}, "next": {next}})
		if strings.ContainsAny(next, "\t\r\n") {
			// The one text validator refuses control characters in any field before the login handler runs.
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, next)
			assert.Empty(t, resp.Header.Get("Location"), "next=%q", next)
			continue
		}
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, next)
		assert.Equal(t, want, resp.Header.Get("Location"), "next=%q", next)
	}
}

// Defect 8: a channel operator reads only the 告知函 of orders sent to its channel.
func TestChannelOperatorReadsOnlyItsWithdrawalLetters(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	_, wid := withdrawalFixture(t, e) // thirdparty is inactive and not addressed
	put := func(caseID string) int64 {
		l, err := e.db.PutLetter(ctx, storage.NewLetter{Letter: storage.Letter{Kind: "withdrawal_notice", CaseKind: "withdrawal",
			CaseID: caseID, Title: "告知函", Number: "N-" + caseID, Issuer: "市信用办", Addressee: "各公示渠道", IssuedOn: time.Now(),
			SHA256: strings.Repeat("a", 64), VerifyCode: "VC" + caseID + "ABCDEFGH"}, PDF: minimalPDF})
		require.NoError(t, err)
		return l.ID
	}
	mine, other := put(itoa(wid)), put("987654")
	for login, want := range map[string]int{"op-creditchina": 200, "op-gsxt": 200, "op-thirdparty": 404} {
		assert.Equal(t, want, e.do("GET", "/api/v1/letters/"+itoa(mine), e.token(login), nil).StatusCode, login)
		assert.Equal(t, want, e.do("GET", "/api/v1/letters/"+itoa(mine)+"/pdf", e.token(login), nil).StatusCode, login+" pdf")
	}
	requireError(t, e.do("GET", "/api/v1/letters/"+itoa(other), e.token("op-creditchina"), nil), 404, "not_found")
	assert.Equal(t, 200, e.do("GET", "/api/v1/letters/"+itoa(other), e.token("office"), nil).StatusCode)
}

// Defect 11: a key held by a request that died is taken over after the claim timeout; a live one is not.
func TestStaleIdempotencyClaimsExpire(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("scjgj")
	u, err := e.db.UserByLogin(context.Background(), "scjgj")
	require.NoError(t, err)
	body := `{"name": "k"}`
	claim := func(key string) {
		resp := e.do("POST", "/api/v1/tokens", tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		// Make the stored answer look like a request that crashed before completing.
		_, err := e.db.Exec(`UPDATE idempotency_keys SET status = NULL, response = NULL WHERE principal = $1 AND key = $2`, "user:"+itoa(u.ID), key)
		require.NoError(t, err)
	}
	claim("fresh")
	requireError(t, e.do("POST", "/api/v1/tokens", tok, body, "Idempotency-Key", "fresh"), 409, "idempotency_key_in_progress")

	claim("crashed")
	_, err = e.db.Exec(`UPDATE idempotency_keys SET created_at = now() - interval '3 minutes' WHERE key = 'crashed'`)
	require.NoError(t, err)
	resp := e.do("POST", "/api/v1/tokens", tok, body, "Idempotency-Key", "crashed")
	require.Equal(t, http.StatusCreated, resp.StatusCode, "the stale claim was taken over")
	again := e.do("POST", "/api/v1/tokens", tok, body, "Idempotency-Key", "crashed")
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"), "and its answer is kept like any other")
}

// Defect 12: caching and transport-security headers.
func TestNoStoreAndHSTSHeaders(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do("GET", "/api/v1/me", e.token("office"), nil)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Get("Strict-Transport-Security"), "plain HTTP gets no HSTS")
	resp = e.do("GET", "/api/v1/letters/999", e.token("office"), nil)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "errors too")
	resp = e.do("GET", "/api/v1/me", e.token("office"), nil, "X-Forwarded-Proto", "https")
	assert.Empty(t, resp.Header.Get("Strict-Transport-Security"), "X-Forwarded-Proto of an untrusted peer is ignored")

	behind := newHardenedEnv(t, Config{TrustedProxies: []string{"0.0.0.0/32"}})
	resp = behind.do("GET", "/api/v1/me", behind.token("office"), nil, "X-Forwarded-Proto", "https")
	assert.Equal(t, hstsValue, resp.Header.Get("Strict-Transport-Security"))
}

func TestUploadQuotaPerUser(t *testing.T) {
	e := newHardenedEnv(t, Config{UploadQuotaBytes: int64(2*len(minimalPDF) + 10)})
	a, b := e.token(storage.DemoEnterprises[0].USCC), e.token(storage.DemoEnterprises[1].USCC)
	require.Equal(t, 201, e.upload(a, "1.pdf", minimalPDF).StatusCode)
	require.Equal(t, 201, e.upload(a, "2.pdf", minimalPDF).StatusCode)
	requireError(t, e.upload(a, "3.pdf", minimalPDF), 413, "upload_quota_exceeded")
	assert.Equal(t, 201, e.upload(b, "1.pdf", minimalPDF).StatusCode, "the quota is per user")
}

func TestUnauthenticatedRateLimits(t *testing.T) {
	e := newHardenedEnv(t, Config{LoginRatePerMinute: 3, AnonRatePerMinute: 5})
	_, page := e.browser().get("/login")
	csrf := csrfOf(t, page)
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusUnauthorized, postLogin(e, csrf, "nobody-"+itoa(int64(i)), "x", ""))
	}
	assert.Equal(t, http.StatusTooManyRequests, postLogin(e, csrf, "office", "demo", ""))
	codes := map[int]int{}
	for i := 0; i < 6; i++ {
		codes[e.do("GET", "/api/v1/me", "", nil).StatusCode]++
	}
	// GET /login above was the first of the 5 anonymous requests a minute.
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 4, http.StatusTooManyRequests: 2}, codes, "anonymous requests are limited")
	assert.Equal(t, 200, e.do("GET", "/healthz", "", nil).StatusCode, "health checks are not")
	assert.Equal(t, 200, e.do("GET", "/api/v1/me", e.token("office"), nil).StatusCode, "authenticated callers are not")
}

func TestTokensExpireAndAreRevokedWithSessions(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("scjgj")
	resp := e.do("POST", "/api/v1/tokens", tok, `{"name": "ci", "expires_in_days": 1}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	created := decode[map[string]any](t, resp)
	exp, err := time.Parse(time.RFC3339Nano, created["expires_at"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), exp, time.Minute)
	short := created["token"].(string)
	assert.Equal(t, 200, e.do("GET", "/api/v1/me", short, nil).StatusCode)
	_, err = e.db.Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, int64(created["id"].(float64)))
	require.NoError(t, err)
	e.db.ForgetCredentials() // SQL of the test's own, not through storage: its notification comes a little later
	requireError(t, e.do("GET", "/api/v1/me", short, nil), 401, "unauthorized")

	resp = e.do("POST", "/api/v1/tokens", tok, `{"name": "default"}`)
	def := decode[map[string]any](t, resp)
	exp, err = time.Parse(time.RFC3339Nano, def["expires_at"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(storage.DefaultTokenTTL), exp, time.Minute, "90 days by default")
	for _, bad := range []string{`{"expires_in_days": 0}`, `{"expires_in_days": 366}`, `{"expires_in_days": -5}`} {
		requireError(t, e.do("POST", "/api/v1/tokens", tok, bad), 422, "invalid_expiry")
	}

	// Revoking sessions keeps tokens unless asked; with include_tokens every token of the user stops working.
	resp = e.do("POST", "/api/v1/sessions/revoke", tok, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 200, e.do("GET", "/api/v1/me", tok, nil).StatusCode)
	resp = e.do("POST", "/api/v1/sessions/revoke", tok, `{"include_tokens": true}`)
	require.Equal(t, 200, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.EqualValues(t, 3, out["revoked_tokens"])
	requireError(t, e.do("GET", "/api/v1/me", tok, nil), 401, "unauthorized")
	requireError(t, e.do("GET", "/api/v1/me", def["token"].(string), nil), 401, "unauthorized")
	assert.Equal(t, 200, e.do("GET", "/api/v1/me", e.token("sthjj"), nil).StatusCode, "other users keep theirs")
}

// tLogWriter sends the server's log to the test's log, so a server fault shows its cause.
type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
