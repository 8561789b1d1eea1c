package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters/pdftext"
	"xinyong/workflows"
	"xinyong/workflows/wftest"
)

type penaltyAnswer struct {
	ID                 int64  `json:"id"`
	Class              string `json:"class"`
	RuleSet            string `json:"rule_set"`
	Status             string `json:"status"`
	PublishDue         string `json:"publish_due"`
	DeliveryDue        string `json:"delivery_due"`
	RepairEligibleFrom string `json:"repair_eligible_from"`
	PublicationEnds    string `json:"publication_ends"`
	Published          bool   `json:"published"`
	Letters            []struct {
		ID         int64  `json:"id"`
		Kind       string `json:"kind"`
		URL        string `json:"url"`
		SHA256     string `json:"sha256"`
		VerifyCode string `json:"verify_code"`
	} `json:"letters"`
	Publications []struct {
		ChannelID string `json:"channel_id"`
		Status    string `json:"status"`
	} `json:"publications"`
	Withdrawal *struct {
		ID     int64  `json:"id"`
		Cause  string `json:"cause"`
		Status string `json:"status"`
	} `json:"withdrawal"`
	Delivery *struct {
		Method      string `json:"method"`
		DeliveredOn string `json:"delivered_on"`
	} `json:"delivery"`
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (s *stack) get(path, token string) ([]byte, int) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return raw, resp.StatusCode
}

// pdfText extracts a PDF's text without white space (pdftext.Text).
func pdfText(t *testing.T, pdf []byte) string { return pdftext.Text(t, pdf) }

// workflowStatus returns a workflow's status, or UNSPECIFIED when it does not exist.
func (s *stack) workflowStatus(id string) enumspb.WorkflowExecutionStatus {
	d, err := s.temporal.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	}
	return d.WorkflowExecutionInfo.Status
}

func TestPenaltyRegistrationDeliveryPublicationAndRevocation(t *testing.T) {
	s := newStack(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	sthjj, scjgj, office := s.token("sthjj"), s.token("scjgj"), s.token("office")

	// Acceptance 1: a general-class fine decided on 2026-05-20.
	var p penaltyAnswer
	status := s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕15号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放", "legal_basis": "《大气污染防治法》",
	}, &p)
	require.Equal(t, 201, status)
	assert.Equal(t, "general", p.Class)
	assert.Equal(t, "ndrc-2026", p.RuleSet)
	assert.Equal(t, "2026-08-21", p.RepairEligibleFrom)
	assert.Equal(t, "2027-05-20", p.PublicationEnds)
	assert.Equal(t, "2026-05-29", p.PublishDue)
	kinds := map[string]int64{}
	for _, l := range p.Letters {
		kinds[l.Kind] = l.ID
		assert.Len(t, l.SHA256, 64)
		assert.NotEmpty(t, l.VerifyCode)
	}
	require.Contains(t, kinds, "repair_notice", "the 201 carries both letters (两书同送)")
	require.Contains(t, kinds, "delivery_receipt")
	notice, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", kinds["repair_notice"]), sthjj)
	require.Equal(t, 200, code)
	text := pdfText(t, notice)
	for _, want := range []string{a.Name, a.USCC, "镇环罚〔2026〕15号", "2026年5月20日", "2026年8月21日", "2027年5月20日", "一般失信", "信用中国"} {
		assert.Contains(t, text, want)
	}
	receipt, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", kinds["delivery_receipt"]), sthjj)
	require.Equal(t, 200, code)
	text = pdfText(t, receipt)
	for _, want := range []string{a.Name, "镇环罚〔2026〕15号", "送达回证", "信用修复告知书"} {
		assert.Contains(t, text, want)
	}
	// The enterprise reads its own letters; another enterprise does not even learn they exist.
	_, code = s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", kinds["repair_notice"]), s.token(a.USCC))
	require.Equal(t, 200, code)

	// Decided half a year ago and never delivered: the deadline has passed, so the credit office is told.
	s.eventually(30*time.Second, "credit office escalation of the overdue delivery", func() bool {
		var tasks struct {
			Items []struct {
				Step   string `json:"step"`
				CaseID string `json:"case_id"`
			} `json:"items"`
		}
		s.call("GET", "/api/v1/tasks", office, nil, &tasks)
		for _, tk := range tasks.Items {
			if tk.Step == "escalation:delivery" && tk.CaseID == fmt.Sprint(p.ID) {
				return true
			}
		}
		return false
	})
	// The lifecycle publishes the record itself (双公示, no publish workflow of its own); where it records the
	// channels, each manual channel shows its state.
	var withPubs penaltyAnswer
	for range 120 {
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), sthjj, nil, &withPubs)
		if len(withPubs.Publications) > 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.NotEmpty(t, withPubs.Publications, "the lifecycle records its publication on every channel")
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, s.workflowStatus(workflows.PublishWorkflowID(p.ID)),
		"published by the lifecycle, without a publish workflow")
	for _, pb := range withPubs.Publications {
		assert.Contains(t, []string{"pending", "sent", "published", "overdue"}, pb.Status, pb.ChannelID)
	}

	// Acceptance 5: others cannot see or act on it.
	var e apiErr
	require.Equal(t, 404, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), s.token(b.USCC), nil, &e))
	require.Equal(t, "not_found", e.Error.Code)
	require.Equal(t, 404, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), scjgj, nil, &e))
	require.Equal(t, 404, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), scjgj,
		map[string]any{"method": "post", "delivered_on": "2026-05-22", "signed_by": "王"}, &e))
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), s.token(a.USCC), nil, nil))

	// Duplicate and bad input.
	require.Equal(t, 409, s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕15号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000}, &e))
	require.Equal(t, "duplicate_decision_no", e.Error.Code)
	require.Equal(t, 422, s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕16号", "uscc": "91321100MA1MXY2K08", "enterprise_name": a.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000}, &e))
	require.Equal(t, "invalid_uscc", e.Error.Code)

	// A market-supervision penalty decided yesterday: delivered in time, then revoked by review.
	decided := domain.Today().AddDays(-1)
	var m penaltyAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", scjgj, map[string]any{
		"decision_no": "镇市监罚〔2026〕101号", "uscc": b.USCC, "enterprise_name": b.Name, "decided_on": decided.String(),
		"penalty_types": []string{"fine", "confiscation"}, "fine_amount_yuan": "80000"}, &m))
	assert.Equal(t, "samr-2025", m.RuleSet)
	require.Len(t, m.Letters, 2)

	// A wrong delivery is refused by the workflow and changes nothing.
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", m.ID), scjgj,
		map[string]any{"method": "refused", "delivered_on": decided.String()}, &e))
	require.Equal(t, "witness_required", e.Error.Code)
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", m.ID), scjgj,
		map[string]any{"method": "post", "delivered_on": decided.AddDays(-1).String(), "signed_by": "张喆"}, &e))
	require.Equal(t, "delivered_before_decision", e.Error.Code)

	var d penaltyAnswer
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", m.ID), scjgj,
		map[string]any{"method": "in_person", "delivered_on": decided.String(), "signed_by": "张喆"}, &d))
	require.NotNil(t, d.Delivery)
	assert.Equal(t, "in_person", d.Delivery.Method)
	assert.Equal(t, decided.String(), d.Delivery.DeliveredOn)
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", m.ID), scjgj,
		map[string]any{"method": "in_person", "delivered_on": decided.String(), "signed_by": "张喆"}, &e))
	require.Equal(t, "already_delivered", e.Error.Code)
	// In flight: delivered and publishing (by the lifecycle itself), it sleeps until its publication period ends.
	// (penalty_publishing.json is the same state recorded before penalty-shape, with a publish workflow.)
	s.recordHistory(workflows.PenaltyWorkflowID(m.ID), "penalty_publishing_shaped.json")
	// Started with its shape, the lifecycle asks no GetVersion: no marker, and no search-attribute upsert that the
	// server would write to the visibility store again for every record registered.
	for _, e := range wftest.FetchHistory(t, s.temporal, workflows.PenaltyWorkflowID(m.ID)).GetEvents() {
		require.NotEqual(t, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, e.GetEventType(), "event %d", e.GetEventId())
		require.NotEqual(t, "Version", e.GetMarkerRecordedEventAttributes().GetMarkerName(), "event %d", e.GetEventId())
	}

	// Acceptance 4: a revocation withdraws it everywhere with cause revocation.
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/revocation", m.ID), scjgj,
		map[string]any{"reason": "行政复议决定撤销原处罚决定（镇政复决〔2026〕3号）"}, nil))
	s.eventually(2*time.Minute, "the revoked penalty's lifecycle ends", func() bool {
		s.confirmWithdrawal(m.ID) // the operators of manual channels confirm the 告知函
		return s.workflowStatus(workflows.PenaltyWorkflowID(m.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var after penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", m.ID), scjgj, nil, &after))
	assert.EqualValues(t, domain.PenaltyRevoked, after.Status)
	if after.Withdrawal != nil { // the channels issue records the order
		assert.EqualValues(t, domain.CauseRevocation, after.Withdrawal.Cause)
		assert.Equal(t, "completed", after.Withdrawal.Status)
		s.recordHistory(workflows.PenaltyWorkflowID(m.ID), "penalty_revocation_shaped.json")
	}
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/revocation", m.ID), scjgj,
		map[string]any{"reason": "再次撤销"}, &e))
}

// confirmWithdrawal confirms, as each channel's operator, every manual channel of a penalty's withdrawal order that
// is not confirmed yet (nothing when there is no order). It uses the operators' API when it is mounted, else it
// sends the same confirmation to the order's workflow directly, as that API would.
func (s *stack) confirmWithdrawal(penaltyID int64) {
	s.t.Helper()
	office := s.token("office")
	var p penaltyAnswer
	if s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", penaltyID), office, nil, &p) != 200 || p.Withdrawal == nil {
		return
	}
	var wd struct {
		Channels []struct {
			ChannelID string `json:"channel_id"`
			Kind      string `json:"kind"`
			Status    string `json:"status"`
		} `json:"channels"`
	}
	viaAPI := s.call("GET", fmt.Sprintf("/api/v1/withdrawals/%d", p.Withdrawal.ID), office, nil, &wd) == 200
	if !viaAPI {
		v, err := s.temporal.QueryWorkflow(context.Background(), workflows.WithdrawalWorkflowID(p.Withdrawal.ID), "", workflows.WithdrawalStateQuery)
		if err != nil {
			return
		}
		var st workflows.WithdrawalOrderState
		if v.Get(&st) != nil {
			return
		}
		for _, c := range st.Channels {
			wd.Channels = append(wd.Channels, struct {
				ChannelID string `json:"channel_id"`
				Kind      string `json:"kind"`
				Status    string `json:"status"`
			}{c.ChannelID, string(c.Kind), string(c.Status)})
		}
	}
	for _, ch := range wd.Channels {
		login, ok := storage.DemoOperatorLogins[ch.ChannelID]
		if ch.Kind != "manual" || ch.Status == "confirmed" || !ok {
			continue
		}
		ref := "e2e-" + ch.ChannelID
		if viaAPI {
			s.call("POST", fmt.Sprintf("/api/v1/withdrawals/%d/channels/%s/confirm", p.Withdrawal.ID, ch.ChannelID), s.token(login),
				map[string]any{"reference": ref}, nil)
			continue
		}
		h, err := s.temporal.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
			WorkflowID: workflows.WithdrawalWorkflowID(p.Withdrawal.ID), UpdateName: workflows.WithdrawalConfirmUpdate,
			Args:         []any{workflows.ConfirmChannelRequest{ChannelID: ch.ChannelID, Reference: ref, By: login}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			_ = h.Get(context.Background(), nil)
		}
	}
}

// TestMinorUnpublishedPenaltyRunsItsWholeLifecycle registers a minor fine (not published under ndrc-2026) whose
// record period is already over: once delivered, the lifecycle ends by itself. Its history is the replay test's
// fixture (XINYONG_RECORD_HISTORY=1 rewrites it).
func TestMinorUnpublishedPenaltyRunsItsWholeLifecycle(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[5]
	tok := s.token("yjglj")
	var p penaltyAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", tok, map[string]any{
		"decision_no": "镇应急罚〔2026〕3号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": "2026-04-15",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "3000"}, &p))
	assert.Equal(t, "minor", p.Class)
	assert.False(t, p.Published)
	assert.Equal(t, "2026-07-15", p.PublicationEnds)
	require.Len(t, p.Letters, 2)
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), tok,
		map[string]any{"method": "post", "delivered_on": "2026-04-20", "signed_by": "赵安达"}, nil))
	s.eventually(60*time.Second, "the lifecycle ends", func() bool {
		return s.workflowStatus(workflows.PenaltyWorkflowID(p.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, s.workflowStatus(workflows.PublishWorkflowID(p.ID)),
		"an unpublished record is never published")
	var after penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), tok, nil, &after))
	assert.EqualValues(t, domain.PenaltyWithdrawn, after.Status)
	s.recordHistory(workflows.PenaltyWorkflowID(p.ID), "penalty_minor_unpublished.json")
}

// importCSV posts a CSV file as the department.
func (s *stack) importCSV(token, body string) (map[string]any, int) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.base+"/api/v1/penalties/import", strings.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	return out, resp.StatusCode
}

// importFile is n good rows of one department with distinct decision numbers.
func importFile(n int, prefix string) string {
	var b strings.Builder
	b.WriteString("decision_no,uscc,enterprise_name,decided_on,penalty_types,fine_amount_yuan\n")
	for i := range n {
		e := storage.DemoEnterprises[i%len(storage.DemoEnterprises)]
		fmt.Fprintf(&b, "%s〔2026〕%d号,%s,%s,2026-%02d-%02d,fine,%d\n", prefix, i+1, e.USCC, e.Name, 6+i%5, 1+i%28, 6000+i%90000)
	}
	return b.String()
}

// waitImport polls an import until every lifecycle is started and returns how long that took.
func (s *stack) waitImport(token string, id int64, timeout time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	s.eventually(timeout, "import completed", func() bool {
		var imp struct {
			Status  string `json:"status"`
			Started int    `json:"started"`
			ToStart int    `json:"to_start"`
		}
		s.call("GET", fmt.Sprintf("/api/v1/penalties/imports/%d?problems=1", id), token, nil, &imp)
		return imp.Status == "completed" && imp.Started == imp.ToStart
	})
	return time.Since(start)
}

func TestPenaltyImportStartsEveryLifecycleInTheBackground(t *testing.T) {
	s := newStack(t)
	tok := s.token("sthjj")
	out, status := s.importCSV(tok, importFile(120, "镇环罚")+"坏号,91321100MA1MXY2K08,某公司,2026-05-20,fine,100\n")
	require.Equal(t, 201, status, "%v", out)
	require.EqualValues(t, 120, out["registered"])
	require.EqualValues(t, 1, out["rejected"])
	id := int64(out["id"].(float64))
	s.waitImport(tok, id, 2*time.Minute)
	var n int
	require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM penalties WHERE import_id = $1 AND lifecycle_started_at IS NOT NULL`, id))
	require.Equal(t, 120, n)
	s.eventually(30*time.Second, "the import workflow completes", func() bool {
		return s.workflowStatus(workflows.ImportWorkflowID(id)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.ImportWorkflowID(id), "import_completed.json")
	// In flight: the import as a restarted worker finds it while its first batch of lifecycles is being started.
	wftest.RecordHistoryUntil(t, s.temporal, workflows.ImportWorkflowID(id), "import_midway.json", func(ev *historypb.HistoryEvent) bool {
		a := ev.GetActivityTaskScheduledEventAttributes()
		return a != nil && a.GetActivityType().GetName() == "StartLifecycles"
	})
	// Every lifecycle issues its two letters by itself.
	s.eventually(3*time.Minute, "letters of every imported penalty", func() bool {
		require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM letters l JOIN penalties p ON l.case_kind = 'penalty' AND l.case_id = p.id::text
			WHERE p.import_id = $1`, id))
		return n == 240
	})
	// The same file again registers nothing and starts nothing.
	again, status := s.importCSV(tok, importFile(120, "镇环罚"))
	require.Equal(t, 201, status)
	require.EqualValues(t, 0, again["registered"])
	require.EqualValues(t, 120, again["already_registered"])
	require.EqualValues(t, 0, again["to_start"])
	require.Equal(t, "completed", again["status"])
}

// TestImport10000RowsBenchmark measures the 10,000-row import on the real stack: the HTTP answer, and the time
// until every lifecycle is started. It is slow, so it runs only with XINYONG_BENCH_IMPORT=1:
//
//	XINYONG_BENCH_IMPORT=1 go test ./workflows/e2e/ -run TestImport10000RowsBenchmark -v -timeout 30m
func TestImport10000RowsBenchmark(t *testing.T) {
	if os.Getenv("XINYONG_BENCH_IMPORT") != "1" {
		t.Skip("set XINYONG_BENCH_IMPORT=1 to run the 10,000-row import benchmark")
	}
	s := newStack(t)
	tok := s.token("sthjj")
	file := importFile(10000, "镇环罚")
	begin := time.Now()
	out, status := s.importCSV(tok, file)
	answered := time.Since(begin)
	require.Equal(t, 201, status, "%v", out["error"])
	require.EqualValues(t, 10000, out["registered"])
	id := int64(out["id"].(float64))
	s.waitImport(tok, id, 20*time.Minute)
	started := time.Since(begin)
	t.Logf("10,000 rows: HTTP answer (validated and stored) in %s; all 10,000 lifecycles started after %s (%.0f/s)",
		answered.Round(time.Millisecond), started.Round(time.Second), 10000/started.Seconds())
	// The lifecycles then issue their letters (two PDFs each) in the background; sample that rate for a minute.
	countLetters := func() int {
		var n int
		require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM letters WHERE case_kind = 'penalty'`))
		return n
	}
	before := countLetters()
	time.Sleep(time.Minute)
	rate := float64(countLetters()-before) / 60
	t.Logf("letters issued in the background at %.1f/s; all 20,000 would take about %s more", rate,
		(time.Duration(float64(20000-countLetters())/rate) * time.Second).Round(time.Second))
	if os.Getenv("XINYONG_BENCH_LETTERS") == "1" {
		s.eventually(60*time.Minute, "letters of every imported penalty", func() bool {
			var n int
			require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM letters WHERE case_kind = 'penalty'`))
			return n == 20000
		})
		t.Logf("all 20,000 letters issued after %s", time.Since(begin).Round(time.Second))
	}
}
