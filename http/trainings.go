package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
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

var trainingViewers = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAgency, domain.RoleAdmin}

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
	return time.Time{}, invalidField(field, "invalid_time", label+"应为日期和时间（如2026-06-10 09:00）")
}

// trainingText is printable for the texts of trainings, which pass when the font is missing: the letter itself will
// say so.
func trainingText(field, label, value string) *Error {
	if e := printable(field, label, value); e != errInternal {
		return e
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
	if e := trainingText("title", "培训名称", title); e != nil {
		return zero, e
	}
	if e := trainingText("venue", "培训地点", venue); e != nil {
		return zero, e
	}
	starts, e := parseInstant("starts_at", "开始时间", in.StartsAt)
	if e != nil {
		return zero, e
	}
	ends, e := parseInstant("ends_at", "结束时间", in.EndsAt)
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
		return zero, invalidField("capacity", "invalid_capacity", "培训名额应为1到500之间的整数")
	case in.ClassHours == nil || *in.ClassHours < 3 || *in.ClassHours > 200:
		return zero, invalidField("class_hours", "invalid_class_hours", "培训学时应不少于3学时（半天）")
	case in.PassScore == nil || *in.PassScore < 0 || *in.PassScore > 100:
		return zero, invalidField("pass_score", "invalid_pass_score", "考试合格线应为0到100之间的整数")
	}
	if !domain.ClassHoursFit(*in.ClassHours, starts, ends) {
		need := time.Duration(*in.ClassHours) * domain.ClassHour
		return zero, invalidField("ends_at", "slot_too_short", fmt.Sprintf("%d学时需要至少%d小时%d分钟（每学时45分钟），请推后结束时间或减少学时",
			*in.ClassHours, int(need.Hours()), int(need.Minutes())%60))
	}
	agency, err := s.db.UserByLogin(ctx, strings.TrimSpace(in.Agency))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (agency.Role != domain.RoleAgency || agency.Disabled)) {
		return zero, invalidField("agency", "unknown_agency", "承办机构应为已登记的信用服务机构")
	}
	if err != nil {
		return zero, newError(domain.KindInternal, "internal", "服务器内部错误，请稍后重试")
	}
	return storage.Training{
		Title: title, StartsAt: starts, EndsAt: ends, Venue: venue, Capacity: *in.Capacity, ClassHours: *in.ClassHours,
		AgencyLogin: agency.Login, AgencyName: agency.DisplayName, PassScore: *in.PassScore, Organizer: p.DisplayName,
		CreatedBy: p.Login,
	}, nil
}

// createSession stores a session, starts its workflow and waits (briefly) for the plan letter.
func (s *Server) createSession(c *fiber.Ctx, in trainingInput) (storage.Training, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	t, verr := s.validateTraining(ctx, in, p, time.Now())
	if verr != nil {
		return storage.Training{}, verr
	}
	if err := s.cases.available(); err != nil {
		return storage.Training{}, err
	}
	id, err := s.db.CreateTraining(ctx, t, storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "training.create"},
		map[string]any{"title": t.Title, "starts_at": t.StartsAt, "ends_at": t.EndsAt, "venue": t.Venue, "capacity": t.Capacity,
			"class_hours": t.ClassHours, "agency": t.AgencyLogin, "pass_score": t.PassScore})
	if err != nil {
		return storage.Training{}, err
	}
	t.ID = id
	if err := s.cases.start(ctx, trainingCases, id, trainingParams(t)); err != nil {
		return storage.Training{}, err
	}
	s.cases.awaitReady(ctx, trainingCases, id, &workflows.TrainingState{})
	return s.db.GetTraining(ctx, id)
}

func trainingParams(t storage.Training) workflows.TrainingParams {
	return workflows.TrainingParams{
		TrainingID: t.ID, Title: t.Title, StartsAt: t.StartsAt, EndsAt: t.EndsAt, Venue: t.Venue, Capacity: t.Capacity,
		ClassHours: t.ClassHours, AgencyLogin: t.AgencyLogin, AgencyName: t.AgencyName, PassScore: t.PassScore,
		Organizer: t.Organizer,
	}
}

func (s *Server) createTraining(c *fiber.Ctx) error {
	return createJSON(c, s.createSession, func(_ context.Context, t storage.Training) (trainingJSON, error) {
		return s.trainingDetail(c, t)
	}, nil)
}

// updateTraining sends a step to the session's workflow and decodes its answer into out. A session stored but
// never started (its start failed) is started and asked again.
func (s *Server) updateTraining(ctx context.Context, t storage.Training, name string, arg, out any) error {
	err := s.cases.update(ctx, trainingCases, t.ID, name, arg, out)
	if errors.Is(err, trainingCases.closed) && t.Status == domain.TrainingPlanned {
		// The session's workflow never started (a crash right after storing it): start it and try once more.
		if err := s.cases.start(ctx, trainingCases, t.ID, trainingParams(t)); err != nil {
			return err
		}
		err = s.cases.update(ctx, trainingCases, t.ID, name, arg, out)
	}
	return err
}

// Reading.

// canSeeTraining decides whether the caller may know the session exists.
func (s *Server) canSeeTraining(ctx context.Context, p *principal, t storage.Training) (bool, error) {
	switch p.Role {
	case domain.RoleCreditOffice, domain.RoleAdmin, domain.RoleDepartment:
		return true, nil
	case domain.RoleAgency:
		return t.AgencyLogin == p.Login, nil
	case domain.RoleEnterprise:
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
	return (t.Status == domain.TrainingPlanned || t.Status == domain.TrainingOpen) && t.StartsAt.After(now)
}

// visibleTraining loads the :id session, or 404 when it does not exist or the caller must not know it does.
func (s *Server) visibleTraining(c *fiber.Ctx) (storage.Training, error) {
	return loadVisible(c, s.db.GetTraining, func(t storage.Training) (bool, error) {
		return s.canSeeTraining(c.UserContext(), principalOf(c), t)
	})
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
	ej := enrollmentJSON{USCC: e.USCC, EnterpriseName: e.EnterpriseName, Status: string(e.Status), AttendeeName: e.AttendeeName,
		AttendeeRole: string(e.AttendeeRole), EnrolledBy: e.EnrolledBy, EnrolledAt: e.EnrolledAt.In(shanghai)}
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
	case e.Status != domain.EnrollmentEnrolled:
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
		PassScore: t.PassScore, Organizer: t.Organizer, Status: string(t.Status), EnrollmentOpen: enrollmentOpen(t, time.Now()),
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
	case domain.RoleEnterprise:
		return map[string]bool{p.USCC.String: true}, nil
	case domain.RoleDepartment:
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

// trainingView is trainingDetail as the view of a request's session.
func (s *Server) trainingView(c *fiber.Ctx) func(context.Context, storage.Training) (trainingJSON, error) {
	return func(_ context.Context, t storage.Training) (trainingJSON, error) { return s.trainingDetail(c, t) }
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
	ejs := keepMap(es, func(e storage.TrainingEnrollment) bool { return inScope(e.USCC) },
		func(e storage.TrainingEnrollment) enrollmentJSON { return toEnrollmentJSON(e, t.PassScore) })
	tj.Enrollments = &ejs
	cs, err := s.db.CertificatesOf(ctx, t.ID)
	if err != nil {
		return tj, err
	}
	cjs := keepMap(cs, func(c storage.TrainingCertificate) bool { return inScope(c.USCC) }, s.toCertificateJSON)
	tj.Certificates = &cjs
	deptFilter := ""
	if p.Role == domain.RoleDepartment {
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
	if p.Role == domain.RoleCreditOffice || p.Role == domain.RoleAdmin || p.Role == domain.RoleAgency {
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
	return answerJSON(c, t, err, func(_ context.Context, t storage.Training) (trainingJSON, error) {
		return s.trainingDetail(c, t)
	})
}

// trainingFilter scopes the list to the caller: an agency its sessions, an enterprise the open ones and its own.
func trainingFilter(c *fiber.Ctx, p *principal) (storage.TrainingFilter, *Error) {
	f := storage.TrainingFilter{Status: c.Query("status")}
	if f.Status != "" {
		if _, ok := map[domain.TrainingStatus]bool{domain.TrainingPlanned: true, domain.TrainingOpen: true, domain.TrainingStarted: true,
			domain.TrainingClosed: true}[domain.TrainingStatus(f.Status)]; !ok {
			return f, invalidField("status", "invalid_status", "status 应为 planned、open、started 或 closed")
		}
	}
	switch p.Role {
	case domain.RoleAgency:
		f.AgencyLogin = p.Login
	case domain.RoleEnterprise:
		f.OpenOrUSCC = p.USCC.String
	}
	return f, nil
}

func trainingKey(t storage.Training) string { return idKey(t.ID) }

// trainingLister reads the filters of the training list once and answers its pages, newest first (the list and
// its export).
func (s *Server) trainingLister(c *fiber.Ctx) (fetcher[storage.Training], error) {
	f, ferr := trainingFilter(c, principalOf(c))
	var err error
	if ferr != nil {
		err = ferr
	}
	return filtered(c, f, true, err, byID(func(f *storage.TrainingFilter) (*int64, *int) { return &f.BeforeID, &f.Limit }),
		s.db.ListTrainings)
}

// listTrainings lists sessions newest first.
func (s *Server) listTrainings(c *fiber.Ctx) error {
	return listPage(c, s.trainingLister, trainingKey, func(t storage.Training) (trainingJSON, error) {
		return s.toTrainingJSON(c.UserContext(), t)
	})
}

func (s *Server) trainingPlanPDF(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	if !t.PlanLetterID.Valid {
		return newError(domain.KindNotFound, "plan_not_ready", "培训方案正在生成，请稍后刷新")
	}
	l, err := s.db.GetLetter(c.UserContext(), t.PlanLetterID.Int64)
	if err != nil {
		return err
	}
	return s.sendLetterPDF(c, l, "training-"+strconv.FormatInt(t.ID, 10)+"-plan.pdf")
}
