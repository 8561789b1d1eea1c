package httpapi

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// maxDeadlineWorkdays bounds a deadline query; no procedure counts further than a few years of working days.
const maxDeadlineWorkdays = 2000

func (s *Server) calendarDeadline(c *fiber.Ctx) error {
	from, err := domain.ParseDate(c.Query("from"))
	if err != nil {
		return invalidField("from", "invalid_date", "from 必须是 YYYY-MM-DD 格式的日期")
	}
	n, err := strconv.Atoi(c.Query("workdays"))
	if err != nil || n < 0 || n > maxDeadlineWorkdays {
		return invalidField("workdays", "invalid_workdays", "workdays 必须是 0 到 2000 之间的整数")
	}
	cal, err := s.db.LoadCalendar(c.UserContext())
	if err != nil {
		return err
	}
	due, prov := cal.AddWorkdays(from, n)
	return c.JSON(deadlineJSON{From: from, Workdays: n, Deadline: due, Provisional: prov})
}

func (s *Server) calendarYears(c *fiber.Ctx) error {
	ys, err := s.db.ListCalendarYears(c.UserContext())
	return answerAll(c, ys, err)
}

// importHolidayJSON parses a notice in the holiday-cn format and loads it.
func (s *Server) importHolidayJSON(c *fiber.Ctx, raw []byte) (domain.HolidayYear, error) {
	hy, err := domain.ParseHolidayYear(bytes.NewReader(raw))
	if err != nil {
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return hy, err
		}
		return hy, newError(domain.KindInvalid, "invalid_holiday_data", "节假日数据格式不正确："+err.Error())
	}
	told, err := LoadHolidayYear(c.UserContext(), s.db, s.temporal, hy, s.log)
	if err != nil {
		return hy, err
	}
	return hy, s.audit(c, "calendar.import", "calendar", strconv.Itoa(hy.Year),
		map[string]any{"days": len(hy.Days), "source": hy.Source, "cases_told": told})
}

func (s *Server) calendarImport(c *fiber.Ctx) error {
	if mt := strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]; mt != fiber.MIMEApplicationJSON {
		return errUnsupportedMedia
	}
	if len(c.Body()) > maxJSONBytes {
		return errTooLarge
	}
	hy, err := s.importHolidayJSON(c, c.Body())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(calendarImportJSON{Year: hy.Year, Days: len(hy.Days), Source: hy.Source})
}

// ruleSetJSON is a rule set as stored plus, for an overlay, the parameters it resolves to.
type ruleSetJSON struct {
	domain.RuleSet
	Resolved *domain.RuleSet `json:"resolved,omitempty"`
}

func (s *Server) ruleSetsJSON(c *fiber.Ctx) ([]ruleSetJSON, error) {
	sets, err := s.db.ListRuleSets(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make([]ruleSetJSON, 0, len(sets))
	for _, rs := range sets {
		rj := ruleSetJSON{RuleSet: rs}
		if rs.IsOverlay() {
			res, err := domain.ResolveRuleSet(sets, rs.ID)
			if err != nil {
				return nil, err
			}
			rj.Resolved = &res
		}
		out = append(out, rj)
	}
	return out, nil
}

func (s *Server) listRuleSets(c *fiber.Ctx) error {
	out, err := s.ruleSetsJSON(c)
	if err != nil {
		return err
	}
	return c.JSON(page[ruleSetJSON]{Items: out})
}

func (s *Server) getRuleSet(c *fiber.Ctx) error {
	out, err := s.ruleSetsJSON(c)
	if err != nil {
		return err
	}
	for _, rj := range out {
		if rj.ID == c.Params("id") {
			return c.JSON(rj)
		}
	}
	return errNotFound
}

func (s *Server) createRuleSet(c *fiber.Ctx) error {
	if mt := strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]; mt != fiber.MIMEApplicationJSON {
		return errUnsupportedMedia
	}
	rs, err := domain.ParseRuleSet(c.Body())
	if err != nil {
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return err
		}
		return newError(domain.KindInvalid, "invalid_rule_set", "规则集不正确："+err.Error())
	}
	if err := s.db.PutRuleSet(c.UserContext(), rs); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return newError(domain.KindConflict, "rule_set_exists", "该编号的规则集已存在；已生效的规则集不可修改，请以新编号和新的生效日期新增")
		}
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return err
		}
		return newError(domain.KindInvalid, "invalid_rule_set", "规则集不正确："+err.Error())
	}
	if err := s.audit(c, "ruleset.create", "ruleset", rs.ID, map[string]any{"base": rs.Base, "effective_from": rs.EffectiveFrom}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(rs)
}

// publicationRequest asks what the rules make of a decision, before it is registered.
type publicationRequest struct {
	PenaltyTypes   []domain.PenaltyType `json:"penalty_types"`
	FineAmountYuan string               `json:"fine_amount_yuan"`
	Class          domain.Class         `json:"class"`
	DurationMonths int                  `json:"duration_months"`
	DecidedOn      string               `json:"decided_on"`
	Jurisdiction   string               `json:"jurisdiction"`
	Sector         string               `json:"sector"`
	RuleSet        string               `json:"rule_set"`
	// lawInput carries regulated_field, discretion, violation_type, published_on, summary and publish_minor.
	lawInput
}

func (s *Server) publicationPeriods(c *fiber.Ctx) error {
	var req publicationRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	on, err := domain.ParseDate(req.DecidedOn)
	if err != nil {
		return invalidField("decided_on", "invalid_date", "decided_on 必须是 YYYY-MM-DD 格式的日期")
	}
	fen, err := ParseYuan(req.FineAmountYuan)
	if err != nil {
		return err
	}
	law, lerr := req.lawInput.parse()
	if lerr != nil {
		return lerr
	}
	var rs domain.RuleSet
	if req.RuleSet != "" {
		rs, err = s.db.GetResolvedRuleSet(c.UserContext(), req.RuleSet)
	} else {
		if req.Jurisdiction == "" {
			req.Jurisdiction = "national"
		}
		rs, err = s.db.RuleSetFor(c.UserContext(), req.Jurisdiction, req.Sector, on)
	}
	if err != nil {
		return err
	}
	in := domain.PenaltyInput{
		Types: req.PenaltyTypes, FineFen: fen, Class: req.Class, DurationMonths: req.DurationMonths,
		DecidedOn: on, Sector: req.Sector,
	}
	law.apply(&in)
	pub, err := domain.ComputePublication(rs, in)
	if err != nil {
		return err
	}
	return c.JSON(pub)
}

// ParseYuan reads an amount in yuan with at most two decimals into fen; "" is zero.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	bad := invalidField("fine_amount_yuan", "invalid_amount", "罚款金额必须是不小于 0 的数字，最多两位小数")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 13 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, bad
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, bad
			}
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, bad
	}
	return n, nil
}

func (s *Server) adminCalendarPage(c *fiber.Ctx) error { return s.renderAdminCalendar(c, "", "") }

func (s *Server) renderAdminCalendar(c *fiber.Ctx, flash, problem string) error {
	ys, err := s.db.ListCalendarYears(c.UserContext())
	if err != nil {
		return err
	}
	return s.page(c, "admin_calendar", pageData{Title: "节假日数据", Flash: flash, Data: map[string]any{"Years": ys, "Problem": problem}})
}

func (s *Server) adminCalendarUpload(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderAdminCalendar(c, "", refusedField(c, "file", "missing_file", "请选择国务院办公厅节假日通知的 JSON 数据文件").Message)
	}
	if fh.Size > maxJSONBytes {
		return s.renderAdminCalendar(c, "", refused(c, errTooLarge.With(map[string]any{"field": "file"})).Message)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return err
	}
	hy, err := s.importHolidayJSON(c, buf.Bytes())
	if err != nil {
		var e *Error
		var ie *domain.InputError
		switch {
		case errors.As(err, &e):
			return s.renderAdminCalendar(c, "", refused(c, e).Message)
		case errors.As(err, &ie):
			return s.renderAdminCalendar(c, "", refused(c, invalidField("file", ie.Code, ie.Message)).Message)
		}
		return err
	}
	return s.seeOther(c, "/admin/calendar", "已导入 "+strconv.Itoa(hy.Year)+" 年节假日安排（"+strconv.Itoa(len(hy.Days))+" 天）；此后计算的期限按新数据执行。")
}

// deadlineJSON is a deadline in working days; provisional when it runs into a year without a holiday notice yet.
type deadlineJSON struct {
	From        domain.Date `json:"from"`
	Workdays    int         `json:"workdays"`
	Deadline    domain.Date `json:"deadline"`
	Provisional bool        `json:"provisional"`
}

// calendarImportJSON answers a loaded year of the holiday calendar.
type calendarImportJSON struct {
	Year   int    `json:"year"`
	Days   int    `json:"days"`
	Source string `json:"source"`
}
