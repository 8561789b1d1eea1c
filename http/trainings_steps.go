package httpapi

import (
	"bytes"
	"context"
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

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// The steps of a training session through the API: enrollment, attendance and results, closing, rating,
// rectification, and the statistics.

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
	if p.Role == domain.RoleEnterprise {
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
		return req, invalidField("uscc", "usccs_required", "请选择报名的企业")
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
	if len(bytes.TrimSpace(c.Body())) > 0 || principalOf(c).Role == domain.RoleDepartment {
		if err := bindJSON(c, &b); err != nil {
			return err
		}
	}
	res, err := s.enroll(c, t, b)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(enrolledJSON{TrainingID: t.ID, Enrollments: res.Outcomes})
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
	switch domain.AttendeeRole(strings.TrimSpace(s)) {
	case domain.AttendeeLegalRepresentative, "法定代表人", "法人代表", "法人":
		return string(domain.AttendeeLegalRepresentative), true
	case domain.AttendeeResponsibleManager, "主要负责人", "负责人", "相关负责人":
		return string(domain.AttendeeResponsibleManager), true
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
		return workflows.AttendanceRequest{}, invalidField("attended", "attended_required", "请填写是否参加培训")
	}
	req := workflows.AttendanceRequest{USCC: uscc, Attended: *b.Attended, AttendeeName: strings.TrimSpace(b.AttendeeName),
		Actor: p.Login, Role: string(p.Role)}
	if *b.Attended {
		role, ok := attendeeRole(b.AttendeeRole)
		if !ok {
			return req, invalidField("attendee_role", "invalid_attendee_role", "参训人员身份应为法定代表人或主要负责人")
		}
		req.AttendeeRole = domain.AttendeeRole(role)
		if req.AttendeeName == "" {
			return req, invalidField("attendee_name", "attendee_name_required", "请填写参训人员姓名")
		}
		if e := trainingText("attendee_name", "参训人员姓名", req.AttendeeName); e != nil {
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
	t, b, err := withBody[storage.Training, attendanceBody](c, s.visibleTraining)
	if err != nil {
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
	t, b, err := withBody[storage.Training, resultBody](c, s.visibleTraining)
	if err != nil {
		return err
	}
	uscc, uerr := domain.NormalizeUSCC(b.USCC)
	if uerr != nil {
		return invalidField("uscc", "invalid_uscc", uerr.Error())
	}
	if b.Score == nil || *b.Score < 0 || *b.Score > 100 {
		return invalidField("score", "invalid_score", "考试成绩应为0到100之间的整数")
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
	cr, col, err := openCSV(raw, trainingCSVColumns, "row")
	if err != nil {
		return nil, nil, err
	}
	if _, ok := col["uscc"]; !ok {
		return nil, nil, newError(domain.KindInvalid, "invalid_csv_header", "缺少必填列“uscc”").
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
			return nil, nil, csvError(err, "row")
		}
		// A row is its line in the file (the header is row 1; blank lines count, as a spreadsheet shows them).
		row, _ := cr.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		if len(rows)+len(bad) >= workflows.MaxRecordRows {
			return nil, nil, newError(domain.KindTooLarge, "too_many_rows", fmt.Sprintf("一个文件最多%d行", workflows.MaxRecordRows))
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
					reject("attendee_role", "invalid_attendee_role", "参训人员身份应为法定代表人或主要负责人")
					continue
				}
				r.AttendeeRole, r.AttendeeName = domain.AttendeeRole(role), cell(rec, "attendee_name")
				if r.AttendeeName == "" {
					reject("attendee_name", "attendee_name_required", "参加培训的应填写参训人员姓名")
					continue
				}
				if e := trainingText("attendee_name", "参训人员姓名", r.AttendeeName); e != nil {
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
		return nil, nil, newError(domain.KindInvalid, "empty_csv", "文件中没有数据行")
	}
	return rows, bad, nil
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

// endTraining ends the :id session (the API and its page): the workflow issues the certificates.
func (s *Server) endTraining(c *fiber.Ctx) (storage.Training, error) {
	t, err := s.visibleTraining(c)
	if err != nil {
		return t, err
	}
	p := principalOf(c)
	var st workflows.TrainingState
	return t, s.updateTraining(c.UserContext(), t, workflows.TrainingCloseUpdate,
		workflows.CloseRequest{Actor: p.Login, Role: string(p.Role)}, &st)
}

func (s *Server) closeTraining(c *fiber.Ctx) error {
	_, d, err := withView(c, s.endTraining, s.trainingView(c))
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
	case t.Status != domain.TrainingStarted && t.Status != domain.TrainingClosed:
		return nil, newError(domain.KindConflict, "session_not_held", "培训尚未举办，暂不能评价")
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
	return bodyStep(c, fiber.StatusOK, s.visibleTraining, func(c *fiber.Ctx, t storage.Training, b ratingBody) (ratingJSON, error) {
		r, err := s.rate(c, t, b)
		if err != nil {
			return ratingJSON{}, err
		}
		return ratingJSON{Score: r.Score, Comment: r.Comment, RatedBy: r.RatedBy, RatedAt: r.RatedAt.In(shanghai)}, nil
	})
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
	return bodyStep(c, fiber.StatusCreated, s.visibleTraining, s.setRectification)
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

// enrolledJSON answers an enrollment: each enterprise's outcome (enrolled, or its place on the waiting list).
type enrolledJSON struct {
	TrainingID  int64                     `json:"training_id"`
	Enrollments []workflows.EnrollOutcome `json:"enrollments"`
}
