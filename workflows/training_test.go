package workflows

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// Three demo enterprises.
const (
	uA = "91321100MA1MXY2K09"
	uB = "91321102MA20A8B3XG"
	uC = "91321111MA1P4Q6L2D"
)

// trainingRecorder keeps what the mocked activities saw, with the workflow clock at the time.
type trainingRecorder struct {
	mu        sync.Mutex
	env       *testsuite.TestWorkflowEnvironment
	rows      map[string]activities.TrainingEnrollment // the latest row per USCC, by revision
	actions   []string
	notices   []activities.NotifyInput
	reminders []activities.RemindTrainingInput
	remindAt  time.Time
	steps     map[string]time.Time
	closed    activities.TrainingStepInput
	letters   []activities.IssueLetterInput
	certs     []activities.TrainingCertificateInput
	signals   []TrainingCertificateSignal
	rects     []activities.TrainingRectificationInput
}

func (r *trainingRecorder) row(uscc string) activities.TrainingEnrollment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows[uscc]
}

func (r *trainingRecorder) noticeKinds(uscc string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.notices {
		if n.USCC == uscc {
			out = append(out, n.Kind)
		}
	}
	return out
}

// sessionParams is a session that starts three days after the test's start (10:00 Shanghai on 2026-06-01).
func sessionParams() TrainingParams {
	start := shanghaiAt("2026-06-04", 9)
	return TrainingParams{
		TrainingID: 12, Title: "2026年第二期信用修复专题培训", StartsAt: start, EndsAt: start.Add(4 * time.Hour),
		Venue: "镇江市政务服务中心三楼报告厅", Capacity: 2, ClassHours: 4, AgencyLogin: "agency",
		AgencyName: "镇江诚信信用服务有限公司", PassScore: 60, Organizer: "市信用办",
	}
}

func newTrainingEnv(t *testing.T, p TrainingParams, waitingRepairs map[string][]int64) (*testsuite.TestWorkflowEnvironment, *trainingRecorder) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(60 * time.Second)
	env.SetStartTime(shanghaiAt("2026-06-01", 10))
	env.RegisterWorkflowWithOptions(TrainingWorkflow, workflow.RegisterOptions{Name: TrainingWorkflowType})
	env.RegisterActivity(&activities.Activities{})
	r := &trainingRecorder{env: env, rows: map[string]activities.TrainingEnrollment{}, steps: map[string]time.Time{}}

	env.OnActivity(acts.IssueLetter, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IssueLetterInput) (activities.LetterRef, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.letters = append(r.letters, in)
			n := int64(len(r.letters))
			return activities.LetterRef{ID: 100 + n, Kind: string(issuedLetter(t, in).Kind), SHA256: "x", VerifyCode: "V" + in.CaseID}, nil
		})
	env.OnActivity(acts.RecordTrainingPlan, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.AnnounceTraining, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(acts.SaveTrainingEnrollments, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SaveEnrollmentsInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.actions = append(r.actions, in.Action)
			for _, row := range in.Rows {
				if row.Rev > r.rows[row.USCC].Rev {
					r.rows[row.USCC] = row
				}
			}
			r.notices = append(r.notices, in.Notices...)
			return nil
		})
	env.OnActivity(acts.RemindTrainingEnrollees, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RemindTrainingInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.reminders = append(r.reminders, in)
			r.remindAt = env.Now()
			return nil
		})
	env.OnActivity(acts.TrainingStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TrainingStepInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.steps[in.Action] = env.Now()
			if in.Status == domain.TrainingClosed {
				r.closed = in
			}
			return nil
		})
	env.OnActivity(acts.EnterpriseNames, mock.Anything, mock.Anything).Return(
		func(_ context.Context, usccs []string) (map[string]string, error) {
			names := map[string]string{}
			for _, e := range storage.DemoEnterprises {
				if slices.Contains(usccs, e.USCC) {
					names[e.USCC] = e.Name
				}
			}
			return names, nil
		})
	env.OnActivity(acts.RecordTrainingCertificate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TrainingCertificateInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.certs = append(r.certs, in)
			return nil
		})
	env.OnActivity(acts.FindWaitingRepairs, mock.Anything, mock.Anything).Return(
		func(_ context.Context, uscc string) ([]int64, error) { return waitingRepairs[uscc], nil })
	env.OnActivity(acts.SaveTrainingRectification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TrainingRectificationInput) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.rects = append(r.rects, in)
			return nil
		})
	for _, ids := range waitingRepairs {
		for _, id := range ids {
			env.OnSignalExternalWorkflow(mock.Anything, RepairWorkflowID(id), "", SignalTrainingCertificate, mock.Anything).Return(
				func(_, _, _, _ string, arg any) error {
					r.mu.Lock()
					defer r.mu.Unlock()
					r.signals = append(r.signals, arg.(TrainingCertificateSignal))
					return nil
				})
		}
	}
	return env, r
}

// trainingUpdate is where the answer to a training update lands.
type trainingUpdate = update[any]

// updateAt sends an update after d of workflow time.
func updateAt(env *testsuite.TestWorkflowEnvironment, d time.Duration, name string, arg any) *trainingUpdate {
	return sendUpdateAt[any](env, d, name, arg)
}

func enrollBy(uscc string) EnrollRequest {
	return EnrollRequest{USCCs: []string{uscc}, Actor: uscc, Role: string(domain.RoleEnterprise)}
}

func TestTrainingWaitingListMovesUpWhenSomeoneCancels(t *testing.T) {
	p := sessionParams()
	env, r := newTrainingEnv(t, p, nil)
	a := updateAt(env, time.Minute, TrainingEnrollUpdate, enrollBy(uA))
	b := updateAt(env, 2*time.Minute, TrainingEnrollUpdate, enrollBy(uB))
	c := updateAt(env, 3*time.Minute, TrainingEnrollUpdate, enrollBy(uC))
	again := updateAt(env, 4*time.Minute, TrainingEnrollUpdate, enrollBy(uC))
	var atFull, afterCancel TrainingState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(TrainingStateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&atFull))
	}, 5*time.Minute)
	cancelA := updateAt(env, 6*time.Minute, TrainingCancelUpdate, CancelRequest{USCC: uA, Actor: uA, Role: "enterprise"})
	cancelTwice := updateAt(env, 7*time.Minute, TrainingCancelUpdate, CancelRequest{USCC: uA, Actor: uA, Role: "enterprise"})
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(TrainingStateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&afterCancel))
	}, 8*time.Minute)
	// Enrollment closes when the session starts.
	late := updateAt(env, p.StartsAt.Sub(shanghaiAt("2026-06-01", 10))+time.Minute, TrainingEnrollUpdate, enrollBy(uA))
	updateAt(env, p.EndsAt.Sub(shanghaiAt("2026-06-01", 10)), TrainingCloseUpdate, CloseRequest{Actor: "agency", Role: "agency"})

	env.ExecuteWorkflow(TrainingWorkflow, p)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	assert.Equal(t, domain.EnrollmentEnrolled, requireAccepted(t, a).(EnrollResult).Outcomes[0].Status)
	assert.Equal(t, domain.EnrollmentEnrolled, requireAccepted(t, b).(EnrollResult).Outcomes[0].Status)
	oc := requireAccepted(t, c).(EnrollResult).Outcomes[0]
	assert.Equal(t, EnrollOutcome{USCC: uC, Status: domain.EnrollmentWaitlisted, WaitlistPosition: 1}, oc)
	requireRefused(t, again, "already_enrolled")
	assert.Equal(t, 2, atFull.Enrolled)
	assert.Equal(t, 1, atFull.Waitlisted)

	requireAccepted(t, cancelA)
	requireRefused(t, cancelTwice, "not_enrolled")
	assert.Equal(t, 2, afterCancel.Enrolled)
	assert.Equal(t, 0, afterCancel.Waitlisted)
	requireRefused(t, late, "enrollment_closed")

	// PostgreSQL got the same decisions, the newest revision of each row last.
	assert.Equal(t, domain.EnrollmentCancelled, r.row(uA).Status)
	assert.Equal(t, domain.EnrollmentEnrolled, r.row(uB).Status)
	assert.Equal(t, domain.EnrollmentEnrolled, r.row(uC).Status, "the waiting list moved up")
	assert.Zero(t, r.row(uC).WaitlistPosition)
	assert.Equal(t, []string{"training_waitlisted", "training_enrolled", "training_not_certified"}, r.noticeKinds(uC))
	assert.Contains(t, r.noticeKinds(uA), "training_cancelled")
}

func TestTrainingRemindsTheEnrolledADayBefore(t *testing.T) {
	p := sessionParams()
	p.Capacity = 1
	env, r := newTrainingEnv(t, p, nil)
	updateAt(env, time.Hour, TrainingEnrollUpdate, EnrollRequest{USCCs: []string{uA, uB}, Actor: "sthjj", Role: "department", DepartmentID: "sthjj"})
	updateAt(env, p.StartsAt.Sub(shanghaiAt("2026-06-01", 10)), TrainingCloseUpdate, CloseRequest{Actor: "office", Role: "credit_office"})

	env.ExecuteWorkflow(TrainingWorkflow, p)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, r.reminders, 1)
	assert.Equal(t, []string{uA}, r.reminders[0].USCCs, "only enterprises holding a place are reminded, not the waiting list")
	assert.True(t, p.StartsAt.Add(-24*time.Hour).Equal(r.remindAt), "reminded at %s", r.remindAt)
	assert.Contains(t, r.reminders[0].Body, p.Venue)
	assert.Contains(t, r.reminders[0].Body, "2026年6月4日 09:00")
	assert.True(t, p.StartsAt.Equal(r.steps["training.started"]), "started at %s", r.steps["training.started"])
	// The department's bulk enrollment told each enterprise who enrolled it.
	require.NotEmpty(t, r.notices)
	assert.Contains(t, r.notices[0].Body, "认定部门已为你单位")
}

func TestTrainingCertificatesOnlyForAttendedAndPassed(t *testing.T) {
	p := sessionParams()
	p.Capacity = 3
	env, r := newTrainingEnv(t, p, map[string][]int64{uA: {7, 9}})
	toStart := p.StartsAt.Sub(shanghaiAt("2026-06-01", 10))
	updateAt(env, time.Hour, TrainingEnrollUpdate, EnrollRequest{USCCs: []string{uA, uB, uC}, Actor: "sthjj", Role: "department", DepartmentID: "sthjj"})
	early := updateAt(env, 2*time.Hour, TrainingAttendanceUpdate, AttendanceRequest{USCC: uA, Attended: true, AttendeeName: "王堃", AttendeeRole: domain.AttendeeLegalRepresentative})
	earlyClose := updateAt(env, 2*time.Hour, TrainingCloseUpdate, CloseRequest{Actor: "agency", Role: "agency"})
	yes := true
	// A attended and passed; B attended and failed; C was absent but has a score (no certificate without attendance).
	attA := updateAt(env, toStart+time.Hour, TrainingAttendanceUpdate, AttendanceRequest{USCC: uA, Attended: true, AttendeeName: "王堃", AttendeeRole: domain.AttendeeLegalRepresentative, Actor: "agency", Role: "agency"})
	noName := updateAt(env, toStart+time.Hour, TrainingAttendanceUpdate, AttendanceRequest{USCC: uB, Attended: true, AttendeeRole: domain.AttendeeLegalRepresentative})
	badScore := updateAt(env, toStart+time.Hour, TrainingResultUpdate, ResultRequest{USCC: uA, Score: 101})
	resA := updateAt(env, toStart+2*time.Hour, TrainingResultUpdate, ResultRequest{USCC: uA, Score: 88, Actor: "agency", Role: "agency"})
	batch := updateAt(env, toStart+3*time.Hour, TrainingRecordsUpdate, RecordsRequest{Actor: "agency", Role: "agency", Rows: []RecordRow{
		{Row: 2, USCC: uB, Attended: &yes, AttendeeName: "张喆", AttendeeRole: domain.AttendeeResponsibleManager, Score: ptr(59)},
		{Row: 3, USCC: uC, Attended: ptr(false), Score: ptr(95)},
		{Row: 4, USCC: "91350100M000100Y43", Attended: &yes, AttendeeName: "林燊", AttendeeRole: domain.AttendeeLegalRepresentative},
		{Row: 5, USCC: uB, Attended: &yes, AttendeeName: "张喆", AttendeeRole: "boss"},
	}})
	rect := updateAt(env, toStart+3*time.Hour, TrainingRectificationUpdate, RectificationRequest{USCC: uB, DepartmentID: "sthjj",
		DepartmentName: "生态环境局", DueOn: mustDate("2026-07-04"), Requirements: "完成废气治理设施改造", Actor: "sthjj", Role: "department"})
	closing := updateAt(env, toStart+5*time.Hour, TrainingCloseUpdate, CloseRequest{Actor: "agency", Role: "agency"})
	// Sent while the certificates are being issued (after that, the workflow is gone: HTTP answers 409 itself).
	closeTwice := updateAt(env, toStart+5*time.Hour, TrainingCloseUpdate, CloseRequest{Actor: "agency", Role: "agency"})
	lateScore := updateAt(env, toStart+5*time.Hour, TrainingResultUpdate, ResultRequest{USCC: uB, Score: 90})

	env.ExecuteWorkflow(TrainingWorkflow, p)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	requireRefused(t, early, "session_not_started")
	requireRefused(t, earlyClose, "session_not_started")
	requireAccepted(t, attA)
	requireRefused(t, noName, "attendee_name_required")
	requireRefused(t, badScore, "invalid_score")
	requireAccepted(t, resA)
	res := requireAccepted(t, batch).(RecordsResult)
	assert.Equal(t, 2, res.Applied)
	assert.Equal(t, 2, res.Rejected)
	codes := map[int]string{}
	for _, o := range res.Outcomes {
		codes[o.Row] = o.Code
	}
	assert.Equal(t, map[int]string{2: "", 3: "", 4: "not_enrolled", 5: "invalid_attendee_role"}, codes)
	requireAccepted(t, rect)
	requireAccepted(t, closing)
	requireRefused(t, closeTwice, "already_closed")
	requireRefused(t, lateScore, "session_closed")

	// One certificate: A's. B failed, C was absent.
	require.Len(t, r.certs, 1)
	assert.Equal(t, uA, r.certs[0].USCC)
	var cert activities.IssueLetterInput
	for _, l := range r.letters {
		if l.Content != nil && l.Content.Kind == letters.KindTrainingCertificate {
			cert = l
		}
	}
	assert.Equal(t, "training", cert.CaseKind)
	assert.Equal(t, "12:"+uA, cert.CaseID)
	assert.Equal(t, uA, cert.USCC)
	text := letterText(issuedLetter(t, cert))
	for _, want := range []string{"镇江堃元化工有限公司", uA, p.Title, "2026年6月4日", "4学时", "王堃", "法定代表人", "88分", "市信用办", p.AgencyName} {
		assert.Contains(t, text, want)
	}
	// Both of A's repair cases that wait for training got the certificate.
	require.Len(t, r.signals, 2)
	for _, s := range r.signals {
		assert.Equal(t, TrainingCertificateSignal{LetterID: r.certs[0].LetterID, TrainingID: 12, USCC: uA}, s)
	}
	assert.Equal(t, "agency", r.closed.Actor)
	assert.Equal(t, []any{uA}, r.closed.Details["certified"])
	assert.Equal(t, []any{uB, uC}, r.closed.Details["not_certified"])
	assert.Contains(t, r.noticeKinds(uB), "training_not_certified")
	assert.Contains(t, r.noticeKinds(uC), "training_not_certified")
	require.Len(t, r.rects, 1)
	assert.Equal(t, "完成废气治理设施改造", r.rects[0].Requirements)
	assert.Equal(t, "88", func() string { s := r.row(uA); return itoaPtr(s.Score) }())
}

func TestTrainingClosesByItselfAfterTheGracePeriod(t *testing.T) {
	p := sessionParams()
	env, r := newTrainingEnv(t, p, nil)
	toStart := p.StartsAt.Sub(shanghaiAt("2026-06-01", 10))
	updateAt(env, time.Hour, TrainingEnrollUpdate, enrollBy(uA))
	updateAt(env, toStart+time.Hour, TrainingRecordsUpdate, RecordsRequest{Actor: "agency", Role: "agency", Rows: []RecordRow{
		{Row: 2, USCC: uA, Attended: ptr(true), AttendeeName: "王堃", AttendeeRole: domain.AttendeeLegalRepresentative, Score: ptr(60)}}})

	env.ExecuteWorkflow(TrainingWorkflow, p)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.True(t, p.EndsAt.Add(TrainingCloseGrace).Equal(r.steps["training.closed"]), "closed at %s", r.steps["training.closed"])
	assert.Equal(t, "", r.closed.Actor, "closed by the system")
	require.Len(t, r.certs, 1, "a score equal to the pass score passes")
}

func TestTrainingPlanBuildsFromItsText(t *testing.T) {
	p := sessionParams()
	l, err := letters.Build(trainingPlanContent(p, mustDate("2026-06-01")))
	require.NoError(t, err)
	assert.Equal(t, TrainingPlanKind, l.Kind)
	text := letterText(l)
	for _, want := range []string{p.Title, p.Venue, "4学时", "2026年6月4日 09:00", p.AgencyName, "60分", "市信用办", "培训地点"} {
		assert.Contains(t, text, want)
	}
	pdf, err := letters.Render(l)
	require.NoError(t, err)
	assert.NotEmpty(t, pdf)

	p.Venue = "https://meeting.example/xy"
	l, err = letters.Build(trainingPlanContent(p, mustDate("2026-06-01")))
	require.NoError(t, err)
	assert.Contains(t, letterText(l), "线上培训地址")
}

func ptr[T any](v T) *T { return &v }

func itoaPtr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func mustDate(s string) domain.Date { return domain.MustParseDate(s) }
