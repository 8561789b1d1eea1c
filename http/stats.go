package httpapi

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// Statistics (issue 19): the credit office sees every department's figures, a department its own. The same figures
// are served as JSON (GET /api/v1/stats), as a page with charts (GET /stats) and as an Excel file (GET /stats.xlsx).

// maxStatsMonths bounds a period, so one request never reads more than three years of cases.
const maxStatsMonths = 36

// parseMonth reads YYYY-MM as the first day of that month.
func parseMonth(field, v string) (domain.Date, error) {
	d, err := domain.ParseDate(v + "-01")
	if err != nil || len(v) != 7 {
		return domain.Date{}, invalidField(field, "invalid_month", "月份格式应为 YYYY-MM，例如 2026-03")
	}
	return d, nil
}

// statsFilter reads the period (from, to: YYYY-MM, both included; the last twelve months by default) and the
// department of a statistics request. A department sees only its own figures.
func statsFilter(c *fiber.Ctx) (storage.StatsFilter, error) {
	var f storage.StatsFilter
	today := domain.DateOf(time.Now())
	to := domain.NewDate(today.Y, today.M, 1)
	if v := strings.TrimSpace(c.Query("to")); v != "" {
		d, err := parseMonth("to", v)
		if err != nil {
			return f, err
		}
		to = d
	}
	from := to.AddMonths(-11)
	if v := strings.TrimSpace(c.Query("from")); v != "" {
		d, err := parseMonth("from", v)
		if err != nil {
			return f, err
		}
		from = d
	}
	if to.Before(from) {
		return f, invalidField("from", "invalid_period", "起始月份不能晚于截止月份")
	}
	if months := (to.Y-from.Y)*12 + int(to.M) - int(from.M) + 1; months > maxStatsMonths {
		return f, invalidField("from", "period_too_long", fmt.Sprintf("统计期间最长 %d 个月", maxStatsMonths))
	}
	f.From, f.To = from, to.AddMonths(1)
	f.DepartmentID = strings.TrimSpace(c.Query("department"))
	if p := principalOf(c); p.Role == domain.RoleDepartment {
		if f.DepartmentID != "" && f.DepartmentID != p.DepartmentID.String {
			return f, errForbidden
		}
		f.DepartmentID = p.DepartmentID.String
	}
	return f, nil
}

// stats answers GET /api/v1/stats.
func (s *Server) stats(c *fiber.Ctx) error {
	st, err := s.statistics(c)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// statistics reads the figures of the request's filters (the API, the page's workbook).
func (s *Server) statistics(c *fiber.Ctx) (storage.Statistics, error) {
	f, err := statsFilter(c)
	if err != nil {
		return storage.Statistics{}, err
	}
	return s.db.Statistics(c.UserContext(), f)
}

// statsXLSX answers GET /stats.xlsx: the figures of the page's filters as an Excel workbook.
func (s *Server) statsXLSX(c *fiber.Ctx) error {
	st, err := s.statistics(c)
	if err != nil {
		return err
	}
	raw, err := statsWorkbook(st)
	if err != nil {
		return fmt.Errorf("statistics workbook: %w", err)
	}
	name := fmt.Sprintf("统计_%s_%s.xlsx", st.From, st.To)
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="stats.xlsx"; filename*=UTF-8''`+urlPathEscape(name))
	return c.Send(raw)
}

func urlPathEscape(s string) string {
	var b strings.Builder
	for _, r := range []byte(s) {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteByte(r)
		} else {
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

// statsColumns are the columns of a department's (or month's) figures, in the page's and the workbook's order.
var statsColumns = []struct {
	Header string
	Value  func(storage.StatsCell) string
}{
	{"收到修复申请", func(c storage.StatsCell) string { return strconv.Itoa(c.Repairs.Received) }},
	{"受理", func(c storage.StatsCell) string { return strconv.Itoa(c.Repairs.Accepted) }},
	{"作出决定", func(c storage.StatsCell) string { return strconv.Itoa(c.Repairs.Decided) }},
	{"按期决定", func(c storage.StatsCell) string { return strconv.Itoa(c.Repairs.DecidedInTime) }},
	{"超期决定", func(c storage.StatsCell) string { return strconv.Itoa(c.Repairs.DecidedLate) }},
	{"按期决定率", func(c storage.StatsCell) string { return percent(c.Repairs.InTimeShare) }},
	{"受理用时平均（工作日）", func(c storage.StatsCell) string { return workdays(c.Repairs.Acceptance.AverageWorkdays) }},
	{"受理用时P90（工作日）", func(c storage.StatsCell) string { return workdays(c.Repairs.Acceptance.P90Workdays) }},
	{"决定用时平均（工作日）", func(c storage.StatsCell) string { return workdays(c.Repairs.Decision.AverageWorkdays) }},
	{"决定用时P90（工作日）", func(c storage.StatsCell) string { return workdays(c.Repairs.Decision.P90Workdays) }},
	{"异议提出", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.Filed) }},
	{"异议办结", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.Resolved) }},
	{"予以更正", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.Corrected) }},
	{"撤下公示", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.Withdrawn) }},
	{"维持原信息", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.Upheld) }},
	{"异议按期办结", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.ResolvedInTime) }},
	{"异议超期办结", func(c storage.StatsCell) string { return strconv.Itoa(c.Objections.ResolvedLate) }},
	{"异议核实用时平均（工作日）", func(c storage.StatsCell) string { return workdays(c.Objections.Verification.AverageWorkdays) }},
	{"异议核实用时P90（工作日）", func(c storage.StatsCell) string { return workdays(c.Objections.Verification.P90Workdays) }},
	{"培训报名", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.Enrolled) }},
	{"培训到场", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.Attended) }},
	{"到场率", func(c storage.StatsCell) string { return percent(c.Trainings.AttendanceRate) }},
	{"参加考试", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.Tested) }},
	{"考试合格", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.Passed) }},
	{"合格率", func(c storage.StatsCell) string { return percent(c.Trainings.PassRate) }},
	{"取得培训证明（家）", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.Certified) }},
	{"其后申请修复（家）", func(c storage.StatsCell) string { return strconv.Itoa(c.Trainings.RepairedAfter) }},
}

func percent(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func workdays(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// departmentLabel names a row's department: "" are the enterprises that enrolled in a training themselves.
func departmentLabel(c storage.StatsCell) string {
	if c.DepartmentID == "" {
		return "企业自行报名（培训）"
	}
	if c.DepartmentName != "" {
		return c.DepartmentName
	}
	return c.DepartmentID
}

// statsWorkbook writes the figures as three sheets: per department, per month and department, per channel.
func statsWorkbook(st storage.Statistics) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	write := func(sheet string, header []string, rows [][]any) error {
		if err := x.SetSheetRow(sheet, "A1", &header); err != nil {
			return err
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := x.SetSheetRow(sheet, cell, &r); err != nil {
				return err
			}
		}
		return nil
	}
	header := []string{"统计期间", "部门"}
	for _, col := range statsColumns {
		header = append(header, col.Header)
	}
	row := func(period, dept string, c storage.StatsCell) []any {
		r := []any{period, dept}
		for _, col := range statsColumns {
			v := col.Value(c)
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				r = append(r, n)
			} else {
				r = append(r, v)
			}
		}
		return r
	}
	span := st.From + "至" + st.To
	var summary, months, channels [][]any
	for _, c := range st.Departments {
		summary = append(summary, row(span, departmentLabel(c), c))
	}
	summary = append(summary, row(span, "合计", st.Total))
	for _, c := range st.Months {
		months = append(months, row(c.Month, departmentLabel(c), c))
	}
	for _, ch := range st.Channels {
		channels = append(channels, []any{span, ch.ChannelName, ch.Confirmed, workdays(ch.Lag.AverageWorkdays), workdays(ch.Lag.P90Workdays)})
	}
	for i, sh := range []struct {
		name   string
		header []string
		rows   [][]any
	}{
		{"部门汇总", header, summary},
		{"按月", header, months},
		{"撤下公示渠道", []string{"统计期间", "渠道", "确认撤下（条）", "用时平均（工作日）", "用时P90（工作日）"}, channels},
	} {
		var err error
		if i == 0 {
			err = x.SetSheetName("Sheet1", sh.name)
		} else {
			_, err = x.NewSheet(sh.name)
		}
		if err == nil {
			err = write(sh.name, sh.header, sh.rows)
		}
		if err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// statsPage answers GET /stats.
func (s *Server) statsPage(c *fiber.Ctx) error {
	f, err := statsFilter(c)
	if err != nil {
		return err
	}
	st, err := s.db.Statistics(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := principalOf(c)
	d := map[string]any{"S": st, "From": st.From, "To": st.To, "Department": f.DepartmentID,
		"IsDepartment": p.Role == domain.RoleDepartment, "Query": c.Context().QueryArgs().String()}
	var headers []string
	for _, col := range statsColumns {
		headers = append(headers, col.Header)
	}
	d["Headers"] = headers
	type statsTableRow struct {
		Label string
		Cells []string
	}
	toRow := func(label string, c storage.StatsCell) statsTableRow {
		r := statsTableRow{Label: label}
		for _, col := range statsColumns {
			r.Cells = append(r.Cells, col.Value(c))
		}
		return r
	}
	var deptRows, monthRows []statsTableRow
	for _, c := range st.Departments {
		deptRows = append(deptRows, toRow(departmentLabel(c), c))
	}
	if len(st.Departments) > 1 {
		deptRows = append(deptRows, toRow("合计", st.Total))
	}
	for _, c := range st.Months {
		monthRows = append(monthRows, toRow(c.Month+" "+departmentLabel(c), c))
	}
	d["DeptRows"], d["MonthRows"] = deptRows, monthRows
	var channelRows [][]string
	for _, ch := range st.Channels {
		channelRows = append(channelRows, []string{ch.ChannelName, strconv.Itoa(ch.Confirmed), workdays(ch.Lag.AverageWorkdays), workdays(ch.Lag.P90Workdays)})
	}
	d["ChannelRows"] = channelRows
	if p.Role != domain.RoleDepartment {
		ds, err := s.db.ListDepartments(c.UserContext())
		if err != nil {
			return err
		}
		d["Departments"] = ds
	}
	d["InTimeChart"] = inTimeChart(st)
	d["MonthChart"] = monthChart(st)
	d["ChannelChart"] = channelChart(st)
	return s.page(c, "stats", pageData{Title: "统计分析", Data: d})
}

// Charts are SVG drawn here (no script, so they work under the CSP): colours by presentation attributes.
const (
	colourInTime = "#2e7d32"
	colourLate   = "#c62828"
	colourBar    = "#1565c0"
	colourP90    = "#90caf9"
)

// svgChart is a horizontal bar chart: one row per label, one or more stacked or grouped values.
type svgBar struct {
	Label  string
	Values []float64
	Texts  []string // the figure printed after the bars
}

func barChart(id, title string, bars []svgBar, colours, legend []string, stacked bool) template.HTML {
	const labelW, barW, rowH, top = 170.0, 360.0, 26.0, 34.0
	if len(bars) == 0 {
		return template.HTML(`<p class="muted" id="` + id + `-empty">` + html.EscapeString(title) + `：本期间无数据。</p>`)
	}
	maxV := 0.0
	for _, b := range bars {
		sum := 0.0
		for _, v := range b.Values {
			if stacked {
				sum += v
			} else {
				maxV = max(maxV, v)
			}
		}
		maxV = max(maxV, sum)
	}
	if maxV == 0 {
		maxV = 1
	}
	h := top + rowH*float64(len(bars)) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="chart" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" width="640" height="%.0f" viewBox="0 0 640 %.0f">`,
		id, html.EscapeString(title), h, h)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	x := 0.0
	for i, l := range legend {
		fmt.Fprintf(&b, `<rect x="%.0f" y="6" width="12" height="12" fill="%s"/><text x="%.0f" y="17" font-size="12">%s</text>`,
			x, colours[i], x+16, html.EscapeString(l))
		x += 24 + 13*float64(len([]rune(l)))
	}
	for i, bar := range bars {
		y := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" text-anchor="end">%s</text>`, labelW-6, y+15, html.EscapeString(bar.Label))
		off := labelW
		n := float64(len(bar.Values))
		for j, v := range bar.Values {
			w := barW * v / maxV
			if stacked {
				fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.0f" width="%.1f" height="18" fill="%s" data-value="%g"/>`, off, y+2, w, colours[j], v)
				off += w
			} else {
				hh := 18 / n
				fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" data-value="%g"/>`, labelW, y+2+hh*float64(j), w, hh, colours[j], v)
				off = max(off, labelW+w)
			}
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="12">%s</text>`, off+6, y+15, html.EscapeString(strings.Join(bar.Texts, " / ")))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// inTimeChart: repair decisions in time and late, per department.
func inTimeChart(st storage.Statistics) template.HTML {
	var bars []svgBar
	for _, c := range st.Departments {
		if c.DepartmentID == "" {
			continue
		}
		bars = append(bars, svgBar{Label: departmentLabel(c), Values: []float64{float64(c.Repairs.DecidedInTime), float64(c.Repairs.DecidedLate)},
			Texts: []string{fmt.Sprintf("按期 %d，超期 %d，按期率 %s", c.Repairs.DecidedInTime, c.Repairs.DecidedLate, percent(c.Repairs.InTimeShare))}})
	}
	return barChart("chart-in-time", "信用修复按期决定情况", bars, []string{colourInTime, colourLate}, []string{"按期决定", "超期决定"}, true)
}

// monthChart: repair applications received and decided per month (all departments shown).
func monthChart(st storage.Statistics) template.HTML {
	type pair struct{ received, decided int }
	months := map[string]*pair{}
	var order []string
	for m := firstOfMonth(st.From); m.String()[:7] <= st.To; m = m.AddMonths(1) {
		order = append(order, m.String()[:7])
		months[m.String()[:7]] = &pair{}
	}
	for _, c := range st.Months {
		if p, ok := months[c.Month]; ok {
			p.received += c.Repairs.Received
			p.decided += c.Repairs.Decided
		}
	}
	var bars []svgBar
	for _, m := range order {
		p := months[m]
		bars = append(bars, svgBar{Label: m, Values: []float64{float64(p.received), float64(p.decided)},
			Texts: []string{fmt.Sprintf("收到 %d，决定 %d", p.received, p.decided)}})
	}
	return barChart("chart-months", "每月收到与决定的信用修复申请", bars, []string{colourBar, colourInTime}, []string{"收到申请", "作出决定"}, false)
}

func firstOfMonth(yyyymm string) domain.Date {
	d, _ := domain.ParseDate(yyyymm + "-01")
	return d
}

// channelChart: the working days from a withdrawal order to each channel's confirmation.
func channelChart(st storage.Statistics) template.HTML {
	var bars []svgBar
	for _, ch := range st.Channels {
		avg, p90 := 0.0, 0.0
		if ch.Lag.AverageWorkdays != nil {
			avg = *ch.Lag.AverageWorkdays
		}
		if ch.Lag.P90Workdays != nil {
			p90 = *ch.Lag.P90Workdays
		}
		bars = append(bars, svgBar{Label: ch.ChannelName, Values: []float64{avg, p90},
			Texts: []string{fmt.Sprintf("确认 %d 条，平均 %s，P90 %s 个工作日", ch.Confirmed, workdays(ch.Lag.AverageWorkdays), workdays(ch.Lag.P90Workdays))}})
	}
	return barChart("chart-channels", "撤下公示确认用时（工作日）", bars, []string{colourBar, colourP90}, []string{"平均", "P90"}, false)
}
