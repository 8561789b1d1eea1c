package hardening

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xinyong/activities"
	"xinyong/consistency"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

func (s *stack) trainingState(id int64) workflows.TrainingState {
	s.t.Helper()
	v, err := s.temporal.QueryWorkflow(context.Background(), workflows.TrainingWorkflowID(id), "", workflows.TrainingStateQuery)
	require.NoError(s.t, err)
	var st workflows.TrainingState
	require.NoError(s.t, v.Get(&st))
	return st
}

// Issue 12, defect 3: an enterprise enrolling and cancelling in a loop is stopped with a 429 long before Temporal's
// limit of updates per run, the session continues as new (carrying its state) every TrainingMaxSteps steps, and
// another enterprise enrolls as if nothing happened.
func TestTrainingEnrollCancelLoopNeverLocksTheSession(t *testing.T) {
	old := workflows.TrainingMaxSteps
	workflows.TrainingMaxSteps = 8 // so that the bounded loop below makes the session continue as new several times
	t.Cleanup(func() { workflows.TrainingMaxSteps = old })
	s := newStack(t)
	office := s.token("office")
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	tr := s.planTraining(office, time.Now().Add(48*time.Hour), 2)
	path := fmt.Sprintf("/api/v1/trainings/%d/enrollments", tr.ID)
	ta := s.token(a.USCC)

	var e apiErr
	limited, steps := false, 0
	for i := 0; i < 40 && !limited; i++ {
		for _, step := range []struct{ method, path string }{{"POST", path}, {"DELETE", path + "/" + a.USCC}} {
			raw, code := s.send(step.method, step.path, ta, "", nil)
			_ = json.Unmarshal(raw, &e)
			if code == 429 {
				assert.Equal(t, "too_many_steps", e.Error.Code)
				assert.Regexp(t, `\p{Han}`, e.Error.Message)
				limited = true
				break
			}
			require.Contains(t, []int{200, 201}, code, "step %d: %s %s answered %d %s", steps, step.method, step.path, code, e.Error.Code)
			steps++
		}
	}
	require.True(t, limited, "the loop is refused before it can use up the session's updates")
	assert.GreaterOrEqual(t, steps, 20)

	// Nothing is broken for anyone else.
	var out struct {
		Enrollments []workflows.EnrollOutcome `json:"enrollments"`
	}
	require.Equal(t, 201, s.call("POST", path, s.token(b.USCC), nil, &out))
	assert.EqualValues(t, "enrolled", out.Enrollments[0].Status)
	st := s.trainingState(tr.ID)
	assert.GreaterOrEqual(t, st.Runs, 2, "the session continued as new")
	assert.EqualValues(t, domain.TrainingOpen, st.Status)
	assert.NotNil(t, st.PlanLetter, "the plan survives continue-as-new")
	got := s.training(tr.ID, office)
	assert.Equal(t, "enrolled", got.status(b.USCC))
	s.requireConsistent()
}

// Issue 12, defect 2b: a step whose write PostgreSQL refuses (here a NUL that bypassed the HTTP validator by going
// to Temporal directly) is not retried forever: the update answers invalid_data, and the workflow keeps the state
// the database has, so the next good step goes through.
func TestStepWriteRefusedByPostgresLeavesWorkflowAsDatabase(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	office := s.token("office")
	a := storage.DemoEnterprises[1]

	// Training: an enrollment whose row cannot be written.
	tr := s.planTraining(office, time.Now().Add(48*time.Hour), 2)
	err := s.update(workflows.TrainingWorkflowID(tr.ID), workflows.TrainingEnrollUpdate,
		workflows.EnrollRequest{USCCs: []string{a.USCC}, Actor: "evil\x00actor", Role: "enterprise"}, &workflows.EnrollResult{})
	requireInvalidData(t, err)
	assert.Empty(t, s.trainingState(tr.ID).Enrollments, "the workflow did not enroll what the database refused")
	path := fmt.Sprintf("/api/v1/trainings/%d/enrollments", tr.ID)
	require.Equal(t, 201, s.call("POST", path, s.token(a.USCC), nil, nil))
	assert.EqualValues(t, "enrolled", s.trainingState(tr.ID).Enrollments[0].Status)

	// Penalty: a delivery whose row cannot be written leaves the case waiting for its delivery.
	decided := domain.Today().AddDays(-1)
	var p struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", s.token("scjgj"), map[string]any{
		"decision_no": "镇市监罚〔2026〕901号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "1000"}, &p))
	err = s.update(workflows.PenaltyWorkflowID(p.ID), workflows.PenaltyDeliveryUpdate, workflows.DeliveryRequest{
		Method: domain.DeliveryPost, DeliveredOn: decided, SignedBy: "王\x00五", Actor: "scjgj", Role: "department"},
		&workflows.PenaltyState{})
	requireInvalidData(t, err)
	var pst workflows.PenaltyState
	v, err := s.temporal.QueryWorkflow(ctx, workflows.PenaltyWorkflowID(p.ID), "", workflows.PenaltyStateQuery)
	require.NoError(t, err)
	require.NoError(t, v.Get(&pst))
	assert.Nil(t, pst.Delivery, "the workflow did not record the delivery the database refused")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), s.token("scjgj"),
		map[string]any{"method": "post", "delivered_on": decided.String(), "signed_by": "王五"}, nil))
	s.requireConsistent()
}

// requireInvalidData checks that an update was answered with the error of a write the database refused.
func requireInvalidData(t *testing.T, err error) {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "a refused write answers the update with an error: %v", err)
	assert.Equal(t, activities.ErrInvalidData, ae.Type())
	assert.Regexp(t, `\p{Han}`, ae.Message())
}

// update sends an update straight to a workflow (as a buggy or hostile client of Temporal could).
func (s *stack) update(workflowID, name string, arg, out any) error {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

// pageClient is a browser: cookies, CSRF tokens from the pages.
type pageClient struct {
	s *stack
	c *http.Client
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *stack) loginPage(login string) *pageClient {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	pc := &pageClient{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	page, _ := pc.get("/login")
	form := url.Values{"_csrf": {pc.csrf(page)}, "login": {login}, "password": {"demo"}}
	resp, err := pc.c.PostForm(s.base+"/login", form)
	require.NoError(s.t, err)
	resp.Body.Close()
	require.Equal(s.t, http.StatusSeeOther, resp.StatusCode, "login of %s", login)
	return pc
}

func (pc *pageClient) get(path string) (string, int) {
	pc.s.t.Helper()
	req, err := http.NewRequest("GET", pc.s.base+path, nil)
	require.NoError(pc.s.t, err)
	req.Header.Set("Accept", "text/html")
	resp, err := pc.c.Do(req)
	require.NoError(pc.s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), resp.StatusCode
}

func (pc *pageClient) csrf(page string) string {
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(pc.s.t, m, "page has a CSRF field")
	return m[1]
}

// postMultipart submits a page form with one file.
func (pc *pageClient) postMultipart(path string, fields map[string]string, fileField, fileName string, file []byte) (string, int) {
	pc.s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(pc.s.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile(fileField, fileName)
	require.NoError(pc.s.t, err)
	_, _ = fw.Write(file)
	require.NoError(pc.s.t, mw.Close())
	req, err := http.NewRequest("POST", pc.s.base+path, &body)
	require.NoError(pc.s.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	resp, err := pc.c.Do(req)
	require.NoError(pc.s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), resp.StatusCode
}

func (s *stack) attachmentCount(ownerLogin string) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.db.GetContext(context.Background(), &n, `SELECT count(*) FROM attachments WHERE owner_login = $1`, ownerLogin))
	return n
}

// Issue 12, defect 9: a second objection filed from the page while the first is open is refused, and the evidence
// uploaded with it is not kept.
func TestRefusedObjectionFilingKeepsNoUpload(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	decided := domain.Today().AddDays(-1)
	var p struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", s.token("scjgj"), map[string]any{
		"decision_no": "镇市监罚〔2026〕902号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "1000"}, &p))

	pc := s.loginPage(a.USCC)
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	file := func() (string, int) {
		page, code := pc.get("/objections/new")
		require.Equal(t, 200, code)
		return pc.postMultipart("/objections", map[string]string{
			"_csrf": pc.csrf(page), "penalty_id": fmt.Sprint(p.ID), "grounds": string(domain.GroundsWrongContent),
			"statement": "处罚决定书所载罚款金额有误。", "commitment_accepted": "1",
		}, "evidence", "证据.pdf", pdf)
	}
	page, code := file()
	require.Equal(t, http.StatusSeeOther, code, "the first filing goes through: %s", page)
	before := s.attachmentCount(a.USCC)
	require.Equal(t, 1, before)

	page, code = file()
	require.Equal(t, http.StatusConflict, code)
	assert.Contains(t, page, "不能重复提出")
	assert.Equal(t, before, s.attachmentCount(a.USCC), "the refused filing kept no upload")
	s.requireConsistent()
}

// Issue 12, defect 2a: text that PostgreSQL or a letter cannot hold is refused at the edge on a real stack, with a
// 422 that changes nothing.
func TestBadTextIsRefusedBeforeAnyStep(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	decided := domain.Today().AddDays(-1)
	scjgj := s.token("scjgj")
	var p struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", scjgj, map[string]any{
		"decision_no": "镇市监罚〔2026〕903号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "1000"}, &p))
	delivery := fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID)
	for _, body := range []string{
		`{"method":"post","delivered_on":"` + decided.String() + `","signed_by":"王\u0000五"}`,
		`{"method":"refused","delivered_on":"` + decided.String() + `","witness":"李\u0007四"}`,
		`{"method":"post","delivered_on":"` + decided.String() + `","signed_by":"王\n五"}`,
		"{\"method\":\"post\",\"delivered_on\":\"" + decided.String() + "\",\"signed_by\":\"\xff\xfe\"}",
	} {
		raw, code := s.send("POST", delivery, scjgj, "application/json", []byte(body))
		require.Equal(t, 422, code, "%q answered %s", body, raw)
		assert.Contains(t, string(raw), `"invalid_text"`)
	}
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/revocation", p.ID), scjgj,
		map[string]any{"reason": "复议决定\u0000撤销"}, nil))
	var pst workflows.PenaltyState
	v, err := s.temporal.QueryWorkflow(context.Background(), workflows.PenaltyWorkflowID(p.ID), "", workflows.PenaltyStateQuery)
	require.NoError(t, err)
	require.NoError(t, v.Get(&pst))
	assert.Nil(t, pst.Delivery)
	assert.Nil(t, pst.Revocation)
	require.Equal(t, 200, s.call("POST", delivery, scjgj,
		map[string]any{"method": "post", "delivered_on": decided.String(), "signed_by": "王五"}, nil))
	s.requireConsistent()
}

// The checker is only worth its silence if it speaks: a row changed behind its workflow's back, and a row whose
// workflow never existed, are reported.
func TestConsistencyCheckFindsDisagreements(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	tr := s.planTraining(s.token("office"), time.Now().Add(48*time.Hour), 2)
	require.Equal(t, 201, s.call("POST", fmt.Sprintf("/api/v1/trainings/%d/enrollments", tr.ID), s.token(a.USCC), nil, nil))
	s.requireConsistent()

	_, err := s.db.ExecContext(ctx, `UPDATE training_enrollments SET status = 'cancelled' WHERE training_id = $1`, tr.ID)
	require.NoError(t, err)
	ds, err := consistency.Check(ctx, s.db, s.temporal, consistency.Options{})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "enrollment", ds[0].Problem)
	assert.Equal(t, workflows.TrainingWorkflowID(tr.ID), ds[0].WorkflowID)

	_, err = s.db.ExecContext(ctx, `UPDATE trainings SET status = 'closed' WHERE id = $1`, tr.ID)
	require.NoError(t, err)
	ds, err = consistency.Check(ctx, s.db, s.temporal, consistency.Options{})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "status", ds[0].Problem)
	assert.Equal(t, "closed", ds[0].Row)
	assert.EqualValues(t, domain.TrainingOpen, ds[0].Workflow)
}
