package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// Credit-repair training (信用修复培训). Handlers parse and authorize; every step of a session (enrollment and
// cancellation with the waiting list, attendance, results, rectification deadlines, closing) is an update of the
// session's workflow, which decides and writes; the pages and lists read PostgreSQL. The agency's rating is the
// credit office's opinion of a session that took place, not a step of it, so the handler stores it directly.
//
// Who sees what: the credit office and admins every session; a department every session (it enrolls the
// enterprises it penalized) but only the enrollments of those enterprises; an agency only the sessions it runs
// (another agency's are 404); an enterprise the sessions open for enrollment and those it enrolled in, and only its
// own enrollment.

func init() {
	modules = append(modules, (*Server).mountTrainings)
	homeSources = append(homeSources, (*Server).trainingHomeSections)
	menus[storage.RoleCreditOffice] = append(menus[storage.RoleCreditOffice],
		menuItem{"/trainings", "信用修复培训"}, menuItem{"/trainings/new", "组织培训"}, menuItem{"/trainings/stats", "培训统计"})
	menus[storage.RoleAgency] = append(menus[storage.RoleAgency], menuItem{"/trainings", "承办的培训"})
	menus[storage.RoleEnterprise] = append(menus[storage.RoleEnterprise], menuItem{"/trainings", "信用修复培训"})
	menus[storage.RoleDepartment] = append(menus[storage.RoleDepartment], menuItem{"/trainings", "信用修复培训"})
}

var trainingViewers = []storage.Role{storage.RoleEnterprise, storage.RoleDepartment, storage.RoleCreditOffice, storage.RoleAgency, storage.RoleAdmin}

func (s *Server) mountTrainings(app *fiber.App, api fiber.Router) {
	office := s.allow(storage.RoleCreditOffice)
	viewers := s.allow(trainingViewers...)
	recorders := s.allow(storage.RoleAgency, storage.RoleCreditOffice)
	enrollers := s.allow(storage.RoleEnterprise, storage.RoleDepartment)
	cancellers := s.allow(storage.RoleEnterprise, storage.RoleDepartment, storage.RoleCreditOffice)
	dept := s.allow(storage.RoleDepartment)

	api.Post("/trainings", office, s.createTraining)
	api.Get("/trainings", viewers, s.listTrainings)
	api.Get("/trainings/stats", s.allow(storage.RoleCreditOffice, storage.RoleAdmin), s.trainingStats)
	api.Get("/trainings/:id", viewers, s.getTraining)
	api.Get("/trainings/:id/plan", viewers, s.trainingPlanPDF)
	api.Post("/trainings/:id/enrollments", enrollers, s.enrollTraining)
	api.Delete("/trainings/:id/enrollments/:uscc", cancellers, s.cancelEnrollment)
	api.Post("/trainings/:id/enrollments/:uscc/cancel", cancellers, s.cancelEnrollment)
	api.Post("/trainings/:id/attendance", recorders, s.recordAttendance)
	api.Post("/trainings/:id/results", recorders, s.recordResult)
	api.Post("/trainings/:id/results/import", recorders, s.importTrainingRecords)
	api.Post("/trainings/:id/close", recorders, s.closeTraining)
	api.Post("/trainings/:id/rating", office, s.rateTraining)
	api.Post("/trainings/:id/rectifications", dept, s.trainingRectification)

	app.Get("/trainings", viewers, s.trainingsPage)
	app.Get("/trainings/new", office, s.trainingNewPage)
	app.Post("/trainings", office, s.trainingNewSubmit)
	app.Get("/trainings/stats", s.allow(storage.RoleCreditOffice, storage.RoleAdmin), s.trainingStatsPage)
	app.Get("/trainings/:id", viewers, s.trainingPage)
	app.Get("/trainings/:id/plan", viewers, s.trainingPlanPDF)
	app.Post("/trainings/:id/enroll", enrollers, s.trainingEnrollSubmit)
	app.Post("/trainings/:id/cancel", cancellers, s.trainingCancelSubmit)
	app.Post("/trainings/:id/record", recorders, s.trainingRecordSubmit)
	app.Post("/trainings/:id/import", recorders, s.trainingImportSubmit)
	app.Post("/trainings/:id/close", recorders, s.trainingCloseSubmit)
	app.Post("/trainings/:id/rating", office, s.trainingRatingSubmit)
	app.Post("/trainings/:id/rectification", dept, s.trainingRectificationSubmit)
}

// Creating a session.

// trainingInput is a session as the API and the form receive it.
type trainingInput struct {
	Title      string `json:"title"`
	StartsAt   string `json:"starts_at"`
	EndsAt     string `json:"ends_at"`
	Venue      string `json:"venue"`
	Capacity   *int   `json:"capacity"`
	ClassHours *int   `json:"class_hours"`
	Agency     string `json:"agency"`
	PassScore  *int   `json:"pass_score"`
}

// parseInstant reads an RFC 3339 time; a form's datetime-local value (no zone) is read in Asia/Shanghai.
func parseInstant(field, label, s string) (time.Time, *Error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalidField(field, "invalid_time", label+"应为RFC 3339格式的时间（如2026-06-10T09:00:00+08:00）")
}

func printable(field, label, value string) *Error {
	if err := letters.CheckPrintable(label, value); err != nil {
		var coded codedError
		if errors.As(err, &coded) {
			return invalidField(field, coded.ErrorCode(), coded.Error())
		}
		return nil // the font is missing: the letter itself will say so
	}
	return nil
}

// validateTraining checks a new session; it returns the session to store or the first problem as a 422.
func (s *Server) validateTraining(ctx context.Context, in trainingInput, p *principal, now time.Time) (storage.Training, *Error) {
	var zero storage.Training
	title, venue := strings.TrimSpace(in.Title), strings.TrimSpace(in.Venue)
	switch {
	case title == "" || utf8.RuneCountInString(title) > 200:
		return zero, invalidField("title", "invalid_title", "请填写培训名称（不超过200字）")
	case venue == "" || utf8.RuneCountInString(venue) > 500:
		return zero, invalidField("venue", "invalid_venue", "请填写培训地点或线上培训地址（不超过500字）")
	}
	if e := printable("title", "培训名称", title); e != nil {
		return zero, e
	}
	if e := printable("venue", "培训地点", venue); e != nil {
		return zero, e
	}
	starts, e := parseInstant("starts_at", "开始时间 starts_at ", in.StartsAt)
	if e != nil {
		return zero, e
	}
	ends, e := parseInstant("ends_at", "结束时间 ends_at ", in.EndsAt)
	if e != nil {
		return zero, e
	}
	switch {
	case !starts.After(now):
		return zero, invalidField("starts_at", "starts_at_in_past", "培训开始时间应晚于当前时间")
	case !ends.After(starts):
		return zero, invalidField("ends_at", "ends_before_start", "培训结束时间应晚于开始时间")
	case ends.Sub(starts) > 31*24*time.Hour:
		return zero, invalidField("ends_at", "session_too_long", "一场培训不应超过31天")
	case starts.After(now.AddDate(2, 0, 0)):
		return zero, invalidField("starts_at", "starts_at_too_far", "培训开始时间不应晚于两年后")
	}
	switch {
	case in.Capacity == nil || *in.Capacity < 1 || *in.Capacity > 500:
		return zero, invalidField("capacity", "invalid_capacity", "培训名额 capacity 应为1到500之间的整数")
	case in.ClassHours == nil || *in.ClassHours < 3 || *in.ClassHours > 200:
		return zero, invalidField("class_hours", "invalid_class_hours", "培训学时 class_hours 应不少于3学时（半天）")
	case in.PassScore == nil || *in.PassScore < 0 || *in.PassScore > 100:
		return zero, invalidField("pass_score", "invalid_pass_score", "考试合格线 pass_score 应为0到100之间的整数")
	}
	agency, err := s.db.UserByLogin(ctx, strings.TrimSpace(in.Agency))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (agency.Role != storage.RoleAgency || agency.Disabled)) {
		return zero, invalidField("agency", "unknown_agency", "承办机构 agency 应为信用服务机构的登录名")
	}
	if err != nil {
		return zero, newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
	}
	return storage.Training{
		Title: title, StartsAt: starts, EndsAt: ends, Venue: venue, Capacity: *in.Capacity, ClassHours: *in.ClassHours,
		AgencyLogin: agency.Login, AgencyName: agency.DisplayName, PassScore: *in.PassScore, Organizer: p.DisplayName,
		CreatedBy: p.Login,
	}, nil
}

// planWait bounds how long creation waits for the plan letter; the session runs either way.
const planWait = 10 * time.Second

// createSession stores a session, starts its workflow and waits (briefly) for the plan letter.
func (s *Server) createSession(c *fiber.Ctx, in trainingInput) (storage.Training, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	t, verr := s.validateTraining(ctx, in, p, time.Now())
	if verr != nil {
		return storage.Training{}, verr
	}
	if s.temporal == nil {
		return storage.Training{}, errWorkflowUnavailable
	}
	id, err := s.db.CreateTraining(ctx, t, storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "training.create"},
		map[string]any{"title": t.Title, "starts_at": t.StartsAt, "ends_at": t.EndsAt, "venue": t.Venue, "capacity": t.Capacity,
			"class_hours": t.ClassHours, "agency": t.AgencyLogin, "pass_score": t.PassScore})
	if err != nil {
		return storage.Training{}, err
	}
	t.ID = id
	if err := s.startTraining(ctx, t); err != nil {
		return storage.Training{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, planWait)
	defer cancel()
	if h, err := s.temporal.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.TrainingWorkflowID(id), UpdateName: workflows.TrainingPlanUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}); err == nil {
		var st workflows.TrainingState
		err = h.Get(wctx, &st)
		if err != nil {
			s.log.Warn("session created before its plan letter was issued", "training", id, "err", err)
		}
	}
	return s.db.GetTraining(ctx, id)
}

var errWorkflowUnavailable = newError(fiber.StatusServiceUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")

func trainingParams(t storage.Training) workflows.TrainingParams {
	return workflows.TrainingParams{
		TrainingID: t.ID, Title: t.Title, StartsAt: t.StartsAt, EndsAt: t.EndsAt, Venue: t.Venue, Capacity: t.Capacity,
		ClassHours: t.ClassHours, AgencyLogin: t.AgencyLogin, AgencyName: t.AgencyName, PassScore: t.PassScore,
		Organizer: t.Organizer,
	}
}

// startTraining starts training-<id>; a second start is harmless.
func (s *Server) startTraining(ctx context.Context, t storage.Training) error {
	_, err := s.temporal.ExecuteWorkflow(ctx, workflows.TrainingStartOptions(t.ID), workflows.TrainingWorkflow, trainingParams(t))
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start training %d: %w", t.ID, err)
	}
	return nil
}

func (s *Server) createTraining(c *fiber.Ctx) error {
	var in trainingInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.createSession(c, in)
	if err != nil {
		return err
	}
	d, err := s.trainingDetail(c, t)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

// updateTraining sends a step to the session's workflow and decodes its answer into out; refusals become 409 or
// 422. A session stored but never started (its start failed) is started and asked again.
func (s *Server) updateTraining(ctx context.Context, t storage.Training, name string, arg, out any) error {
	if s.temporal == nil {
		return errWorkflowUnavailable
	}
	for attempt := 0; ; attempt++ {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		h, err := s.temporal.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
			WorkflowID: workflows.TrainingWorkflowID(t.ID), UpdateName: name, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(wctx, out)
		}
		cancel()
		if err == nil {
			return nil
		}
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) && t.Status == storage.TrainingPlanned && attempt == 0 {
			// The session's workflow never started (a crash right after storing it): start it and try once more.
			if err := s.startTraining(ctx, t); err != nil {
				return err
			}
			continue
		}
		if errors.As(err, &nf) {
			return newError(fiber.StatusConflict, "session_closed", "该培训场次已结束，不能再办理")
		}
		return stepError(err, "该培训场次已结束，不能再办理", fmt.Sprintf("training %d %s", t.ID, name))
	}
}

// Reading.

// canSeeTraining decides whether the caller may know the session exists.
func (s *Server) canSeeTraining(ctx context.Context, p *principal, t storage.Training) (bool, error) {
	switch p.Role {
	case storage.RoleCreditOffice, storage.RoleAdmin, storage.RoleDepartment:
		return true, nil
	case storage.RoleAgency:
		return t.AgencyLogin == p.Login, nil
	case storage.RoleEnterprise:
		if enrollmentOpen(t, time.Now()) {
			return true, nil
		}
		_, err := s.db.EnrollmentOf(ctx, t.ID, p.USCC.String)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

func enrollmentOpen(t storage.Training, now time.Time) bool {
	return (t.Status == storage.TrainingPlanned || t.Status == storage.TrainingOpen) && t.StartsAt.After(now)
}

// visibleTraining loads the :id session, or 404 when it does not exist or the caller must not know it does.
func (s *Server) visibleTraining(c *fiber.Ctx) (storage.Training, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return storage.Training{}, errNotFound
	}
	t, err := s.db.GetTraining(c.UserContext(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Training{}, errNotFound
	}
	if err != nil {
		return storage.Training{}, err
	}
	ok, err := s.canSeeTraining(c.UserContext(), principalOf(c), t)
	if err != nil {
		return storage.Training{}, err
	}
	if !ok {
		return storage.Training{}, errNotFound
	}
	return t, nil
}

type enrollmentJSON struct {
	USCC             string     `json:"uscc"`
	EnterpriseName   string     `json:"enterprise_name"`
	Status           string     `json:"status"`
	WaitlistPosition *int       `json:"waitlist_position"`
	Attended         *bool      `json:"attended"`
	AttendeeName     string     `json:"attendee_name"`
	AttendeeRole     string     `json:"attendee_role"`
	Score            *int       `json:"score"`
	Passed           *bool      `json:"passed"`
	EnrolledBy       string     `json:"enrolled_by"`
	EnrolledAt       time.Time  `json:"enrolled_at"`
	CancelledAt      *time.Time `json:"cancelled_at"`
}

func toEnrollmentJSON(e storage.TrainingEnrollment, passScore int) enrollmentJSON {
	ej := enrollmentJSON{USCC: e.USCC, EnterpriseName: e.EnterpriseName, Status: e.Status, AttendeeName: e.AttendeeName,
		AttendeeRole: e.AttendeeRole, EnrolledBy: e.EnrolledBy, EnrolledAt: e.EnrolledAt.In(shanghai)}
	if e.WaitlistPosition.Valid {
		n := int(e.WaitlistPosition.Int32)
		ej.WaitlistPosition = &n
	}
	if e.Attended.Valid {
		a := e.Attended.Bool
		ej.Attended = &a
	}
	if e.Score.Valid {
		n := int(e.Score.Int32)
		ej.Score = &n
	}
	// Passed needs both halves: attendance and a score at or above the pass score.
	switch {
	case e.Status != storage.EnrollmentEnrolled:
	case ej.Attended != nil && !*ej.Attended:
		f := false
		ej.Passed = &f
	case ej.Attended != nil && ej.Score != nil:
		ok := *ej.Score >= passScore
		ej.Passed = &ok
	}
	if e.CancelledAt.Valid {
		at := e.CancelledAt.Time.In(shanghai)
		ej.CancelledAt = &at
	}
	return ej
}

// certificateJSON is a certificate letter with its enterprise.
type certificateJSON struct {
	letterJSON
	TrainingID     int64  `json:"training_id"`
	TrainingTitle  string `json:"training_title"`
	EnterpriseName string `json:"enterprise_name"`
	Score          int    `json:"score"`
}

func (s *Server) toCertificateJSON(c storage.TrainingCertificate) certificateJSON {
	return certificateJSON{letterJSON: s.toLetterJSON(c.Letter), TrainingID: c.TrainingID, TrainingTitle: c.TrainingTitle,
		EnterpriseName: c.EnterpriseName, Score: c.Score}
}

type rectificationJSON struct {
	USCC           string      `json:"uscc"`
	EnterpriseName string      `json:"enterprise_name"`
	DepartmentID   string      `json:"department_id"`
	DepartmentName string      `json:"department_name"`
	DueOn          domain.Date `json:"due_on"`
	Requirements   string      `json:"requirements"`
	SetBy          string      `json:"set_by"`
	SetAt          time.Time   `json:"set_at"`
	// RepairID is the department's repair case of the enterprise, where the same deadline is set as a case step.
	RepairID *int64 `json:"repair_id"`
}

type ratingJSON struct {
	Score   int       `json:"score"`
	Comment string    `json:"comment"`
	RatedBy string    `json:"rated_by"`
	RatedAt time.Time `json:"rated_at"`
}

// trainingJSON is a session as the API shows it; lists leave out the enrollments and what follows them.
type trainingJSON struct {
	ID             int64                `json:"id"`
	Title          string               `json:"title"`
	StartsAt       time.Time            `json:"starts_at"`
	EndsAt         time.Time            `json:"ends_at"`
	Venue          string               `json:"venue"`
	Online         bool                 `json:"online"`
	Capacity       int                  `json:"capacity"`
	ClassHours     int                  `json:"class_hours"`
	Agency         string               `json:"agency"`
	AgencyName     string               `json:"agency_name"`
	PassScore      int                  `json:"pass_score"`
	Organizer      string               `json:"organizer"`
	Status         string               `json:"status"`
	EnrollmentOpen bool                 `json:"enrollment_open"`
	Enrolled       int                  `json:"enrolled"`
	Waitlisted     int                  `json:"waitlisted"`
	PlanLetter     *letterJSON          `json:"plan_letter"`
	CreatedAt      time.Time            `json:"created_at"`
	ClosedAt       *time.Time           `json:"closed_at"`
	Enrollments    *[]enrollmentJSON    `json:"enrollments,omitempty"`
	Certificates   *[]certificateJSON   `json:"certificates,omitempty"`
	Rectifications *[]rectificationJSON `json:"rectifications,omitempty"`
	Rating         **ratingJSON         `json:"rating,omitempty"`
}

func isOnline(venue string) bool {
	return strings.HasPrefix(venue, "http://") || strings.HasPrefix(venue, "https://")
}

func (s *Server) toTrainingJSON(ctx context.Context, t storage.Training) (trainingJSON, error) {
	tj := trainingJSON{ID: t.ID, Title: t.Title, StartsAt: t.StartsAt.In(shanghai), EndsAt: t.EndsAt.In(shanghai), Venue: t.Venue,
		Online: isOnline(t.Venue), Capacity: t.Capacity, ClassHours: t.ClassHours, Agency: t.AgencyLogin, AgencyName: t.AgencyName,
		PassScore: t.PassScore, Organizer: t.Organizer, Status: t.Status, EnrollmentOpen: enrollmentOpen(t, time.Now()),
		Enrolled: t.Enrolled, Waitlisted: t.Waitlisted, CreatedAt: t.CreatedAt.In(shanghai)}
	if t.ClosedAt.Valid {
		at := t.ClosedAt.Time.In(shanghai)
		tj.ClosedAt = &at
	}
	if t.PlanLetterID.Valid {
		l, err := s.db.GetLetter(ctx, t.PlanLetterID.Int64)
		if err != nil {
			return tj, err
		}
		lj := s.toLetterJSON(l)
		// Everyone who sees the session reads its plan through the session.
		lj.URL = "/api/v1/trainings/" + strconv.FormatInt(t.ID, 10) + "/plan"
		tj.PlanLetter = &lj
	}
	return tj, nil
}

// enterpriseScope returns, for a department, the set of enterprises it penalized; nil means "every enterprise".
func (s *Server) enterpriseScope(ctx context.Context, p *principal) (map[string]bool, error) {
	switch p.Role {
	case storage.RoleEnterprise:
		return map[string]bool{p.USCC.String: true}, nil
	case storage.RoleDepartment:
		es, err := s.db.PenalizedEnterprises(ctx, p.DepartmentID.String)
		if err != nil {
			return nil, err
		}
		scope := make(map[string]bool, len(es))
		for _, e := range es {
			scope[e.USCC] = true
		}
		return scope, nil
	}
	return nil, nil
}

// trainingDetail is a session with the enrollments, certificates and notes the caller may see.
func (s *Server) trainingDetail(c *fiber.Ctx, t storage.Training) (trainingJSON, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	tj, err := s.toTrainingJSON(ctx, t)
	if err != nil {
		return tj, err
	}
	scope, err := s.enterpriseScope(ctx, p)
	if err != nil {
		return tj, err
	}
	inScope := func(uscc string) bool { return scope == nil || scope[uscc] }
	es, err := s.db.EnrollmentsOf(ctx, t.ID)
	if err != nil {
		return tj, err
	}
	ejs := []enrollmentJSON{}
	for _, e := range es {
		if inScope(e.USCC) {
			ejs = append(ejs, toEnrollmentJSON(e, t.PassScore))
		}
	}
	tj.Enrollments = &ejs
	cs, err := s.db.CertificatesOf(ctx, t.ID)
	if err != nil {
		return tj, err
	}
	cjs := []certificateJSON{}
	for _, cert := range cs {
		if inScope(cert.USCC) {
			cjs = append(cjs, s.toCertificateJSON(cert))
		}
	}
	tj.Certificates = &cjs
	deptFilter := ""
	if p.Role == storage.RoleDepartment {
		deptFilter = p.DepartmentID.String
	}
	rs, err := s.db.RectificationsOf(ctx, t.ID, deptFilter)
	if err != nil {
		return tj, err
	}
	rjs := []rectificationJSON{}
	for _, r := range rs {
		if !inScope(r.USCC) {
			continue
		}
		rj := rectificationJSON{USCC: r.USCC, EnterpriseName: r.EnterpriseName, DepartmentID: r.DepartmentID,
			DepartmentName: r.DepartmentName, DueOn: r.DueOn, Requirements: r.Requirements, SetBy: r.SetBy, SetAt: r.SetAt.In(shanghai)}
		if id, err := s.db.RepairOfDepartment(ctx, r.USCC, r.DepartmentID); err != nil {
			return tj, err
		} else if id > 0 {
			rj.RepairID = &id
		}
		rjs = append(rjs, rj)
	}
	tj.Rectifications = &rjs
	if p.Role == storage.RoleCreditOffice || p.Role == storage.RoleAdmin || p.Role == storage.RoleAgency {
		r, err := s.db.RatingOf(ctx, t.ID)
		if err != nil {
			return tj, err
		}
		var rj *ratingJSON
		if r != nil {
			rj = &ratingJSON{Score: r.Score, Comment: r.Comment, RatedBy: r.RatedBy, RatedAt: r.RatedAt.In(shanghai)}
		}
		tj.Rating = &rj
	}
	return tj, nil
}

func (s *Server) getTraining(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	d, err := s.trainingDetail(c, t)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// trainingFilter scopes the list to the caller: an agency its sessions, an enterprise the open ones and its own.
func trainingFilter(c *fiber.Ctx, p *principal) (storage.TrainingFilter, *Error) {
	f := storage.TrainingFilter{Status: c.Query("status")}
	if f.Status != "" {
		if _, ok := map[string]bool{storage.TrainingPlanned: true, storage.TrainingOpen: true, storage.TrainingStarted: true,
			storage.TrainingClosed: true}[f.Status]; !ok {
			return f, invalidField("status", "invalid_status", "status 应为 planned、open、started 或 closed")
		}
	}
	switch p.Role {
	case storage.RoleAgency:
		f.AgencyLogin = p.Login
	case storage.RoleEnterprise:
		f.OpenOrUSCC = p.USCC.String
	}
	return f, nil
}

func (s *Server) listTrainings(c *fiber.Ctx) error {
	limit, cursor, err := listParams(c)
	if err != nil {
		return err
	}
	f, ferr := trainingFilter(c, principalOf(c))
	if ferr != nil {
		return ferr
	}
	if cursor != "" {
		raw, err := decodeCursor(cursor)
		if err != nil {
			return err
		}
		if f.BeforeID, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return invalidField("cursor", "invalid_cursor", "分页游标无效")
		}
	}
	f.Limit = limit
	ts, err := s.db.ListTrainings(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := page[trainingJSON]{Items: make([]trainingJSON, 0, len(ts))}
	for _, t := range ts {
		tj, err := s.toTrainingJSON(c.UserContext(), t)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, tj)
	}
	if len(ts) == limit {
		out.NextCursor = encodeCursor(strconv.FormatInt(ts[len(ts)-1].ID, 10))
	}
	return c.JSON(out)
}

func (s *Server) trainingPlanPDF(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	if !t.PlanLetterID.Valid {
		return newError(fiber.StatusNotFound, "plan_not_ready", "培训方案正在生成，请稍后刷新")
	}
	l, err := s.db.GetLetter(c.UserContext(), t.PlanLetterID.Int64)
	if err != nil {
		return err
	}
	pdf, err := s.db.LetterPDF(c.UserContext(), l.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="training-`+strconv.FormatInt(t.ID, 10)+`-plan.pdf"`)
	c.Set("X-Content-SHA256", l.SHA256)
	return c.Send(pdf)
}

// Enrollment.

type enrollBody struct {
	USCC  string   `json:"uscc"`
	USCCs []string `json:"usccs"`
}

// enrollRequest checks who the caller may enroll: an enterprise itself; a department only enterprises it penalized
// (another code is 404: the department must not learn whether it exists).
func (s *Server) enrollRequest(ctx context.Context, p *principal, b enrollBody) (workflows.EnrollRequest, error) {
	req := workflows.EnrollRequest{Actor: p.Login, Role: string(p.Role)}
	var raw []string
	if strings.TrimSpace(b.USCC) != "" {
		raw = append(raw, b.USCC)
	}
	raw = append(raw, b.USCCs...)
	if p.Role == storage.RoleEnterprise {
		for _, u := range raw {
			if n, err := domain.NormalizeUSCC(u); err != nil || n != p.USCC.String {
				return req, errForbidden.With(map[string]any{"reason": "企业只能为本单位报名"})
			}
		}
		req.USCCs = []string{p.USCC.String}
		return req, nil
	}
	req.DepartmentID = p.DepartmentID.String
	switch {
	case len(raw) == 0:
		return req, invalidField("uscc", "usccs_required", "请指定报名企业的统一社会信用代码（uscc 或 usccs）")
	case len(raw) > workflows.MaxEnrollBatch:
		return req, invalidField("usccs", "too_many_enrollments", fmt.Sprintf("一次最多为%d家企业报名", workflows.MaxEnrollBatch))
	}
	scope, err := s.enterpriseScope(ctx, p)
	if err != nil {
		return req, err
	}
	for _, u := range raw {
		n, err := domain.NormalizeUSCC(u)
		if err != nil {
			return req, invalidField("usccs", "invalid_uscc", err.Error()).With(map[string]any{"field": "usccs", "uscc": u})
		}
		if !scope[n] {
			return req, errNotFound.With(map[string]any{"uscc": n, "reason": "本部门没有该企业的行政处罚记录"})
		}
		if !slices.Contains(req.USCCs, n) {
			req.USCCs = append(req.USCCs, n)
		}
	}
	return req, nil
}

func (s *Server) enroll(c *fiber.Ctx, t storage.Training, b enrollBody) (workflows.EnrollResult, error) {
	var res workflows.EnrollResult
	req, err := s.enrollRequest(c.UserContext(), principalOf(c), b)
	if err != nil {
		return res, err
	}
	err = s.updateTraining(c.UserContext(), t, workflows.TrainingEnrollUpdate, req, &res)
	return res, err
}

func (s *Server) enrollTraining(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b enrollBody
	if len(bytes.TrimSpace(c.Body())) > 0 || principalOf(c).Role == storage.RoleDepartment {
		if err := bindJSON(c, &b); err != nil {
			return err
		}
	}
	res, err := s.enroll(c, t, b)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"training_id": t.ID, "enrollments": res.Outcomes})
}

// cancellable checks the caller may cancel the enterprise's enrollment: its own, one of the enterprises a department
// penalized, or any for the credit office; anything else is 404.
func (s *Server) cancellable(c *fiber.Ctx, t storage.Training, raw string) (string, error) {
	uscc, err := domain.NormalizeUSCC(raw)
	if err != nil {
		return "", errNotFound
	}
	scope, err := s.enterpriseScope(c.UserContext(), principalOf(c))
	if err != nil {
		return "", err
	}
	if scope != nil && !scope[uscc] {
		return "", errNotFound
	}
	if _, err := s.db.EnrollmentOf(c.UserContext(), t.ID, uscc); err != nil {
		return "", err
	}
	return uscc, nil
}

func (s *Server) cancelEnrollment(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	uscc, err := s.cancellable(c, t, c.Params("uscc"))
	if err != nil {
		return err
	}
	p := principalOf(c)
	var st workflows.TrainingState
	if err := s.updateTraining(c.UserContext(), t, workflows.TrainingCancelUpdate,
		workflows.CancelRequest{USCC: uscc, Actor: p.Login, Role: string(p.Role)}, &st); err != nil {
		return err
	}
	if t, err = s.db.GetTraining(c.UserContext(), t.ID); err != nil {
		return err
	}
	d, err := s.trainingDetail(c, t)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// Attendance and results.

// attendeeRole reads an attendee's role: the codes or their Chinese names.
func attendeeRole(s string) (string, bool) {
	switch strings.TrimSpace(s) {
	case storage.AttendeeLegalRepresentative, "法定代表人", "法人代表", "法人":
		return storage.AttendeeLegalRepresentative, true
	case storage.AttendeeResponsibleManager, "主要负责人", "负责人", "相关负责人":
		return storage.AttendeeResponsibleManager, true
	}
	return "", false
}

type attendanceBody struct {
	USCC         string `json:"uscc"`
	Attended     *bool  `json:"attended"`
	AttendeeName string `json:"attendee_name"`
	AttendeeRole string `json:"attendee_role"`
}

func (b attendanceBody) request(p *principal) (workflows.AttendanceRequest, *Error) {
	uscc, err := domain.NormalizeUSCC(b.USCC)
	if err != nil {
		return workflows.AttendanceRequest{}, invalidField("uscc", "invalid_uscc", err.Error())
	}
	if b.Attended == nil {
		return workflows.AttendanceRequest{}, invalidField("attended", "attended_required", "请填写是否参加培训（attended: true 或 false）")
	}
	req := workflows.AttendanceRequest{USCC: uscc, Attended: *b.Attended, AttendeeName: strings.TrimSpace(b.AttendeeName),
		Actor: p.Login, Role: string(p.Role)}
	if *b.Attended {
		role, ok := attendeeRole(b.AttendeeRole)
		if !ok {
			return req, invalidField("attendee_role", "invalid_attendee_role", "参训人员身份 attendee_role 应为 legal_representative（法定代表人）或 responsible_manager（主要负责人）")
		}
		req.AttendeeRole = role
		if req.AttendeeName == "" {
			return req, invalidField("attendee_name", "attendee_name_required", "请填写参训人员姓名")
		}
		if e := printable("attendee_name", "参训人员姓名", req.AttendeeName); e != nil {
			return req, e
		}
	}
	return req, nil
}

// answerEnrollment answers a recording step with the enterprise's enrollment as it now stands.
func (s *Server) answerEnrollment(c *fiber.Ctx, t storage.Training, uscc string) error {
	e, err := s.db.EnrollmentOf(c.UserContext(), t.ID, uscc)
	if err != nil {
		return err
	}
	return c.JSON(toEnrollmentJSON(e, t.PassScore))
}

func (s *Server) recordAttendance(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b attendanceBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	req, verr := b.request(principalOf(c))
	if verr != nil {
		return verr
	}
	var st workflows.TrainingState
	if err := s.updateTraining(c.UserContext(), t, workflows.TrainingAttendanceUpdate, req, &st); err != nil {
		return err
	}
	return s.answerEnrollment(c, t, req.USCC)
}

type resultBody struct {
	USCC  string `json:"uscc"`
	Score *int   `json:"score"`
}

func (s *Server) recordResult(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b resultBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	uscc, uerr := domain.NormalizeUSCC(b.USCC)
	if uerr != nil {
		return invalidField("uscc", "invalid_uscc", uerr.Error())
	}
	if b.Score == nil || *b.Score < 0 || *b.Score > 100 {
		return invalidField("score", "invalid_score", "考试成绩 score 应为0到100之间的整数")
	}
	p := principalOf(c)
	var st workflows.TrainingState
	if err := s.updateTraining(c.UserContext(), t, workflows.TrainingResultUpdate,
		workflows.ResultRequest{USCC: uscc, Score: *b.Score, Actor: p.Login, Role: string(p.Role)}, &st); err != nil {
		return err
	}
	return s.answerEnrollment(c, t, uscc)
}

// CSV of attendance and results: UTF-8 with a header row naming the columns uscc, attended, attendee_name,
// attendee_role, score (any order; only uscc is required, an empty cell leaves that part as it is). A row's number
// is its line in the file, the header being row 1. Rows with errors are reported with their number and reason and change nothing; the
// good rows are applied together in one step of the session's workflow.

var trainingCSVColumns = []string{"uscc", "attended", "attendee_name", "attendee_role", "score"}

// trainingRowJSON is the outcome of one CSV row.
type trainingRowJSON struct {
	Row     int    `json:"row"`
	USCC    string `json:"uscc"`
	Status  string `json:"status"` // applied or rejected
	Code    string `json:"code,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message,omitempty"`
}

type trainingImportJSON struct {
	Applied  int               `json:"applied"`
	Rejected int               `json:"rejected"`
	Rows     []trainingRowJSON `json:"rows"`
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "是", "出席", "参加", "已参加":
		return true, true
	case "false", "0", "no", "n", "否", "缺席", "未参加":
		return false, true
	}
	return false, false
}

// parseTrainingCSV reads the file: a file that is not a readable CSV with the right header is one 422; otherwise
// every row is either a request row or a rejected row.
func parseTrainingCSV(raw []byte) ([]workflows.RecordRow, []trainingRowJSON, error) {
	if !utf8.Valid(raw) {
		return nil, nil, newError(fiber.StatusUnprocessableEntity, "invalid_encoding", "文件不是UTF-8编码，请在表格软件中另存为“CSV UTF-8”格式后重新上传")
	}
	raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, newError(fiber.StatusUnprocessableEntity, "empty_csv", "文件为空，第1行应为列名")
	}
	if err != nil {
		return nil, nil, trainingCSVError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(trainingCSVColumns, h) {
			return nil, nil, newError(fiber.StatusUnprocessableEntity, "invalid_csv_header",
				fmt.Sprintf("第1行第%d列的列名“%s”无法识别；可用的列名：%s", i+1, h, strings.Join(trainingCSVColumns, ", "))).
				With(map[string]any{"column": i + 1, "name": h, "columns": trainingCSVColumns})
		}
		if _, dup := col[h]; dup {
			return nil, nil, newError(fiber.StatusUnprocessableEntity, "invalid_csv_header", fmt.Sprintf("列名“%s”重复", h))
		}
		col[h] = i
	}
	if _, ok := col["uscc"]; !ok {
		return nil, nil, newError(fiber.StatusUnprocessableEntity, "invalid_csv_header", "缺少必填列“uscc”").
			With(map[string]any{"missing": "uscc", "columns": trainingCSVColumns})
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []workflows.RecordRow
	var bad []trainingRowJSON
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, trainingCSVError(err)
		}
		// A row is its line in the file (the header is row 1; blank lines count, as a spreadsheet shows them).
		row, _ := cr.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		if len(rows)+len(bad) >= workflows.MaxRecordRows {
			return nil, nil, newError(fiber.StatusRequestEntityTooLarge, "too_many_rows", fmt.Sprintf("一个文件最多%d行", workflows.MaxRecordRows))
		}
		reject := func(field, code, msg string) {
			bad = append(bad, trainingRowJSON{Row: row, USCC: cell(rec, "uscc"), Status: "rejected", Field: field, Code: code, Message: msg})
		}
		uscc, err := domain.NormalizeUSCC(cell(rec, "uscc"))
		if err != nil {
			reject("uscc", "invalid_uscc", err.Error())
			continue
		}
		r := workflows.RecordRow{Row: row, USCC: uscc}
		if a := cell(rec, "attended"); a != "" {
			v, ok := parseBool(a)
			if !ok {
				reject("attended", "invalid_attended", fmt.Sprintf("attended 应为 true 或 false（是/否），而不是“%s”", a))
				continue
			}
			r.Attended = &v
			if v {
				role, ok := attendeeRole(cell(rec, "attendee_role"))
				if !ok {
					reject("attendee_role", "invalid_attendee_role", "参训人员身份 attendee_role 应为 legal_representative（法定代表人）或 responsible_manager（主要负责人）")
					continue
				}
				r.AttendeeRole, r.AttendeeName = role, cell(rec, "attendee_name")
				if r.AttendeeName == "" {
					reject("attendee_name", "attendee_name_required", "参加培训的应填写参训人员姓名")
					continue
				}
				if e := printable("attendee_name", "参训人员姓名", r.AttendeeName); e != nil {
					reject("attendee_name", e.Code, e.Message)
					continue
				}
			}
		}
		if sc := cell(rec, "score"); sc != "" {
			n, err := strconv.Atoi(sc)
			if err != nil || n < 0 || n > 100 {
				reject("score", "invalid_score", fmt.Sprintf("考试成绩应为0到100之间的整数，而不是“%s”", sc))
				continue
			}
			r.Score = &n
		}
		if r.Attended == nil && r.Score == nil {
			reject("attended", "empty_row", "该行既没有签到信息也没有考试成绩")
			continue
		}
		rows = append(rows, r)
	}
	if len(rows)+len(bad) == 0 {
		return nil, nil, newError(fiber.StatusUnprocessableEntity, "empty_csv", "文件中没有数据行")
	}
	return rows, bad, nil
}

func trainingCSVError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return newError(fiber.StatusUnprocessableEntity, "invalid_csv", fmt.Sprintf("CSV格式错误（第%d行第%d列）：引号或分隔符不匹配", pe.Line, pe.Column)).
			With(map[string]any{"row": pe.Line, "column": pe.Column})
	}
	return newError(fiber.StatusUnprocessableEntity, "invalid_csv", "无法读取CSV文件")
}

// applyTrainingCSV parses a file and applies its good rows; the answer lists every row by number.
func (s *Server) applyTrainingCSV(c *fiber.Ctx, t storage.Training, raw []byte) (trainingImportJSON, error) {
	out := trainingImportJSON{Rows: []trainingRowJSON{}}
	rows, bad, err := parseTrainingCSV(raw)
	if err != nil {
		return out, err
	}
	out.Rows = append(out.Rows, bad...)
	if len(rows) > 0 {
		p := principalOf(c)
		var res workflows.RecordsResult
		if err := s.updateTraining(c.UserContext(), t, workflows.TrainingRecordsUpdate,
			workflows.RecordsRequest{Rows: rows, Actor: p.Login, Role: string(p.Role)}, &res); err != nil {
			return out, err
		}
		for _, o := range res.Outcomes {
			r := trainingRowJSON{Row: o.Row, USCC: o.USCC, Status: "applied"}
			if !o.Applied {
				r.Status, r.Code, r.Message, r.Field = "rejected", o.Code, o.Message, "uscc"
			}
			out.Rows = append(out.Rows, r)
		}
	}
	sort.Slice(out.Rows, func(i, j int) bool { return out.Rows[i].Row < out.Rows[j].Row })
	for _, r := range out.Rows {
		if r.Status == "applied" {
			out.Applied++
		} else {
			out.Rejected++
		}
	}
	return out, nil
}

func (s *Server) importTrainingRecords(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || (mt != "text/csv" && mt != "application/csv") {
		return errUnsupportedMedia.With(map[string]any{"expected": "text/csv"})
	}
	out, err := s.applyTrainingCSV(c, t, c.Body())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// Closing, rating and rectification.

func (s *Server) closeTraining(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	var st workflows.TrainingState
	if err := s.updateTraining(c.UserContext(), t, workflows.TrainingCloseUpdate,
		workflows.CloseRequest{Actor: p.Login, Role: string(p.Role)}, &st); err != nil {
		return err
	}
	d, err := s.trainingDetail(c, t)
	if err != nil {
		return err
	}
	// The certificates are being issued: the session reads "closed" with its certificates once they are.
	d.Status = "closing"
	return c.Status(fiber.StatusAccepted).JSON(d)
}

type ratingBody struct {
	Score   *int   `json:"score"`
	Comment string `json:"comment"`
}

func (s *Server) rate(c *fiber.Ctx, t storage.Training, b ratingBody) (*storage.TrainingRating, error) {
	switch {
	case b.Score == nil || *b.Score < 1 || *b.Score > 5:
		return nil, invalidField("score", "invalid_rating", "评分 score 应为1到5之间的整数")
	case utf8.RuneCountInString(b.Comment) > 2000:
		return nil, invalidField("comment", "comment_too_long", "评价意见过长（不超过2000字）")
	case t.Status != storage.TrainingStarted && t.Status != storage.TrainingClosed:
		return nil, newError(fiber.StatusConflict, "session_not_held", "培训尚未举办，暂不能评价")
	}
	p := principalOf(c)
	r := storage.TrainingRating{TrainingID: t.ID, Score: *b.Score, Comment: strings.TrimSpace(b.Comment), RatedBy: p.Login}
	if err := s.db.RateTraining(c.UserContext(), r, storage.AuditEntry{Actor: p.Login, Role: string(p.Role),
		Action: "training.rating", CaseKind: "training", CaseID: strconv.FormatInt(t.ID, 10)}); err != nil {
		return nil, err
	}
	return s.db.RatingOf(c.UserContext(), t.ID)
}

func (s *Server) rateTraining(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b ratingBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	r, err := s.rate(c, t, b)
	if err != nil {
		return err
	}
	return c.JSON(ratingJSON{Score: r.Score, Comment: r.Comment, RatedBy: r.RatedBy, RatedAt: r.RatedAt.In(shanghai)})
}

type rectificationBody struct {
	USCC         string `json:"uscc"`
	DueOn        string `json:"due_on"`
	Requirements string `json:"requirements"`
}

func (s *Server) setRectification(c *fiber.Ctx, t storage.Training, b rectificationBody) (rectificationJSON, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	var out rectificationJSON
	uscc, err := domain.NormalizeUSCC(b.USCC)
	if err != nil {
		return out, invalidField("uscc", "invalid_uscc", err.Error())
	}
	penalized, err := s.db.DepartmentPenalized(ctx, p.DepartmentID.String, uscc)
	if err != nil {
		return out, err
	}
	if !penalized {
		return out, errNotFound.With(map[string]any{"uscc": uscc, "reason": "本部门没有该企业的行政处罚记录"})
	}
	due, err := domain.ParseDate(strings.TrimSpace(b.DueOn))
	if err != nil {
		return out, invalidField("due_on", "invalid_due_on", "整改期限 due_on 应为YYYY-MM-DD格式的日期")
	}
	req := strings.TrimSpace(b.Requirements)
	if req == "" || utf8.RuneCountInString(req) > 2000 {
		return out, invalidField("requirements", "requirements_required", "请写明整改要求（不超过2000字）")
	}
	dept, err := s.db.GetDepartment(ctx, p.DepartmentID.String)
	if err != nil {
		return out, err
	}
	var st workflows.TrainingState
	if err := s.updateTraining(ctx, t, workflows.TrainingRectificationUpdate, workflows.RectificationRequest{
		USCC: uscc, DepartmentID: dept.ID, DepartmentName: dept.Name, DueOn: due, Requirements: req, Actor: p.Login, Role: string(p.Role),
	}, &st); err != nil {
		return out, err
	}
	out = rectificationJSON{USCC: uscc, DepartmentID: dept.ID, DepartmentName: dept.Name, DueOn: due, Requirements: req, SetBy: p.Login,
		SetAt: time.Now().In(shanghai)}
	if id, err := s.db.RepairOfDepartment(ctx, uscc, dept.ID); err != nil {
		return out, err
	} else if id > 0 {
		out.RepairID = &id
	}
	return out, nil
}

func (s *Server) trainingRectification(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b rectificationBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	out, err := s.setRectification(c, t, b)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// Statistics.

type agencyStatsJSON struct {
	storage.AgencyStats
	AverageRating *float64 `json:"average_rating"`
}

type trainingStatsJSON struct {
	SessionsHeld       int               `json:"sessions_held"`
	EnterprisesTrained int               `json:"enterprises_trained"`
	Tested             int               `json:"tested"`
	Passed             int               `json:"passed"`
	PassRate           *float64          `json:"pass_rate"`
	Certified          int               `json:"certified"`
	WentOnToRepair     *int              `json:"went_on_to_repair"`
	Agencies           []agencyStatsJSON `json:"agencies"`
}

func (s *Server) statsJSON(ctx context.Context) (trainingStatsJSON, error) {
	st, err := s.db.TrainingStatistics(ctx)
	if err != nil {
		return trainingStatsJSON{}, err
	}
	out := trainingStatsJSON{SessionsHeld: st.SessionsHeld, EnterprisesTrained: st.EnterprisesTrained, Tested: st.Tested,
		Passed: st.Passed, Certified: st.Certified, Agencies: []agencyStatsJSON{}}
	if r := st.PassRate(); r >= 0 {
		out.PassRate = &r
	}
	if st.RepairsKnown {
		out.WentOnToRepair = &st.WentOnToRepair
	}
	for _, a := range st.Agencies {
		aj := agencyStatsJSON{AgencyStats: a}
		if a.AverageRating.Valid {
			v := a.AverageRating.Float64
			aj.AverageRating = &v
		}
		out.Agencies = append(out.Agencies, aj)
	}
	return out, nil
}

func (s *Server) trainingStats(c *fiber.Ctx) error {
	st, err := s.statsJSON(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// Pages.

// trainingRow is a session as the pages list it.
type trainingRow struct {
	trainingJSON
	StatusLabel string
	When        string
}

func trainingWhen(t trainingJSON) string {
	end := t.EndsAt.Format("15:04")
	if t.EndsAt.Format("2006-01-02") != t.StartsAt.Format("2006-01-02") {
		end = t.EndsAt.Format("2006-01-02 15:04")
	}
	return t.StartsAt.Format("2006-01-02 15:04") + " 至 " + end
}

func (s *Server) trainingRows(ctx context.Context, ts []storage.Training) ([]trainingRow, error) {
	rows := make([]trainingRow, 0, len(ts))
	for _, t := range ts {
		tj, err := s.toTrainingJSON(ctx, t)
		if err != nil {
			return nil, err
		}
		rows = append(rows, trainingRow{trainingJSON: tj, StatusLabel: trainingStatusLabel(tj), When: trainingWhen(tj)})
	}
	return rows, nil
}

func trainingStatusLabel(t trainingJSON) string {
	if t.Status == storage.TrainingOpen && !t.EnrollmentOpen {
		return "报名已截止"
	}
	return storage.TrainingStatusLabel(t.Status)
}

func (s *Server) trainingsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := principalOf(c)
	f, ferr := trainingFilter(c, p)
	if ferr != nil {
		return ferr
	}
	if before := c.Query("before"); before != "" {
		f.BeforeID, _ = strconv.ParseInt(before, 10, 64)
	}
	f.Limit = 100
	ts, err := s.db.ListTrainings(ctx, f)
	if err != nil {
		return err
	}
	rows, err := s.trainingRows(ctx, ts)
	if err != nil {
		return err
	}
	next := ""
	if len(ts) == f.Limit {
		next = strconv.FormatInt(ts[len(ts)-1].ID, 10)
	}
	d := map[string]any{"Rows": rows, "Next": next, "IsOffice": p.Role == storage.RoleCreditOffice,
		"IsEnterprise": p.Role == storage.RoleEnterprise, "IsAgency": p.Role == storage.RoleAgency}
	title := "信用修复培训"
	switch p.Role {
	case storage.RoleAgency:
		title = "承办的培训场次"
	case storage.RoleEnterprise:
		cs, err := s.db.CertificatesOfUSCC(ctx, p.USCC.String)
		if err != nil {
			return err
		}
		certs := make([]certificateJSON, 0, len(cs))
		for _, cert := range cs {
			certs = append(certs, s.toCertificateJSON(cert))
		}
		d["Certificates"] = certs
		es, err := s.db.EnrollmentsOfUSCC(ctx, p.USCC.String)
		if err != nil {
			return err
		}
		mine := map[int64]string{}
		for _, e := range es {
			label := storage.EnrollmentStatusLabel(e.Status)
			if e.WaitlistPosition.Valid {
				label += fmt.Sprintf("（第%d位）", e.WaitlistPosition.Int32)
			}
			mine[e.TrainingID] = label
		}
		d["Mine"] = mine
	}
	d["Title"] = title
	return s.page(c, "trainings", pageData{Title: title, Data: d})
}

func (s *Server) agencyOptions(ctx context.Context) ([]trainingOption, error) {
	us, err := s.db.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []trainingOption
	for _, u := range us {
		if u.Role == storage.RoleAgency && !u.Disabled {
			out = append(out, trainingOption{u.Login, u.DisplayName})
		}
	}
	return out, nil
}

// trainingForm is what the plan form shows back.
type trainingForm struct {
	Title, StartsAt, EndsAt, Venue, Capacity, ClassHours, Agency, PassScore string
}

func (s *Server) trainingNewPage(c *fiber.Ctx) error {
	start := time.Now().In(shanghai).AddDate(0, 0, 14)
	day := start.Format("2006-01-02")
	return s.renderTrainingForm(c, trainingForm{StartsAt: day + "T09:00", EndsAt: day + "T12:00", Capacity: "100", ClassHours: "3",
		PassScore: "60", Agency: "agency"}, nil)
}

func (s *Server) renderTrainingForm(c *fiber.Ctx, in trainingForm, problem *Error) error {
	agencies, err := s.agencyOptions(c.UserContext())
	if err != nil {
		return err
	}
	d := map[string]any{"In": in, "Agencies": agencies}
	if problem != nil {
		d["Problem"] = problem.Message
		c.Status(problem.Status)
	}
	return s.page(c, "training_new", pageData{Title: "组织信用修复培训", Data: d})
}

func formInt(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}

func (s *Server) trainingNewSubmit(c *fiber.Ctx) error {
	f := trainingForm{Title: c.FormValue("title"), StartsAt: c.FormValue("starts_at"), EndsAt: c.FormValue("ends_at"),
		Venue: c.FormValue("venue"), Capacity: c.FormValue("capacity"), ClassHours: c.FormValue("class_hours"),
		Agency: c.FormValue("agency"), PassScore: c.FormValue("pass_score")}
	t, err := s.createSession(c, trainingInput{Title: f.Title, StartsAt: f.StartsAt, EndsAt: f.EndsAt, Venue: f.Venue,
		Capacity: formInt(f.Capacity), ClassHours: formInt(f.ClassHours), Agency: f.Agency, PassScore: formInt(f.PassScore)})
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderTrainingForm(c, f, e)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/trainings/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

// enrollmentRow is an enrollment as the session page shows it.
type enrollmentRow struct {
	enrollmentJSON
	StatusLabel   string
	RoleLabel     string
	AttendedLabel string
	ScoreText     string
	Result        string
}

func (s *Server) trainingPage(c *fiber.Ctx) error { return s.renderTrainingPage(c, "", nil, nil) }

func (s *Server) renderTrainingPage(c *fiber.Ctx, flash string, problem *Error, imported *trainingImportJSON) error {
	ctx := c.UserContext()
	p := principalOf(c)
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	d, err := s.trainingDetail(c, t)
	if err != nil {
		return err
	}
	var rows []enrollmentRow
	enrolled := map[string]bool{}
	for _, e := range *d.Enrollments {
		r := enrollmentRow{enrollmentJSON: e, StatusLabel: storage.EnrollmentStatusLabel(e.Status), RoleLabel: storage.AttendeeRoleLabel(e.AttendeeRole)}
		if e.WaitlistPosition != nil {
			r.StatusLabel += fmt.Sprintf("（第%d位）", *e.WaitlistPosition)
		}
		if e.Attended != nil {
			r.AttendedLabel = map[bool]string{true: "已参加", false: "缺席"}[*e.Attended]
		}
		if e.Score != nil {
			r.ScoreText = strconv.Itoa(*e.Score)
		}
		switch {
		case e.Passed != nil && *e.Passed:
			r.Result = "合格"
		case e.Passed != nil:
			r.Result = "不合格"
		}
		if e.Status != storage.EnrollmentCancelled {
			enrolled[e.USCC] = true
		}
		rows = append(rows, r)
	}
	now := time.Now()
	started := !now.Before(t.StartsAt)
	closed := t.Status == storage.TrainingClosed || (t.ClosedAt.Valid)
	recorder := p.Role == storage.RoleAgency || p.Role == storage.RoleCreditOffice
	data := map[string]any{
		"T": trainingRow{trainingJSON: d, StatusLabel: trainingStatusLabel(d), When: trainingWhen(d)}, "Rows": rows,
		"Rects": *d.Rectifications, "Certs": *d.Certificates,
		"IsOffice": p.Role == storage.RoleCreditOffice, "IsAgency": p.Role == storage.RoleAgency,
		"IsDept": p.Role == storage.RoleDepartment, "IsEnterprise": p.Role == storage.RoleEnterprise,
		"CanEnroll":  (p.Role == storage.RoleEnterprise || p.Role == storage.RoleDepartment) && d.EnrollmentOpen,
		"CanCancel":  (p.Role != storage.RoleAgency && p.Role != storage.RoleAdmin) && d.EnrollmentOpen,
		"CanRecord":  recorder && started && !closed,
		"CanClose":   recorder && started && !closed,
		"CanRate":    p.Role == storage.RoleCreditOffice && (t.Status == storage.TrainingStarted || t.Status == storage.TrainingClosed),
		"CanRectify": p.Role == storage.RoleDepartment && started && !closed,
		"Enrolled":   enrolled[p.USCC.String],
		"Imported":   imported,
		"Columns":    trainingCSVColumns,
		"Today":      domain.Today().AddDays(1).String(),
	}
	if p.Role == storage.RoleDepartment && d.EnrollmentOpen {
		es, err := s.db.PenalizedEnterprises(ctx, p.DepartmentID.String)
		if err != nil {
			return err
		}
		var candidates []storage.Enterprise
		for _, e := range es {
			if !enrolled[e.USCC] {
				candidates = append(candidates, e)
			}
		}
		data["Candidates"] = candidates
	}
	if d.Rating != nil && *d.Rating != nil {
		data["Rating"] = *d.Rating
	}
	if problem != nil {
		data["Problem"] = problem.Message
		c.Status(problem.Status)
	}
	return s.page(c, "training", pageData{Title: t.Title, Flash: flash, Data: data})
}

// pageOutcome renders the session page after a form: a caller's mistake shows on the page, a server fault is an
// error page.
func (s *Server) pageOutcome(c *fiber.Ctx, err error, flash string) error {
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderTrainingPage(c, "", e, nil)
	}
	if err != nil {
		return err
	}
	return s.renderTrainingPage(c, flash, nil, nil)
}

func (s *Server) trainingEnrollSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	var b enrollBody
	if form, ferr := c.MultipartForm(); ferr == nil {
		b.USCCs = form.Value["usccs"]
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if string(k) == "usccs" {
				b.USCCs = append(b.USCCs, string(v))
			}
		})
	}
	res, err := s.enroll(c, t, b)
	flash := ""
	if err == nil {
		var parts []string
		for _, o := range res.Outcomes {
			label := storage.EnrollmentStatusLabel(o.Status)
			if o.WaitlistPosition > 0 {
				label += fmt.Sprintf("第%d位", o.WaitlistPosition)
			}
			if o.AlreadyEnrolled {
				label = "此前已报名（" + label + "）"
			}
			parts = append(parts, o.USCC+"："+label)
		}
		flash = "报名结果：" + strings.Join(parts, "；")
	}
	return s.pageOutcome(c, err, flash)
}

func (s *Server) trainingCancelSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	uscc, err := s.cancellable(c, t, c.FormValue("uscc"))
	if err == nil {
		p := principalOf(c)
		var st workflows.TrainingState
		err = s.updateTraining(c.UserContext(), t, workflows.TrainingCancelUpdate,
			workflows.CancelRequest{USCC: uscc, Actor: p.Login, Role: string(p.Role)}, &st)
	}
	return s.pageOutcome(c, err, "已取消报名；候补名单已依次递补。")
}

// trainingRecordSubmit takes one enterprise's attendance and score from the session page, in one step.
func (s *Server) trainingRecordSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	uscc, uerr := domain.NormalizeUSCC(c.FormValue("uscc"))
	if uerr != nil {
		return s.pageOutcome(c, invalidField("uscc", "invalid_uscc", uerr.Error()), "")
	}
	row := workflows.RecordRow{Row: 1, USCC: uscc}
	switch c.FormValue("attended") {
	case "true":
		body := attendanceBody{USCC: uscc, Attended: ptrTo(true), AttendeeName: c.FormValue("attendee_name"), AttendeeRole: c.FormValue("attendee_role")}
		req, verr := body.request(p)
		if verr != nil {
			return s.pageOutcome(c, verr, "")
		}
		row.Attended, row.AttendeeName, row.AttendeeRole = ptrTo(true), req.AttendeeName, req.AttendeeRole
	case "false":
		row.Attended = ptrTo(false)
	}
	if sc := strings.TrimSpace(c.FormValue("score")); sc != "" {
		n, err := strconv.Atoi(sc)
		if err != nil || n < 0 || n > 100 {
			return s.pageOutcome(c, invalidField("score", "invalid_score", "考试成绩应为0到100之间的整数"), "")
		}
		row.Score = &n
	}
	if row.Attended == nil && row.Score == nil {
		return s.pageOutcome(c, invalidField("attended", "empty_row", "请填写签到情况或考试成绩"), "")
	}
	var res workflows.RecordsResult
	err = s.updateTraining(c.UserContext(), t, workflows.TrainingRecordsUpdate,
		workflows.RecordsRequest{Rows: []workflows.RecordRow{row}, Actor: p.Login, Role: string(p.Role)}, &res)
	if err == nil && res.Rejected > 0 {
		err = newError(fiber.StatusUnprocessableEntity, res.Outcomes[0].Code, res.Outcomes[0].Message)
	}
	return s.pageOutcome(c, err, "已登记 "+uscc+" 的签到和成绩。")
}

func ptrTo[T any](v T) *T { return &v }

func (s *Server) trainingImportSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return s.pageOutcome(c, invalidField("file", "missing_file", "请选择要上传的CSV文件"), "")
	}
	if fh.Size > maxJSONBytes {
		return s.pageOutcome(c, errTooLarge, "")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxJSONBytes+1))
	if err != nil {
		return err
	}
	out, err := s.applyTrainingCSV(c, t, raw)
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderTrainingPage(c, "", e, nil)
	}
	if err != nil {
		return err
	}
	return s.renderTrainingPage(c, fmt.Sprintf("已导入%d行，%d行有误（见下表）。", out.Applied, out.Rejected), nil, &out)
}

func (s *Server) trainingCloseSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	var st workflows.TrainingState
	err = s.updateTraining(c.UserContext(), t, workflows.TrainingCloseUpdate, workflows.CloseRequest{Actor: p.Login, Role: string(p.Role)}, &st)
	return s.pageOutcome(c, err, "培训已结束，正在为参训并考试合格的企业出具培训证明，请稍后刷新。")
}

func (s *Server) trainingRatingSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	_, err = s.rate(c, t, ratingBody{Score: formInt(c.FormValue("score")), Comment: c.FormValue("comment")})
	return s.pageOutcome(c, err, "已保存对承办机构的评价。")
}

func (s *Server) trainingRectificationSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	r, err := s.setRectification(c, t, rectificationBody{USCC: c.FormValue("uscc"), DueOn: c.FormValue("due_on"), Requirements: c.FormValue("requirements")})
	flash := ""
	if err == nil {
		flash = "已记录整改期限 " + r.DueOn.String() + "。"
		if r.RepairID != nil {
			flash += fmt.Sprintf("该企业在本部门有信用修复案件（%d），请在案件中同时设定整改期限。", *r.RepairID)
		}
	}
	return s.pageOutcome(c, err, flash)
}

func (s *Server) trainingStatsPage(c *fiber.Ctx) error {
	st, err := s.statsJSON(c.UserContext())
	if err != nil {
		return err
	}
	d := map[string]any{"S": st, "PassRate": "—", "Repaired": "—"}
	if st.PassRate != nil {
		d["PassRate"] = fmt.Sprintf("%.1f%%", *st.PassRate*100)
	}
	if st.WentOnToRepair != nil {
		d["Repaired"] = strconv.Itoa(*st.WentOnToRepair)
	}
	type agencyRow struct {
		agencyStatsJSON
		Average string
	}
	var rows []agencyRow
	for _, a := range st.Agencies {
		r := agencyRow{agencyStatsJSON: a, Average: "未评价"}
		if a.AverageRating != nil {
			r.Average = fmt.Sprintf("%.1f", *a.AverageRating)
		}
		rows = append(rows, r)
	}
	d["Agencies"] = rows
	return s.page(c, "training_stats", pageData{Title: "培训统计", Data: d})
}

// trainingHomeSections: an enterprise sees its enrollments, certificates and training messages; an agency the
// sessions it runs that are not closed; a department the sessions open for enrollment; the credit office the
// sessions held and not yet rated.
func (s *Server) trainingHomeSections(c *fiber.Ctx, p *principal) ([]homeSection, error) {
	ctx := c.UserContext()
	href := func(id int64) string { return "/trainings/" + strconv.FormatInt(id, 10) }
	switch p.Role {
	case storage.RoleEnterprise:
		es, err := s.db.EnrollmentsOfUSCC(ctx, p.USCC.String)
		if err != nil {
			return nil, err
		}
		sec := homeSection{Title: "我的信用修复培训", Headers: []string{"培训", "时间", "报名状态", "结果"}, Empty: "尚未报名培训，可在“信用修复培训”中查看可报名的场次。", Linked: true}
		for _, e := range es {
			t, err := s.db.GetTraining(ctx, e.TrainingID)
			if err != nil {
				return nil, err
			}
			ej := toEnrollmentJSON(e, t.PassScore)
			result := ""
			switch {
			case ej.Passed != nil && *ej.Passed:
				result = "合格"
			case ej.Passed != nil:
				result = "未合格"
			}
			sec.Rows = append(sec.Rows, homeRow{Cells: []string{t.Title, t.StartsAt.In(shanghai).Format("2006-01-02 15:04"),
				storage.EnrollmentStatusLabel(e.Status), result}, Href: href(t.ID)})
		}
		ns, err := s.db.NotificationsFor(ctx, p.USCC.String, "", 50)
		if err != nil {
			return nil, err
		}
		note := homeSection{Title: "培训通知", Headers: []string{"时间", "通知", "内容"}, Empty: "暂无培训通知。", Linked: true}
		for _, n := range ns {
			if n.CaseKind == "training" && len(note.Rows) < 10 {
				note.Rows = append(note.Rows, homeRow{Cells: []string{n.CreatedAt.In(shanghai).Format("2006-01-02 15:04"), n.Title, n.Body},
					Href: caseHref(n.CaseKind, n.CaseID)})
			}
		}
		return []homeSection{sec, note}, nil
	case storage.RoleAgency, storage.RoleDepartment, storage.RoleCreditOffice:
		f := storage.TrainingFilter{Limit: 20}
		title, empty := "近期培训场次", "暂无培训场次。"
		switch p.Role {
		case storage.RoleAgency:
			f.AgencyLogin, title, empty = p.Login, "承办的培训场次", "暂无承办的培训场次。"
		case storage.RoleDepartment:
			f.Status, title, empty = storage.TrainingOpen, "正在报名的培训", "暂无正在报名的培训。"
		}
		ts, err := s.db.ListTrainings(ctx, f)
		if err != nil {
			return nil, err
		}
		sec := homeSection{Title: title, Headers: []string{"培训", "时间", "承办机构", "报名", "状态"}, Empty: empty, Linked: true}
		for _, t := range ts {
			if p.Role == storage.RoleAgency && t.Status == storage.TrainingClosed {
				continue
			}
			sec.Rows = append(sec.Rows, homeRow{Cells: []string{t.Title, t.StartsAt.In(shanghai).Format("2006-01-02 15:04"), t.AgencyName,
				fmt.Sprintf("%d/%d（候补%d）", t.Enrolled, t.Capacity, t.Waitlisted), storage.TrainingStatusLabel(t.Status)}, Href: href(t.ID)})
		}
		return []homeSection{sec}, nil
	}
	return nil, nil
}

// trainingOption is one choice of a select on the training pages.
type trainingOption struct{ Value, Label string }
