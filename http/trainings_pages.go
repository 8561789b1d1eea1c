package httpapi

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// The training pages: sessions, the session form, a session with its steps, and the statistics.

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
	if t.Status == string(domain.TrainingOpen) && !t.EnrollmentOpen {
		return "报名已截止"
	}
	return domain.TrainingStatus(t.Status).Label()
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
	d := map[string]any{"Rows": rows, "Next": next, "IsOffice": p.Role == domain.RoleCreditOffice,
		"IsEnterprise": p.Role == domain.RoleEnterprise, "IsAgency": p.Role == domain.RoleAgency}
	title := "信用修复培训"
	switch p.Role {
	case domain.RoleAgency:
		title = "承办的培训场次"
	case domain.RoleEnterprise:
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
			label := domain.EnrollmentStatus(e.Status).Label()
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

func (s *Server) agencyOptions(ctx context.Context) ([]option, error) {
	us, err := s.db.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []option
	for _, u := range us {
		if u.Role == domain.RoleAgency && !u.Disabled {
			out = append(out, option{u.Login, u.DisplayName})
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
		d["Problem"] = refused(c, problem).Message
		c.Status(statusOf(problem))
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
	if e, ok := pageProblem(err); ok {
		return s.renderTrainingForm(c, f, e)
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, "/trainings/"+strconv.FormatInt(t.ID, 10), "培训场次已发布")
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
	t, d, err := withView(c, s.visibleTraining, s.trainingView(c))
	if err != nil {
		return err
	}
	var rows []enrollmentRow
	enrolled := map[string]bool{}
	for _, e := range *d.Enrollments {
		r := enrollmentRow{enrollmentJSON: e, StatusLabel: domain.EnrollmentStatus(e.Status).Label(), RoleLabel: domain.AttendeeRole(e.AttendeeRole).Label()}
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
		if e.Status != string(domain.EnrollmentCancelled) {
			enrolled[e.USCC] = true
		}
		rows = append(rows, r)
	}
	now := time.Now()
	started := !now.Before(t.StartsAt)
	closed := t.Status == domain.TrainingClosed || (t.ClosedAt.Valid)
	recorder := p.Role == domain.RoleAgency || p.Role == domain.RoleCreditOffice
	data := map[string]any{
		"T": trainingRow{trainingJSON: d, StatusLabel: trainingStatusLabel(d), When: trainingWhen(d)}, "Rows": rows,
		"Rects": *d.Rectifications, "Certs": *d.Certificates,
		"IsOffice": p.Role == domain.RoleCreditOffice, "IsAgency": p.Role == domain.RoleAgency,
		"IsDept": p.Role == domain.RoleDepartment, "IsEnterprise": p.Role == domain.RoleEnterprise,
		"CanEnroll":  (p.Role == domain.RoleEnterprise || p.Role == domain.RoleDepartment) && d.EnrollmentOpen,
		"CanCancel":  (p.Role != domain.RoleAgency && p.Role != domain.RoleAdmin) && d.EnrollmentOpen,
		"CanRecord":  recorder && started && !closed,
		"CanClose":   recorder && started && !closed,
		"CanRate":    p.Role == domain.RoleCreditOffice && (t.Status == domain.TrainingStarted || t.Status == domain.TrainingClosed),
		"CanRectify": p.Role == domain.RoleDepartment && started && !closed,
		"Enrolled":   enrolled[p.USCC.String],
		"Imported":   imported,
		"Columns":    trainingCSVColumns,
		"Today":      domain.Today().AddDays(1).String(),
	}
	if p.Role == domain.RoleDepartment && d.EnrollmentOpen {
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
		data["Problem"] = refused(c, problem).Message
		c.Status(statusOf(problem))
	}
	pd := pageData{Title: t.Title, Flash: flash, Data: data}
	if imported != nil {
		// The import's per-row outcome is shown once; a reload shows the session page, never imports again.
		pd.ReplaceURL = "/trainings/" + strconv.FormatInt(t.ID, 10)
	}
	return s.page(c, "training", pd)
}

// pageOutcome renders the session page after a form: a caller's mistake shows on the page, a server fault is an
// error page.
func (s *Server) pageOutcome(c *fiber.Ctx, err error, flash string) error {
	if e, ok := pageProblem(err); ok {
		return s.renderTrainingPage(c, "", e, nil)
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, "/trainings/"+c.Params("id"), flash)
}

func (s *Server) trainingEnrollSubmit(c *fiber.Ctx) error {
	t, err := s.visibleTraining(c)
	if err != nil {
		return err
	}
	b := enrollBody{USCCs: formValues(c, "usccs")}
	res, err := s.enroll(c, t, b)
	flash := ""
	if err == nil {
		var parts []string
		for _, o := range res.Outcomes {
			label := domain.EnrollmentStatus(o.Status).Label()
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
		err = newError(domain.KindInvalid, res.Outcomes[0].Code, res.Outcomes[0].Message)
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
	if e, ok := pageProblem(err); ok {
		return s.renderTrainingPage(c, "", e, nil)
	}
	if err != nil {
		return err
	}
	return s.renderTrainingPage(c, fmt.Sprintf("已导入%d行，%d行有误（见下表）。", out.Applied, out.Rejected), nil, &out)
}

func (s *Server) trainingCloseSubmit(c *fiber.Ctx) error {
	t, err := s.endTraining(c)
	if t.ID == 0 && err != nil {
		return err // not found (or not visible): no page to answer on
	}
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
func (s *Server) trainingHomeSections(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	href := func(id int64) string { return "/trainings/" + strconv.FormatInt(id, 10) }
	switch p.Role {
	case domain.RoleEnterprise:
		es, ts := h.enrollments, h.trainingsOf
		sec := homeSection{Title: "我的信用修复培训", Headers: []string{"培训", "时间", "报名状态", "结果"}, Empty: "尚未报名培训，可在“信用修复培训”中查看可报名的场次。", Linked: true}
		for _, e := range es {
			t, ok := ts[e.TrainingID]
			if !ok {
				return nil, fmt.Errorf("training %d of an enrollment: %w", e.TrainingID, storage.ErrNotFound)
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
				domain.EnrollmentStatus(e.Status).Label(), result}, Href: href(t.ID)})
		}
		return []homeSection{sec, noticeSection(h, "training", "培训通知", "暂无培训通知。", 50, 10)}, nil
	case domain.RoleAgency, domain.RoleDepartment, domain.RoleCreditOffice:
		// What each role's list holds is read by homeData.
		title, empty := "近期培训场次", "暂无培训场次。"
		switch p.Role {
		case domain.RoleAgency:
			title, empty = "承办的培训场次", "暂无承办的培训场次。"
		case domain.RoleDepartment:
			title, empty = "正在报名的培训", "暂无正在报名的培训。"
		}
		sec := homeSection{Title: title, Headers: []string{"培训", "时间", "承办机构", "报名", "状态"}, Empty: empty, Linked: true}
		for _, t := range h.trainings {
			if p.Role == domain.RoleAgency && t.Status == domain.TrainingClosed {
				continue
			}
			sec.Rows = append(sec.Rows, homeRow{Cells: []string{t.Title, t.StartsAt.In(shanghai).Format("2006-01-02 15:04"), t.AgencyName,
				fmt.Sprintf("%d/%d（候补%d）", t.Enrolled, t.Capacity, t.Waitlisted), domain.TrainingStatus(t.Status).Label()}, Href: href(t.ID)})
		}
		return []homeSection{sec}, nil
	}
	return nil, nil
}
