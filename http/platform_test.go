package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

func TestAuthRequired(t *testing.T) {
	e := newTestEnv(t)
	requireError(t, e.do("GET", "/api/v1/me", "", nil), 401, "unauthorized")
	requireError(t, e.do("GET", "/api/v1/me", "xy_not-a-token", nil), 401, "unauthorized")
	resp := e.do("GET", "/api/v1/me", "", nil, "Authorization", "Basic b2ZmaWNlOmRlbW8=")
	requireError(t, resp, 401, "unauthorized")
}

func TestMeForEveryRole(t *testing.T) {
	e := newTestEnv(t)
	for _, u := range storage.DemoUsers() {
		me := decode[map[string]any](t, e.do("GET", "/api/v1/me", e.token(u.Login), nil))
		assert.Equal(t, u.Login, me["login"])
		assert.Equal(t, string(u.Role), me["role"])
		switch u.Role {
		case domain.RoleEnterprise:
			assert.Equal(t, u.USCC, me["uscc"])
		case domain.RoleDepartment:
			assert.Equal(t, u.DepartmentID, me["department_id"])
		case domain.RoleChannelOperator:
			assert.Equal(t, u.ChannelID, me["channel_id"])
		}
	}
}

func TestRoleChecks(t *testing.T) {
	e := newTestEnv(t)
	ent := e.token(storage.DemoEnterprises[0].USCC)
	requireError(t, e.do("GET", "/api/v1/enterprises?q=镇江", ent, nil), 403, "forbidden")
	got := decode[page[storage.Enterprise]](t, e.do("GET", "/api/v1/enterprises?q=镇江&limit=2", e.token("office"), nil))
	require.Len(t, got.Items, 2)
	require.NotEmpty(t, got.NextCursor)
	next := decode[page[storage.Enterprise]](t, e.do("GET", "/api/v1/enterprises?q=镇江&limit=2&cursor="+got.NextCursor, e.token("office"), nil))
	require.NotEmpty(t, next.Items)
	assert.Greater(t, next.Items[0].USCC, got.Items[1].USCC)
}

func TestTasksAreScopedToThePrincipal(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a, b := storage.DemoEnterprises[0].USCC, storage.DemoEnterprises[1].USCC
	for _, ts := range []storage.Task{
		{CaseKind: "penalty", CaseID: "1", Step: "read", Title: "A 的待办", AssigneeRole: domain.RoleEnterprise, USCC: nullStr(a)},
		{CaseKind: "penalty", CaseID: "2", Step: "read", Title: "B 的待办", AssigneeRole: domain.RoleEnterprise, USCC: nullStr(b)},
		{CaseKind: "penalty", CaseID: "3", Step: "delivery", Title: "市场监管局送达", AssigneeRole: domain.RoleDepartment, DepartmentID: nullStr("scjgj")},
	} {
		require.NoError(t, e.db.OpenTask(ctx, ts))
	}
	got := decode[page[map[string]any]](t, e.do("GET", "/api/v1/tasks", e.token(a), nil))
	require.Len(t, got.Items, 1)
	assert.Equal(t, "A 的待办", got.Items[0]["title"])
	got = decode[page[map[string]any]](t, e.do("GET", "/api/v1/tasks", e.token("sthjj"), nil))
	assert.Empty(t, got.Items, "another department's inbox is not visible")
	got = decode[page[map[string]any]](t, e.do("GET", "/api/v1/tasks", e.token("scjgj"), nil))
	require.Len(t, got.Items, 1)
}

func TestBadBodiesChangeNothing(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("office")
	count := func() int {
		var n int
		require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM api_tokens`))
		return n
	}
	before := count()
	requireError(t, e.do("POST", "/api/v1/tokens", tok, `{"name": `), 400, "malformed_json")
	requireError(t, e.do("POST", "/api/v1/tokens", tok, `{"name": "a"} {"name": "b"}`), 400, "malformed_json")
	requireError(t, e.do("POST", "/api/v1/tokens", tok, `{"name": 5}`), 422, "invalid_type")
	resp := e.do("POST", "/api/v1/tokens", tok, nil, "Content-Type", "text/plain")
	requireError(t, resp, 415, "unsupported_media_type")
	requireError(t, e.do("POST", "/api/v1/tokens", tok, "{}", "Content-Type", "application/xml"), 415, "unsupported_media_type")
	big := `{"name": "` + strings.Repeat("x", maxJSONBytes) + `"}`
	requireError(t, e.do("POST", "/api/v1/tokens", tok, big), 413, "body_too_large")
	// Past the server-wide limit Fiber refuses the body itself; over a real connection the caller gets a 413.
	huge := `{"name": "` + strings.Repeat("x", maxBodyBytes) + `"}`
	req, err := http.NewRequest("POST", e.serve()+"/api/v1/tokens", strings.NewReader(huge))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		resp.Body.Close()
	}
	assert.Equal(t, before, count())
	resp = e.do("POST", "/api/v1/tokens", tok, `{"name": "ok"}`)
	require.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, before+1, count())
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("office")
	first := decode[map[string]any](t, e.do("POST", "/api/v1/tokens", tok, `{"name": "k"}`, "Idempotency-Key", "abc"))
	resp := e.do("POST", "/api/v1/tokens", tok, `{"name": "k"}`, "Idempotency-Key", "abc")
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	second := decode[map[string]any](t, resp)
	assert.Equal(t, first["token"], second["token"])
	requireError(t, e.do("POST", "/api/v1/tokens", tok, `{"name": "other"}`, "Idempotency-Key", "abc"), 422, "idempotency_key_reused")
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM api_tokens WHERE name = 'k'`))
	assert.Equal(t, 1, n)
}

func TestTokenRevocation(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("office")
	created := decode[map[string]any](t, e.do("POST", "/api/v1/tokens", tok, `{"name": "temp"}`))
	tmp := created["token"].(string)
	require.Equal(t, 200, e.do("GET", "/api/v1/me", tmp, nil).StatusCode)
	id := int64(created["id"].(float64))
	require.Equal(t, 204, e.do("DELETE", "/api/v1/tokens/"+itoa(id), tok, nil).StatusCode)
	requireError(t, e.do("GET", "/api/v1/me", tmp, nil), 401, "unauthorized")
	// Another user's token id is not found.
	other := decode[map[string]any](t, e.do("POST", "/api/v1/tokens", e.token("scjgj"), `{"name": "x"}`))
	requireError(t, e.do("DELETE", "/api/v1/tokens/"+itoa(int64(other["id"].(float64))), tok, nil), 404, "not_found")
}

func TestLoginLogoutAndCSRF(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	resp, _ := b.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "home needs a login")

	resp, page := b.login("office", "wrong")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, page, "用户名或密码错误")

	resp, _ = b.login("office", "demo")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	sc := resp.Header.Get("Set-Cookie")
	assert.Contains(t, sc, "HttpOnly")
	assert.Contains(t, sc, "SameSite=Lax")
	_, page = b.get("/")
	assert.Contains(t, page, "信用办工作台")

	// A form without the session's CSRF token is refused.
	resp, _ = b.post("/logout", url.Values{})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, page = b.get("/")
	assert.Contains(t, page, "信用办工作台", "still logged in")

	resp, _ = b.post("/logout", url.Values{"_csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "logged out")

	// The login form itself needs its CSRF token.
	resp, _ = b.post("/login", url.Values{"login": {"office"}, "password": {"demo"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestLoginThrottling(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	for i := 0; i < storage.DefaultLoginLimits.PerSource; i++ {
		resp, _ := b.login("scjgj", "nope")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, page := b.login("scjgj", "demo")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "even the right password waits")
	assert.Contains(t, page, "登录失败次数过多")
	// Other logins are not locked.
	resp, _ = e.browser().login("sthjj", "demo")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestPasswordsNeverStoredOrLogged(t *testing.T) {
	e := newTestEnv(t)
	e.browser().login("office", "demo")
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM audit_log WHERE details::text LIKE '%demo%'`))
	assert.Zero(t, n)
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM users WHERE password_hash = 'demo'`))
	assert.Zero(t, n)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	require.NoError(t, e.db.Audit(ctx, storage.AuditEntry{Actor: "office", Role: "credit_office", Action: "test.write", CaseKind: "repair", CaseID: "9"}, map[string]int{"n": 1}))
	_, err := e.db.Exec(`UPDATE audit_log SET actor = 'x'`)
	require.Error(t, err)
	_, err = e.db.Exec(`DELETE FROM audit_log`)
	require.Error(t, err)
	es, err := e.db.AuditOf(ctx, "repair", "9")
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, "office", es[0].Actor)
}

func TestHealthAndReadiness(t *testing.T) {
	e := newTestEnv(t)
	require.Equal(t, 200, e.do("GET", "/healthz", "", nil).StatusCode)
	// This server has no Temporal client: not ready, and it says why.
	e2 := requireError(t, e.do("GET", "/readyz", "", nil), 503, "not_ready")
	assert.Equal(t, "ok", e2.Error.Details["postgres"])
}

func TestUnknownAPIPathIsTheErrorModel(t *testing.T) {
	e := newTestEnv(t)
	requireError(t, e.do("GET", "/api/v1/nothing-here", e.token("office"), nil), 404, "not_found")
}

func TestOpenAPIDocumentListsTheRoutes(t *testing.T) {
	e := newTestEnv(t)
	doc := decode[map[string]any](t, e.do("GET", "/api/openapi.json", "", nil))
	assert.Equal(t, "3.1.0", doc["openapi"])
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/me", "/api/v1/calendar/deadline", "/api/v1/letters/{id}", "/api/v1/tasks"} {
		assert.Contains(t, paths, p)
	}
}
