package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

type trainingAnswer struct {
	ID             int64  `json:"id"`
	Title          string `json:"title"`
	Status         string `json:"status"`
	Capacity       int    `json:"capacity"`
	Enrolled       int    `json:"enrolled"`
	Waitlisted     int    `json:"waitlisted"`
	EnrollmentOpen bool   `json:"enrollment_open"`
	PlanLetter     *struct {
		ID         int64  `json:"id"`
		Kind       string `json:"kind"`
		URL        string `json:"url"`
		VerifyCode string `json:"verify_code"`
	} `json:"plan_letter"`
	Enrollments []struct {
		USCC             string `json:"uscc"`
		Status           string `json:"status"`
		WaitlistPosition *int   `json:"waitlist_position"`
		Attended         *bool  `json:"attended"`
		Score            *int   `json:"score"`
		Passed           *bool  `json:"passed"`
	} `json:"enrollments"`
	Certificates []struct {
		ID         int64  `json:"id"`
		Kind       string `json:"kind"`
		USCC       string `json:"uscc"`
		URL        string `json:"url"`
		VerifyCode string `json:"verify_code"`
	} `json:"certificates"`
}

func (a trainingAnswer) status(uscc string) string {
	for _, e := range a.Enrollments {
		if e.USCC == uscc {
			return e.Status
		}
	}
	return ""
}

type trainingErr struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// send makes a request with a raw body and returns the answer's bytes and status.
func (s *stack) send(method, path, token, contentType string, body []byte) ([]byte, int) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(string(body)))
	require.NoError(s.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return raw, resp.StatusCode
}

// planTraining creates a session as the credit office.
func (s *stack) planTraining(office string, starts time.Time, capacity int) trainingAnswer {
	s.t.Helper()
	var tr trainingAnswer
	status := s.call("POST", "/api/v1/trainings", office, map[string]any{
		"title": "信用修复专题培训（第三期）", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
		"venue": "镇江市政务服务中心三楼报告厅", "capacity": capacity, "class_hours": 3, "agency": "agency", "pass_score": 60,
	}, &tr)
	require.Equal(s.t, 201, status)
	return tr
}

func (s *stack) training(id int64, token string) trainingAnswer {
	s.t.Helper()
	var tr trainingAnswer
	require.Equal(s.t, 200, s.call("GET", fmt.Sprintf("/api/v1/trainings/%d", id), token, nil, &tr))
	return tr
}

// Acceptance 1: a session with capacity 2 and three enrollments puts the third on the waiting list and moves it up
// when one cancels.
func TestTrainingWaitingListMovesUpWhenOneCancels(t *testing.T) {
	s := newStack(t)
	office := s.token("office")
	a, b, c, d := storage.DemoEnterprises[1], storage.DemoEnterprises[2], storage.DemoEnterprises[3], storage.DemoEnterprises[4]
	tr := s.planTraining(office, time.Now().Add(48*time.Hour), 2)
	require.NotNil(t, tr.PlanLetter, "the 201 carries the training plan")
	assert.Equal(t, "training_plan", tr.PlanLetter.Kind)
	plan, code := s.send("GET", tr.PlanLetter.URL, s.token("agency"), "", nil)
	require.Equal(t, 200, code)
	text := pdfText(t, plan)
	for _, want := range []string{"信用修复培训方案", "信用修复专题培训（第三期）", "镇江市政务服务中心三楼报告厅", "3学时", "镇江诚信信用服务有限公司"} {
		assert.Contains(t, text, want)
	}
	path := fmt.Sprintf("/api/v1/trainings/%d/enrollments", tr.ID)

	var out struct {
		Enrollments []workflows.EnrollOutcome `json:"enrollments"`
	}
	require.Equal(t, 201, s.call("POST", path, s.token(a.USCC), nil, &out))
	assert.EqualValues(t, "enrolled", out.Enrollments[0].Status)
	require.Equal(t, 201, s.call("POST", path, s.token(b.USCC), nil, &out))
	assert.EqualValues(t, "enrolled", out.Enrollments[0].Status)

	// A department enrolls an enterprise it penalized; one it never penalized is not found.
	var pen map[string]any
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", s.token("sthjj"), map[string]any{
		"decision_no": "镇环罚〔2026〕88号", "uscc": c.USCC, "enterprise_name": c.Name, "decided_on": domain.Today().String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 30000, "facts": "未按规定贮存危险废物", "legal_basis": "《固体废物污染环境防治法》",
	}, &pen))
	var e trainingErr
	require.Equal(t, 404, s.call("POST", path, s.token("sthjj"), map[string]any{"usccs": []string{c.USCC, d.USCC}}, &e))
	assert.Equal(t, "not_found", e.Error.Code)
	require.Equal(t, 201, s.call("POST", path, s.token("sthjj"), map[string]any{"usccs": []string{c.USCC}}, &out))
	require.Len(t, out.Enrollments, 1)
	assert.Equal(t, workflows.EnrollOutcome{USCC: c.USCC, Status: "waitlisted", WaitlistPosition: 1}, out.Enrollments[0])
	require.Equal(t, 409, s.call("POST", path, s.token(c.USCC), nil, &e))
	assert.Equal(t, "already_enrolled", e.Error.Code)

	got := s.training(tr.ID, office)
	assert.Equal(t, 2, got.Enrolled)
	assert.Equal(t, 1, got.Waitlisted)
	assert.Equal(t, "waitlisted", got.status(c.USCC))
	// An enterprise sees only its own enrollment; another enterprise's cancellation is not its business.
	mine := s.training(tr.ID, s.token(d.USCC))
	assert.Empty(t, mine.Enrollments)
	require.Equal(t, 404, s.call("DELETE", fmt.Sprintf("%s/%s", path, a.USCC), s.token(d.USCC), nil, &e))

	// A cancels: C moves up.
	require.Equal(t, 200, s.call("DELETE", fmt.Sprintf("%s/%s", path, a.USCC), s.token(a.USCC), nil, &got))
	got = s.training(tr.ID, office)
	assert.Equal(t, "cancelled", got.status(a.USCC))
	assert.Equal(t, "enrolled", got.status(c.USCC))
	assert.Equal(t, 2, got.Enrolled)
	assert.Equal(t, 0, got.Waitlisted)
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("%s/%s/cancel", path, a.USCC), s.token(a.USCC), nil, &e))
	assert.Equal(t, "not_enrolled", e.Error.Code)

	// C was told it moved up.
	ns, err := s.db.NotificationsFor(context.Background(), c.USCC, "", 20)
	require.NoError(t, err)
	var kinds []string
	for _, n := range ns {
		kinds = append(kinds, n.Kind)
	}
	assert.Contains(t, kinds, "training_waitlisted")
	assert.Contains(t, kinds, "training_enrolled")
}

// Acceptance 2 and 4: attendance and a passing score produce a certificate naming the enterprise, the session, its
// date and class hours, with a working verification code; absence or a failing score produce none; only the
// session's agency and the credit office record attendance and scores; a CSV with bad rows reports them by row.
func TestTrainingAttendanceResultsAndCertificates(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	_, err := s.db.UpsertUser(ctx, storage.NewUser{Login: "agency2", DisplayName: "另一家信用服务机构", Role: domain.RoleAgency, Password: "demo"})
	require.NoError(t, err)
	office, agency := s.token("office"), s.token("agency")
	a, b, c, d := storage.DemoEnterprises[1], storage.DemoEnterprises[2], storage.DemoEnterprises[3], storage.DemoEnterprises[4]
	// Soon enough to wait for, late enough to enroll three enterprises first even on a busy machine.
	starts := time.Now().Add(12 * time.Second).Truncate(time.Second)
	tr := s.planTraining(office, starts, 5)
	path := fmt.Sprintf("/api/v1/trainings/%d", tr.ID)
	for _, u := range []string{a.USCC, b.USCC, c.USCC} {
		require.Equal(t, 201, s.call("POST", path+"/enrollments", s.token(u), nil, nil))
	}

	attendA := map[string]any{"uscc": a.USCC, "attended": true, "attendee_name": "王堃", "attendee_role": "legal_representative"}
	var e trainingErr
	if time.Now().Before(starts) {
		require.Equal(t, 409, s.call("POST", path+"/attendance", agency, attendA, &e))
		assert.Equal(t, "session_not_started", e.Error.Code)
	}
	s.eventually(30*time.Second, "the session starts", func() bool {
		return s.call("POST", path+"/attendance", agency, attendA, nil) == 200
	})
	// Only the session's agency and the credit office record: another agency does not even see the session,
	// enterprises and departments may not.
	require.Equal(t, 404, s.call("POST", path+"/attendance", s.token("agency2"), attendA, &e))
	require.Equal(t, 404, s.call("POST", path+"/results", s.token("agency2"), map[string]any{"uscc": a.USCC, "score": 100}, &e))
	require.Equal(t, 403, s.call("POST", path+"/results", s.token(a.USCC), map[string]any{"uscc": a.USCC, "score": 100}, &e))
	require.Equal(t, 403, s.call("POST", path+"/attendance", s.token("sthjj"), attendA, &e))
	require.Equal(t, 422, s.call("POST", path+"/results", agency, map[string]any{"uscc": a.USCC, "score": 101}, &e))
	assert.Equal(t, "invalid_score", e.Error.Code)
	require.Equal(t, 422, s.call("POST", path+"/attendance", agency, map[string]any{"uscc": d.USCC, "attended": true,
		"attendee_name": "陈啰", "attendee_role": "legal_representative"}, &e))
	assert.Equal(t, "not_enrolled", e.Error.Code)

	var enr struct {
		Score  *int  `json:"score"`
		Passed *bool `json:"passed"`
	}
	require.Equal(t, 200, s.call("POST", path+"/results", office, map[string]any{"uscc": a.USCC, "score": 85}, &enr))
	require.NotNil(t, enr.Passed)
	assert.True(t, *enr.Passed)

	// B attended and failed, C was absent (a score without attendance earns nothing); bad rows are reported by row.
	csvBody := "uscc,attended,attendee_name,attendee_role,score\n" +
		b.USCC + ",true,张喆,responsible_manager,40\n" +
		c.USCC + ",false,,,90\n" +
		"91321100MA1MXY2K08,true,某人,legal_representative,70\n" +
		d.USCC + ",true,陈啰,legal_representative,80\n" +
		b.USCC + ",maybe,张喆,responsible_manager,\n" +
		a.USCC + ",,,,abc\n"
	raw, code := s.send("POST", path+"/results/import", agency, "text/csv", []byte(csvBody))
	require.Equal(t, 200, code, "%s", raw)
	var imp struct {
		Applied  int `json:"applied"`
		Rejected int `json:"rejected"`
		Rows     []struct {
			Row    int    `json:"row"`
			Status string `json:"status"`
			Code   string `json:"code"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(raw, &imp))
	assert.Equal(t, 2, imp.Applied)
	assert.Equal(t, 4, imp.Rejected)
	byRow := map[int]string{}
	for _, r := range imp.Rows {
		byRow[r.Row] = r.Status + ":" + r.Code
	}
	assert.Equal(t, map[int]string{2: "applied:", 3: "applied:", 4: "rejected:invalid_uscc", 5: "rejected:not_enrolled",
		6: "rejected:invalid_attended", 7: "rejected:invalid_score"}, byRow)

	// The agency closes the session: one certificate, A's.
	require.Equal(t, 202, s.call("POST", path+"/close", agency, nil, nil))
	var done trainingAnswer
	s.eventually(60*time.Second, "the certificates are issued and the session closed", func() bool {
		done = s.training(tr.ID, office)
		return done.Status == "closed"
	})
	require.Len(t, done.Certificates, 1)
	cert := done.Certificates[0]
	assert.Equal(t, a.USCC, cert.USCC)
	assert.Equal(t, "training_certificate", cert.Kind)
	for _, en := range done.Enrollments {
		switch en.USCC {
		case a.USCC:
			assert.True(t, *en.Passed)
		case b.USCC, c.USCC:
			require.NotNil(t, en.Passed, en.USCC)
			assert.False(t, *en.Passed, en.USCC)
		}
	}
	pdf, code := s.send("GET", cert.URL, s.token(a.USCC), "", nil)
	require.Equal(t, 200, code)
	text := pdfText(t, pdf)
	for _, want := range []string{a.Name, a.USCC, "信用修复专题培训（第三期）", letters.FormatDate(starts.In(domain.Shanghai)), "3学时", "王堃", cert.VerifyCode} {
		assert.Contains(t, text, want)
	}
	raw, code = s.send("GET", "/verify/"+cert.VerifyCode, "", "", nil)
	require.Equal(t, 200, code)
	var verified struct {
		Kind string `json:"kind"`
	}
	require.NoError(t, json.Unmarshal(raw, &verified))
	assert.Equal(t, "training_certificate", verified.Kind)
	_, code = s.send("GET", cert.URL, s.token(b.USCC), "", nil)
	assert.Equal(t, 404, code, "another enterprise cannot read the certificate")

	// Once closed, nothing more is recorded.
	require.Equal(t, 409, s.call("POST", path+"/results", agency, map[string]any{"uscc": b.USCC, "score": 90}, &e))
	assert.Equal(t, "session_closed", e.Error.Code)

	// The credit office's numbers and rating.
	var st struct {
		SessionsHeld       int      `json:"sessions_held"`
		EnterprisesTrained int      `json:"enterprises_trained"`
		PassRate           *float64 `json:"pass_rate"`
		Certified          int      `json:"certified"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/trainings/stats", office, nil, &st))
	assert.Equal(t, 1, st.SessionsHeld)
	assert.Equal(t, 2, st.EnterprisesTrained)
	require.NotNil(t, st.PassRate)
	assert.InDelta(t, 0.5, *st.PassRate, 1e-9)
	assert.Equal(t, 1, st.Certified)
	require.Equal(t, 422, s.call("POST", path+"/rating", office, map[string]any{"score": 6}, &e))
	require.Equal(t, 200, s.call("POST", path+"/rating", office, map[string]any{"score": 4, "comment": "组织有序"}, nil))
	require.Equal(t, 403, s.call("POST", path+"/rating", agency, map[string]any{"score": 5}, &e))

	s.eventually(30*time.Second, "the training workflow completes", func() bool {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.TrainingWorkflowID(tr.ID), "")
		return err == nil && desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.TrainingWorkflowID(tr.ID), "training_closed.json")
}
