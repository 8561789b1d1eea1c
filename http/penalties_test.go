package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

// fakeTemporal records workflow starts and answers updates with a configurable error; everything else of the
// client is unused by these handlers (the embedded nil interface panics if that ever changes).
type fakeTemporal struct {
	client.Client
	mu        sync.Mutex
	started   []string
	updates   []string
	updateErr error
}

type fakeRun struct{ client.WorkflowRun }

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, o.ID)
	return fakeRun{}, nil
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, o.WorkflowID+":"+o.UpdateName)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return nil, errors.New("no worker in this test")
}

func (f *fakeTemporal) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return newStartOp(o, args)
}

// UpdateWithStartWorkflow records the start and the update and answers the update like UpdateWorkflow.
func (f *fakeTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if so, ok := o.StartWorkflowOperation.(startOp); ok {
		f.mu.Lock()
		f.started = append(f.started, so.id)
		f.mu.Unlock()
	}
	return f.UpdateWorkflow(ctx, o.UpdateOptions)
}

func (f *fakeTemporal) startedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.started...)
}

func newPenaltyEnv(t *testing.T) (*testEnv, *fakeTemporal) {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	ft := &fakeTemporal{}
	srv := New(db, ft, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	return &testEnv{t: t, db: db, srv: srv}, ft
}

// generalFine is the acceptance example: a general-class fine decided on 2026-05-20.
func generalFine(no, uscc, name string) map[string]any {
	return map[string]any{
		"decision_no": no, "uscc": uscc, "enterprise_name": name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放大气污染物", "legal_basis": "《大气污染防治法》第九十九条",
	}
}

func TestRegisterPenaltyComputesClassAndDates(t *testing.T) {
	e, ft := newPenaltyEnv(t)
	a := storage.DemoEnterprises[1]
	resp := e.do("POST", "/api/v1/penalties", e.token("sthjj"), generalFine("镇环罚〔2026〕15号", a.USCC, a.Name))
	require.Equal(t, 201, resp.StatusCode)
	p := decode[map[string]any](t, resp)
	assert.Equal(t, "general", p["class"])
	assert.Equal(t, "ndrc-2026", p["rule_set"])
	assert.Equal(t, "2026-08-21", p["repair_eligible_from"])
	assert.Equal(t, "2027-05-20", p["publication_ends"])
	assert.Equal(t, "2026-05-29", p["publish_due"], "7th working day after 2026-05-20")
	assert.Equal(t, "2026-05-29", p["delivery_due"])
	assert.Equal(t, "registered", p["status"])
	assert.Equal(t, 50000.0, p["fine_amount_yuan"])
	assert.Equal(t, "sthjj", p["department_id"])
	assert.Contains(t, p, "letters")
	assert.Contains(t, p, "publications")
	assert.Nil(t, p["withdrawal"])
	id := int64(p["id"].(float64))
	assert.Contains(t, ft.startedIDs(), workflows.PenaltyWorkflowID(id))
	pen, err := e.db.GetPenalty(context.Background(), id)
	require.NoError(t, err)
	assert.True(t, pen.LifecycleStartedAt.Valid)

	// Market supervision: samr-2025, published within 20 working days.
	b := storage.DemoEnterprises[3]
	resp = e.do("POST", "/api/v1/penalties", e.token("scjgj"), map[string]any{
		"decision_no": "镇市监罚〔2026〕8号", "uscc": b.USCC, "enterprise_name": b.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine", "confiscation"}, "fine_amount_yuan": "80000.50",
	})
	require.Equal(t, 201, resp.StatusCode)
	p = decode[map[string]any](t, resp)
	assert.Equal(t, "samr-2025", p["rule_set"])
	assert.Equal(t, "2026-06-17", p["publish_due"], "20 working days")
	assert.Equal(t, 80000.5, p["fine_amount_yuan"])
}

func TestRegisterPenaltyRejectsBadInputAndChangesNothing(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	a := storage.DemoEnterprises[1]
	count := func() int {
		var n int
		require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM penalties`))
		return n
	}
	bad := func(field string, value any) map[string]any {
		b := generalFine("镇环罚〔2026〕99号", a.USCC, a.Name)
		b[field] = value
		return b
	}
	for _, c := range []struct {
		body map[string]any
		code string
	}{
		{bad("uscc", "91321100MA1MXY2K08"), "invalid_uscc"},
		{bad("uscc", "9132110"), "invalid_uscc"},
		{bad("decided_on", "2026-02-30"), "invalid_date"},
		{bad("decided_on", "20/05/2026"), "invalid_date"},
		{bad("decided_on", domain.Today().AddDays(2).String()), "decided_on_in_future"},
		{bad("penalty_types", []string{"flogging"}), "unknown_penalty_type"},
		{bad("penalty_types", []string{}), "missing_penalty_types"},
		{bad("fine_amount_yuan", -5), "invalid_amount"},
		{bad("fine_amount_yuan", "12.345"), "invalid_amount"},
		{bad("class", "huge"), "invalid_class"},
		{bad("duration_months", -1), "invalid_duration"},
		{bad("decision_no", " "), "missing_decision_no"},
		{bad("enterprise_name", ""), "invalid_enterprise_name"},
		{bad("fine_amount_yuan", 0), "invalid_fine_amount"},
		{bad("enterprise_name", "镇江\U00020000科技有限公司"), "unprintable_character"},
		{bad("enterprise_name", "镇江\u3400科技有限公司"), "unprintable_character"},
	} {
		resp := e.do("POST", "/api/v1/penalties", tok, c.body)
		requireError(t, resp, 422, c.code)
	}
	requireError(t, e.do("POST", "/api/v1/penalties", tok, `{"decision_no": 5}`), 422, "invalid_type")
	requireError(t, e.do("POST", "/api/v1/penalties", e.token("office"), generalFine("x", a.USCC, a.Name)), 403, "forbidden")
	require.Zero(t, count())

	require.Equal(t, 201, e.do("POST", "/api/v1/penalties", tok, generalFine("镇环罚〔2026〕1号", a.USCC, a.Name)).StatusCode)
	// The same number again, even with another enterprise name: 409, and the enterprise's name is unchanged.
	requireError(t, e.do("POST", "/api/v1/penalties", tok, generalFine("镇环罚〔2026〕1号", a.USCC, "改名公司")), 409, "duplicate_decision_no")
	ent, err := e.db.GetEnterprise(context.Background(), a.USCC)
	require.NoError(t, err)
	require.Equal(t, a.Name, ent.Name)
	// Another department may use the same number.
	require.Equal(t, 201, e.do("POST", "/api/v1/penalties", e.token("yjglj"), generalFine("镇环罚〔2026〕1号", a.USCC, a.Name)).StatusCode)
	require.Equal(t, 2, count())
}

func TestRegisterPenaltyWithIdempotencyKeyRegistersOnce(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	a := storage.DemoEnterprises[1]
	body := generalFine("镇环罚〔2026〕7号", a.USCC, a.Name)
	first := e.do("POST", "/api/v1/penalties", tok, body, "Idempotency-Key", "reg-7")
	require.Equal(t, 201, first.StatusCode)
	p1 := decode[map[string]any](t, first)
	second := e.do("POST", "/api/v1/penalties", tok, body, "Idempotency-Key", "reg-7")
	require.Equal(t, 201, second.StatusCode)
	require.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))
	p2 := decode[map[string]any](t, second)
	require.Equal(t, p1["id"], p2["id"])
}

func TestPenaltyVisibility(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	p := decode[map[string]any](t, e.do("POST", "/api/v1/penalties", e.token("sthjj"), generalFine("镇环罚〔2026〕2号", a.USCC, a.Name)))
	path := fmt.Sprintf("/api/v1/penalties/%d", int64(p["id"].(float64)))

	for _, who := range []string{"sthjj", "office", "admin", a.USCC} {
		resp := e.do("GET", path, e.token(who), nil)
		require.Equal(t, 200, resp.StatusCode, who)
		got := decode[map[string]any](t, resp)
		require.Equal(t, "镇环罚〔2026〕2号", got["decision_no"])
	}
	for _, who := range []string{"scjgj", b.USCC} {
		requireError(t, e.do("GET", path, e.token(who), nil), 404, "not_found")
	}
	delivery := map[string]any{"method": "post", "delivered_on": "2026-05-21", "signed_by": "王"}
	requireError(t, e.do("POST", path+"/delivery", e.token("scjgj"), delivery), 404, "not_found")
	requireError(t, e.do("POST", path+"/revocation", e.token("scjgj"), map[string]any{"reason": "x"}), 404, "not_found")
	requireError(t, e.do("POST", path+"/delivery", e.token(a.USCC), delivery), 403, "forbidden")
	requireError(t, e.do("GET", path, e.token("agency"), nil), 403, "forbidden")
	requireError(t, e.do("GET", "/api/v1/penalties/999999", e.token("office"), nil), 404, "not_found")

	list := func(who, query string) []map[string]any {
		return decode[page[map[string]any]](t, e.do("GET", "/api/v1/penalties"+query, e.token(who), nil)).Items
	}
	require.Len(t, list("sthjj", ""), 1)
	require.Empty(t, list("scjgj", ""))
	require.Empty(t, list("scjgj", "?department=sthjj"), "a department cannot list another's")
	require.Len(t, list(a.USCC, ""), 1)
	require.Empty(t, list(b.USCC, ""))
	require.Empty(t, list(b.USCC, "?uscc="+a.USCC), "an enterprise cannot list another's")
	require.Len(t, list("office", "?uscc="+a.USCC), 1)
	require.Len(t, list("office", "?department=sthjj&status=registered"), 1)
	require.Empty(t, list("office", "?status=withdrawn"))
	require.Len(t, list("office", "?overdue=delivery"), 1, "decided 2026-05-20, never delivered")
	requireError(t, e.do("GET", "/api/v1/penalties?status=lost", e.token("office"), nil), 422, "invalid_status")
}

func TestDeliveryRejectionsAreTheErrorModel(t *testing.T) {
	e, ft := newPenaltyEnv(t)
	a := storage.DemoEnterprises[1]
	p := decode[map[string]any](t, e.do("POST", "/api/v1/penalties", e.token("sthjj"), generalFine("镇环罚〔2026〕3号", a.USCC, a.Name)))
	path := fmt.Sprintf("/api/v1/penalties/%d/delivery", int64(p["id"].(float64)))
	tok := e.token("sthjj")

	requireError(t, e.do("POST", path, tok, map[string]any{"method": "post", "delivered_on": "2026-13-01"}), 422, "invalid_date")
	ft.updateErr = workflows.Refusal("witness_required", "受送达人拒绝签收的，应填写见证人", false)
	requireError(t, e.do("POST", path, tok, map[string]any{"method": "refused", "delivered_on": "2026-05-21"}), 422, "witness_required")
	ft.updateErr = workflows.Refusal("already_delivered", "该处罚决定书已登记送达", true)
	requireError(t, e.do("POST", path, tok, map[string]any{"method": "post", "delivered_on": "2026-05-21", "signed_by": "王"}), 409, "already_delivered")
}

// csvOf builds an import file: good rows for demo enterprises and the bad rows given.
func csvOf(good int, prefix string, bad ...string) string {
	var b strings.Builder
	b.WriteString("decision_no,uscc,enterprise_name,decided_on,penalty_types,fine_amount_yuan,class,duration_months,facts,legal_basis\n")
	for i := range good {
		ent := storage.DemoEnterprises[i%len(storage.DemoEnterprises)]
		fmt.Fprintf(&b, "%s〔2026〕%d号,%s,%s,2026-05-%02d,fine,%d.50,,,\"违法事实，第%d条\",依据\n", prefix, i+1, ent.USCC, ent.Name, 1+i%28, 6000+i, i)
	}
	for _, r := range bad {
		b.WriteString(r + "\n")
	}
	return b.String()
}

func (e *testEnv) postCSV(token, body string) *http.Response {
	e.t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/penalties/import", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.App().Test(req, -1)
	require.NoError(e.t, err)
	return resp
}

type importAnswer struct {
	ID                int64 `json:"id"`
	TotalRows         int   `json:"total_rows"`
	Registered        int   `json:"registered"`
	AlreadyRegistered int   `json:"already_registered"`
	Rejected          int   `json:"rejected"`
	ToStart           int   `json:"to_start"`
	Status            string
	Rows              []importRowJSON `json:"rows"`
}

func TestImportRegistersGoodRowsReportsBadOnesAndIsRepeatable(t *testing.T) {
	e, ft := newPenaltyEnv(t)
	tok := e.token("sthjj")
	bad := []string{
		"坏〔1〕号,91321100MA1MXY2K08,某公司,2026-05-20,fine,100,,,,",       // check character
		"坏〔2〕号,91321100MA1MXY2K09,某公司,2026-02-30,fine,100,,,,",       // no such day
		"坏〔3〕号,91321100MA1MXY2K09,某公司,2026-05-20,flogging,,,,,",      // unknown type
		"坏〔4〕号,91321100MA1MXY2K09,某公司,2026-05-20,fine,-100,,,,",      // negative
		",91321100MA1MXY2K09,某公司,2026-05-20,fine,100,,,,",            // no number
		"坏〔6〕号,91321100MA1MXY2K09,,2026-05-20,fine,100,,,,",          // no name
		"坏〔7〕号,91321100MA1MXY2K09,某公司,2026-05-20,fine,100,huge,,,",   // class
		"坏〔8〕号,91321100MA1MXY2K09,某公司,2026-05-20,fine,100,,six,,",    // duration
		"坏〔9〕号,91321100MA1MXY2K09,某公司,2026-05-20,fine,100",           // short row
		"镇环罚〔2026〕1号,91321100MA1MXY2K09,某公司,2026-05-20,fine,100,,,,", // duplicate of row 2
	}
	resp := e.postCSV(tok, csvOf(1000, "镇环罚", bad...))
	require.Equal(t, 201, resp.StatusCode)
	got := decode[importAnswer](t, resp)
	require.Equal(t, 1010, got.TotalRows)
	require.Equal(t, 1000, got.Registered)
	require.Equal(t, 10, got.Rejected)
	require.Equal(t, 1000, got.ToStart)
	require.Len(t, got.Rows, 1010)
	wantCodes := []string{"invalid_uscc", "invalid_date", "unknown_penalty_type", "invalid_amount", "missing_decision_no",
		"invalid_enterprise_name", "invalid_class", "invalid_duration", "invalid_column_count", "duplicate_in_file"}
	for i, code := range wantCodes {
		r := got.Rows[1000+i]
		assert.Equal(t, 1002+i, r.Row, "row numbers count the header as row 1")
		assert.Equal(t, storage.ImportRowRejected, r.Status)
		assert.Equal(t, code, r.Code, "row %d", r.Row)
		assert.Regexp(t, `\p{Han}`, r.Message)
	}
	assert.Equal(t, 2, got.Rows[0].Row)
	assert.Equal(t, storage.ImportRowRegistered, got.Rows[0].Status)
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM penalties WHERE department_id = 'sthjj'`))
	require.Equal(t, 1000, n)
	assert.Contains(t, ft.startedIDs(), workflows.ImportWorkflowID(got.ID))

	// The same file again creates nothing; since the lifecycles of the first import were never started (the fake
	// Temporal ran no workflow), the second import is the one that starts them.
	again := decode[importAnswer](t, e.postCSV(tok, csvOf(1000, "镇环罚", bad...)))
	require.Zero(t, again.Registered)
	require.Equal(t, 1000, again.AlreadyRegistered)
	require.Equal(t, 10, again.Rejected)
	require.Equal(t, 1000, again.ToStart)
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM penalties WHERE department_id = 'sthjj'`))
	require.Equal(t, 1000, n)

	// Once they run, a third import has nothing to start and is complete at once.
	_, err := e.db.Exec(`UPDATE penalties SET lifecycle_started_at = now()`)
	require.NoError(t, err)
	third := decode[importAnswer](t, e.postCSV(tok, csvOf(1000, "镇环罚")))
	require.Zero(t, third.ToStart)
	require.Equal(t, "completed", third.Status)

	// Progress and rows are visible to the department and the credit office, not to another department.
	path := fmt.Sprintf("/api/v1/penalties/imports/%d?problems=1", got.ID)
	view := decode[importAnswer](t, e.do("GET", path, tok, nil))
	require.Len(t, view.Rows, 10)
	require.Equal(t, 200, e.do("GET", path, e.token("office"), nil).StatusCode)
	requireError(t, e.do("GET", path, e.token("scjgj"), nil), 404, "not_found")
}

func TestImportRejectsFilesThatAreNotCSV(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	requireError(t, e.postCSV(tok, "decision_no,uscc\n"), 422, "invalid_csv_header")
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types,colour\n"), 422, "invalid_csv_header")
	requireError(t, e.postCSV(tok, ""), 422, "empty_csv")
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types\n"), 422, "empty_csv")
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types\n\x80\xff,x,y,z,w\n"), 422, "invalid_encoding")
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types\n\"a,b,c,d,e\n"), 422, "invalid_csv")
	requireError(t, e.do("POST", "/api/v1/penalties/import", tok, `{"a":1}`), 415, "unsupported_media_type")
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM penalty_imports`))
	require.Zero(t, n)
}

func TestPenaltyPages(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	b := e.browser()
	b.login("sthjj", storage.DemoPassword)
	resp, html := b.get("/penalties/new")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "登记行政处罚")
	a := storage.DemoEnterprises[1]
	form := url.Values{"_csrf": {csrfOf(t, html)}, "decision_no": {"镇环罚〔2026〕5号"}, "uscc": {a.USCC}, "enterprise_name": {a.Name},
		"decided_on": {"2026-05-20"}, "penalty_types": {"fine", "confiscation"}, "fine_amount_yuan": {"50000"}}
	resp, _ = b.post("/penalties", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.Regexp(t, `^/penalties/\d+$`, loc)
	resp, html = b.get(loc)
	require.Equal(t, 200, resp.StatusCode)
	for _, want := range []string{"镇环罚〔2026〕5号", "罚款、没收违法所得、没收非法财物", "2026-08-21", "2027-05-20", "登记送达", "办理记录", "登记行政处罚信息"} {
		require.Contains(t, html, want)
	}
	// A bad form comes back with the problem in Chinese and the values kept.
	form.Set("uscc", "91321100MA1MXY2K08")
	form.Set("decision_no", "镇环罚〔2026〕6号")
	resp, html = b.post("/penalties", form)
	require.Equal(t, 422, resp.StatusCode)
	require.Contains(t, html, "统一社会信用代码校验不通过")
	require.Contains(t, html, "镇环罚〔2026〕6号")

	resp, html = b.get("/penalties")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "镇环罚〔2026〕5号")
	resp, html = b.get("/penalties/import")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "上传Excel或CSV文件")
	// Upload a file through the form: the result page lists the bad row.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("_csrf", csrfOf(t, html)))
	fw, err := mw.CreateFormFile("file", "处罚.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte(csvOf(3, "镇环罚批", "坏〔1〕号,91321100MA1MXY2K08,某公司,2026-05-20,fine,100,,,,")))
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/penalties/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, _ = b.send(req)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, html = b.get(resp.Header.Get("Location"))
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "处罚.csv")
	require.Contains(t, html, "统一社会信用代码校验不通过")
	require.Regexp(t, `id="import-registered">3<`, html)

	// The enterprise sees its record on its home page and its list.
	ent := e.browser()
	ent.login(a.USCC, storage.DemoPassword)
	_, html = ent.get("/")
	require.Contains(t, html, "我的信用记录")
	require.Contains(t, html, "镇环罚〔2026〕5号")
	require.Contains(t, html, "2027-05-20")
	resp, html = ent.get(loc)
	require.Equal(t, 200, resp.StatusCode)
	// The timeline names the department, never its staff login.
	require.Contains(t, html, "<td>生态环境局</td>")
	require.NotContains(t, html, "<td>sthjj</td>")
	other := e.browser()
	other.login(storage.DemoEnterprises[2].USCC, storage.DemoPassword)
	resp, _ = other.get(loc)
	require.Equal(t, 404, resp.StatusCode)

	// The credit office sees the overdue delivery on its home page.
	office := e.browser()
	office.login("office", storage.DemoPassword)
	_, html = office.get("/")
	require.Contains(t, html, "逾期未送达的处罚决定")
	require.Contains(t, html, "镇环罚〔2026〕5号")
}
