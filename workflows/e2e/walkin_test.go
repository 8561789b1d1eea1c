package e2e

import (
	"bytes"
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

	"xinyong/domain"
	"xinyong/storage"
)

// uploadFor posts a file to /api/v1/attachments?uscc=…, as the credit office files a walk-in's materials.
func (s *stack) uploadFor(token, uscc, filename string) (int, map[string]any) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	pw, err := mw.CreatePart(h)
	require.NoError(s.t, err)
	_, _ = pw.Write(e2ePDF)
	require.NoError(s.t, mw.Close())
	req, err := http.NewRequest("POST", s.base+"/api/v1/attachments?uscc="+uscc, &body)
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

// TestWalkInRepairRunsLikeAnOnlineOne is acceptance 5 of issue 15: the credit office registers a repair
// application at the window for an enterprise, with the scanned signed commitment; the department decides it and
// every channel withdraws the record, as for an online application; the enterprise sees the case online.
func TestWalkInRepairRunsLikeAnOnlineOne(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[3]
	firm, sthjj, office := s.token(a.USCC), s.token("sthjj"), s.token("office")
	p := s.registerGeneralFine("镇环罚〔2026〕61号", a, "2026-05-20")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": "2026-05-22", "signed_by": "李昇"}, nil))

	// Without the USCC, or without the scanned commitment, nothing is filed.
	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", office, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "invalid_uscc", e.Error.Code)
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", office, map[string]any{"penalty_id": p.ID, "uscc": a.USCC, "commitment_accepted": true}, &e))
	assert.Equal(t, "window_commitment_required", e.Error.Code)
	// Another enterprise's record cannot be named.
	code, up := s.uploadFor(office, a.USCC, "信用承诺书（签章扫描件）.pdf")
	require.Equal(t, 201, code, "%v", up)
	require.Equal(t, 404, s.call("POST", "/api/v1/repairs", office, map[string]any{"penalty_id": p.ID, "uscc": storage.DemoEnterprises[1].USCC,
		"commitment_accepted": true, "attachment_ids": []any{up["id"]}}, nil))
	// An enterprise cannot file for another.
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "uscc": a.USCC, "commitment_accepted": true}, &e))
	assert.Equal(t, "unexpected_uscc", e.Error.Code)

	var r repairAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", office, map[string]any{"penalty_id": p.ID, "uscc": a.USCC,
		"commitment_accepted": true, "statement": "窗口受理：罚款已缴清", "attachment_ids": []any{up["id"]}}, &r))
	assert.EqualValues(t, domain.RepairPendingAcceptance, r.Status)

	// The enterprise sees it online, with the window's materials.
	seen := s.repair(r.ID, firm)
	require.NotEmpty(t, seen.Attachments)

	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), sthjj, nil, &r))
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": true, "reason": "已缴清罚款"}, &r))
	assert.EqualValues(t, domain.RepairApproved, r.Status)
	var order int64
	s.eventually(60*time.Second, "the withdrawal order", func() bool {
		var pa penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa)
		if pa.Withdrawal != nil {
			order = pa.Withdrawal.ID
		}
		return order != 0
	})
	s.eventually(90*time.Second, "every channel withdrew", func() bool {
		s.confirmManualChannels(order)
		return s.repair(r.ID, firm).Status == string(domain.RepairClosed)
	})
	var pa penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa))
	assert.EqualValues(t, domain.PenaltyWithdrawn, pa.Status)
	for _, pub := range pa.Publications {
		assert.Equal(t, "withdrawn", pub.Status, pub.ChannelID)
	}
}

// TestWalkInObjection: the credit office files an objection at the window for the enterprise it names; the
// department has it in its inbox and the enterprise sees it online.
func TestWalkInObjection(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[4]
	office, firm := s.token("office"), s.token(a.USCC)
	p := s.registerGeneralFine("镇环罚〔2026〕81号", a, "2026-05-20")
	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/objections", office, map[string]any{"penalty_id": p.ID, "uscc": a.USCC,
		"grounds": "not_mine", "statement": "窗口受理：本企业未发生该违法行为", "commitment_accepted": true}, &e))
	assert.Equal(t, "window_commitment_required", e.Error.Code)
	code, up := s.uploadFor(office, a.USCC, "异议申请书（签章扫描件）.pdf")
	require.Equal(t, 201, code, "%v", up)
	var o struct {
		ID          int64  `json:"id"`
		FiledByRole string `json:"filed_by_role"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/objections", office, map[string]any{"penalty_id": p.ID, "uscc": a.USCC,
		"grounds": "not_mine", "statement": "窗口受理：本企业未发生该违法行为", "commitment_accepted": true,
		"attachment_ids": []any{up["id"]}}, &o))
	assert.Equal(t, "credit_office", o.FiledByRole)
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/objections/%d", o.ID), firm, nil, nil), "the enterprise sees it")
	s.eventually(30*time.Second, "the department's verify task", func() bool {
		var n int
		require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM tasks WHERE case_kind = 'objection' AND case_id = $1 AND assignee_role = 'department' AND status = 'open'`,
			fmt.Sprint(o.ID)))
		return n > 0
	})

	// Issue 16: the enterprise's inbox tells it the objection was accepted and forwarded, then answered.
	home := func() string {
		page, code := s.get("/", firm)
		require.Equal(t, 200, code)
		return string(page)
	}
	s.eventually(30*time.Second, "the enterprise's notice of acceptance", func() bool {
		return strings.Contains(home(), "异议申请已受理")
	})
	h := home()
	assert.Contains(t, h, "异议通知")
	assert.Contains(t, h, fmt.Sprintf(`/objections/%d`, o.ID))
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/objections/%d/resolve", o.ID), s.token("sthjj"), map[string]any{
		"outcome": "upheld", "reason": "经核查，处罚认定的违法主体无误"}, nil))
	s.eventually(30*time.Second, "the enterprise's notice of the answer", func() bool {
		return strings.Contains(home(), "异议处理结果")
	})
	other, code := s.get("/", s.token(storage.DemoEnterprises[3].USCC))
	require.Equal(t, 200, code)
	assert.NotContains(t, string(other), "异议处理结果", "only the enterprise's own notices")
}
