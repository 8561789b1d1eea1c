package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// objectionChannelSystem is a webhook channel's system for the objection tests: it checks signatures and keeps every
// call's event, idempotency key and body, answering 2xx.
type objectionChannelSystem struct {
	mu     sync.Mutex
	secret string
	calls  []objectionCall
	srv    *httptest.Server
}

type objectionCall struct {
	Event string
	Key   string
	Body  map[string]any
}

func newObjectionChannelSystem(t *testing.T, secret string) *objectionChannelSystem {
	sys := &objectionChannelSystem{secret: secret}
	sys.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if !activities.VerifySignature(sys.secret, raw, r.Header.Get(activities.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		sys.mu.Lock()
		sys.calls = append(sys.calls, objectionCall{Event: r.Header.Get(activities.HeaderEvent), Key: r.Header.Get(activities.HeaderIdempotencyKey), Body: body})
		n := len(sys.calls)
		sys.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"reference":"CC-%d"}`, n)
	}))
	t.Cleanup(sys.srv.Close)
	return sys
}

// objectionCalls returns the calls of an objection with an action.
func (sys *objectionChannelSystem) objectionCalls(objectionID int64, action string) []objectionCall {
	sys.mu.Lock()
	defer sys.mu.Unlock()
	var out []objectionCall
	for _, c := range sys.calls {
		if c.Event == "objection" && c.Body["action"] == action && c.Body["objection_id"] == float64(objectionID) {
			out = append(out, c)
		}
	}
	return out
}

type objectionAnswer struct {
	ID        int64   `json:"id"`
	Status    string  `json:"status"`
	Outcome   *string `json:"outcome"`
	MarkedOn  *string `json:"marked_on"`
	Overdue   bool    `json:"overdue"`
	Deadlines struct {
		Mark    string `json:"mark"`
		Forward string `json:"forward"`
		Verify  string `json:"verify"`
	} `json:"deadlines"`
	ForwardedOn *string `json:"forwarded_on"`
	Resolution  *struct {
		Outcome        string `json:"outcome"`
		Number         string `json:"number"`
		PenaltyVersion *int   `json:"penalty_version"`
	} `json:"resolution"`
	Letters []struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	} `json:"letters"`
	Channels []struct {
		ChannelID string `json:"channel_id"`
		Kind      string `json:"kind"`
		Action    string `json:"action"`
		Status    string `json:"status"`
	} `json:"channels"`
	Record struct {
		Marked   bool `json:"marked"`
		Version  int  `json:"version"`
		Channels []struct {
			ChannelID     string `json:"channel_id"`
			Marked        bool   `json:"marked"`
			RecordVersion int    `json:"record_version"`
		} `json:"channels"`
		Versions []struct {
			Version        int    `json:"version"`
			FineAmountYuan string `json:"fine_amount_yuan"`
			Facts          string `json:"facts"`
		} `json:"versions"`
	} `json:"record"`
	Withdrawal *struct {
		ID     int64  `json:"id"`
		Cause  string `json:"cause"`
		Status string `json:"status"`
	} `json:"withdrawal"`
}

func (o objectionAnswer) letter(kind string) int64 {
	for _, l := range o.Letters {
		if l.Kind == kind {
			return l.ID
		}
	}
	return 0
}

func (o objectionAnswer) channelStatus(action string) map[string]string {
	out := map[string]string{}
	for _, c := range o.Channels {
		if c.Action == action {
			out[c.ChannelID] = c.Status
		}
	}
	return out
}

func (s *stack) objectionCase(id int64, token string) objectionAnswer {
	s.t.Helper()
	var o objectionAnswer
	require.Equal(s.t, 200, s.call("GET", fmt.Sprintf("/api/v1/objections/%d", id), token, nil, &o))
	return o
}

// objectionWebhook makes creditchina a webhook channel answered by a test system.
func (s *stack) objectionWebhook(office string) *objectionChannelSystem {
	s.t.Helper()
	sys := newObjectionChannelSystem(s.t, "creditchina-objection-secret")
	var out map[string]any
	require.Equal(s.t, 200, s.call("PUT", "/api/v1/channels/creditchina", office, map[string]any{
		"name": "信用中国", "kind": "webhook", "deadline_workdays": 3, "endpoint_url": sys.srv.URL + "/xinyong", "secret": sys.secret}, &out), "%v", out)
	return sys
}

// publishedEverywhere registers a general fine of sthjj decided on 2026-05-20 and waits until it is published on
// every channel (the webhook channel by itself, the manual ones confirmed by their operators).
func (s *stack) publishedEverywhere(no string, ent storage.Enterprise) int64 {
	s.t.Helper()
	var p penaltyAnswer
	require.Equal(s.t, 201, s.call("POST", "/api/v1/penalties", s.token("sthjj"), map[string]any{
		"decision_no": no, "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放大气污染物", "legal_basis": "《大气污染防治法》第九十九条",
	}, &p))
	s.eventually(90*time.Second, "the record is published on every channel", func() bool {
		pubs, err := s.db.PublicationsOf(context.Background(), p.ID)
		require.NoError(s.t, err)
		published := 0
		for _, pb := range pubs {
			if pb.Status == "published" {
				published++
				continue
			}
			if login, ok := storage.DemoOperatorLogins[pb.ChannelID]; ok && pb.ChannelID != "creditchina" {
				s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/publications/%s/confirm", p.ID, pb.ChannelID), s.token(login),
					map[string]any{"reference": "公示-" + pb.ChannelID}, nil)
			}
		}
		return len(pubs) == len(storage.DemoChannels) && published == len(pubs)
	})
	return p.ID
}

// confirmObjectionChannels confirms, as each manual channel's operator, the case's pending actions.
func (s *stack) confirmObjectionChannels(id int64) {
	s.t.Helper()
	o := s.objectionCase(id, s.token("office"))
	for _, c := range o.Channels {
		login, ok := storage.DemoOperatorLogins[c.ChannelID]
		if c.Kind != "manual" || c.Status == "confirmed" || c.Status == "cancelled" || !ok {
			continue
		}
		s.call("POST", fmt.Sprintf("/api/v1/objections/%d/channels/%s/confirm", id, c.ChannelID), s.token(login),
			map[string]any{"action": c.Action, "reference": c.Action + "-" + c.ChannelID}, nil)
	}
}

// fileAndMark files an objection of the enterprise and waits until every channel has marked the record.
func (s *stack) fileAndMark(pid int64, ent storage.Enterprise, grounds, statement string) objectionAnswer {
	s.t.Helper()
	firm := s.token(ent.USCC)
	var o objectionAnswer
	require.Equal(s.t, 201, s.call("POST", "/api/v1/objections", firm, map[string]any{
		"penalty_id": pid, "grounds": grounds, "statement": statement, "commitment_accepted": true}, &o))
	assert.EqualValues(s.t, domain.ObjectionVerifying, o.Status, "taken in and forwarded at once")
	today := domain.Today()
	require.NotNil(s.t, o.ForwardedOn)
	assert.Equal(s.t, today.String(), *o.ForwardedOn)
	cal := domain.DefaultCalendar()
	mark, _ := cal.AddWorkdays(today, 1)
	verify, _ := cal.AddWorkdays(today, 7)
	assert.Equal(s.t, mark.String(), o.Deadlines.Mark, "ndrc-2026: marked within 1 working day")
	assert.Equal(s.t, verify.String(), o.Deadlines.Verify, "ndrc-2026: answered within 7 working days")
	assert.NotZero(s.t, o.letter("objection_commitment"))
	s.eventually(60*time.Second, "every channel marks the record", func() bool {
		s.confirmObjectionChannels(o.ID)
		o = s.objectionCase(o.ID, s.token("office"))
		return o.MarkedOn != nil
	})
	assert.LessOrEqual(s.t, *o.MarkedOn, o.Deadlines.Mark, "marked within its deadline")
	marks := o.channelStatus(string(domain.ObjectionMark))
	require.Len(s.t, marks, len(storage.DemoChannels), "every channel that shows the record")
	for ch, st := range marks {
		assert.Equal(s.t, "confirmed", st, ch)
	}
	assert.True(s.t, o.Record.Marked, "the record itself is flagged")
	for _, c := range o.Record.Channels {
		assert.True(s.t, c.Marked, "marked on %s", c.ChannelID)
	}
	// The department's inbox has it with its due date; the enterprise and department views show the flag.
	var tasks struct {
		Items []struct {
			CaseKind string  `json:"case_kind"`
			CaseID   string  `json:"case_id"`
			Step     string  `json:"step"`
			DueOn    *string `json:"due_on"`
		} `json:"items"`
	}
	require.Equal(s.t, 200, s.call("GET", "/api/v1/tasks", s.token("sthjj"), nil, &tasks))
	found := false
	for _, tk := range tasks.Items {
		if tk.CaseKind == "objection" && tk.CaseID == fmt.Sprint(o.ID) && tk.Step == "verify" {
			found = true
			require.NotNil(s.t, tk.DueOn)
			assert.Equal(s.t, o.Deadlines.Verify, *tk.DueOn)
		}
	}
	assert.True(s.t, found, "the department's inbox has the objection")
	pen, err := s.db.GetPenalty(context.Background(), pid)
	require.NoError(s.t, err)
	assert.True(s.t, pen.FlaggedObjection)
	return o
}

// TestObjectionWithdrawnMarksEveryChannelThenWithdrawsEverywhere: acceptance 1 (marks and withdrawn). The record is
// marked on every channel within a working day; the department's "withdrawn" answer runs a withdrawal with cause
// objection to completion; the applicant gets the result letter.
func TestObjectionWithdrawnMarksEveryChannelThenWithdrawsEverywhere(t *testing.T) {
	s := newStack(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	office, sthjj, firm := s.token("office"), s.token("sthjj"), s.token(a.USCC)
	sys := s.objectionWebhook(office)
	pid := s.publishedEverywhere("镇环罚〔2026〕41号", a)

	o := s.fileAndMark(pid, a, "duplicate", "该处罚已以镇环罚〔2026〕40号公示，本条重复公示")
	marks := sys.objectionCalls(o.ID, "mark")
	require.NotEmpty(t, marks, "the webhook channel was asked to mark the record")
	assert.Equal(t, activities.ObjectionIdempotencyKey(o.ID, "mark", "creditchina"), marks[0].Key)
	assert.Equal(t, "异议处理中", marks[0].Body["mark"])

	// Acceptance 4 on the real stack: another enterprise's record, and a second objection.
	var e apiErr
	require.Equal(t, 404, s.call("POST", "/api/v1/objections", s.token(b.USCC), map[string]any{"penalty_id": pid, "grounds": "not_mine",
		"statement": "x", "commitment_accepted": true}, &e))
	require.Equal(t, 409, s.call("POST", "/api/v1/objections", firm, map[string]any{"penalty_id": pid, "grounds": "not_mine",
		"statement": "再次异议", "commitment_accepted": true}, &e))
	assert.Equal(t, "objection_open", e.Error.Code)

	var resolved objectionAnswer
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", o.ID), sthjj, map[string]any{
		"outcome": "withdrawn", "reason": "经核查，该信息与镇环罚〔2026〕40号重复公示"}, &resolved))
	assert.EqualValues(t, domain.ObjectionResolved, resolved.Status)
	require.NotNil(t, resolved.Resolution)
	assert.NotZero(t, resolved.letter("objection_result"))
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", o.ID), sthjj, map[string]any{
		"outcome": "upheld", "reason": "改为维持"}, &e))
	assert.Equal(t, "invalid_transition", e.Error.Code)

	s.eventually(2*time.Minute, "the record is withdrawn everywhere and the objection closed", func() bool {
		s.confirmWithdrawal(pid)
		o = s.objectionCase(o.ID, firm)
		return o.Status == string(domain.ObjectionClosed)
	})
	require.NotNil(t, o.Withdrawal)
	assert.EqualValues(t, domain.CauseObjection, o.Withdrawal.Cause)
	assert.Equal(t, "completed", o.Withdrawal.Status)
	require.NotNil(t, o.Outcome)
	assert.Equal(t, "withdrawn", *o.Outcome)
	assert.False(t, o.Record.Marked, "the mark is removed")
	for _, c := range o.Record.Channels {
		assert.False(t, c.Marked, c.ChannelID)
	}
	pubs, err := s.db.PublicationsOf(context.Background(), pid)
	require.NoError(t, err)
	for _, pb := range pubs {
		assert.Equal(t, "withdrawn", pb.Status, pb.ChannelID)
	}
	var wd struct {
		Cause    string `json:"cause"`
		CauseRef string `json:"cause_ref"`
		Status   string `json:"status"`
	}
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/withdrawals/%d", o.Withdrawal.ID), office, nil, &wd))
	assert.Equal(t, workflows.ObjectionWorkflowID(o.ID), wd.CauseRef)
	// The record's lifecycle is withdrawn (it stays open only for the decision's delivery, never recorded here).
	var pen penaltyAnswer
	s.eventually(30*time.Second, "the penalty is withdrawn", func() bool {
		require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", pid), firm, nil, &pen))
		return pen.Status == string(domain.PenaltyWithdrawn)
	})
	require.NotNil(t, pen.Withdrawal)
	assert.Equal(t, o.Withdrawal.ID, pen.Withdrawal.ID)

	text := pdfText(t, mustPDF(t, s, o.letter("objection_result"), firm))
	for _, want := range []string{"异议处理结果告知书", a.Name, a.USCC, "镇环罚〔2026〕41号", "删除", "终止公示", "生态环境局"} {
		assert.Contains(t, text, want)
	}
	commitment := pdfText(t, mustPDF(t, s, o.letter("objection_commitment"), firm))
	for _, want := range []string{"异议申诉信用承诺书", a.Name, a.USCC, "镇环罚〔2026〕41号", "信息重复公示"} {
		assert.Contains(t, commitment, want)
	}
	s.eventually(30*time.Second, "the objection workflow completes", func() bool {
		return s.workflowStatus(workflows.ObjectionWorkflowID(o.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.ObjectionWorkflowID(o.ID), "objection_withdrawn.json")
}

func mustPDF(t *testing.T, s *stack, letterID int64, token string) []byte {
	t.Helper()
	require.NotZero(t, letterID)
	pdf, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", letterID), token)
	require.Equal(t, 200, code)
	return pdf
}

// TestObjectionUpheldAndCorrected: acceptance 1 (upheld) and 2 (corrected). Upheld removes the mark on every channel
// and sends the result letter; corrected changes the record's fields, republishes it on every channel and keeps the
// old version in the record's history.
func TestObjectionUpheldAndCorrected(t *testing.T) {
	s := newStack(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[3]
	office, sthjj := s.token("office"), s.token("sthjj")
	sys := s.objectionWebhook(office)
	upheldPid := s.publishedEverywhere("镇环罚〔2026〕42号", a)
	correctedPid := s.publishedEverywhere("镇环罚〔2026〕43号", b)

	// Upheld.
	up := s.fileAndMark(upheldPid, a, "inconsistent", "公示的罚款金额与决定书不一致")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", up.ID), sthjj, map[string]any{
		"outcome": "upheld", "reason": "经核查，公示信息与处罚决定书一致"}, nil))
	// Corrected, with a correction that would change the record's class refused first.
	cor := s.fileAndMark(correctedPid, b, "wrong_content", "罚款金额应为3万元")
	var e apiErr
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", cor.ID), sthjj, map[string]any{
		"outcome": "corrected", "reason": "金额有误", "corrections": map[string]any{"fine_amount_yuan": 3000}}, &e))
	assert.Equal(t, "correction_changes_periods", e.Error.Code, "3,000 yuan would make it a minor record")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", cor.ID), sthjj, map[string]any{
		"outcome": "corrected", "reason": "罚款金额登记有误，应为30000元",
		"corrections": map[string]any{"fine_amount_yuan": "30000", "facts": "超标排放大气污染物（二氧化硫）"}}, nil))

	s.eventually(90*time.Second, "both objections close once every channel shows the outcome", func() bool {
		s.confirmObjectionChannels(up.ID)
		s.confirmObjectionChannels(cor.ID)
		up = s.objectionCase(up.ID, s.token(a.USCC))
		cor = s.objectionCase(cor.ID, s.token(b.USCC))
		return up.Status == string(domain.ObjectionClosed) && cor.Status == string(domain.ObjectionClosed)
	})

	// Upheld: the marks are gone everywhere, the record is unchanged and still published, the letter says so.
	unmarks := up.channelStatus(string(domain.ObjectionUnmark))
	require.Len(t, unmarks, len(storage.DemoChannels))
	for ch, st := range unmarks {
		assert.Equal(t, "confirmed", st, ch)
	}
	assert.False(t, up.Record.Marked)
	for _, c := range up.Record.Channels {
		assert.False(t, c.Marked, c.ChannelID)
		assert.Equal(t, 1, c.RecordVersion)
	}
	assert.Nil(t, up.Withdrawal)
	assert.Empty(t, up.Record.Versions)
	require.Len(t, sys.objectionCalls(up.ID, "unmark"), 1)
	upText := pdfText(t, mustPDF(t, s, up.letter("objection_result"), s.token(a.USCC)))
	for _, want := range []string{"异议处理结果告知书", a.Name, "镇环罚〔2026〕42号", "异议不成立", "维持原公示信息", "已经撤除"} {
		assert.Contains(t, upText, want)
	}
	pen, err := s.db.GetPenalty(context.Background(), upheldPid)
	require.NoError(t, err)
	assert.False(t, pen.FlaggedObjection)
	assert.Equal(t, "50000.00", pen.FineAmountYuan)

	// Corrected: the record has the new values (version 2), every channel shows them, version 1 is kept.
	var p penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", correctedPid), s.token(b.USCC), nil, &p))
	pen, err = s.db.GetPenalty(context.Background(), correctedPid)
	require.NoError(t, err)
	assert.Equal(t, "30000.00", pen.FineAmountYuan)
	assert.Equal(t, "超标排放大气污染物（二氧化硫）", pen.Facts)
	assert.Equal(t, "general", pen.Class, "the class and periods are unchanged")
	assert.False(t, pen.FlaggedObjection)
	require.NotNil(t, cor.Resolution)
	require.NotNil(t, cor.Resolution.PenaltyVersion)
	assert.Equal(t, 2, *cor.Resolution.PenaltyVersion)
	assert.Equal(t, 2, cor.Record.Version)
	require.Len(t, cor.Record.Versions, 1)
	assert.Equal(t, 1, cor.Record.Versions[0].Version)
	assert.Equal(t, "50000.00", cor.Record.Versions[0].FineAmountYuan)
	assert.Equal(t, "超标排放大气污染物", cor.Record.Versions[0].Facts)
	corrects := cor.channelStatus(string(domain.ObjectionCorrect))
	require.Len(t, corrects, len(storage.DemoChannels), "republished on every channel")
	for ch, st := range corrects {
		assert.Equal(t, "confirmed", st, ch)
	}
	for _, c := range cor.Record.Channels {
		assert.Equal(t, 2, c.RecordVersion, "%s shows the corrected version", c.ChannelID)
		assert.False(t, c.Marked, c.ChannelID)
	}
	pubs, err := s.db.PublicationsOf(context.Background(), correctedPid)
	require.NoError(t, err)
	for _, pb := range pubs {
		assert.Equal(t, "published", pb.Status, "still published on %s", pb.ChannelID)
	}
	calls := sys.objectionCalls(cor.ID, "correct")
	require.Len(t, calls, 1)
	corrected := calls[0].Body["corrected"].(map[string]any)
	assert.Equal(t, "30000.00", corrected["fine_amount_yuan"])
	assert.Equal(t, float64(2), corrected["version"])
	assert.Contains(t, corrected["changes"], "fine_amount_yuan")
	var versions map[string]any
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d/versions", correctedPid), s.token(b.USCC), nil, &versions))
	assert.Equal(t, float64(2), versions["version"])
	corText := pdfText(t, mustPDF(t, s, cor.letter("objection_result"), s.token(b.USCC)))
	for _, want := range []string{"异议处理结果告知书", b.Name, "予以更正", "罚款金额更正为30000.00元"} {
		assert.Contains(t, corText, want)
	}
	s.eventually(30*time.Second, "the objection workflows complete", func() bool {
		return s.workflowStatus(workflows.ObjectionWorkflowID(up.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED &&
			s.workflowStatus(workflows.ObjectionWorkflowID(cor.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.ObjectionWorkflowID(up.ID), "objection_upheld.json")
	s.recordHistory(workflows.ObjectionWorkflowID(cor.ID), "objection_corrected.json")
}
