package httpapi

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// officer adds a department user who has chosen its password (the demo password), lead or not.
func (e *testEnv) officer(login, dept string, lead bool) storage.User {
	e.t.Helper()
	u, err := e.db.UpsertUser(context.Background(), storage.NewUser{Login: login, DisplayName: login, Role: domain.RoleDepartment,
		DepartmentID: dept, Password: storage.DemoPassword})
	require.NoError(e.t, err)
	_, err = e.db.Exec(`UPDATE users SET is_lead = $2 WHERE id = $1`, u.ID, lead)
	require.NoError(e.t, err)
	e.db.ForgetCredentials()
	return u
}

// penaltyWithTask stores a penalty of the department and opens its delivery task in the department's inbox.
func (e *testEnv) penaltyWithTask(dept, decisionNo string) string {
	e.t.Helper()
	ctx := context.Background()
	ent := storage.DemoEnterprises[1]
	id, err := storage.InsertPenalty(ctx, e.db, storage.Penalty{
		DepartmentID: dept, DecisionNo: decisionNo, USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: dept, DeliveryDue: domain.MustParseDate("2026-05-29"),
	})
	require.NoError(e.t, err)
	require.NoError(e.t, e.db.OpenTask(ctx, storage.Task{CaseKind: "penalty", CaseID: itoa(id), Step: "delivery", Title: "送达 " + decisionNo,
		AssigneeRole: domain.RoleDepartment, DepartmentID: sql.NullString{String: dept, Valid: true}}))
	return itoa(id)
}

func TestCaseAssignment(t *testing.T) {
	e := newTestEnv(t)
	lead := e.officer("sj-lead", "scjgj", true)
	e.officer("sj-li", "scjgj", false)
	leadTok, liTok := e.token("sj-lead"), e.token("sj-li")
	p1 := e.penaltyWithTask("scjgj", "镇市监罚〔2026〕1号")
	p2 := e.penaltyWithTask("scjgj", "镇市监罚〔2026〕2号")
	p3 := e.penaltyWithTask("scjgj", "镇市监罚〔2026〕3号")

	// li claims the last one; it is first in li's inbox and li's "mine", in nobody else's "mine".
	resp := e.do("POST", "/api/v1/cases/penalty/"+p3+"/assign", liTok, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "sj-li", decode[storage.Assignment](t, resp).Login)
	mine := decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=mine", liTok, nil))
	require.Len(t, mine.Items, 1)
	assert.Equal(t, p3, mine.Items[0].CaseID)
	assert.True(t, mine.Items[0].Mine)
	assert.Empty(t, decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=mine", leadTok, nil)).Items)
	unassigned := decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=unassigned", leadTok, nil))
	assert.Len(t, unassigned.Items, 2)
	requireError(t, e.do("GET", "/api/v1/tasks?assigned=everyone", leadTok, nil), 422, "invalid_assigned")

	b := e.browser()
	b.login("sj-li", storage.DemoPassword)
	_, home := b.get("/")
	first := strings.Index(home, "/penalties/"+p3+`"`)
	require.Positive(t, first)
	assert.Less(t, first, strings.Index(home, "/penalties/"+p1+`"`), "own cases first")
	assert.Contains(t, home, "<td>我</td>")

	// li cannot take a colleague's case nor assign; the lead reassigns, and the history says so.
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p2+"/assign", liTok, map[string]any{"user_id": lead.ID}), 403, "lead_only")
	resp = e.do("POST", "/api/v1/cases/penalty/"+p3+"/assign", leadTok, map[string]any{"user_id": lead.ID})
	require.Equal(t, 200, resp.StatusCode)
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p3+"/assign", liTok, nil), 409, "assigned_to_other")
	mine = decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=mine", leadTok, nil))
	require.Len(t, mine.Items, 1)
	assert.Empty(t, decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=mine", liTok, nil)).Items)
	hist, err := e.db.AuditOf(context.Background(), "penalty", p3)
	require.NoError(t, err)
	var steps []string
	for _, h := range hist {
		steps = append(steps, h.Action+":"+h.Actor)
	}
	assert.Equal(t, []string{"case.assign:sj-li", "case.reassign:sj-lead"}, steps)

	// Assignees are officers of the case's department; other departments do not see the case at all.
	other := e.officer("st-zhou", "sthjj", false)
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p1+"/assign", leadTok, map[string]any{"user_id": other.ID}), 422, "invalid_assignee")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p1+"/assign", e.token("st-zhou"), nil), 404, "not_found")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/999999/assign", leadTok, nil), 404, "not_found")
	requireError(t, e.do("POST", "/api/v1/cases/training/1/assign", leadTok, nil), 404, "not_found")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p1+"/assign", e.token("office"), nil), http.StatusForbidden, "forbidden")
}

// TestLatePenaltyIsOneOfficeItem: a penalty late on three channels is one credit-office inbox item, not three.
func TestLatePenaltyIsOneOfficeItem(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, ch := range []string{"creditchina", "gsxt", "thirdparty"} {
		require.NoError(t, e.db.OpenTask(ctx, storage.Task{CaseKind: "publication", CaseID: "41", Step: "escalation:publish:" + ch,
			Title: "公示渠道逾期未公示：" + ch, AssigneeRole: domain.RoleCreditOffice}))
	}
	require.NoError(t, e.db.OpenTask(ctx, storage.Task{CaseKind: "repair", CaseID: "7", Step: "escalation:acceptance",
		Title: "认定部门逾期未受理", AssigneeRole: domain.RoleCreditOffice}))
	b := e.browser()
	b.login("office", storage.DemoPassword)
	_, home := b.get("/")
	assert.Equal(t, 1, strings.Count(home, "公示渠道逾期未公示"), "one item for the case and step")
	assert.Contains(t, home, "（共3个渠道）")
	assert.Contains(t, home, "认定部门逾期未受理")
}

func TestOfficeUrgesAnOverdueStep(t *testing.T) {
	e := newTestEnv(t)
	office := e.token("office")
	p := e.penaltyWithTask("scjgj", "镇市监罚〔2026〕9号")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p+"/urge", office, map[string]any{"message": "请加快"}), 409, "nothing_to_urge")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/"+p+"/urge", e.token("scjgj"), nil), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/cases/penalty/999999/urge", office, nil), 404, "not_found")
	assert.Zero(t, e.count(`SELECT count(*) FROM notifications WHERE kind = 'urge'`), "refusals change nothing")

	require.NoError(t, e.db.MarkTaskOverdue(context.Background(), "penalty", p, "delivery"))
	resp := e.do("POST", "/api/v1/cases/penalty/"+p+"/urge", office, map[string]any{"message": "请于三日内送达"})
	require.Equal(t, 201, resp.StatusCode)
	hist, err := e.db.AuditOf(context.Background(), "penalty", p)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, "case.urge", hist[0].Action)
	b := e.browser()
	b.login("scjgj", storage.DemoPassword)
	_, home := b.get("/")
	assert.Contains(t, home, "督办通知")
	assert.Contains(t, home, "请于三日内送达")
	b2 := e.browser()
	b2.login("sthjj", storage.DemoPassword)
	_, home = b2.get("/")
	assert.NotContains(t, home, "请于三日内送达", "only the case's department is told")
}

// TestUnassignAndCasePageButtons: an officer releases its own case, the lead unassigns anyone's, others may not;
// the case page shows the assignee and the buttons its viewer may use, and its forms go back to the case page.
func TestUnassignAndCasePageButtons(t *testing.T) {
	e := newTestEnv(t)
	lead := e.officer("sj-lead", "scjgj", true)
	li := e.officer("sj-li", "scjgj", false)
	e.officer("sj-wu", "scjgj", false)
	leadTok, liTok, wuTok := e.token("sj-lead"), e.token("sj-li"), e.token("sj-wu")
	p := e.penaltyWithTask("scjgj", "镇市监罚〔2026〕7号")
	path := "/api/v1/cases/penalty/" + p

	requireError(t, e.do("POST", path+"/unassign", liTok, nil), 409, "not_assigned")
	require.Equal(t, 200, e.do("POST", path+"/assign", liTok, nil).StatusCode)
	// Who may not: a colleague, another department, the credit office, the enterprise, an admin.
	requireError(t, e.do("POST", path+"/unassign", wuTok, nil), 403, "lead_only")
	e.officer("st-zhou", "sthjj", true)
	requireError(t, e.do("POST", path+"/unassign", e.token("st-zhou"), nil), 404, "not_found")
	for _, login := range []string{"office", "admin", storage.DemoEnterprises[1].USCC} {
		requireError(t, e.do("POST", path+"/unassign", e.token(login), nil), 403, "forbidden")
	}
	requireError(t, e.do("POST", "/api/v1/cases/penalty/999999/unassign", leadTok, nil), 404, "not_found")
	// Who may: the officer itself, and the lead.
	resp := e.do("POST", path+"/unassign", liTok, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, false, decode[map[string]any](t, resp)["assigned"])
	require.Equal(t, 200, e.do("POST", path+"/assign", leadTok, map[string]any{"user_id": li.ID}).StatusCode)
	require.Equal(t, 200, e.do("POST", path+"/unassign", leadTok, nil).StatusCode)
	unassigned := decode[page[taskJSON]](t, e.do("GET", "/api/v1/tasks?assigned=unassigned", liTok, nil))
	require.Len(t, unassigned.Items, 1, "back among the unassigned")
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM audit_log WHERE action = 'case.unassign' AND case_kind = 'penalty' AND case_id = '`+p+`'`))

	// The case page: the officer claims with the button; the page names the assignee; a colleague gets no release
	// button; the lead's page offers the colleagues and unassigns.
	b := e.browser()
	b.login("sj-li", storage.DemoPassword)
	_, page := b.get("/penalties/" + p)
	assert.Contains(t, page, `id="assignee">未指派`)
	assert.Contains(t, page, `id="claim"`)
	assert.NotContains(t, page, `id="assign-form"`, "only the lead assigns")
	resp, _ = b.post("/cases/penalty/"+p+"/assign", url.Values{"_csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/penalties/"+p, resp.Header.Get("Location"))
	_, page = b.get("/penalties/" + p)
	assert.Contains(t, page, `id="assignee">sj-li（我）`)
	assert.Contains(t, page, `id="unassign"`)

	w := e.browser()
	w.login("sj-wu", storage.DemoPassword)
	_, page = w.get("/penalties/" + p)
	assert.Contains(t, page, `id="assignee">sj-li`)
	assert.NotContains(t, page, `id="unassign"`)
	assert.NotContains(t, page, `id="claim"`)
	resp, _ = w.post("/cases/penalty/"+p+"/unassign", url.Values{"_csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/penalties/"+p+"?assignment=lead_only", resp.Header.Get("Location"))
	_, page = w.get(resp.Header.Get("Location"))
	assert.Contains(t, page, `id="assignment-notice">只有部门负责人`)
	_, page = w.get("/penalties/" + p + "?assignment=%E4%BB%BB%E6%84%8F")
	assert.NotContains(t, page, `id="assignment-notice"`, "a link cannot make the page say anything")

	l := e.browser()
	l.login("sj-lead", storage.DemoPassword)
	_, page = l.get("/penalties/" + p)
	assert.Contains(t, page, `id="assign-form"`)
	assert.Contains(t, page, `<option value="`+itoa(lead.ID)+`">sj-lead</option>`)
	assert.NotContains(t, page, "st-zhou", "only the department's officers")
	resp, _ = l.post("/cases/penalty/"+p+"/unassign", url.Values{"_csrf": {csrfOf(t, page)}})
	require.Equal(t, "/penalties/"+p, resp.Header.Get("Location"))
	_, page = l.get("/penalties/" + p)
	assert.Contains(t, page, `id="assignee">未指派`)

	// The credit office sees the assignee, without buttons; the enterprise sees nothing of it.
	o := e.browser()
	o.login("office", storage.DemoPassword)
	_, page = o.get("/penalties/" + p)
	assert.Contains(t, page, `id="assignee">未指派`)
	assert.NotContains(t, page, `id="claim"`)
	en := e.browser()
	en.login(storage.DemoEnterprises[1].USCC, storage.DemoPassword)
	resp, page = en.get("/penalties/" + p)
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, page, `id="assignment"`)
}
