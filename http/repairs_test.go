package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// repairTemporal is fakeTemporal plus update-with-start: it records the steps sent and answers them with
// stepErr (a workflow's refusal, say), or success.
type repairTemporal struct {
	fakeTemporal
	db      *storage.DB
	mu      sync.Mutex
	steps   []string
	stepErr error
}

type doneHandle struct{ client.WorkflowUpdateHandle }

func (doneHandle) Get(context.Context, any) error { return nil }

func (f *repairTemporal) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return newStartOp(o, args)
}

func (f *repairTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if startsPenalty(o.StartWorkflowOperation) { // a registration in a repair test: not a step of a repair
		return f.fakeTemporal.UpdateWithStartWorkflow(ctx, o)
	}
	if id, err := createCase(ctx, f.db, o.StartWorkflowOperation); id != "" {
		f.fakeTemporal.mu.Lock()
		f.started = append(f.started, id)
		f.fakeTemporal.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return doneHandle{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.steps = append(f.steps, o.UpdateOptions.WorkflowID+":"+o.UpdateOptions.UpdateName)
	if f.stepErr != nil {
		return nil, f.stepErr
	}
	return doneHandle{}, nil
}

func (f *repairTemporal) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.steps...)
}

func newRepairTestEnv(t *testing.T) (*testEnv, *repairTemporal) {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	ft := &repairTemporal{db: db}
	srv := New(db, ft, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	return &testEnv{t: t, db: db, srv: srv}, ft
}

// registerFine registers a general-class fine of sthjj for an enterprise decided on a date and returns its id.
func (e *testEnv) registerFine(dept, no string, ent storage.Enterprise, decided string) int64 {
	e.t.Helper()
	resp := e.do("POST", "/api/v1/penalties", e.token(dept), map[string]any{
		"decision_no": no, "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": decided,
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放", "legal_basis": "《大气污染防治法》"})
	require.Equal(e.t, 201, resp.StatusCode)
	return int64(decode[map[string]any](e.t, resp)["id"].(float64))
}

func TestRepairApplicationEligibilityAndVisibility(t *testing.T) {
	e, ft := newRepairTestEnv(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	tokA, tokB := e.token(a.USCC), e.token(b.USCC)
	old := e.registerFine("sthjj", "镇环罚〔2026〕15号", a, "2026-05-20")
	recentDay := domain.Today().AddDays(-10)
	recent := e.registerFine("sthjj", "镇环罚〔2026〕99号", a, recentDay.String())
	others := e.registerFine("sthjj", "镇环罚〔2026〕16号", b, "2026-05-20")

	// Self-check: the recent record may be repaired only from its eligibility date, and says so.
	resp := e.do("GET", "/api/v1/penalties/"+itoa(recent)+"/eligibility", tokA, nil)
	require.Equal(t, 200, resp.StatusCode)
	el := decode[map[string]any](t, resp)
	assert.Equal(t, false, el["eligible"])
	assert.Equal(t, recentDay.AddMonths(3).AddDays(1).String(), el["eligible_from"])
	assert.Equal(t, "ndrc-2026", el["rule_set"])
	resp = e.do("GET", "/api/v1/penalties/"+itoa(old)+"/eligibility", tokA, nil)
	el = decode[map[string]any](t, resp)
	assert.Equal(t, true, el["eligible"])
	assert.Equal(t, "2026-08-21", el["eligible_from"])
	requireError(t, e.do("GET", "/api/v1/penalties/"+itoa(others)+"/eligibility", tokA, nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/penalties/"+itoa(old)+"/eligibility", e.token("sthjj"), nil), 403, "forbidden")

	// Refusals, each changing nothing.
	ae := requireError(t, e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": recent, "commitment_accepted": true}), 422, "not_yet_eligible")
	assert.Equal(t, recentDay.AddMonths(3).AddDays(1).String(), ae.Error.Details["eligible_from"])
	assert.Equal(t, "min_publish_period", ae.Error.Details["rule"])
	assert.Contains(t, ae.Error.Message, recentDay.AddMonths(3).AddDays(1).String())
	requireError(t, e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": old}), 422, "commitment_required")
	requireError(t, e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": others, "commitment_accepted": true}), 404, "not_found")
	foreign := decode[attachmentJSON](t, e.upload(tokB, "b.pdf", minimalPDF))
	requireError(t, e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": old, "commitment_accepted": true,
		"attachment_ids": []int64{foreign.ID}}), 422, "invalid_attachment")
	requireError(t, e.do("POST", "/api/v1/repairs", e.token("sthjj"), map[string]any{"penalty_id": old, "commitment_accepted": true}), 403, "forbidden")
	var n int
	require.NoError(t, e.db.Get(&n, `SELECT count(*) FROM repairs`))
	require.Zero(t, n)

	// The application: stored with the commitment's acceptance, its workflow started.
	mine := decode[attachmentJSON](t, e.upload(tokA, "缴款凭证.pdf", minimalPDF))
	resp = e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": old, "commitment_accepted": true,
		"statement": "罚款已于2026年6月1日缴清，废气处理设施已改造", "attachment_ids": []int64{mine.ID}})
	require.Equal(t, 201, resp.StatusCode)
	rj := decode[map[string]any](t, resp)
	id := int64(rj["id"].(float64))
	assert.Equal(t, "submitted", rj["status"])
	assert.Equal(t, "ndrc-2026", rj["rule_set"])
	assert.Contains(t, rj, "deadlines")
	assert.Equal(t, a.USCC, rj["commitment"].(map[string]any)["accepted_by"])
	assert.NotEmpty(t, rj["commitment"].(map[string]any)["remote_addr"])
	assert.Len(t, rj["attachments"], 1)
	assert.Nil(t, rj["withdrawal"])
	assert.Contains(t, ft.startedIDs(), workflows.RepairWorkflowID(id))
	hist := rj["history"].([]any)
	require.NotEmpty(t, hist)
	assert.Equal(t, "repair.submitted", hist[0].(map[string]any)["step"])

	// One application per record.
	ae = requireError(t, e.do("POST", "/api/v1/repairs", tokA, map[string]any{"penalty_id": old, "commitment_accepted": true}), 409, "repair_case_open")
	assert.EqualValues(t, id, ae.Error.Details["repair_id"])
	resp = e.do("GET", "/api/v1/penalties/"+itoa(old)+"/eligibility", tokA, nil)
	el = decode[map[string]any](t, resp)
	assert.Equal(t, false, el["eligible"])
	assert.EqualValues(t, id, el["open_repair_id"])

	// Who sees the case: the enterprise, its department, the credit office; not others, who learn nothing.
	path := "/api/v1/repairs/" + itoa(id)
	for _, who := range []string{a.USCC, "sthjj", "office"} {
		require.Equal(t, 200, e.do("GET", path, e.token(who), nil).StatusCode, who)
	}
	requireError(t, e.do("GET", path, tokB, nil), 404, "not_found")
	requireError(t, e.do("GET", path, e.token("scjgj"), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/attachments/"+itoa(mine.ID), e.token("scjgj"), nil), 404, "not_found")
	require.Equal(t, 200, e.do("GET", "/api/v1/attachments/"+itoa(mine.ID)+"/content", e.token("sthjj"), nil).StatusCode,
		"the department handling the case reads its materials")
	require.Equal(t, 200, e.do("GET", "/api/v1/attachments/"+itoa(mine.ID), e.token("office"), nil).StatusCode)

	// Steps go to the workflow; another department's step is a 404, a step of the wrong role a 403.
	requireError(t, e.do("POST", path+"/accept", e.token("scjgj"), nil), 404, "not_found")
	requireError(t, e.do("POST", path+"/accept", tokA, nil), 403, "forbidden")
	requireError(t, e.do("POST", path+"/withdraw", tokB, nil), 404, "not_found")
	require.Empty(t, ft.sent())
	resp = e.do("POST", path+"/accept", e.token("sthjj"), nil)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, []string{workflows.RepairWorkflowID(id) + ":" + workflows.RepairAcceptUpdate}, ft.sent())
	// The workflow's refusal is the caller's 409 with the workflow's code and message.
	ft.stepErr = workflows.Refusal(workflows.RejectInvalidTransition, "只有待受理的申请可以受理", true)
	ae = requireError(t, e.do("POST", path+"/accept", e.token("sthjj"), nil), 409, workflows.RejectInvalidTransition)
	assert.Equal(t, "只有待受理的申请可以受理", ae.Error.Message)
	ft.stepErr = nil
	// Bad values are refused before they reach the workflow.
	before := len(ft.sent())
	requireError(t, e.do("POST", path+"/decide", e.token("sthjj"), map[string]any{"reason": "x"}), 422, "approved_required")
	requireError(t, e.do("POST", path+"/rectification-deadline", e.token("sthjj"), map[string]any{"due_on": "2026-02-30", "requirements": "整改"}), 422, "invalid_date")
	requireError(t, e.do("POST", path+"/request-supplement", e.token("sthjj"), map[string]any{"items": []string{"缴款凭证\U0002A6A5"}}), 422, "unprintable_character")
	requireError(t, e.do("POST", path+"/supplement", tokA, map[string]any{"attachment_ids": []int64{foreign.ID}}), 422, "invalid_attachment")
	requireError(t, e.do("POST", path+"/attach-condition", tokA, map[string]any{"kind": "training_certificate", "letter_id": 999}), 422, "invalid_certificate")
	requireError(t, e.do("POST", path+"/revoke", e.token("sthjj"), map[string]any{"reason": "x"}), 403, "forbidden")
	require.Len(t, ft.sent(), before)
	resp = e.do("POST", path+"/request-supplement", e.token("sthjj"), map[string]any{"items": "罚款缴纳凭证\n整改报告"})
	require.Equal(t, 200, resp.StatusCode)

	// Lists are scoped: the department sees its cases, another department none, the enterprise its own.
	list := func(tok, q string) []any {
		resp := e.do("GET", "/api/v1/repairs"+q, tok, nil)
		require.Equal(t, 200, resp.StatusCode)
		return decode[map[string]any](t, resp)["items"].([]any)
	}
	assert.Len(t, list(e.token("sthjj"), ""), 1)
	assert.Len(t, list(e.token("scjgj"), ""), 0)
	assert.Len(t, list(e.token("scjgj"), "?department=sthjj"), 0)
	assert.Len(t, list(tokA, ""), 1)
	assert.Len(t, list(tokB, ""), 0)
	assert.Len(t, list(e.token("office"), "?open=1"), 1)
	assert.Len(t, list(e.token("office"), "?overdue=true"), 0)
	requireError(t, e.do("GET", "/api/v1/repairs?status=bogus", e.token("office"), nil), 422, "invalid_status")
	resp = e.do("GET", "/api/v1/repairs/stats", e.token("office"), nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.EqualValues(t, 1, decode[map[string]any](t, resp)["open"])
}

// TestRepairListPutsOverdueCasesFirst pages through the credit office's queue.
func TestRepairListPutsOverdueCasesFirst(t *testing.T) {
	e, _ := newRepairTestEnv(t)
	ctx := context.Background()
	var ids []int64
	for i, ent := range storage.DemoEnterprises[:4] {
		pid := e.registerFine("sthjj", "镇环罚〔2026〕"+strconv.Itoa(200+i)+"号", ent, "2026-05-20")
		id, err := e.db.CreateRepair(ctx, storage.NewRepair{PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
			AppliedOn: domain.Today(), ApplicantLogin: ent.USCC}, storage.AuditEntry{Actor: ent.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	// The second case's acceptance is overdue.
	require.NoError(t, e.db.RecordRepairStep(ctx, storage.RepairStepRecord{RepairID: ids[1], Seq: 1,
		Progress: storage.RepairProgress{Status: domain.RepairPendingAcceptance, Holder: "department", Overdue: true,
			AcceptanceDue: domain.MustParseDate("2026-11-01")},
		Audit: storage.AuditEntry{Actor: "system", Role: "system", Action: "repair.overdue", CaseKind: "repair", CaseID: itoa(ids[1])}}))
	var got []int64
	cursor := ""
	for {
		resp := e.do("GET", "/api/v1/repairs?limit=3&cursor="+url.QueryEscape(cursor), e.token("office"), nil)
		require.Equal(t, 200, resp.StatusCode)
		pg := decode[struct {
			Items []struct {
				ID      int64 `json:"id"`
				Overdue bool  `json:"overdue"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}](t, resp)
		for _, it := range pg.Items {
			got = append(got, it.ID)
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	require.Equal(t, []int64{ids[1], ids[3], ids[2], ids[0]}, got)
	resp := e.do("GET", "/api/v1/repairs?overdue=1", e.token("office"), nil)
	require.Len(t, decode[map[string]any](t, resp)["items"], 1)
}

// TestRepairFraudBanRefusesWithTheDate: a record whose repair was revoked for fraud cannot be repaired again until
// the ban ends; the refusal names the rule and the date.
func TestRepairFraudBanRefusesWithTheDate(t *testing.T) {
	e, _ := newRepairTestEnv(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	pid := e.registerFine("sthjj", "镇环罚〔2026〕15号", a, "2026-05-20")
	id, err := e.db.CreateRepair(ctx, storage.NewRepair{PenaltyID: pid, USCC: a.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.MustParseDate("2026-09-01"), ApplicantLogin: a.USCC}, storage.AuditEntry{Actor: a.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
	require.NoError(t, err)
	approved := true
	require.NoError(t, e.db.RecordRepairStep(ctx, storage.RepairStepRecord{RepairID: id, Seq: 9,
		Progress: storage.RepairProgress{Status: domain.RepairRevoked, Approved: &approved, DecisionNo: "生态环境信修准〔2026〕1号"},
		Audit:    storage.AuditEntry{Actor: "office", Role: "credit_office", Action: "repair.revoked", CaseKind: "repair", CaseID: itoa(id)}}))
	until := domain.Today().AddMonths(36)
	require.NoError(t, e.db.PutFraudBan(ctx, storage.FraudBan{RepairID: id, PenaltyID: pid, USCC: a.USCC, Reason: "提供虚假缴款凭证",
		RevokedOn: domain.Today(), BannedUntil: until, RevokedBy: "office"}))
	require.NoError(t, e.db.RestorePenaltyPublished(ctx, pid, id, "撤销信用修复"))

	ae := requireError(t, e.do("POST", "/api/v1/repairs", e.token(a.USCC), map[string]any{"penalty_id": pid, "commitment_accepted": true}),
		422, "not_yet_eligible")
	assert.Equal(t, "fraud_ban", ae.Error.Details["rule"])
	assert.Equal(t, until.AddDays(1).String(), ae.Error.Details["eligible_from"])
	assert.Contains(t, ae.Error.Message, until.AddDays(1).String())
	resp := e.do("GET", "/api/v1/repairs/"+itoa(id), e.token(a.USCC), nil)
	rj := decode[map[string]any](t, resp)
	assert.Equal(t, until.String(), rj["fraud_ban"].(map[string]any)["banned_until"])
}

func TestRepairPages(t *testing.T) {
	e, ft := newRepairTestEnv(t)
	a := storage.DemoEnterprises[1]
	pid := e.registerFine("sthjj", "镇环罚〔2026〕15号", a, "2026-05-20")
	recent := e.registerFine("sthjj", "镇环罚〔2026〕99号", a, domain.Today().AddDays(-3).String())

	ent := e.browser()
	ent.login(a.USCC, storage.DemoPassword)
	resp, html := ent.get("/repairs")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "镇环罚〔2026〕15号")
	require.Contains(t, html, "/repairs/new?penalty_id="+itoa(pid))

	resp, html = ent.get("/repairs/new?penalty_id=" + itoa(recent))
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "目前不能申请")
	require.Contains(t, html, domain.Today().AddDays(-3).AddMonths(3).AddDays(1).String())
	require.NotContains(t, html, "repair-apply-form")

	resp, html = ent.get("/repairs/new?penalty_id=" + itoa(pid))
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "可以申请信用修复")
	require.Contains(t, html, "信用承诺书")
	// The form shows the pledges of the PDF the enterprise signs, all of them (one source).
	for _, p := range letters.Pledges(letters.KindCommitment) {
		require.Contains(t, html, "<li>"+p+"</li>")
	}
	require.NotContains(t, html, "三年内不再申请修复")
	csrf := csrfOf(t, html)

	// Without the commitment the form comes back with the problem; a fake PDF is refused by its content.
	body, ct := multipartBody(t, "files", "缴款凭证.pdf", minimalPDF, map[string]string{"_csrf": csrf, "penalty_id": itoa(pid), "statement": "已缴清"})
	req := httptest.NewRequest("POST", "/repairs", body)
	req.Header.Set("Content-Type", ct)
	resp, html = ent.send(req)
	require.Equal(t, 422, resp.StatusCode)
	require.Contains(t, html, "须阅读并签署信用承诺书")
	body, ct = multipartBody(t, "files", "缴款凭证.pdf", []byte("not a pdf"), map[string]string{"_csrf": csrf, "penalty_id": itoa(pid),
		"commitment_accepted": "1"})
	req = httptest.NewRequest("POST", "/repairs", body)
	req.Header.Set("Content-Type", ct)
	resp, html = ent.send(req)
	require.Equal(t, 415, resp.StatusCode)
	require.Contains(t, html, "内容不是有效的PDF")

	body, ct = multipartBody(t, "files", "缴款凭证.pdf", minimalPDF, map[string]string{"_csrf": csrf, "penalty_id": itoa(pid),
		"commitment_accepted": "1", "statement": "罚款已缴清"})
	req = httptest.NewRequest("POST", "/repairs", body)
	req.Header.Set("Content-Type", ct)
	resp, _ = ent.send(req)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.Regexp(t, `^/repairs/\d+$`, loc)
	resp, html = ent.get(loc)
	require.Equal(t, 200, resp.StatusCode)
	for _, want := range []string{"镇环罚〔2026〕15号", "缴款凭证.pdf", "在线签署", "办理记录", "申请材料"} {
		require.Contains(t, html, want)
	}

	// The self-check now points to the open case.
	resp, html = ent.get("/repairs/new?penalty_id=" + itoa(pid))
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, `href="`+loc+`"`)
	require.Contains(t, html, "不能重复申请")

	// The department's inbox and case page; its form sends the step to the workflow.
	dept := e.browser()
	dept.login("sthjj", storage.DemoPassword)
	resp, html = dept.get("/repairs")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, a.Name)
	resp, html = dept.get(loc)
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "缴款凭证.pdf")
	// The stored row is still "submitted" (no worker here), so no department form is offered yet; post anyway.
	resp, html = dept.postSeeOther(loc+"/accept", url.Values{"_csrf": {csrfOf(t, html)}})
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "已办理：受理")
	require.Contains(t, ft.sent(), "repair-"+loc[len("/repairs/"):]+":"+workflows.RepairAcceptUpdate)

	other := e.browser()
	other.login("scjgj", storage.DemoPassword)
	resp, _ = other.get(loc)
	require.Equal(t, 404, resp.StatusCode)

	office := e.browser()
	office.login("office", storage.DemoPassword)
	resp, html = office.get("/repairs")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, html, "按期决定率")
	require.Contains(t, html, a.Name)
	_, html = office.get("/")
	require.Contains(t, html, "信用修复办理情况")
}
