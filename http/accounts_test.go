package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

func (e *testEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.Get(&n, query, args...))
	return n
}

func TestAdminCreatesDepartmentsAndUsers(t *testing.T) {
	e := newTestEnv(t)
	adm := e.token("admin")
	dept := map[string]any{"id": "zjj", "name": "住房和城乡建设局", "full_name": "镇江市住房和城乡建设局", "short_name": "住建局",
		"doc_code": "镇建", "contact": "0511-80000009"}

	// Only an admin creates; bad values are 422 with a field and change nothing.
	requireError(t, e.do("POST", "/api/v1/departments", e.token("office"), dept), 403, "forbidden")
	for field, bad := range map[string]any{"id": "Z J", "full_name": "", "doc_code": "", "jurisdiction": "jiangsu", "sector": "Market"} {
		in := map[string]any{}
		for k, v := range dept {
			in[k] = v
		}
		in[field] = bad
		resp := e.do("POST", "/api/v1/departments", adm, in)
		require.Equal(t, 422, resp.StatusCode, field)
		er := decode[apiError](t, resp)
		assert.Equal(t, field, er.Error.Details["field"], field)
	}
	require.Zero(t, e.count(`SELECT count(*) FROM departments WHERE id = 'zjj'`))

	resp := e.do("POST", "/api/v1/departments", adm, dept)
	require.Equal(t, 201, resp.StatusCode)
	got := decode[storage.Department](t, resp)
	assert.Equal(t, "镇建", got.DocCode)
	assert.Equal(t, "national", got.Jurisdiction)
	requireError(t, e.do("POST", "/api/v1/departments", adm, dept), 422, "duplicate_department_id")
	list := decode[page[storage.Department]](t, e.do("GET", "/api/v1/departments", adm, nil))
	assert.Len(t, list.Items, len(storage.DemoDepartments)+1)

	// Users of every role, each bound as its role requires.
	for _, tc := range []struct {
		in   map[string]any
		code string
	}{
		{map[string]any{"login": "zj-wang", "display_name": "王", "role": "department"}, "missing_department_id"},
		{map[string]any{"login": "zj-wang", "display_name": "王", "role": "department", "department_id": "nope"}, "unknown_department"},
		{map[string]any{"login": "op-x", "display_name": "运维", "role": "channel_operator"}, "missing_channel_id"},
		{map[string]any{"login": "x1", "display_name": "x", "role": "agency"}, "invalid_login"},
		{map[string]any{"login": "zj-li", "display_name": "李", "role": "agency", "department_id": "zjj"}, "unexpected_department_id"},
		{map[string]any{"login": "zj-li", "display_name": "李", "role": "superuser"}, "invalid_role"},
		{map[string]any{"login": "zj-li", "display_name": "李", "role": "admin", "password": "zj-li-secret"}, "password_contains_login"},
		{map[string]any{"login": "office", "display_name": "重名", "role": "credit_office"}, "duplicate_login"},
	} {
		requireError(t, e.do("POST", "/api/v1/users", adm, tc.in), 422, tc.code)
	}
	require.Zero(t, e.count(`SELECT count(*) FROM users WHERE login IN ('zj-wang', 'op-x', 'x1', 'zj-li')`))

	resp = e.do("POST", "/api/v1/users", adm, map[string]any{"login": "zj-wang", "display_name": "王建国", "role": "department",
		"department_id": "zjj", "is_lead": true})
	require.Equal(t, 201, resp.StatusCode)
	u := decode[userJSON](t, resp)
	assert.True(t, u.MustChangePassword)
	assert.True(t, u.IsLead)
	assert.Len(t, u.TemporaryPassword, 12)
	resp = e.do("POST", "/api/v1/users", adm, map[string]any{"login": "op-new", "display_name": "新渠道运维", "role": "channel_operator", "channel_id": "gsxt"})
	require.Equal(t, 201, resp.StatusCode)
	users := decode[page[userJSON]](t, e.do("GET", "/api/v1/users?role=department", adm, nil))
	var logins []string
	for _, x := range users.Items {
		logins = append(logins, x.Login)
		assert.Empty(t, x.TemporaryPassword, "a listing never shows a password")
	}
	assert.Contains(t, logins, "zj-wang")
	assert.NotContains(t, logins, "op-new")

	// Every change is audited, never with a password.
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'department.create' AND case_id = 'zjj' AND actor = 'admin'`))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.create' AND case_id = 'zj-wang'`))
	assert.Zero(t, e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'`, u.TemporaryPassword))
}

func TestNewAccountMustChangeItsPasswordFirst(t *testing.T) {
	e := newTestEnv(t)
	adm := e.token("admin")
	u := decode[userJSON](t, e.do("POST", "/api/v1/users", adm, map[string]any{"login": "sj-zhao", "display_name": "赵敏", "role": "department", "department_id": "scjgj"}))
	require.NotEmpty(t, u.TemporaryPassword)

	b := e.browser()
	resp, _ := b.login("sj-zhao", u.TemporaryPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/me/password", resp.Header.Get("Location"))
	resp, _ = b.get("/penalties")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "every page waits for the new password")
	require.Equal(t, "/me/password", resp.Header.Get("Location"))
	_, pg := b.get("/me/password")
	assert.Contains(t, pg, "至少10位")
	assert.Contains(t, pg, `id="forced"`)
	tok := e.token("sj-zhao")
	requireError(t, e.do("GET", "/api/v1/penalties", tok, nil), 403, "password_change_required")

	// The policy is explained in Chinese; a bad password changes nothing.
	form := func(cur, next, confirm string) url.Values {
		return url.Values{"_csrf": {csrfOf(t, pg)}, "current_password": {cur}, "new_password": {next}, "confirm_password": {confirm}}
	}
	resp, body := b.post("/me/password", form(u.TemporaryPassword, "short", "short"))
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, body, "密码太短")
	resp, body = b.post("/me/password", form(u.TemporaryPassword, "1234567890", "1234567890"))
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, body, "过于常见")
	resp, body = b.post("/me/password", form("wrong-current", "铁马冰河入梦来2026", "铁马冰河入梦来2026"))
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, body, "当前密码不正确")
	resp, _ = b.get("/penalties")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, body = b.postSeeOther("/me/password", form(u.TemporaryPassword, "铁马冰河入梦来2026", "铁马冰河入梦来2026"))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "密码已修改")
	resp, _ = b.get("/penalties")
	require.Equal(t, 200, resp.StatusCode, "the session that changed the password goes on")
	assert.Equal(t, 200, e.do("GET", "/api/v1/penalties", tok, nil).StatusCode)

	// The old password is gone; the new one logs in; the admin sees the last login.
	resp, _ = e.browser().login("sj-zhao", u.TemporaryPassword)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = e.browser().login("sj-zhao", "铁马冰河入梦来2026")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
	users := decode[page[userJSON]](t, e.do("GET", "/api/v1/users?role=department", adm, nil))
	for _, x := range users.Items {
		if x.Login == "sj-zhao" {
			require.NotNil(t, x.LastLoginAt)
			assert.False(t, x.MustChangePassword)
		}
	}
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.change_password' AND case_id = 'sj-zhao'`))
}

func TestOwnPasswordAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token("sthjj")
	requireError(t, e.do("POST", "/api/v1/me/password", tok, map[string]any{"current_password": "nope", "new_password": "青山遮不住2026年"}), 422, "wrong_password")
	requireError(t, e.do("POST", "/api/v1/me/password", tok, map[string]any{"current_password": "demo", "new_password": "sthjj-2026-ok"}), 422, "password_contains_login")
	requireError(t, e.do("POST", "/api/v1/me/password", tok, map[string]any{"current_password": "demo", "new_password": "Password123"}), 422, "password_too_common")
	_, err := e.db.Authenticate(context.Background(), "sthjj", "demo")
	require.NoError(t, err, "refusals change nothing")
	resp := e.do("POST", "/api/v1/me/password", tok, map[string]any{"current_password": "demo", "new_password": "青山遮不住2026年"})
	require.Equal(t, 200, resp.StatusCode)
	_, err = e.db.Authenticate(context.Background(), "sthjj", "青山遮不住2026年")
	require.NoError(t, err)
}

func TestAdminDisablesAndResets(t *testing.T) {
	e := newTestEnv(t)
	adm := e.token("admin")
	u, err := e.db.UserByLogin(context.Background(), "yjglj")
	require.NoError(t, err)
	tok := e.token("yjglj")
	requireError(t, e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/disable", e.token("office"), nil), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/users/999999/disable", adm, nil), 404, "not_found")

	// A reset ends the sessions and forces a change with the temporary password.
	b := e.browser()
	b.login("yjglj", "demo")
	resp, _ := b.get("/")
	require.Equal(t, 200, resp.StatusCode)
	r := decode[userJSON](t, e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/reset-password", adm, nil))
	assert.True(t, r.MustChangePassword)
	resp, _ = b.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the old session ended")
	resp, _ = e.browser().login("yjglj", r.TemporaryPassword)
	require.Equal(t, "/me/password", resp.Header.Get("Location"))

	resp = e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/disable", adm, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.True(t, decode[userJSON](t, resp).Disabled)
	requireError(t, e.do("GET", "/api/v1/me", tok, nil), 401, "unauthorized")
	resp, _ = e.browser().login("yjglj", r.TemporaryPassword)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	me, err := e.db.UserByLogin(context.Background(), "admin")
	require.NoError(t, err)
	requireError(t, e.do("POST", "/api/v1/users/"+itoa(me.ID)+"/disable", adm, nil), 409, "cannot_disable_self")
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.disable' AND case_id = 'yjglj'`))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.reset_password' AND case_id = 'yjglj'`))
}

func TestAdminPages(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.login("admin", "demo")
	_, pg := b.get("/admin/departments")
	resp, body := b.postSeeOther("/admin/departments", url.Values{"_csrf": {csrfOf(t, pg)}, "id": {"zjj"}, "name": {"住房和城乡建设局"},
		"full_name": {"镇江市住房和城乡建设局"}, "short_name": {"住建局"}, "doc_code": {"镇建"}, "sector": {"general"}, "jurisdiction": {"national"}})
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, "已新增部门 镇江市住房和城乡建设局")
	resp, body = b.post("/admin/departments", url.Values{"_csrf": {csrfOf(t, pg)}, "id": {"zjj2"}, "name": {"x"}})
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, body, `id="problem"`)

	_, pg = b.get("/admin/users")
	resp, body = b.post("/admin/users", url.Values{"_csrf": {csrfOf(t, pg)}, "role": {"department"}, "login": {"zj-chen"},
		"display_name": {"陈"}, "department_id": {"zjj"}, "channel_id": {"gsxt"}})
	require.Equal(t, 200, resp.StatusCode, body)
	m := regexp.MustCompile(`id="temporary-password">([^<]+)<`).FindStringSubmatch(body)
	require.NotNil(t, m)
	u, err := e.db.UserByLogin(context.Background(), "zj-chen")
	require.NoError(t, err)
	assert.Equal(t, "zjj", u.DepartmentID.String)
	assert.False(t, u.ChannelID.Valid, "only the chosen role's binding counts")
	resp, _ = e.browser().login("zj-chen", strings.TrimSpace(m[1]))
	assert.Equal(t, "/me/password", resp.Header.Get("Location"))
}

// noAccountUSCC is an enterprise the demo knows but that has no account yet.
const noAccountUSCC = "91321100MA1XYK7A09"

func withNewEnterprise(t *testing.T, e *testEnv) {
	t.Helper()
	require.NoError(t, e.db.UpsertEnterprise(context.Background(), storage.Enterprise{USCC: noAccountUSCC, Name: "镇江新开张贸易有限公司"}))
}

func TestEnterpriseActivation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	withNewEnterprise(t, e)
	requireError(t, e.do("POST", "/api/v1/enterprise-accounts/"+noAccountUSCC+"/activation-codes", e.token("scjgj"), nil), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/enterprise-accounts/"+storage.DemoEnterprises[0].USCC+"/activation-codes", e.token("office"), nil), 409, "account_exists")
	resp := e.do("POST", "/api/v1/enterprise-accounts/"+noAccountUSCC+"/activation-codes", e.token("office"), nil)
	require.Equal(t, 201, resp.StatusCode)
	first := decode[activationCodeJSON](t, resp)
	second := decode[activationCodeJSON](t, e.do("POST", "/api/v1/enterprise-accounts/"+noAccountUSCC+"/activation-codes", e.token("office"), nil))
	assert.NotEqual(t, first.Code, second.Code)
	assert.Zero(t, e.count(`SELECT count(*) FROM activation_codes WHERE code_hash::text LIKE '%' || $1 || '%'`, second.Code), "codes are stored hashed")

	activate := func(code, password string) *http.Response {
		return e.do("POST", "/api/v1/enterprise-accounts/activate", "", map[string]any{"uscc": noAccountUSCC, "code": code, "password": password})
	}
	requireError(t, activate(second.Code, "short"), 422, "password_too_short")
	requireError(t, activate(first.Code, "铁马冰河入梦来2026"), 422, "invalid_activation_code") // retired by the second
	// Typed in lower case without dashes, the code still works.
	resp = activate(strings.ToLower(strings.ReplaceAll(second.Code, "-", "")), "铁马冰河入梦来2026")
	require.Equal(t, 201, resp.StatusCode)
	u := decode[userJSON](t, resp)
	assert.Equal(t, noAccountUSCC, u.Login)
	assert.Equal(t, "镇江新开张贸易有限公司", u.DisplayName)
	resp2, _ := e.browser().login(noAccountUSCC, "铁马冰河入梦来2026")
	assert.Equal(t, "/", resp2.Header.Get("Location"))

	// A used code is refused and changes nothing.
	requireError(t, activate(second.Code, "另一个密码也很长2026"), 422, "invalid_activation_code")
	_, err := e.db.Authenticate(ctx, noAccountUSCC, "铁马冰河入梦来2026")
	require.NoError(t, err)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM audit_log WHERE action = 'enterprise.activate' AND case_id = $1`, noAccountUSCC))
}

func TestActivationRefusals(t *testing.T) {
	e := newTestEnv(t)
	withNewEnterprise(t, e)
	office := e.token("office")
	code := decode[activationCodeJSON](t, e.do("POST", "/api/v1/enterprise-accounts/"+noAccountUSCC+"/activation-codes", office, nil)).Code
	activate := func(uscc, code string) *http.Response {
		return e.do("POST", "/api/v1/enterprise-accounts/activate", "", map[string]any{"uscc": uscc, "code": code, "password": "铁马冰河入梦来2026"},
			"X-Forwarded-For", "10.0.0.1")
	}

	// An expired code is refused.
	_, err := e.db.Exec(`UPDATE activation_codes SET expires_at = now() - interval '1 second' WHERE uscc = $1`, noAccountUSCC)
	require.NoError(t, err)
	requireError(t, activate(noAccountUSCC, code), 422, "invalid_activation_code")
	_, err = e.db.Exec(`UPDATE activation_codes SET expires_at = now() + interval '1 day' WHERE uscc = $1`, noAccountUSCC)
	require.NoError(t, err)

	// Five wrong codes in all (the expired one counted) lock the USCC for 15 minutes, even for the right code.
	for i := 0; i < 4; i++ {
		requireError(t, activate(noAccountUSCC, "AAAA-BBBB-CCCC"), 422, "invalid_activation_code")
	}
	requireError(t, activate(noAccountUSCC, code), 429, "too_many_attempts")
	assert.Zero(t, e.count(`SELECT count(*) FROM users WHERE login = $1`, noAccountUSCC), "nothing is created")
	assert.Zero(t, e.count(`SELECT count(*) FROM activation_codes WHERE used_at IS NOT NULL`))
	// Another enterprise is not locked by this one's failures.
	requireError(t, activate("91321100MA1WWW9B1P", code), 422, "invalid_activation_code")

	// After the window the right code works.
	_, err = e.db.Exec(`UPDATE activation_failures SET failed_at = failed_at - interval '16 minutes'`)
	require.NoError(t, err)
	require.Equal(t, 201, activate(noAccountUSCC, code).StatusCode)
}

func TestActivationPages(t *testing.T) {
	e := newTestEnv(t)
	withNewEnterprise(t, e)
	ob := e.browser()
	ob.login("office", "demo")
	_, pg := ob.get("/enterprise-accounts/activation-codes")
	resp, body := ob.post("/enterprise-accounts/activation-codes", url.Values{"_csrf": {csrfOf(t, pg)}, "uscc": {noAccountUSCC}})
	require.Equal(t, 200, resp.StatusCode, body)
	m := regexp.MustCompile(`id="activation-code">([A-Z0-9-]+)<`).FindStringSubmatch(body)
	require.NotNil(t, m)
	assert.Contains(t, body, "镇江新开张贸易有限公司")

	b := e.browser()
	_, pg = b.get("/activate?uscc=" + noAccountUSCC)
	resp, body = b.post("/activate", url.Values{"_csrf": {csrfOf(t, pg)}, "uscc": {noAccountUSCC}, "code": {m[1]},
		"password": {"铁马冰河入梦来2026"}, "confirm_password": {"铁马冰河入梦来2026x"}})
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, body, "两次输入的密码不一致")
	_, pg = b.get("/activate?uscc=" + noAccountUSCC)
	resp, body = b.post("/activate", url.Values{"_csrf": {csrfOf(t, pg)}, "uscc": {noAccountUSCC}, "code": {m[1]},
		"password": {"铁马冰河入梦来2026"}, "confirm_password": {"铁马冰河入梦来2026"}})
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Contains(t, body, `id="activated"`)
	resp, _ = b.login(noAccountUSCC, "铁马冰河入梦来2026")
	assert.Equal(t, "/", resp.Header.Get("Location"))
}

// TestAdminEnablesADisabledUser: only the admin re-enables an account; it signs in again with its password, and
// the change is audited; the users page offers 启用 for a disabled account.
func TestAdminEnablesADisabledUser(t *testing.T) {
	e := newTestEnv(t)
	adm := e.token("admin")
	u, err := e.db.UserByLogin(context.Background(), "yjglj")
	require.NoError(t, err)
	require.Equal(t, 200, e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/disable", adm, nil).StatusCode)
	resp, _ := e.browser().login("yjglj", storage.DemoPassword)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	for _, login := range []string{"office", "scjgj", storage.DemoEnterprises[0].USCC} {
		requireError(t, e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/enable", e.token(login), nil), 403, "forbidden")
	}
	requireError(t, e.do("POST", "/api/v1/users/999999/enable", adm, nil), 404, "not_found")

	b := e.browser()
	b.login("admin", storage.DemoPassword)
	_, page := b.get("/admin/users")
	assert.Contains(t, page, `id="enable-`+itoa(u.ID)+`"`)
	resp, page = b.post("/admin/users/"+itoa(u.ID)+"/enable", url.Values{"_csrf": {csrfOf(t, page)}})
	require.Less(t, resp.StatusCode, 400)
	assert.Contains(t, page, "已启用用户 yjglj")

	got, err := e.db.UserByLogin(context.Background(), "yjglj")
	require.NoError(t, err)
	assert.False(t, got.Disabled)
	resp, _ = e.browser().login("yjglj", storage.DemoPassword)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "signs in again")
	resp = e.do("POST", "/api/v1/users/"+itoa(u.ID)+"/enable", adm, nil)
	require.Equal(t, 200, resp.StatusCode, "enabling an enabled account changes nothing")
	assert.False(t, decode[userJSON](t, resp).Disabled)
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.enable' AND case_id = 'yjglj'`))
}
