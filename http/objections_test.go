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
	"strings"
	"sync"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// objectionTemporal records workflow starts and updates and answers updates with stepErr (a workflow's refusal,
// say), or success; everything else of the client is unused by these handlers.
type objectionTemporal struct {
	client.Client
	db      *storage.DB
	mu      sync.Mutex
	started []string
	updates []string
	args    []any
	stepErr error
}

type objectionRun struct{ client.WorkflowRun }

type objectionHandle struct{ client.WorkflowUpdateHandle }

func (objectionHandle) Get(context.Context, any) error { return nil }

func (f *objectionTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, o.ID)
	return objectionRun{}, nil
}

func (f *objectionTemporal) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return newStartOp(o, args)
}

// UpdateWithStartWorkflow stores a new filing as its workflow would and answers its ready update.
func (f *objectionTemporal) UpdateWithStartWorkflow(ctx context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	id, err := createCase(ctx, f.db, o.StartWorkflowOperation)
	if id != "" {
		f.mu.Lock()
		f.started = append(f.started, id)
		f.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return objectionHandle{}, nil
}

func (f *objectionTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.UpdateName == workflows.ObjectionReadyUpdate {
		return objectionHandle{}, nil
	}
	f.updates = append(f.updates, o.WorkflowID+":"+o.UpdateName)
	if len(o.Args) > 0 {
		f.args = append(f.args, o.Args[0])
	}
	if f.stepErr != nil {
		return nil, f.stepErr
	}
	return objectionHandle{}, nil
}

func (f *objectionTemporal) sent() ([]string, []any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.updates...), append([]any{}, f.args...)
}

func (f *objectionTemporal) startedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.started...)
}

func newObjectionTestEnv(t *testing.T) (*testEnv, *objectionTemporal) {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	ft := &objectionTemporal{db: db}
	srv := New(db, ft, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	return &testEnv{t: t, db: db, srv: srv}, ft
}

// storeFine stores a general-class fine of a department for an enterprise (decided 2026-05-20, published).
func (e *testEnv) storeFine(dept, no string, ent storage.Enterprise) int64 {
	e.t.Helper()
	id, err := storage.InsertPenalty(context.Background(), e.db, storage.Penalty{
		DepartmentID: dept, DecisionNo: no, USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: dept, DeliveryDue: domain.MustParseDate("2026-05-29"), Facts: "超标排放", LegalBasis: "《大气污染防治法》",
	})
	require.NoError(e.t, err)
	return id
}

func (e *testEnv) countObjections() int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.Get(&n, `SELECT count(*) FROM objections`))
	return n
}

func filing(penaltyID int64) map[string]any {
	return map[string]any{"penalty_id": penaltyID, "grounds": "wrong_content", "statement": "罚款金额登记有误，应为3万元",
		"commitment_accepted": true}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// TestObjectionFilingVisibilityAndDuplicates covers acceptance 4: another enterprise's record is 404, a second open
// objection by the same applicant is 409; and the filing's other refusals, none of which stores anything.
func TestObjectionFilingVisibilityAndDuplicates(t *testing.T) {
	e, ft := newObjectionTestEnv(t)
	ctx := context.Background()
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	tokA, tokB := e.token(a.USCC), e.token(b.USCC)
	sthjj, scjgj, office := e.token("sthjj"), e.token("scjgj"), e.token("office")
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	other := e.storeFine("sthjj", "镇环罚〔2026〕16号", b)

	// Someone else's record does not exist for the caller.
	requireError(t, e.do("POST", "/api/v1/objections", tokB, filing(pid)), 404, "not_found")
	requireError(t, e.do("POST", "/api/v1/objections", scjgj, filing(pid)), 404, "not_found")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, filing(999999)), 404, "not_found")
	// The credit office files only at the walk-in window, naming the enterprise (issue 15).
	requireError(t, e.do("POST", "/api/v1/objections", office, filing(pid)), 422, "invalid_uscc")

	// Bad input.
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "grounds", "dislike")), 422, "invalid_grounds")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "commitment_accepted", false)), 422, "commitment_required")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "statement", " ")), 422, "statement_required")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "penalty_id", nil)), 422, "penalty_id_required")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "grounds", "against_refusal")), 422, "repair_id_required")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "repair_id", 5)), 422, "repair_id_not_allowed")
	requireError(t, e.do("POST", "/api/v1/objections", tokA, `{"penalty_id": "x"}`), 422, "invalid_type")
	uB, err := e.db.UserByLogin(ctx, b.USCC)
	require.NoError(t, err)
	att, err := e.db.PutAttachment(ctx, storage.NewAttachment{OwnerUserID: uB.ID, OwnerLogin: b.USCC, OwnerRole: domain.RoleEnterprise,
		USCC: b.USCC, Filename: "b.pdf", ContentType: "application/pdf", SHA256: strings.Repeat("a", 64), Content: []byte("%PDF-1.4")})
	require.NoError(t, err)
	bad := requireError(t, e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "attachment_ids", []int64{att.ID})), 422, "invalid_attachment")
	assert.Equal(t, []any{float64(att.ID)}, bad.Error.Details["attachment_ids"])
	assert.Zero(t, e.countObjections(), "a refused filing stores nothing")
	assert.Empty(t, ft.startedIDs())

	// The enterprise files on its own record.
	uA, err := e.db.UserByLogin(ctx, a.USCC)
	require.NoError(t, err)
	own, err := e.db.PutAttachment(ctx, storage.NewAttachment{OwnerUserID: uA.ID, OwnerLogin: a.USCC, OwnerRole: domain.RoleEnterprise,
		USCC: a.USCC, Filename: "缴款凭证.pdf", ContentType: "application/pdf", SHA256: strings.Repeat("b", 64), Content: []byte("%PDF-1.4")})
	require.NoError(t, err)
	resp := e.do("POST", "/api/v1/objections", tokA, with(filing(pid), "attachment_ids", []int64{own.ID}))
	require.Equal(t, 201, resp.StatusCode)
	o := decode[map[string]any](t, resp)
	id := int64(o["id"].(float64))
	assert.Equal(t, "/api/v1/objections/"+itoa(id), resp.Header.Get("Location"))
	assert.Equal(t, "submitted", o["status"])
	assert.Equal(t, "wrong_content", o["grounds"])
	assert.Equal(t, "ndrc-2026", o["rule_set"])
	assert.Equal(t, "镇环罚〔2026〕15号", o["decision_no"])
	assert.Contains(t, o, "withdrawal")
	assert.Nil(t, o["withdrawal"])
	assert.Nil(t, o["outcome"])
	assert.Contains(t, o, "letters")
	assert.Contains(t, o, "history")
	assert.Contains(t, o, "deadlines")
	assert.Len(t, o["attachments"], 1)
	assert.Equal(t, []string{workflows.ObjectionWorkflowID(id)}, ft.startedIDs())

	// A second open objection on the same record by the same applicant, or by its department on its behalf: 409.
	dup := requireError(t, e.do("POST", "/api/v1/objections", tokA, filing(pid)), 409, "objection_open")
	assert.Equal(t, float64(id), dup.Error.Details["objection_id"])
	requireError(t, e.do("POST", "/api/v1/objections", sthjj, filing(pid)), 409, "objection_open")
	assert.Equal(t, 1, e.countObjections())

	// Visibility of the case.
	require.Equal(t, 200, e.do("GET", "/api/v1/objections/"+itoa(id), tokA, nil).StatusCode)
	require.Equal(t, 200, e.do("GET", "/api/v1/objections/"+itoa(id), sthjj, nil).StatusCode)
	require.Equal(t, 200, e.do("GET", "/api/v1/objections/"+itoa(id), office, nil).StatusCode)
	requireError(t, e.do("GET", "/api/v1/objections/"+itoa(id), tokB, nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/objections/"+itoa(id), scjgj, nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/objections/"+itoa(id), e.token("op-dept"), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/objections/abc", office, nil), 404, "not_found")

	// The department files on the other enterprise's behalf.
	resp = e.do("POST", "/api/v1/objections", sthjj, with(filing(other), "grounds", "duplicate"))
	require.Equal(t, 201, resp.StatusCode)
	onBehalf := decode[map[string]any](t, resp)
	assert.Equal(t, "department", onBehalf["filed_by_role"])
	assert.Equal(t, b.USCC, onBehalf["uscc"])
	require.Equal(t, 200, e.do("GET", fmt.Sprintf("/api/v1/objections/%v", onBehalf["id"]), tokB, nil).StatusCode)

	// Lists: each sees its own; the credit office all.
	type list struct {
		Items []map[string]any `json:"items"`
	}
	assert.Len(t, decode[list](t, e.do("GET", "/api/v1/objections", tokA, nil)).Items, 1)
	assert.Len(t, decode[list](t, e.do("GET", "/api/v1/objections", tokB, nil)).Items, 1)
	assert.Len(t, decode[list](t, e.do("GET", "/api/v1/objections", sthjj, nil)).Items, 2)
	assert.Empty(t, decode[list](t, e.do("GET", "/api/v1/objections", scjgj, nil)).Items)
	assert.Len(t, decode[list](t, e.do("GET", "/api/v1/objections", office, nil)).Items, 2)
	assert.Empty(t, decode[list](t, e.do("GET", "/api/v1/objections?uscc="+a.USCC, tokB, nil)).Items)
	requireError(t, e.do("GET", "/api/v1/objections?status=lost", office, nil), 422, "invalid_status")
	// Overdue first for the credit office.
	_, err = e.db.Exec(`UPDATE objections SET overdue = true WHERE id = $1`, id)
	require.NoError(t, err)
	items := decode[list](t, e.do("GET", "/api/v1/objections?limit=1", office, nil))
	require.Len(t, items.Items, 1)
	assert.Equal(t, float64(id), items.Items[0]["id"], "overdue first")

	// Once closed, the applicant may object again; a withdrawn record takes no objection.
	_, err = e.db.Exec(`UPDATE objections SET status = 'closed' WHERE id = $1`, id)
	require.NoError(t, err)
	require.Equal(t, 201, e.do("POST", "/api/v1/objections", tokA, filing(pid)).StatusCode)
	_, err = e.db.Exec(`UPDATE penalties SET status = 'withdrawn' WHERE id = $1`, other)
	require.NoError(t, err)
	_, err = e.db.Exec(`UPDATE objections SET status = 'closed' WHERE penalty_id = $1`, other)
	require.NoError(t, err)
	requireError(t, e.do("POST", "/api/v1/objections", tokB, filing(other)), 409, "record_withdrawn")
}

// TestObjectionAgainstRefusalNeedsARefusedRepair: an objection to a refusal names the refused case of the record.
func TestObjectionAgainstRefusalNeedsARefusedRepair(t *testing.T) {
	e, _ := newObjectionTestEnv(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	tokA := e.token(a.USCC)
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	otherPid := e.storeFine("sthjj", "镇环罚〔2026〕17号", a)
	rid, err := e.db.CreateRepair(ctx, storage.NewRepair{PenaltyID: pid, USCC: a.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.MustParseDate("2026-09-01"), ApplicantLogin: a.USCC, CommitmentAcceptedAt: domain.MustParseDate("2026-09-01").Time(domain.Shanghai)},
		storage.AuditEntry{Actor: a.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
	require.NoError(t, err)
	body := with(with(filing(pid), "grounds", "against_refusal"), "repair_id", rid)
	requireError(t, e.do("POST", "/api/v1/objections", tokA, body), 409, "repair_not_refused")
	_, err = e.db.Exec(`UPDATE repairs SET status = 'refused', decision_no = '生态环境信修不准〔2026〕1号' WHERE id = $1`, rid)
	require.NoError(t, err)
	requireError(t, e.do("POST", "/api/v1/objections", tokA, with(body, "penalty_id", otherPid)), 404, "not_found")
	resp := e.do("POST", "/api/v1/objections", tokA, body)
	require.Equal(t, 201, resp.StatusCode)
	o := decode[map[string]any](t, resp)
	assert.Equal(t, float64(rid), o["repair_id"])
	assert.Equal(t, "against_refusal", o["grounds"])
	// An objection to the record itself is a different case and may run beside it.
	require.Equal(t, 201, e.do("POST", "/api/v1/objections", tokA, filing(pid)).StatusCode)
}

// fileDirect stores an objection of the enterprise on a record without the API (the workflow is not needed here).
func (e *testEnv) fileDirect(pid int64, ent storage.Enterprise) int64 {
	e.t.Helper()
	id, err := e.db.CreateObjection(context.Background(), storage.NewObjection{PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj",
		Grounds: "wrong_content", Statement: "有误", RuleSet: "ndrc-2026", FiledOn: domain.MustParseDate("2026-11-02"),
		FiledBy: ent.USCC, FiledByRole: domain.RoleEnterprise, CommitmentAcceptedAt: domain.MustParseDate("2026-11-02").Time(domain.Shanghai)},
		storage.AuditEntry{Actor: ent.USCC, Role: "enterprise", Action: "objection.submitted"}, nil)
	require.NoError(e.t, err)
	_, err = e.db.Exec(`UPDATE objections SET status = 'verifying', seq = 1 WHERE id = $1`, id)
	require.NoError(e.t, err)
	return id
}

// TestObjectionResolveChecksTheAnswer: the handler refuses bad answers and corrections (422/409) without asking the
// workflow; good ones go to the workflow as its update, whose refusals come back as 409.
func TestObjectionResolveChecksTheAnswer(t *testing.T) {
	e, ft := newObjectionTestEnv(t)
	a := storage.DemoEnterprises[1]
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	e.storeFine("sthjj", "镇环罚〔2026〕20号", storage.DemoEnterprises[2])
	id := e.fileDirect(pid, a)
	sthjj := e.token("sthjj")
	path := "/api/v1/objections/" + itoa(id) + "/resolve"

	requireError(t, e.do("POST", path, e.token(a.USCC), map[string]any{"outcome": "upheld", "reason": "x"}), 403, "forbidden")
	requireError(t, e.do("POST", path, e.token("scjgj"), map[string]any{"outcome": "upheld", "reason": "x"}), 404, "not_found")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "maybe", "reason": "x"}), 422, "invalid_outcome")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "upheld"}), 422, "reason_required")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x"}), 422, "corrections_required")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "upheld", "reason": "x",
		"corrections": map[string]any{"facts": "y"}}), 422, "corrections_not_allowed")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"decided_on": "2026-05-21"}}), 422, "correction_not_allowed")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"color": "red"}}), 422, "unknown_correction_field")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"fine_amount_yuan": "2000000"}}), 422, "correction_changes_periods")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"fine_amount_yuan": "-5"}}), 422, "invalid_amount")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"penalty_types": []string{"flogging"}}}), 422, "unknown_penalty_type")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"fine_amount_yuan": "50000.00"}}), 422, "corrections_unchanged")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "x",
		"corrections": map[string]any{"decision_no": "镇环罚〔2026〕20号"}}), 409, "duplicate_decision_no")
	updates, _ := ft.sent()
	assert.Empty(t, updates, "nothing reached the workflow")

	resp := e.do("POST", path, sthjj, map[string]any{"outcome": "corrected", "reason": "罚款金额登记有误",
		"corrections": map[string]any{"fine_amount_yuan": 30000, "facts": "超标排放大气污染物"}})
	require.Equal(t, 200, resp.StatusCode)
	updates, args := ft.sent()
	require.Equal(t, []string{workflows.ObjectionWorkflowID(id) + ":" + workflows.ObjectionResolveUpdate}, updates)
	res := args[0].(workflows.ObjectionResolution)
	assert.EqualValues(t, "corrected", res.Outcome)
	assert.Equal(t, "sthjj", res.Actor)
	require.NotNil(t, res.Corrections)
	assert.Equal(t, "30000.00", *res.Corrections.FineAmountYuan)
	assert.Equal(t, "超标排放大气污染物", *res.Corrections.Facts)
	assert.Nil(t, res.Corrections.DecisionNo)

	// The workflow's refusal (answered already) is a 409 and changes nothing.
	ft.stepErr = workflows.Refusal(workflows.RejectInvalidTransition, "该异议已答复，不能重复答复", true)
	requireError(t, e.do("POST", path, sthjj, map[string]any{"outcome": "upheld", "reason": "维持"}), 409, "invalid_transition")
	requireError(t, e.do("POST", "/api/v1/objections/"+itoa(id)+"/extend", sthjj, map[string]any{"reason": "需要核查"}), 409, "invalid_transition")
	requireError(t, e.do("POST", "/api/v1/objections/"+itoa(id)+"/extend", sthjj, map[string]any{}), 422, "reason_required")
	ft.stepErr = errors.New("boom")
	require.Equal(t, 500, e.do("POST", path, sthjj, map[string]any{"outcome": "upheld", "reason": "维持"}).StatusCode)
}

// TestObjectionChannelConfirmation: only the channel's own operator confirms its channel's pending action; webhook
// channels confirm themselves; a repeated confirmation answers without asking the workflow again.
func TestObjectionChannelConfirmation(t *testing.T) {
	e, ft := newObjectionTestEnv(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	id := e.fileDirect(pid, a)
	_, err := e.db.Exec(`UPDATE channels SET kind = 'webhook', endpoint_url = 'https://example.test/x', secret = 'sixteen-chars-secret' WHERE id = 'creditchina'`)
	require.NoError(t, err)
	due := domain.MustParseDate("2026-11-03")
	_, err = e.db.OpenObjectionChannels(ctx, id, domain.ObjectionMark, []storage.ObjectionChannelDue{
		{ChannelID: "creditchina", DueOn: due}, {ChannelID: "dept-site", DueOn: due}})
	require.NoError(t, err)
	path := func(ch string) string { return fmt.Sprintf("/api/v1/objections/%d/channels/%s/confirm", id, ch) }
	body := map[string]any{"reference": "已标注-001"}

	requireError(t, e.do("POST", path("dept-site"), e.token("office"), body), 403, "forbidden")
	requireError(t, e.do("POST", path("dept-site"), e.token("op-gsxt"), body), 404, "not_found")
	requireError(t, e.do("POST", path("gsxt"), e.token("op-gsxt"), body), 404, "not_found")
	requireError(t, e.do("POST", path("creditchina"), e.token("op-creditchina"), body), 409, "not_manual_channel")
	requireError(t, e.do("POST", path("dept-site"), e.token("op-dept"), map[string]any{}), 422, "invalid_reference")
	requireError(t, e.do("POST", path("dept-site"), e.token("op-dept"), map[string]any{"reference": "x", "action": "unmark"}), 404, "not_found")
	// The operator sees the case its channel is asked about.
	require.Equal(t, 200, e.do("GET", "/api/v1/objections/"+itoa(id), e.token("op-dept"), nil).StatusCode)

	require.Equal(t, 200, e.do("POST", path("dept-site"), e.token("op-dept"), body).StatusCode)
	updates, args := ft.sent()
	require.Equal(t, []string{workflows.ObjectionWorkflowID(id) + ":" + workflows.ObjectionConfirmChannelUpdate}, updates)
	assert.Equal(t, workflows.ObjectionChannelConfirm{ChannelID: "dept-site", Reference: "已标注-001", By: "op-dept"}, args[0])

	// As the workflow's activity records it: the publication is marked, and a second click is answered as is.
	_, err = e.db.Exec(`INSERT INTO publications (penalty_id, channel_id, status) VALUES ($1, 'dept-site', 'published')`, pid)
	require.NoError(t, err)
	_, err = e.db.ConfirmObjectionChannel(ctx, id, "dept-site", domain.ObjectionMark, "已标注-001", "op-dept")
	require.NoError(t, err)
	ms, err := e.db.PublicationMarksOf(ctx, pid)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.True(t, ms[0].MarkedObjection)
	resp := e.do("POST", path("dept-site"), e.token("op-dept"), body)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("X-Already-Confirmed"))
	updates, _ = ft.sent()
	assert.Len(t, updates, 1)
}

// TestPenaltyCorrectionKeepsTheOldVersion: a correction keeps what it replaced, once per objection, and the history
// cannot be rewritten; the versions are shown to whoever sees the record.
func TestPenaltyCorrectionKeepsTheOldVersion(t *testing.T) {
	e, _ := newObjectionTestEnv(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	id := e.fileDirect(pid, a)
	amount, no := "30000.00", "镇环罚〔2026〕15-1号"
	c := domain.PenaltyCorrection{FineAmountYuan: &amount, DecisionNo: &no}
	v, err := e.db.CorrectPenalty(ctx, id, pid, c, "金额有误", "sthjj")
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	again, err := e.db.CorrectPenalty(ctx, id, pid, c, "金额有误", "sthjj")
	require.NoError(t, err)
	assert.Equal(t, 2, again, "a retried correction changes nothing")
	pen, err := e.db.GetPenalty(ctx, pid)
	require.NoError(t, err)
	assert.Equal(t, "30000.00", pen.FineAmountYuan)
	assert.Equal(t, no, pen.DecisionNo)
	_, err = e.db.Exec(`UPDATE penalty_versions SET facts = 'x'`)
	require.Error(t, err, "the history is append-only")

	resp := e.do("GET", fmt.Sprintf("/api/v1/penalties/%d/versions", pid), e.token(a.USCC), nil)
	require.Equal(t, 200, resp.StatusCode)
	out := decode[map[string]any](t, resp)
	assert.Equal(t, float64(2), out["version"])
	vs := out["versions"].([]any)
	require.Len(t, vs, 1)
	old := vs[0].(map[string]any)
	assert.Equal(t, float64(1), old["version"])
	assert.Equal(t, "50000.00", old["fine_amount_yuan"])
	assert.Equal(t, "镇环罚〔2026〕15号", old["decision_no"])
	assert.Contains(t, old["changes"], "fine_amount_yuan")
	requireError(t, e.do("GET", fmt.Sprintf("/api/v1/penalties/%d/versions", pid), e.token(storage.DemoEnterprises[2].USCC), nil), 404, "not_found")
	requireError(t, e.do("GET", fmt.Sprintf("/api/v1/penalties/%d/versions", pid), e.token("scjgj"), nil), 404, "not_found")

	// The record's flag follows its open objections.
	require.NoError(t, e.db.RecordObjectionStep(ctx, storage.ObjectionStepRecord{ObjectionID: id, Seq: 2,
		Progress: storage.ObjectionProgress{Status: domain.ObjectionVerifying, Holder: "department"},
		Audit:    storage.AuditEntry{Actor: "system", Role: "system", Action: "objection.forwarded", CaseKind: "objection", CaseID: itoa(id)}}))
	pen, _ = e.db.GetPenalty(ctx, pid)
	assert.True(t, pen.FlaggedObjection)
	require.NoError(t, e.db.RecordObjectionStep(ctx, storage.ObjectionStepRecord{ObjectionID: id, Seq: 3,
		Progress: storage.ObjectionProgress{Status: domain.ObjectionResolved, Outcome: "corrected"},
		Audit:    storage.AuditEntry{Actor: "sthjj", Role: "department", Action: "objection.resolved", CaseKind: "objection", CaseID: itoa(id)}}))
	pen, _ = e.db.GetPenalty(ctx, pid)
	assert.False(t, pen.FlaggedObjection, "the mark is removed with the answer")
	// A late write of an older step changes nothing.
	require.NoError(t, e.db.RecordObjectionStep(ctx, storage.ObjectionStepRecord{ObjectionID: id, Seq: 2,
		Progress: storage.ObjectionProgress{Status: domain.ObjectionVerifying},
		Audit:    storage.AuditEntry{Actor: "system", Role: "system", Action: "objection.late", CaseKind: "objection", CaseID: itoa(id)}}))
	o, err := e.db.GetObjection(ctx, id)
	require.NoError(t, err)
	assert.EqualValues(t, domain.ObjectionResolved, o.Status)
}

// TestObjectionPages renders the list, form and case pages for each role.
func TestObjectionPages(t *testing.T) {
	e, _ := newObjectionTestEnv(t)
	a := storage.DemoEnterprises[1]
	pid := e.storeFine("sthjj", "镇环罚〔2026〕15号", a)
	id := e.fileDirect(pid, a)
	for _, login := range []string{a.USCC, "sthjj", "office"} {
		b := e.browser()
		b.login(login, storage.DemoPassword)
		resp, html := b.get("/objections")
		require.Equal(t, 200, resp.StatusCode, login)
		assert.Contains(t, html, "镇环罚〔2026〕15号", login)
		resp, html = b.get("/objections/" + itoa(id))
		require.Equal(t, 200, resp.StatusCode, login)
		assert.Regexp(t, `异议申请 XYYY-\d{4}-0*`+itoa(id), html, login)
		if login == "sthjj" {
			assert.Contains(t, html, `id="form-resolve"`)
			assert.Contains(t, html, `id="form-extend"`)
		} else {
			assert.NotContains(t, html, `id="form-resolve"`)
		}
		if login != "office" {
			resp, html = b.get(fmt.Sprintf("/objections/new?penalty_id=%d", pid))
			require.Equal(t, 200, resp.StatusCode, login)
			assert.Contains(t, html, `id="objection-form"`)
			assert.Contains(t, html, `name="_csrf"`)
		}
		resp, html = b.get("/")
		require.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, html, `href="/objections"`, "menu item for %s", login)
	}
	b := e.browser()
	b.login(storage.DemoEnterprises[2].USCC, storage.DemoPassword)
	resp, _ := b.get("/objections/" + itoa(id))
	assert.Equal(t, 404, resp.StatusCode)

	// After a correction: the history of versions, the result, and the operator's confirmation form.
	ctx := context.Background()
	amount := "30000.00"
	_, err := e.db.CorrectPenalty(ctx, id, pid, domain.PenaltyCorrection{FineAmountYuan: &amount}, "金额有误", "sthjj")
	require.NoError(t, err)
	inTime := true
	require.NoError(t, e.db.RecordObjectionStep(ctx, storage.ObjectionStepRecord{ObjectionID: id, Seq: 5,
		Progress: storage.ObjectionProgress{Status: domain.ObjectionResolved, Holder: "channels", Outcome: "corrected",
			OutcomeReason: "金额有误", ResolvedOn: domain.MustParseDate("2026-11-05"), ResolvedInTime: &inTime, ResultNo: "生态环境异议复〔2026〕1号",
			PenaltyVersion: 2, Corrections: []byte(`{"fine_amount_yuan":"30000.00"}`)},
		Audit: storage.AuditEntry{Actor: "sthjj", Role: "department", Action: "objection.resolved", CaseKind: "objection", CaseID: itoa(id)}}))
	_, err = e.db.OpenObjectionChannels(ctx, id, domain.ObjectionCorrect, []storage.ObjectionChannelDue{
		{ChannelID: "dept-site", DueOn: domain.MustParseDate("2026-11-10")}})
	require.NoError(t, err)
	op := e.browser()
	op.login("op-dept", storage.DemoPassword)
	resp, html := op.get("/objections/" + itoa(id))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, `id="confirm-correct-dept-site"`)
	assert.Contains(t, html, "信息的历史版本")
	assert.Contains(t, html, "50000.00")
	assert.Contains(t, html, "异议成立，予以更正")
	resp, html = op.get("/objections")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "镇环罚〔2026〕15号")
	dept := e.browser()
	dept.login("sthjj", storage.DemoPassword)
	_, html = dept.get("/objections/" + itoa(id))
	assert.NotContains(t, html, `id="form-resolve"`, "answered already")

	// The department files on the enterprise's behalf through the form, with evidence uploaded with it.
	other := e.storeFine("sthjj", "镇环罚〔2026〕18号", a)
	d := e.browser()
	d.login("sthjj", storage.DemoPassword)
	_, form := d.get(fmt.Sprintf("/objections/new?penalty_id=%d", other))
	post := func(fields map[string]string, file []byte) (*http.Response, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range fields {
			require.NoError(t, mw.WriteField(k, v))
		}
		if file != nil {
			fw, err := mw.CreateFormFile("files", "核查材料.pdf")
			require.NoError(t, err)
			_, _ = fw.Write(file)
		}
		require.NoError(t, mw.Close())
		req := httptest.NewRequest(http.MethodPost, "/objections", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return d.send(req)
	}
	fields := map[string]string{"_csrf": csrfOf(t, form), "penalty_id": itoa(other), "grounds": "wrong_content",
		"statement": "决定书文号录入错误"}
	resp, html = post(fields, []byte("%PDF-1.4\n%%EOF\n"))
	assert.Equal(t, 422, resp.StatusCode, "the commitment must be accepted")
	assert.Contains(t, html, "异议申诉信用承诺书")
	for _, p := range letters.Pledges(letters.KindObjectionCommitment) {
		assert.Contains(t, html, "<li>"+p+"</li>", "the form shows the PDF's pledges")
	}
	assert.Equal(t, 2-1, e.countObjections())
	var stored int
	require.NoError(t, e.db.Get(&stored, `SELECT count(*) FROM attachments`))
	assert.Zero(t, stored, "a refused form stores no upload")
	fields["commitment_accepted"] = "1"
	resp, _ = post(fields, []byte("%PDF-1.4\n%%EOF\n"))
	require.Equal(t, 303, resp.StatusCode)
	assert.Regexp(t, `^/objections/\d+$`, resp.Header.Get("Location"))
	assert.Equal(t, 2, e.countObjections())
	require.NoError(t, e.db.Get(&stored, `SELECT count(*) FROM objection_attachments`))
	assert.Equal(t, 1, stored)
}

// TestEnterpriseSeesItsObjectionNotices (issue 16): the notifications the objection workflow stores for an
// enterprise (accepted and forwarded, answered) are in its home inbox, linked to the objection; never another's.
func TestEnterpriseSeesItsObjectionNotices(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	mine, other := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	for _, n := range []storage.Notification{
		{USCC: nullStr(mine.USCC), Kind: "objection_received", Title: "异议申请已受理", Body: "你单位提出的异议已受理并转生态环境局核实",
			CaseKind: "objection", CaseID: "41", DedupKey: nullStr("objection-41:received")},
		{USCC: nullStr(mine.USCC), Kind: "objection_resolved", Title: "异议处理结果", Body: "生态环境局已答复你单位提出的异议：维持",
			CaseKind: "objection", CaseID: "41", DedupKey: nullStr("objection-41:resolved")},
		{USCC: nullStr(other.USCC), Kind: "objection_received", Title: "异议申请已受理", Body: "另一企业的异议",
			CaseKind: "objection", CaseID: "42", DedupKey: nullStr("objection-42:received")},
	} {
		require.NoError(t, e.db.Notify(ctx, n))
	}
	b := e.browser()
	b.login(mine.USCC, storage.DemoPassword)
	_, home := b.get("/")
	assert.Contains(t, home, "异议通知")
	assert.Contains(t, home, "异议申请已受理")
	assert.Contains(t, home, "生态环境局已答复你单位提出的异议：维持")
	assert.Contains(t, home, `/objections/41`)
	assert.NotContains(t, home, "另一企业的异议")

	d := e.browser()
	d.login("sthjj", storage.DemoPassword)
	_, home = d.get("/")
	assert.NotContains(t, home, "异议通知", "the enterprise's inbox only")
}
