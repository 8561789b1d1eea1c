package httpapi

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

func TestCheckTextRules(t *testing.T) {
	line, text := textKind{maxRunes: 5}, textKind{multiLine: true, maxRunes: 5}
	for _, c := range []struct {
		value  string
		kind   textKind
		reason string
	}{
		{"王五", line, ""},
		{"王\x00五", line, "control_character"},
		{"王\x00五", text, "control_character"},
		{"\x1b[31m", text, "control_character"},
		{"\u0085", text, "control_character"},
		{"a\u202eb", text, "control_character"},
		{"王\n五", line, "line_break"},
		{"王\t五", line, "line_break"},
		{"王\r\n五", text, ""},
		{"\xff", text, "invalid_utf8"},
		{"一二三四五六", line, "too_long"},
		{"一二三四五", line, ""},
	} {
		e := checkText("f", c.value, c.kind)
		if c.reason == "" {
			assert.Nil(t, e, "%q", c.value)
			continue
		}
		if assert.NotNil(t, e, "%q", c.value) {
			assert.Equal(t, "invalid_text", e.Code)
			assert.Equal(t, c.reason, e.Details["reason"], "%q", c.value)
			assert.Regexp(t, `\p{Han}`, e.Message)
		}
	}
	assert.Nil(t, checkJSONText([]byte(`{"statement":"第一行\n第二行","signed_by":"王五","n":[1,{"reason":"好"}]}`)))
	assert.Equal(t, "line_break", checkJSONText([]byte(`{"signed_by":"王\n五"}`)).Details["reason"])
	assert.Equal(t, "statement", checkJSONText([]byte(`{"a":{"statement":"x\u0000"}}`)).Details["field"])
	assert.Equal(t, "penalty_types", checkJSONText([]byte(`{"penalty_types":["fine","\u0000"]}`)).Details["field"])
	assert.Equal(t, "control_character", checkJSONText([]byte(`{"\u0000":1}`)).Details["reason"])
	assert.Equal(t, "json_too_deep", checkJSONText([]byte(strings.Repeat("[", 100)+strings.Repeat("]", 100))).Code)
	assert.Nil(t, checkJSONText([]byte(`{"broken":`)), "a syntax error is bindJSON's to report")
}

// Issue 12, defects 2a and 10: a NUL or another control character, invalid UTF-8 or an oversized value in any
// field, query or upload is a 422 in the error model (never a 500) and changes nothing.
func TestBadTextIsA422Everywhere(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	office := e.token("office")
	var tokensBefore int
	require.NoError(t, e.db.Get(&tokensBefore, `SELECT count(*) FROM api_tokens`))

	r := requireError(t, e.do("POST", "/api/v1/tokens", office, `{"name":"脚本\u0000"}`), 422, "invalid_text")
	assert.Equal(t, "name", r.Error.Details["field"])
	requireError(t, e.do("POST", "/api/v1/tokens", office, []byte("{\"name\":\"\xff\xfe\"}")), 422, "invalid_text")
	requireError(t, e.do("POST", "/api/v1/tokens", office, `{"name":"a\nb"}`), 422, "invalid_text")
	requireError(t, e.do("POST", "/api/v1/tokens", office, strings.Repeat(`{"a":`, 200)+"1"+strings.Repeat("}", 200)), 422, "json_too_deep")
	var tokensAfter int
	require.NoError(t, e.db.Get(&tokensAfter, `SELECT count(*) FROM api_tokens`))
	assert.Equal(t, tokensBefore, tokensAfter, "nothing was stored")

	// Free text of the steps the issue names: refused before any handler, so before any workflow.
	for path, body := range map[string]string{
		"/api/v1/penalties/1/delivery":                      `{"method":"post","delivered_on":"2026-05-22","signed_by":"王\u0000五"}`,
		"/api/v1/penalties/1/revocation":                    `{"reason":"复议\u0000撤销"}`,
		"/api/v1/withdrawals/1/channels/gsxt/confirm":       `{"reference":"GS\u00002026"}`,
		"/api/v1/penalties/1/publications/gsxt/confirm":     `{"reference":"GS\u0001"}`,
		"/api/v1/repairs/1/supplement":                      `{"statement":"补正\u0000"}`,
		"/api/v1/repairs/1/withdraw":                        `{"reason":"\u0000"}`,
		"/api/v1/trainings/1/rectifications":                `{"uscc":"x","due_on":"2026-12-31","requirements":"整改\u0000"}`,
		"/api/v1/objections":                                `{"penalty_id":1,"grounds":"not_mine","statement":"\u0000"}`,
		"/api/v1/objections/1/resolve":                      `{"outcome":"corrected","reason":"r","corrections":{"facts":"\u0000"}}`,
		"/api/v1/objections/1/channels/gsxt/confirm":        `{"reference":"\u001b"}`,
		"/api/v1/penalties?x=1":                             `{"decision_no":"a","penalty_types":["fine\u0000"]}`,
		"/api/v1/trainings/1/attendance":                    `{"uscc":"x","attended":true,"attendee_name":"王\u0000"}`,
		"/api/v1/objections/1/extend":                       `{"reason":"\u202e"}`,
		"/api/v1/repairs/1/rectification-deadline":          `{"due_on":"2026-12-31","requirements":["\u0000"]}`,
		"/api/v1/repairs/1/warning-interview":               `{"held_on":"2026-06-01","place":"会议室\n二楼"}`,
		"/api/v1/trainings/1/enrollments":                   `{"usccs":["\u0000"]}`,
		"/api/v1/penalties/1/publications/gsxt/confirm?a=b": `{"reference":"` + strings.Repeat("长", 300) + `"}`,
	} {
		r := requireError(t, e.do("POST", path, office, body), 422, "invalid_text")
		assert.NotEmpty(t, r.Error.Details["field"], path)
	}

	// Queries and paths: a NUL used to reach PostgreSQL and answer 500.
	requireError(t, e.do("GET", "/api/v1/enterprises?q=%00", office, nil), 422, "invalid_text")
	requireError(t, e.do("GET", "/api/v1/audit?case_kind=a%00b&case_id=1", office, nil), 422, "invalid_text")
	requireError(t, e.do("GET", "/api/v1/penalties?uscc=%FF%FE", office, nil), 422, "invalid_text")
	requireError(t, e.do("GET", "/api/v1/trainings/1/enrollments/%00", office, nil), 422, "invalid_text")

	// A CSV with a NUL in a cell.
	requireError(t, e.postCSV(e.token("sthjj"), "decision_no,uscc,enterprise_name,decided_on,penalty_types\n镇环罚\x00,91321100MA1MXY2K09,x,2026-05-20,fine\n"), 422, "invalid_text")
}

// Issue 12, defect 10: a 5 MB login name and a NUL in a token name or a repair statement sent from the pages are
// 4xx, not 500.
func TestPageFormsRefuseBadText(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	b := e.browser()
	_, page := b.get("/login")
	resp, _ := b.post("/login", url.Values{"_csrf": {csrfOf(t, page)}, "login": {strings.Repeat("a", 5<<20)}, "password": {"demo"}})
	assert.Equal(t, 422, resp.StatusCode)
	resp, _ = b.post("/login", url.Values{"_csrf": {csrfOf(t, page)}, "login": {"office\x00"}, "password": {"demo"}})
	assert.Equal(t, 422, resp.StatusCode)

	admin := e.browser()
	admin.login("admin", storage.DemoPassword)
	_, page = admin.get("/admin/tokens")
	resp, _ = admin.post("/admin/tokens", url.Values{"_csrf": {csrfOf(t, page)}, "login": {"office"}, "name": {"脚本\x00"}})
	assert.Equal(t, 422, resp.StatusCode)
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM api_tokens WHERE name LIKE '脚本%'`))
	assert.Zero(t, n)

	// A repair step from the case page (multipart), with a NUL in the statement.
	ent := e.browser()
	a := storage.DemoEnterprises[1]
	ent.login(a.USCC, storage.DemoPassword)
	_, home := ent.get("/")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("_csrf", csrfOf(t, home)))
	require.NoError(t, mw.WriteField("statement", "已补正\x00"))
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/repairs/1/supplement", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, _ = ent.send(req)
	assert.Equal(t, 422, resp.StatusCode)
}

// Issue 12, defect 10: the same penalty type named many times is one type, and a list longer than any honest one
// is refused.
func TestPenaltyTypesAreDeduplicatedAndBounded(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	a := storage.DemoEnterprises[1]
	tok := e.token("sthjj")
	many := generalFine("镇环罚〔2026〕77号", a.USCC, a.Name)
	fines := make([]string, 100000)
	for i := range fines {
		fines[i] = "fine"
	}
	many["penalty_types"] = fines
	requireError(t, e.do("POST", "/api/v1/penalties", tok, many), 422, "too_many_penalty_types")

	twice := generalFine("镇环罚〔2026〕78号", a.USCC, a.Name)
	twice["penalty_types"] = []string{"fine", " fine", "warning", "fine"}
	resp := e.do("POST", "/api/v1/penalties", tok, twice)
	require.Equal(t, 201, resp.StatusCode)
	p := decode[map[string]any](t, resp)
	pen, err := e.db.GetPenalty(context.Background(), int64(p["id"].(float64)))
	require.NoError(t, err)
	assert.Equal(t, []string{"fine", "warning"}, []string(pen.PenaltyTypes))
}

// Issue 12, defect 3: one principal repeating steps on one case gets a 429 with Retry-After once over the limit,
// and the refused step never reaches the workflow; steps the workflow refused are not counted (a client may poll
// until a step becomes possible); another principal is counted on its own.
func TestStepsOfOnePrincipalOnOneCaseAreRateLimited(t *testing.T) {
	fixed := time.Now()
	stepClock = func() time.Time { return fixed }
	t.Cleanup(func() { stepClock = time.Now })
	e, ft := newPenaltyEnv(t)
	a := storage.DemoEnterprises[1]
	tok := e.token("sthjj")
	resp := e.do("POST", "/api/v1/penalties", tok, generalFine("镇环罚〔2026〕79号", a.USCC, a.Name))
	require.Equal(t, 201, resp.StatusCode)
	id := int64(decode[map[string]any](t, resp)["id"].(float64))
	path := "/api/v1/penalties/" + itoa(id) + "/delivery"
	body := map[string]any{"method": "post", "delivered_on": "2026-05-22", "signed_by": "王五"}

	ft.updateErr = workflows.Refusal("already_delivered", "该处罚决定书已登记送达", true)
	for i := 0; i < stepLimits[0].max+10; i++ {
		requireError(t, e.do("POST", path, tok, body), 409, "already_delivered")
	}

	// Steps the workflow takes count (here they time out, as a step of a busy workflow would).
	ft.updateErr = context.DeadlineExceeded
	for i := 0; i < stepLimits[0].max; i++ {
		requireError(t, e.do("POST", path, tok, body), 503, "workflow_timeout")
	}
	sent := len(ft.updates)
	resp = e.do("POST", path, tok, body)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	r := requireError(t, resp, 429, "too_many_steps")
	assert.Equal(t, "minute", r.Error.Details["window"])
	assert.Equal(t, sent, len(ft.updates), "the refused step was not sent")

	// Another department user of the same department is counted on its own.
	_, err := e.db.UpsertUser(context.Background(), storage.NewUser{Login: "sthjj2", DisplayName: "生态环境局二", Role: domain.RoleDepartment,
		DepartmentID: "sthjj", Password: "demo"})
	require.NoError(t, err)
	requireError(t, e.do("POST", path, e.token("sthjj2"), body), 503, "workflow_timeout")
}
