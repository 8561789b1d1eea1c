package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// repairAnswer is a repair case as the API answers it.
type repairAnswer struct {
	ID         int64    `json:"id"`
	PenaltyID  int64    `json:"penalty_id"`
	Status     string   `json:"status"`
	Holder     string   `json:"holder"`
	RuleSet    string   `json:"rule_set"`
	Round      int      `json:"round"`
	WaitingFor []string `json:"waiting_for"`
	Overdue    bool     `json:"overdue"`
	ReceivedOn string   `json:"received_on"`
	AcceptedOn string   `json:"accepted_on"`
	Deadlines  struct {
		Acceptance string `json:"acceptance"`
		Decision   string `json:"decision"`
		Overall    string `json:"overall"`
	} `json:"deadlines"`
	Commitment struct {
		AcceptedBy string `json:"accepted_by"`
		RemoteAddr string `json:"remote_addr"`
		LetterID   *int64 `json:"letter_id"`
	} `json:"commitment"`
	Decision *struct {
		Approved bool   `json:"approved"`
		Number   string `json:"number"`
		InTime   *bool  `json:"in_time"`
	} `json:"decision"`
	History []struct {
		Step  string `json:"step"`
		Actor string `json:"actor"`
		At    string `json:"at"`
	} `json:"history"`
	Letters []struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Number string `json:"number"`
		URL    string `json:"url"`
	} `json:"letters"`
	Attachments []struct {
		ID       int64  `json:"id"`
		Filename string `json:"filename"`
		Purpose  string `json:"purpose"`
	} `json:"attachments"`
	Withdrawal *struct {
		ID     int64  `json:"id"`
		Cause  string `json:"cause"`
		Status string `json:"status"`
	} `json:"withdrawal"`
	FraudBan *struct {
		BannedUntil string `json:"banned_until"`
	} `json:"fraud_ban"`
}

type repairErr struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// e2ePDF is a small real PDF to upload as material.
var e2ePDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// uploadFile posts a file to /api/v1/attachments with its name sent as given; it returns the status and the
// answer.
func (s *stack) uploadFile(token, filename string, content []byte) (int, map[string]any) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.ReplaceAll(filename, `\`, `\\`)+`"`)
	pw, err := mw.CreatePart(h)
	require.NoError(s.t, err)
	_, _ = pw.Write(content)
	require.NoError(s.t, mw.Close())
	req, err := http.NewRequest("POST", s.base+"/api/v1/attachments", &body)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(s.t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

// registerGeneralFine registers a general-class fine of sthjj decided on a date and returns the penalty.
func (s *stack) registerGeneralFine(no string, ent storage.Enterprise, decided string) penaltyAnswer {
	s.t.Helper()
	var p penaltyAnswer
	require.Equal(s.t, 201, s.call("POST", "/api/v1/penalties", s.token("sthjj"), map[string]any{
		"decision_no": no, "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": decided,
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放大气污染物", "legal_basis": "《大气污染防治法》第九十九条",
	}, &p))
	return p
}

func (s *stack) repair(id int64, token string) repairAnswer {
	s.t.Helper()
	var r repairAnswer
	require.Equal(s.t, 200, s.call("GET", fmt.Sprintf("/api/v1/repairs/%d", id), token, nil, &r))
	return r
}

// letterText downloads a letter and returns its text.
func (s *stack) letterText(id int64, token string) string {
	s.t.Helper()
	pdf, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", id), token)
	require.Equal(s.t, 200, code)
	return pdfText(s.t, pdf)
}

// confirmManualChannels confirms, as each channel's operator, every manual channel of a withdrawal order not
// confirmed yet.
func (s *stack) confirmManualChannels(order int64) {
	s.t.Helper()
	var wd struct {
		Channels []struct {
			ChannelID string `json:"channel_id"`
			Kind      string `json:"kind"`
			Status    string `json:"status"`
		} `json:"channels"`
	}
	if s.call("GET", fmt.Sprintf("/api/v1/withdrawals/%d", order), s.token("office"), nil, &wd) != 200 {
		return
	}
	for _, ch := range wd.Channels {
		login, ok := storage.DemoOperatorLogins[ch.ChannelID]
		if ch.Kind != "manual" || ch.Status == "confirmed" || !ok {
			continue
		}
		s.call("POST", fmt.Sprintf("/api/v1/withdrawals/%d/channels/%s/confirm", order, ch.ChannelID), s.token(login),
			map[string]any{"reference": "撤下-" + ch.ChannelID}, nil)
	}
}

func letterOf(r repairAnswer, kind string) int64 {
	for _, l := range r.Letters {
		if l.Kind == kind {
			return l.ID
		}
	}
	return 0
}

// TestRepairApprovedWithdrawnEverywhereThenRevokedForFraud: acceptance 1 and 5. An application before the minimum
// period is refused with the date; after it, the case runs accept → verify → approve → withdrawal on every channel
// → closed, each letter complete; then the credit office revokes the repair for fraud: the record is republished
// and a new application is refused for 3 years, with the date.
func TestRepairApprovedWithdrawnEverywhereThenRevokedForFraud(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	firm, sthjj, office := s.token(a.USCC), s.token("sthjj"), s.token("office")

	// Too early: decided ten days ago, a general record may be repaired after 3 months.
	recentDay := domain.Today().AddDays(-10)
	recent := s.registerGeneralFine("镇环罚〔2026〕98号", a, recentDay.String())
	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": recent.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "not_yet_eligible", e.Error.Code)
	assert.Equal(t, recentDay.AddMonths(3).AddDays(1).String(), e.Error.Details["eligible_from"])
	assert.Contains(t, e.Error.Message, recentDay.AddMonths(3).AddDays(1).String())

	// Decided on 2026-05-20: eligible since 2026-08-21.
	p := s.registerGeneralFine("镇环罚〔2026〕15号", a, "2026-05-20")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": "2026-05-22", "signed_by": "王堃"}, nil))
	var el map[string]any
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d/eligibility", p.ID), firm, nil, &el))
	require.Equal(t, true, el["eligible"], "%v", el)
	code, up := s.uploadFile(firm, "罚款缴纳凭证.pdf", e2ePDF)
	require.Equal(t, 201, code, "%v", up)

	var r repairAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"statement": "罚款已于2026年6月1日缴清，废气处理设施已完成改造", "attachment_ids": []any{up["id"]}}, &r))
	assert.EqualValues(t, domain.RepairPendingAcceptance, r.Status, "forwarded to the department at once")
	assert.Equal(t, "department", r.Holder)
	assert.Equal(t, "ndrc-2026", r.RuleSet)
	assert.NotEmpty(t, r.Deadlines.Acceptance)
	assert.NotEmpty(t, r.Deadlines.Overall)
	require.NotNil(t, r.Commitment.LetterID)
	assert.Equal(t, a.USCC, r.Commitment.AcceptedBy)
	assert.NotEmpty(t, r.Commitment.RemoteAddr)
	commitment := s.letterText(*r.Commitment.LetterID, firm)
	for _, want := range []string{"信用承诺书", a.Name, a.USCC, a.LegalRepresentative, "镇环罚〔2026〕15号", "生态环境局", "通过信用修复协同平台在线确认"} {
		assert.Contains(t, commitment, want)
	}
	// The department's inbox has it, with its due date.
	var tasks struct {
		Items []struct {
			CaseKind string  `json:"case_kind"`
			CaseID   string  `json:"case_id"`
			Step     string  `json:"step"`
			DueOn    *string `json:"due_on"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/tasks", sthjj, nil, &tasks))
	found := false
	for _, tk := range tasks.Items {
		if tk.CaseKind == "repair" && tk.CaseID == fmt.Sprint(r.ID) && tk.Step == "acceptance" {
			found = true
			require.NotNil(t, tk.DueOn)
			assert.Equal(t, r.Deadlines.Acceptance, *tk.DueOn)
		}
	}
	assert.True(t, found, "the acceptance task is in the department's inbox")

	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), sthjj, nil, &r))
	assert.EqualValues(t, domain.RepairVerifying, r.Status)
	assert.NotEmpty(t, r.Deadlines.Decision)
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": true, "reason": "已缴清罚款并完成整改，作出信用承诺"}, &r))
	assert.EqualValues(t, domain.RepairApproved, r.Status)
	require.NotNil(t, r.Decision)
	require.True(t, r.Decision.Approved)
	require.True(t, *r.Decision.InTime)
	number := r.Decision.Number
	approval := s.letterText(letterOf(r, "repair_approved"), firm)
	for _, want := range []string{"准予信用修复决定书", number, a.Name, a.USCC, "镇环罚〔2026〕15号", "信用中国", "准予信用修复", "已缴清罚款并完成整改"} {
		assert.Contains(t, approval, want)
	}

	// The penalty's workflow orders the withdrawal with cause repair; every channel's operator confirms.
	var order int64
	s.eventually(60*time.Second, "the withdrawal order of the repair", func() bool {
		var pa penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa)
		if pa.Withdrawal != nil {
			order = pa.Withdrawal.ID
		}
		return order != 0
	})
	s.eventually(90*time.Second, "the repair case closes once every channel confirmed", func() bool {
		s.confirmManualChannels(order)
		return s.repair(r.ID, firm).Status == string(domain.RepairClosed)
	})
	r = s.repair(r.ID, firm)
	require.NotNil(t, r.Withdrawal)
	assert.Equal(t, "repair", r.Withdrawal.Cause)
	assert.Equal(t, "completed", r.Withdrawal.Status)
	var pa penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa))
	assert.EqualValues(t, domain.PenaltyWithdrawn, pa.Status)
	for _, pub := range pa.Publications {
		assert.Equal(t, "withdrawn", pub.Status, pub.ChannelID)
	}
	var steps []string
	for _, h := range r.History {
		steps = append(steps, h.Step)
	}
	for _, want := range []string{"repair.submitted", "repair.received", "repair.forwarded", "repair.accepted", "repair.approved",
		"repair.withdrawal_requested", "repair.closed"} {
		assert.Contains(t, steps, want)
	}
	s.eventually(30*time.Second, "the repair workflow ends", func() bool {
		return s.workflowStatus(workflows.RepairWorkflowID(r.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.RepairWorkflowID(r.ID), "repair_approved.json")

	// A closed case's workflow has ended: steps that do not fit are still refused, by a resumed run.
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), sthjj, nil, &e))
	assert.Equal(t, workflows.RejectInvalidTransition, e.Error.Code)

	// Acceptance 5: fraud. Only the credit office revokes, with a reason.
	require.Equal(t, 403, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/revoke", r.ID), sthjj, map[string]any{"reason": "虚假材料"}, &e))
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/revoke", r.ID), office, map[string]any{"reason": " "}, &e))
	assert.Equal(t, "reason_required", e.Error.Code)
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/revoke", r.ID), office,
		map[string]any{"reason": "提供的罚款缴纳凭证系伪造"}, &r))
	assert.EqualValues(t, domain.RepairRevoked, r.Status)
	until := domain.Today().AddMonths(36)
	require.NotNil(t, r.FraudBan)
	assert.Equal(t, until.String(), r.FraudBan.BannedUntil)
	revocation := s.letterText(letterOf(r, "repair_revoked"), firm)
	for _, want := range []string{"撤销信用修复决定书", number, "镇环罚〔2026〕15号", "提供的罚款缴纳凭证系伪造", "恢复公示"} {
		assert.Contains(t, revocation, want)
	}
	// The record is back on its channels (an explicit republication lifts the no-re-insertion guard).
	s.eventually(60*time.Second, "the record is republished", func() bool {
		var pa penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa)
		if pa.Status != string(domain.PenaltyPublished) || len(pa.Publications) == 0 {
			return false
		}
		for _, pub := range pa.Publications {
			if pub.Status == "withdrawn" {
				return false
			}
		}
		return true
	})
	var republished int
	require.NoError(t, s.db.Get(&republished, `SELECT count(*) FROM publications WHERE penalty_id = $1 AND republished_at IS NOT NULL`, p.ID))
	assert.Equal(t, len(pa.Publications), republished)
	// The channels' operators confirm the republication: their confirmations reach the workflow that runs it.
	s.publishRecordEverywhere(p.ID)
	// A new application is refused for 3 years, with the date.
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "not_yet_eligible", e.Error.Code)
	assert.Equal(t, "fraud_ban", e.Error.Details["rule"])
	assert.Equal(t, until.AddDays(1).String(), e.Error.Details["eligible_from"])
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d/eligibility", p.ID), firm, nil, &el))
	assert.Equal(t, until.AddDays(1).String(), el["eligible_from"])
}

// TestRepairSupplementPathInvalidStepsAndUploads: acceptance 2, 6 and 7. The department asks once for every missing
// item in a letter, the enterprise supplements, the department accepts; wrong steps are refused and change
// nothing; bad uploads are refused with clear errors.
func TestRepairSupplementPathInvalidStepsAndUploads(t *testing.T) {
	s := newStack(t)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	firm, sthjj, scjgj := s.token(a.USCC), s.token("sthjj"), s.token("scjgj")

	// Acceptance 7: uploads checked by content, size and name.
	var e repairErr
	code, out := s.uploadFile(firm, "凭证.pdf", []byte("这不是PDF文件"))
	assert.Equal(t, 415, code)
	assert.Equal(t, "unsupported_file_type", out["error"].(map[string]any)["code"])
	assert.Contains(t, out["error"].(map[string]any)["message"], "内容不是有效的PDF")
	big := append(append([]byte{}, e2ePDF...), make([]byte, 10<<20)...)
	code, out = s.uploadFile(firm, "大文件.pdf", big)
	assert.Equal(t, 413, code)
	assert.Equal(t, "file_too_large", out["error"].(map[string]any)["code"])
	for _, name := range []string{"../../etc/passwd", `a\b.pdf`} {
		code, out = s.uploadFile(firm, name, e2ePDF)
		assert.Equal(t, 422, code, name)
		assert.Equal(t, "invalid_file_name", out["error"].(map[string]any)["code"], name)
	}
	var stored int
	require.NoError(t, s.db.Get(&stored, `SELECT count(*) FROM attachments`))
	assert.Zero(t, stored, "refused uploads store nothing")

	p := s.registerGeneralFine("镇环罚〔2026〕21号", a, "2026-05-20")
	var r repairAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"statement": "已缴清罚款"}, &r))
	require.EqualValues(t, domain.RepairPendingAcceptance, r.Status)
	path := fmt.Sprintf("/api/v1/repairs/%d", r.ID)
	historyLen := len(s.repair(r.ID, firm).History)

	// Acceptance 6: deciding before accepting, another department's step, the enterprise's own step on a case it
	// does not own: refused, nothing changes.
	require.Equal(t, 409, s.call("POST", path+"/decide", sthjj, map[string]any{"approved": true}, &e))
	assert.Equal(t, workflows.RejectInvalidTransition, e.Error.Code)
	assert.Regexp(t, `\p{Han}`, e.Error.Message)
	require.Equal(t, 404, s.call("POST", path+"/accept", scjgj, nil, &e))
	require.Equal(t, 404, s.call("GET", path, s.token(b.USCC), nil, &e))
	require.Equal(t, 404, s.call("POST", path+"/withdraw", s.token(b.USCC), nil, &e))
	require.Equal(t, 409, s.call("POST", path+"/supplement", firm, map[string]any{"statement": "提前补充"}, &e))
	after := s.repair(r.ID, firm)
	assert.EqualValues(t, domain.RepairPendingAcceptance, after.Status)
	assert.Len(t, after.History, historyLen, "refused steps leave no trace")

	// Acceptance 2: one request listing every missing item, in a letter.
	items := []string{"罚款缴纳凭证（银行回单）", "废气处理设施改造验收报告", "法定代表人身份证明"}
	require.Equal(t, 200, s.call("POST", path+"/request-supplement", sthjj, map[string]any{"items": items}, &r))
	assert.EqualValues(t, domain.RepairSupplementRequested, r.Status)
	assert.Equal(t, "enterprise", r.Holder)
	notice := s.letterText(letterOf(r, "supplement_notice"), firm)
	for _, want := range append([]string{"补正通知书", a.Name, "镇环罚〔2026〕21号"}, items...) {
		assert.Contains(t, notice, want)
	}
	require.Equal(t, 409, s.call("POST", path+"/request-supplement", sthjj, map[string]any{"items": []string{"其他材料"}}, &e),
		"the missing items are told once")
	require.Equal(t, 409, s.call("POST", path+"/accept", sthjj, nil, &e), "nothing to accept while the enterprise supplements")

	code, up := s.uploadFile(firm, "银行回单.pdf", e2ePDF)
	require.Equal(t, 201, code)
	require.Equal(t, 200, s.call("POST", path+"/supplement", firm, map[string]any{"attachment_ids": []any{up["id"]},
		"statement": "已补齐全部材料"}, &r))
	assert.EqualValues(t, domain.RepairPendingAcceptance, r.Status, "back in the department's inbox")
	assert.Equal(t, domain.Today().String(), r.ReceivedOn, "the acceptance clock restarts with the supplement")
	require.Len(t, r.Attachments, 1)
	assert.Equal(t, "supplement", r.Attachments[0].Purpose)
	// The department reads the supplement.
	_, code = s.get(fmt.Sprintf("/api/v1/attachments/%v/content", up["id"]), sthjj)
	assert.Equal(t, 200, code)
	_, code = s.get(fmt.Sprintf("/api/v1/attachments/%v/content", up["id"]), scjgj)
	assert.Equal(t, 404, code)

	require.Equal(t, 200, s.call("POST", path+"/accept", sthjj, nil, &r))
	assert.EqualValues(t, domain.RepairVerifying, r.Status)
	require.Equal(t, 409, s.call("POST", path+"/accept", sthjj, nil, &e), "accepting twice")
	assert.Equal(t, workflows.RejectInvalidTransition, e.Error.Code)
	require.Equal(t, 200, s.call("POST", path+"/extend", sthjj, map[string]any{"reason": "需现场核查"}, &r))
	assert.True(t, s.repair(r.ID, firm).Deadlines.Decision > after.Deadlines.Acceptance)
	require.Equal(t, 409, s.call("POST", path+"/extend", sthjj, map[string]any{"reason": "再次延期"}, &e))
	extension := s.letterText(letterOf(r, "extension_notice"), firm)
	assert.Contains(t, extension, "需现场核查")

	// The enterprise withdraws before the decision; afterwards nothing more happens on the case.
	require.Equal(t, 200, s.call("POST", path+"/withdraw", firm, map[string]any{"reason": "自愿撤回"}, &r))
	assert.EqualValues(t, domain.RepairCancelled, r.Status)
	s.eventually(30*time.Second, "the cancelled case's workflow ends", func() bool {
		return s.workflowStatus(workflows.RepairWorkflowID(r.ID)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.RepairWorkflowID(r.ID), "repair_supplement_cancelled.json")
	require.Equal(t, 409, s.call("POST", path+"/decide", sthjj, map[string]any{"approved": true}, &e))
	assert.Equal(t, workflows.RejectInvalidTransition, e.Error.Code)
	assert.EqualValues(t, domain.RepairCancelled, s.repair(r.ID, firm).Status)

	// A withdrawn application leaves room for a new one.
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &r))
}

// TestRepairWaitsForTrainingUnderALocalRuleSet: acceptance 4. A department of Zhenjiang (321100) is under the local
// overlay js-zj-2026, which requires training for serious records: the case waits for a certificate, visibly, and
// continues by itself when the training workflow's signal brings one.
func TestRepairWaitsForTrainingUnderALocalRuleSet(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	require.NoError(t, s.db.UpsertDepartment(ctx, storage.Department{ID: "zjzjj", Name: "镇江市住房和城乡建设局",
		Jurisdiction: "321100", Sector: "general", Contact: "0511-80000009"}))
	// The overlay ships inactive (Order 36 arts. 14-15); Zhenjiang has checked its basis and activated it.
	require.NoError(t, s.db.SetRuleSetActive(ctx, "js-zj-2026", true))
	_, err := s.db.UpsertUser(ctx, storage.NewUser{Login: "zjzjj", DisplayName: "镇江市住房和城乡建设局", Role: domain.RoleDepartment,
		DepartmentID: "zjzjj", Password: storage.DemoPassword})
	require.NoError(t, err)
	a := storage.DemoEnterprises[2]
	firm, dept := s.token(a.USCC), s.token("zjzjj")

	var p penaltyAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", dept, map[string]any{
		"decision_no": "镇建罚〔2025〕7号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": "2025-06-10",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 2000000, "class": "serious",
		"facts": "未取得施工许可擅自施工", "legal_basis": "《建筑法》",
	}, &p))
	require.Equal(t, "serious", p.Class)
	var el map[string]any
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d/eligibility", p.ID), firm, nil, &el))
	require.Equal(t, true, el["eligible"], "%v", el)
	assert.Equal(t, "js-zj-2026", el["rule_set"])
	assert.Contains(t, el["missing"], "信用修复培训合格证明")

	var r repairAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &r))
	assert.EqualValues(t, domain.RepairWaitingConditions, r.Status)
	assert.Equal(t, []string{workflows.ConditionTrainingCertificate}, r.WaitingFor)
	assert.Equal(t, "js-zj-2026", r.RuleSet)
	var e repairErr
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), dept, nil, &e), "not in the inbox yet")
	// The training issue finds the case by its flag.
	waiting, err := s.db.WaitingRepairs(ctx, a.USCC)
	require.NoError(t, err)
	require.Equal(t, []int64{r.ID}, waiting)

	// A session's certificate, as the training workflow issues and announces it.
	cert, err := s.acts.IssueLetter(ctx, activities.IssueLetterInput{CaseKind: "training", CaseID: "1:" + a.USCC, Version: 1, USCC: a.USCC,
		Letter: letters.TrainingCertificate(letters.TrainingCertificateData{
			Issue:          letters.Issue{Issuer: "市信用办", Number: "信修培证〔2026〕1-1号", Date: domain.Today().Time(domain.Shanghai)},
			EnterpriseName: a.Name, USCC: a.USCC, Attendee: a.LegalRepresentative, AttendeeRole: "法定代表人",
			TrainingTitle: "2026年第四期信用修复培训", StartsAt: time.Now(), EndsAt: time.Now().Add(4 * time.Hour), Venue: "市政务服务中心",
			ClassHours: 4, Agency: "镇江诚信信用服务有限公司", Score: 90, PassScore: 60,
		})})
	require.NoError(t, err)
	for _, id := range waiting {
		require.NoError(t, s.temporal.SignalWorkflow(ctx, workflows.RepairWorkflowID(id), "", workflows.SignalTrainingCertificate,
			workflows.TrainingCertificateSignal{LetterID: cert.ID, TrainingID: 1, USCC: a.USCC}))
	}
	s.eventually(30*time.Second, "the case continues to the department", func() bool {
		return s.repair(r.ID, firm).Status == string(domain.RepairPendingAcceptance)
	})
	r = s.repair(r.ID, firm)
	assert.Empty(t, r.WaitingFor)
	assert.NotEmpty(t, r.Deadlines.Acceptance)
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), dept, nil, &r))
	assert.EqualValues(t, domain.RepairVerifying, r.Status)
}
