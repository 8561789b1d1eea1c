package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

// trainingTemporal stands in for Temporal in the handler tests: it records starts and updates and answers each
// update with what answer returns. The workflow itself is tested in workflows (unit) and workflows/e2e (whole stack).
type trainingTemporal struct {
	client.Client
	mu      sync.Mutex
	starts  []client.StartWorkflowOptions
	params  []workflows.TrainingParams
	updates []string
	args    []any
	answer  func(name string, arg any) (any, error)
}

type trainingRun struct{ client.WorkflowRun }

func (f *trainingTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, o)
	if p, ok := args[0].(workflows.TrainingParams); ok {
		f.params = append(f.params, p)
	}
	return trainingRun{}, nil
}

type trainingHandle struct {
	client.WorkflowUpdateHandle
	value any
	err   error
}

func (h trainingHandle) Get(_ context.Context, out any) error {
	if h.err != nil {
		return h.err
	}
	raw, err := json.Marshal(h.value)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func (f *trainingTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, o.WorkflowID+":"+o.UpdateName)
	var arg any
	if len(o.Args) > 0 {
		arg = o.Args[0]
	}
	f.args = append(f.args, arg)
	if f.answer == nil {
		return trainingHandle{value: workflows.TrainingState{}}, nil
	}
	v, err := f.answer(o.UpdateName, arg)
	return trainingHandle{value: v, err: err}, nil
}

func (f *trainingTemporal) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.updates...)
}

func newTrainingEnv(t *testing.T) (*testEnv, *trainingTemporal) {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx))
	_, err := db.UpsertUser(ctx, storage.NewUser{Login: "agency2", DisplayName: "另一家信用服务机构", Role: domain.RoleAgency, Password: "demo"})
	require.NoError(t, err)
	ft := &trainingTemporal{}
	srv := New(db, ft, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	return &testEnv{t: t, db: db, srv: srv}, ft
}

func sessionBody(starts time.Time) map[string]any {
	return map[string]any{
		"title": "信用修复专题培训", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(4 * time.Hour).Format(time.RFC3339),
		"venue": "镇江市政务服务中心", "capacity": 80, "class_hours": 3, "agency": "agency", "pass_score": 60,
	}
}

// insertSession stores a session directly (the handler tests do not run its workflow).
func insertSession(t *testing.T, db *storage.DB, starts time.Time, status domain.TrainingStatus) storage.Training {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateTraining(ctx, storage.Training{Title: "第一期信用修复培训", StartsAt: starts, EndsAt: starts.Add(3 * time.Hour),
		Venue: "https://training.example.cn/live/1", Capacity: 2, ClassHours: 3, AgencyLogin: "agency", AgencyName: "镇江诚信信用服务有限公司",
		PassScore: 60, Organizer: "市信用办", CreatedBy: "office"}, storage.AuditEntry{Actor: "office", Role: "credit_office", Action: "training.create"}, nil)
	require.NoError(t, err)
	if status != domain.TrainingPlanned {
		require.NoError(t, db.AdvanceTraining(ctx, id, status, "agency", time.Now(), storage.AuditEntry{Actor: "system", Role: "system",
			Action: "training." + string(status), CaseKind: "training", CaseID: fmt.Sprint(id)}, nil))
	}
	tr, err := db.GetTraining(ctx, id)
	require.NoError(t, err)
	return tr
}

func enrollRow(trainingID int64, uscc, status string, rev int64) storage.TrainingEnrollment {
	r := storage.TrainingEnrollment{TrainingID: trainingID, USCC: uscc, Status: domain.EnrollmentStatus(status), EnrolledBy: uscc, EnrolledByRole: "enterprise",
		EnrolledAt: time.Now(), Rev: rev}
	if domain.EnrollmentStatus(status) == domain.EnrollmentWaitlisted {
		r.WaitlistPosition.Int32, r.WaitlistPosition.Valid = 1, true
	}
	return r
}

func TestCreateTrainingValidatesAndStartsTheWorkflow(t *testing.T) {
	e, ft := newTrainingEnv(t)
	office := e.token("office")
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	for _, c := range []struct {
		field string
		value any
		code  string
	}{
		{"title", "", "invalid_title"},
		{"starts_at", "2026-06-01", "invalid_time"},
		{"starts_at", time.Now().Add(-time.Hour).Format(time.RFC3339), "starts_at_in_past"},
		{"ends_at", starts.Add(-time.Hour).Format(time.RFC3339), "ends_before_start"},
		{"ends_at", starts.Add(3 * time.Minute).Format(time.RFC3339), "slot_too_short"}, // 3 class hours need 2 h 15 min
		{"ends_at", starts.Add(2*time.Hour + 14*time.Minute).Format(time.RFC3339), "slot_too_short"},
		{"capacity", 0, "invalid_capacity"},
		{"capacity", 501, "invalid_capacity"},
		{"class_hours", 2, "invalid_class_hours"},
		{"pass_score", 101, "invalid_pass_score"},
		{"pass_score", nil, "invalid_pass_score"},
		{"agency", "scjgj", "unknown_agency"},
		{"agency", "nobody", "unknown_agency"},
		{"venue", "", "invalid_venue"},
	} {
		body := sessionBody(starts)
		if c.value == nil {
			delete(body, c.field)
		} else {
			body[c.field] = c.value
		}
		er := requireError(t, e.do("POST", "/api/v1/trainings", office, body), 422, c.code)
		assert.Equal(t, c.field, er.Error.Details["field"], c.code)
	}
	requireError(t, e.do("POST", "/api/v1/trainings", e.token("agency"), sessionBody(starts)), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/trainings", e.token("sthjj"), sessionBody(starts)), 403, "forbidden")
	ts, err := e.db.ListTrainings(context.Background(), storage.TrainingFilter{})
	require.NoError(t, err)
	require.Empty(t, ts, "a rejected request changes nothing")
	require.Empty(t, ft.starts)

	resp := e.do("POST", "/api/v1/trainings", office, sessionBody(starts))
	require.Equal(t, 201, resp.StatusCode)
	got := decode[map[string]any](t, resp)
	id := int64(got["id"].(float64))
	assert.Equal(t, "planned", got["status"])
	assert.Equal(t, "镇江诚信信用服务有限公司", got["agency_name"])
	assert.Equal(t, "市信用办", got["organizer"])
	require.Len(t, ft.starts, 1)
	assert.Equal(t, workflows.TrainingWorkflowID(id), ft.starts[0].ID)
	assert.Equal(t, workflows.TrainingParams{TrainingID: id, Title: "信用修复专题培训", StartsAt: ft.params[0].StartsAt,
		EndsAt: ft.params[0].EndsAt, Venue: "镇江市政务服务中心", Capacity: 80, ClassHours: 3, AgencyLogin: "agency",
		AgencyName: "镇江诚信信用服务有限公司", PassScore: 60, Organizer: "市信用办"}, ft.params[0])
	assert.True(t, ft.params[0].StartsAt.Equal(starts))
	assert.Contains(t, ft.sent(), workflows.TrainingWorkflowID(id)+":"+workflows.TrainingPlanUpdate, "creation waits for the plan letter")
}

func TestTrainingVisibility(t *testing.T) {
	e, _ := newTrainingEnv(t)
	ctx := context.Background()
	a, b := storage.DemoEnterprises[1].USCC, storage.DemoEnterprises[2].USCC
	open := insertSession(t, e.db, time.Now().Add(48*time.Hour), domain.TrainingOpen)
	held := insertSession(t, e.db, time.Now().Add(-48*time.Hour), domain.TrainingClosed)
	require.NoError(t, e.db.SaveTrainingEnrollments(ctx, []storage.TrainingEnrollment{enrollRow(open.ID, a, "enrolled", 1),
		enrollRow(open.ID, b, "enrolled", 1), enrollRow(held.ID, a, "enrolled", 1)},
		storage.AuditEntry{Actor: "system", Role: "system", Action: "training.enroll"}, nil))

	get := func(id int64, login string) *http.Response {
		return e.do("GET", fmt.Sprintf("/api/v1/trainings/%d", id), e.token(login), nil)
	}
	// The session's agency and the credit office see everything; another agency nothing.
	for _, login := range []string{"office", "agency", "admin"} {
		got := decode[trainingJSON](t, get(open.ID, login))
		assert.Len(t, *got.Enrollments, 2, login)
	}
	requireError(t, get(open.ID, "agency2"), 404, "not_found")
	requireError(t, get(open.ID, "op-creditchina"), 403, "forbidden")
	// An enterprise sees open sessions and those it enrolled in, and only itself.
	got := decode[trainingJSON](t, get(open.ID, a))
	require.Len(t, *got.Enrollments, 1)
	assert.Equal(t, a, (*got.Enrollments)[0].USCC)
	assert.Nil(t, got.Rating, "enterprises do not see the agency's rating")
	assert.True(t, got.Online)
	require.Equal(t, 200, get(held.ID, a).StatusCode)
	requireError(t, get(held.ID, b), 404, "not_found")
	// A department sees the sessions but only the enterprises it penalized (none yet).
	got = decode[trainingJSON](t, get(open.ID, "sthjj"))
	assert.Empty(t, *got.Enrollments)

	list := func(login string) []trainingJSON {
		return decode[page[trainingJSON]](t, e.do("GET", "/api/v1/trainings", e.token(login), nil)).Items
	}
	assert.Len(t, list("office"), 2)
	assert.Len(t, list(a), 2)
	assert.Len(t, list(b), 1)
	assert.Len(t, list(storage.DemoEnterprises[3].USCC), 1, "an enterprise sees open sessions")
	assert.Empty(t, list("agency2"))
	p := decode[page[trainingJSON]](t, e.do("GET", "/api/v1/trainings?limit=1", e.token("office"), nil))
	require.Len(t, p.Items, 1)
	require.NotEmpty(t, p.NextCursor)
	p = decode[page[trainingJSON]](t, e.do("GET", "/api/v1/trainings?limit=1&cursor="+p.NextCursor, e.token("office"), nil))
	require.Len(t, p.Items, 1)
	assert.Equal(t, open.ID, p.Items[0].ID)
}

func TestEnrollmentIsAuthorizedBeforeTheWorkflowDecides(t *testing.T) {
	e, ft := newTrainingEnv(t)
	ctx := context.Background()
	tr := insertSession(t, e.db, time.Now().Add(48*time.Hour), domain.TrainingOpen)
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	_, err := storage.InsertPenalty(ctx, e.db, storage.Penalty{DepartmentID: "sthjj", DecisionNo: "镇环罚〔2026〕1号", USCC: a.USCC,
		EnterpriseName: a.Name, DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: []string{"fine"}, FineAmountYuan: "1000.00",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"), CreatedBy: "sthjj",
		DeliveryDue: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	path := fmt.Sprintf("/api/v1/trainings/%d/enrollments", tr.ID)
	ft.answer = func(name string, arg any) (any, error) {
		req := arg.(workflows.EnrollRequest)
		var res workflows.EnrollResult
		for _, u := range req.USCCs {
			res.Outcomes = append(res.Outcomes, workflows.EnrollOutcome{USCC: u, Status: "enrolled"})
		}
		return res, nil
	}

	// A department: only enterprises it penalized; a code it never penalized is 404, a malformed one 422.
	sthjj := e.token("sthjj")
	er := requireError(t, e.do("POST", path, sthjj, map[string]any{"uscc": b.USCC}), 404, "not_found")
	assert.Equal(t, b.USCC, er.Error.Details["uscc"])
	requireError(t, e.do("POST", path, sthjj, map[string]any{"usccs": []string{a.USCC, b.USCC}}), 404, "not_found")
	requireError(t, e.do("POST", path, sthjj, map[string]any{"usccs": []string{"91321100MA1MXY2K08"}}), 422, "invalid_uscc")
	requireError(t, e.do("POST", path, sthjj, map[string]any{}), 422, "usccs_required")
	requireError(t, e.do("POST", path, e.token("scjgj"), map[string]any{"uscc": a.USCC}), 404, "not_found")
	// An enterprise enrolls only itself.
	requireError(t, e.do("POST", path, e.token(b.USCC), map[string]any{"uscc": a.USCC}), 403, "forbidden")
	requireError(t, e.do("POST", path, e.token("agency"), map[string]any{"uscc": a.USCC}), 403, "forbidden")
	assert.Empty(t, ft.sent(), "nothing reached the workflow")

	resp := e.do("POST", path, sthjj, map[string]any{"usccs": []string{a.USCC, strings.ToLower(a.USCC)}})
	require.Equal(t, 201, resp.StatusCode)
	require.Len(t, ft.args, 1)
	assert.Equal(t, workflows.EnrollRequest{USCCs: []string{a.USCC}, Actor: "sthjj", Role: "department", DepartmentID: "sthjj"}, ft.args[0])
	require.Equal(t, 201, e.do("POST", path, e.token(b.USCC), nil).StatusCode)
	assert.Equal(t, workflows.EnrollRequest{USCCs: []string{b.USCC}, Actor: b.USCC, Role: "enterprise"}, ft.args[1])

	// The workflow's refusals are the error model: a conflict is 409, a bad value 422.
	ft.answer = func(string, any) (any, error) {
		return nil, workflows.Refusal("enrollment_closed", "培训已开始，报名和取消报名均已截止", true)
	}
	requireError(t, e.do("POST", path, e.token(b.USCC), nil), 409, "enrollment_closed")

	// Cancelling: an enterprise only its own; an enrollment that does not exist is 404.
	require.NoError(t, e.db.SaveTrainingEnrollments(ctx, []storage.TrainingEnrollment{enrollRow(tr.ID, a.USCC, "enrolled", 1),
		enrollRow(tr.ID, b.USCC, "waitlisted", 1)}, storage.AuditEntry{Actor: "system", Role: "system", Action: "training.enroll"}, nil))
	ft.answer = nil
	requireError(t, e.do("DELETE", path+"/"+a.USCC, e.token(b.USCC), nil), 404, "not_found")
	requireError(t, e.do("DELETE", path+"/"+storage.DemoEnterprises[3].USCC, e.token("office"), nil), 404, "not_found")
	requireError(t, e.do("DELETE", path+"/"+b.USCC, sthjj, nil), 404, "not_found")
	require.Equal(t, 200, e.do("DELETE", path+"/"+a.USCC, sthjj, nil).StatusCode)
	require.Equal(t, 200, e.do("POST", path+"/"+b.USCC+"/cancel", e.token(b.USCC), nil).StatusCode)
	assert.Equal(t, workflows.CancelRequest{USCC: b.USCC, Actor: b.USCC, Role: "enterprise"}, ft.args[len(ft.args)-1])
}

func TestRecordingIsForTheSessionsAgencyAndTheCreditOffice(t *testing.T) {
	e, ft := newTrainingEnv(t)
	tr := insertSession(t, e.db, time.Now().Add(-time.Hour), domain.TrainingStarted)
	a := storage.DemoEnterprises[1].USCC
	require.NoError(t, e.db.SaveTrainingEnrollments(context.Background(), []storage.TrainingEnrollment{enrollRow(tr.ID, a, "enrolled", 1)},
		storage.AuditEntry{Actor: "system", Role: "system", Action: "training.enroll"}, nil))
	path := fmt.Sprintf("/api/v1/trainings/%d", tr.ID)
	att := map[string]any{"uscc": a, "attended": true, "attendee_name": "王堃", "attendee_role": "法定代表人"}

	requireError(t, e.do("POST", path+"/attendance", e.token("agency2"), att), 404, "not_found")
	requireError(t, e.do("POST", path+"/attendance", e.token(a), att), 403, "forbidden")
	requireError(t, e.do("POST", path+"/attendance", e.token("sthjj"), att), 403, "forbidden")
	requireError(t, e.do("POST", path+"/results", e.token("agency2"), map[string]any{"uscc": a, "score": 90}), 404, "not_found")
	requireError(t, e.do("POST", path+"/close", e.token("agency2"), nil), 404, "not_found")
	requireError(t, e.do("POST", path+"/attendance", e.token("agency"), map[string]any{"uscc": a, "attended": true, "attendee_role": "legal_representative"}),
		422, "attendee_name_required")
	requireError(t, e.do("POST", path+"/attendance", e.token("agency"), map[string]any{"uscc": a, "attended": true, "attendee_name": "王堃", "attendee_role": "经理"}),
		422, "invalid_attendee_role")
	requireError(t, e.do("POST", path+"/attendance", e.token("agency"), map[string]any{"uscc": a}), 422, "attended_required")
	requireError(t, e.do("POST", path+"/results", e.token("agency"), map[string]any{"uscc": a, "score": -1}), 422, "invalid_score")
	requireError(t, e.do("POST", path+"/results", e.token("agency"), map[string]any{"uscc": "x", "score": 1}), 422, "invalid_uscc")
	assert.Empty(t, ft.sent())

	require.Equal(t, 200, e.do("POST", path+"/attendance", e.token("agency"), att).StatusCode)
	assert.Equal(t, workflows.AttendanceRequest{USCC: a, Attended: true, AttendeeName: "王堃", AttendeeRole: "legal_representative",
		Actor: "agency", Role: "agency"}, ft.args[0])
	require.Equal(t, 200, e.do("POST", path+"/results", e.token("office"), map[string]any{"uscc": a, "score": 75}).StatusCode)
	assert.Equal(t, workflows.ResultRequest{USCC: a, Score: 75, Actor: "office", Role: "credit_office"}, ft.args[1])
	require.Equal(t, 202, e.do("POST", path+"/close", e.token("agency"), nil).StatusCode)
}

func TestTrainingCSVReportsBadRowsByNumber(t *testing.T) {
	e, ft := newTrainingEnv(t)
	tr := insertSession(t, e.db, time.Now().Add(-time.Hour), domain.TrainingStarted)
	a, b := storage.DemoEnterprises[1].USCC, storage.DemoEnterprises[2].USCC
	path := fmt.Sprintf("/api/v1/trainings/%d/results/import", tr.ID)
	csvReq := func(token, body string) *http.Response {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv; charset=utf-8")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := e.srv.App().Test(req, -1)
		require.NoError(t, err)
		return resp
	}
	agency := e.token("agency")
	// The workflow rejects the row of an enterprise that is not enrolled.
	ft.answer = func(name string, arg any) (any, error) {
		var res workflows.RecordsResult
		for _, r := range arg.(workflows.RecordsRequest).Rows {
			if r.USCC == b {
				res.Outcomes = append(res.Outcomes, workflows.RowOutcome{Row: r.Row, USCC: r.USCC, Code: "not_enrolled", Message: "该企业不在本场培训的报名名单中"})
				res.Rejected++
			} else {
				res.Outcomes = append(res.Outcomes, workflows.RowOutcome{Row: r.Row, USCC: r.USCC, Applied: true})
				res.Applied++
			}
		}
		return res, nil
	}
	body := "\xEF\xBB\xBFuscc,attended,attendee_name,attendee_role,score\n" +
		a + ",是,王堃,法定代表人,88\n" +
		"bad,true,某,legal_representative,1\n" +
		b + ",true,张喆,responsible_manager,70\n" +
		a + ",true,,legal_representative,\n" +
		a + ",,,,200\n" +
		a + ",,,,\n" +
		"\n" +
		a + ",false,,,\n"
	resp := csvReq(agency, body)
	require.Equal(t, 200, resp.StatusCode)
	out := decode[trainingImportJSON](t, resp)
	got := map[int]string{}
	for _, r := range out.Rows {
		got[r.Row] = r.Status + ":" + r.Code
		if r.Status == "rejected" {
			assert.Regexp(t, `\p{Han}`, r.Message)
		}
	}
	assert.Equal(t, map[int]string{2: "applied:", 3: "rejected:invalid_uscc", 4: "rejected:not_enrolled", 5: "rejected:attendee_name_required",
		6: "rejected:invalid_score", 7: "rejected:empty_row", 9: "applied:"}, got, "rows are lines of the file, the blank line 8 included")
	assert.Equal(t, 2, out.Applied)
	assert.Equal(t, 5, out.Rejected)
	require.Len(t, ft.args, 1)
	rows := ft.args[0].(workflows.RecordsRequest).Rows
	require.Len(t, rows, 3, "only rows that parse reach the workflow")
	assert.EqualValues(t, domain.AttendeeLegalRepresentative, rows[0].AttendeeRole)
	assert.Equal(t, 88, *rows[0].Score)

	requireError(t, csvReq(agency, "uscc,grade\n"+a+",1\n"), 422, "invalid_csv_header")
	requireError(t, csvReq(agency, "attended,score\ntrue,1\n"), 422, "invalid_csv_header")
	requireError(t, csvReq(agency, ""), 422, "empty_csv")
	requireError(t, csvReq(agency, "uscc,score\n\"unterminated,1\n"), 422, "invalid_csv")
	requireError(t, csvReq(e.token("agency2"), body), 404, "not_found")
	requireError(t, e.do("POST", path, agency, map[string]any{"uscc": a}), 415, "unsupported_media_type")
	assert.Len(t, ft.args, 1)
}

func TestTrainingStatsRatingsAndRepairsGuard(t *testing.T) {
	e, _ := newTrainingEnv(t)
	ctx := context.Background()
	a, b := storage.DemoEnterprises[1].USCC, storage.DemoEnterprises[2].USCC
	future := insertSession(t, e.db, time.Now().Add(48*time.Hour), domain.TrainingOpen)
	tr := insertSession(t, e.db, time.Now().Add(-48*time.Hour), domain.TrainingClosed)
	yes := func(r storage.TrainingEnrollment, score int) storage.TrainingEnrollment {
		r.Attended.Bool, r.Attended.Valid = true, true
		r.Score.Int32, r.Score.Valid = int32(score), true
		return r
	}
	require.NoError(t, e.db.SaveTrainingEnrollments(ctx, []storage.TrainingEnrollment{yes(enrollRow(tr.ID, a, "enrolled", 1), 90),
		yes(enrollRow(tr.ID, b, "enrolled", 1), 30)}, storage.AuditEntry{Actor: "system", Role: "system", Action: "training.records"}, nil))
	// A stale write (an older revision) changes nothing.
	require.NoError(t, e.db.SaveTrainingEnrollments(ctx, []storage.TrainingEnrollment{enrollRow(tr.ID, a, "cancelled", 0)},
		storage.AuditEntry{Actor: "system", Role: "system", Action: "training.cancel"}, nil))
	en, err := e.db.EnrollmentOf(ctx, tr.ID, a)
	require.NoError(t, err)
	assert.EqualValues(t, "enrolled", en.Status)

	office := e.token("office")
	st := decode[trainingStatsJSON](t, e.do("GET", "/api/v1/trainings/stats", office, nil))
	assert.Equal(t, 1, st.SessionsHeld)
	assert.Equal(t, 2, st.EnterprisesTrained)
	require.NotNil(t, st.PassRate)
	assert.InDelta(t, 0.5, *st.PassRate, 1e-9)
	require.NotNil(t, st.WentOnToRepair)
	assert.Equal(t, 0, *st.WentOnToRepair)
	requireError(t, e.do("GET", "/api/v1/trainings/stats", e.token("agency"), nil), 403, "forbidden")

	// Rating: the credit office, 1 to 5, once the session took place.
	requireError(t, e.do("POST", fmt.Sprintf("/api/v1/trainings/%d/rating", future.ID), office, map[string]any{"score": 5}), 409, "session_not_held")
	requireError(t, e.do("POST", fmt.Sprintf("/api/v1/trainings/%d/rating", tr.ID), office, map[string]any{"score": 0}), 422, "invalid_rating")
	require.Equal(t, 200, e.do("POST", fmt.Sprintf("/api/v1/trainings/%d/rating", tr.ID), office, map[string]any{"score": 4, "comment": "讲解清楚"}).StatusCode)
	require.Equal(t, 200, e.do("POST", fmt.Sprintf("/api/v1/trainings/%d/rating", tr.ID), office, map[string]any{"score": 5}).StatusCode)

	// A certificate, then the repairs table arrives (the repair capability) with a case created after it.
	pdfLetter, err := e.db.PutLetter(ctx, storage.NewLetter{Letter: storage.Letter{Kind: "training_certificate", CaseKind: "training",
		CaseID: workflows.CertificateCaseID(tr.ID, a), Title: "信用修复培训证明", Issuer: "市信用办", Addressee: "", USCC: nullStr(a),
		IssuedOn: time.Now(), SHA256: "x", VerifyCode: "TESTCODE1"}, PDF: []byte("%PDF")})
	require.NoError(t, err)
	require.NoError(t, e.db.PutTrainingCertificate(ctx, tr.ID, a, pdfLetter.ID, 90))
	penalty := func(no, uscc string) int64 {
		id, err := storage.InsertPenalty(ctx, e.db, storage.Penalty{DepartmentID: "sthjj", DecisionNo: no, USCC: uscc,
			EnterpriseName: "某企业", DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: []string{"fine"},
			FineAmountYuan: "1000.00", Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
			RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"), CreatedBy: "sthjj",
			DeliveryDue: domain.MustParseDate("2026-05-29")})
		require.NoError(t, err)
		return id
	}
	// A's case comes after its certificate, B's (no certificate) before: one trained enterprise went on to repair.
	_, err = e.db.ExecContext(ctx, `INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on, applicant_login,
			commitment_accepted_at, waiting_training, created_at)
		VALUES ($1, $2, 'sthjj', 'ndrc-2026', current_date, $4, now(), true, now() + interval '1 minute'),
		       ($5, $3, 'sthjj', 'ndrc-2026', current_date, $6, now(), true, now() - interval '1 day')`,
		penalty("镇环罚〔2026〕2号", a), a, b, a, penalty("镇环罚〔2026〕3号", b), b)
	require.NoError(t, err)
	st = decode[trainingStatsJSON](t, e.do("GET", "/api/v1/trainings/stats", office, nil))
	require.NotNil(t, st.WentOnToRepair)
	assert.Equal(t, 1, *st.WentOnToRepair)
	assert.Equal(t, 1, st.Certified)
	require.Len(t, st.Agencies, 1)
	require.NotNil(t, st.Agencies[0].AverageRating)
	assert.InDelta(t, 5.0, *st.Agencies[0].AverageRating, 1e-9)
	ids, err := e.db.WaitingRepairs(ctx, a)
	require.NoError(t, err)
	require.Len(t, ids, 1)
	repairID, err := e.db.RepairOfDepartment(ctx, a, "sthjj")
	require.NoError(t, err)
	assert.Equal(t, ids[0], repairID)

	// Without the repairs table (the repair capability not installed) the numbers and the lookups still answer.
	_, err = e.db.ExecContext(ctx, `ALTER TABLE repairs RENAME TO repairs_away`)
	require.NoError(t, err)
	st = decode[trainingStatsJSON](t, e.do("GET", "/api/v1/trainings/stats", office, nil))
	assert.Nil(t, st.WentOnToRepair, "unknown while the repairs table does not exist")
	ids, err = e.db.WaitingRepairs(ctx, a)
	require.NoError(t, err)
	assert.Empty(t, ids)
	_, err = e.db.ExecContext(ctx, `ALTER TABLE repairs_away RENAME TO repairs`)
	require.NoError(t, err)

	// The enterprise sees its certificate on the session.
	got := decode[trainingJSON](t, e.do("GET", fmt.Sprintf("/api/v1/trainings/%d", tr.ID), e.token(a), nil))
	require.Len(t, *got.Certificates, 1)
	assert.Equal(t, a, *(*got.Certificates)[0].USCC)
	got = decode[trainingJSON](t, e.do("GET", fmt.Sprintf("/api/v1/trainings/%d", tr.ID), e.token(b), nil))
	assert.Empty(t, *got.Certificates)

	// The pages show the certificate, the rating and a rectification deadline linked to the open repair case.
	require.NoError(t, e.db.SaveTrainingRectification(ctx, storage.TrainingRectification{TrainingID: tr.ID, USCC: a, DepartmentID: "sthjj",
		DueOn: domain.MustParseDate("2026-12-31"), Requirements: "完成废气治理设施改造", SetBy: "sthjj", SetAt: time.Now(), Rev: 5},
		storage.AuditEntry{Actor: "sthjj", Role: "department", Action: "training.rectification"}, nil))
	br := e.browser()
	br.login("office", storage.DemoPassword)
	resp, html := br.get(fmt.Sprintf("/trainings/%d", tr.ID))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, fmt.Sprintf(`/letters/%d/pdf`, pdfLetter.ID))
	assert.Contains(t, html, "评分：5/5")
	assert.Contains(t, html, fmt.Sprintf(`href="/repairs/%d"`, repairID))
	assert.Contains(t, html, "完成废气治理设施改造")
	ent := e.browser()
	ent.login(a, storage.DemoPassword)
	resp, html = ent.get("/trainings")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "TESTCODE1")
	dept := e.browser()
	dept.login("scjgj", storage.DemoPassword)
	resp, html = dept.get(fmt.Sprintf("/trainings/%d", tr.ID))
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, html, "完成废气治理设施改造", "a department sees its own notes only")
	assert.NotContains(t, html, "TESTCODE1", "nor the certificates of enterprises it did not penalize")
}

func TestTrainingPages(t *testing.T) {
	e, ft := newTrainingEnv(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	started := insertSession(t, e.db, time.Now().Add(-time.Hour), domain.TrainingStarted)
	require.NoError(t, e.db.SaveTrainingEnrollments(ctx, []storage.TrainingEnrollment{enrollRow(started.ID, a.USCC, "enrolled", 1)},
		storage.AuditEntry{Actor: "system", Role: "system", Action: "training.enroll"}, nil))

	// The credit office plans a session through the form.
	office := e.browser()
	office.login("office", storage.DemoPassword)
	resp, html := office.get("/trainings/new")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "组织信用修复培训")
	day := time.Now().In(shanghai).AddDate(0, 0, 10).Format("2006-01-02")
	form := url.Values{"_csrf": {csrfOf(t, html)}, "title": {"第四期信用修复培训"}, "starts_at": {day + "T09:00"}, "ends_at": {day + "T12:00"},
		"venue": {"镇江市政务服务中心"}, "capacity": {"90"}, "class_hours": {"2"}, "agency": {"agency"}, "pass_score": {"60"}}
	resp, html = office.post("/trainings", form)
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, html, "不少于3学时")
	form.Set("class_hours", "3")
	resp, _ = office.post("/trainings", form)
	require.Equal(t, 303, resp.StatusCode)
	require.Len(t, ft.params, 1)
	assert.Equal(t, day+" 09:00", ft.params[0].StartsAt.In(shanghai).Format("2006-01-02 15:04"), "a form's time is Shanghai time")
	resp, html = office.get(resp.Header.Get("Location"))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "第四期信用修复培训")
	resp, html = office.get("/trainings")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "第四期信用修复培训")
	resp, html = office.get("/trainings/stats")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "考试合格率")

	// The agency records attendance and a score on the session page.
	ag := e.browser()
	ag.login("agency", storage.DemoPassword)
	resp, html = ag.get(fmt.Sprintf("/trainings/%d", started.ID))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "上传签到和成绩")
	assert.Contains(t, html, "结束培训并出具培训证明")
	ft.answer = func(name string, arg any) (any, error) {
		return workflows.RecordsResult{Outcomes: []workflows.RowOutcome{{Row: 1, USCC: a.USCC, Applied: true}}, Applied: 1}, nil
	}
	resp, html = ag.postSeeOther(fmt.Sprintf("/trainings/%d/record", started.ID), url.Values{"_csrf": {csrfOf(t, html)}, "uscc": {a.USCC},
		"attended": {"true"}, "attendee_name": {"王堃"}, "attendee_role": {"legal_representative"}, "score": {"90"}})
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "已登记")
	last := ft.args[len(ft.args)-1].(workflows.RecordsRequest)
	require.Len(t, last.Rows, 1)
	assert.Equal(t, 90, *last.Rows[0].Score)
	other := e.browser()
	other.login("agency2", storage.DemoPassword)
	resp, _ = other.get(fmt.Sprintf("/trainings/%d", started.ID))
	assert.Equal(t, 404, resp.StatusCode)

	// The enterprise sees its sessions and home section.
	ent := e.browser()
	ent.login(a.USCC, storage.DemoPassword)
	resp, html = ent.get("/trainings")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "我的培训证明")
	assert.Contains(t, html, "第一期信用修复培训")
	resp, html = ent.get("/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "我的信用修复培训")
	resp, html = ent.get(fmt.Sprintf("/trainings/%d", started.ID))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "报名状态：已报名")
	assert.NotContains(t, html, "上传签到和成绩")

	// A department sees the session and its (empty) list of penalized enterprises.
	dept := e.browser()
	dept.login("sthjj", storage.DemoPassword)
	resp, html = dept.get(fmt.Sprintf("/trainings/%d", started.ID))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "本部门处罚企业的报名与参训情况")
	assert.Contains(t, html, "现场对接")
	resp, html = dept.get("/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "正在报名的培训")
}
