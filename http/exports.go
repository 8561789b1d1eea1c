package httpapi

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// Exports (issue 19): every list exports what its filters show, as .xlsx or .csv (GET /api/v1/<list>/export?
// format=xlsx|csv&<the list's filters>). Rows are read page by page with the list's own keyset cursor, never all at
// once: a CSV is streamed to the client as it is read; an .xlsx is written by excelize's StreamWriter (which keeps
// its sheet in a temporary file past a few megabytes) and then zipped straight into the response. Penalties are
// exported in the national 双公示 format, which the import reads back.

// exportPageSize rows are read per query.
const exportPageSize = 2000

// exportSpec is how one list exports: its file names, columns and rows.
type exportSpec[R any] struct {
	file   string // ASCII file name without extension
	title  string // Chinese file and sheet name
	header []string
	// cells writes a row; page is called first with each page read (to look up what the rows refer to).
	cells func(R) []string
	page  func([]R) error
	list  lister[R]
	key   func(R) string
}

// exportFormat reads ?format= (xlsx by default).
func exportFormat(c *fiber.Ctx) (string, error) {
	switch f := c.Query("format", "xlsx"); f {
	case "xlsx", "csv":
		return f, nil
	}
	return "", invalidField("format", "invalid_format", "导出格式 format 应为 xlsx 或 csv")
}

// csvWriter writes CSV to the response, starting with a UTF-8 byte order mark so that Excel reads the Chinese
// text as UTF-8.
func csvWriter(c *fiber.Ctx) *csv.Writer {
	w := c.Response().BodyWriter()
	_, _ = w.Write([]byte("\xEF\xBB\xBF"))
	return csv.NewWriter(w)
}

// runExport answers an export. The first page is read before anything is sent, so a bad filter or a failing
// database is an ordinary error answer.
func runExport[R any](s *Server, c *fiber.Ctx, spec exportSpec[R]) error {
	fetch, err := spec.list(c)
	if err != nil {
		return err
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	first, err := fetch(exportPageSize, "")
	if err != nil {
		return err
	}
	// rows calls each for every row, page by page, from the first page read above.
	rows := func(each func(R) error) error {
		page := first
		for len(page) > 0 {
			if spec.page != nil {
				if err := spec.page(page); err != nil {
					return err
				}
			}
			for _, r := range page {
				if err := each(r); err != nil {
					return err
				}
			}
			if len(page) < exportPageSize {
				return nil
			}
			next, err := fetch(exportPageSize, spec.key(page[len(page)-1]))
			if err != nil {
				return err
			}
			page = next
		}
		return nil
	}
	stamp := time.Now().In(domain.Shanghai).Format("20060102-1504")
	if format == "csv" {
		setAttachment(c, "text/csv; charset=utf-8", spec.file+"-"+stamp+".csv", spec.title+"-"+stamp+".csv")
		log := s.log
		c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
			_, _ = bw.WriteString("\xEF\xBB\xBF")
			w := csv.NewWriter(bw)
			_ = w.Write(spec.header)
			err := rows(func(r R) error { return w.Write(spec.cells(r)) })
			if err != nil {
				// The status is sent already: say so in the file rather than end it as if it were complete.
				log.Error("export failed while streaming", "export", spec.file, "err", err)
				_ = w.Write([]string{"导出中断：服务器错误，本文件不完整，请重新导出"})
			}
			w.Flush()
		})
		return nil
	}
	f, sw, err := newSheet(spec.title, spec.header)
	if err != nil {
		return err
	}
	n := 1
	err = rows(func(r R) error {
		n++
		if n > maxSheetRows {
			return newError(domain.KindInvalid, "export_too_large",
				"导出的行数超过Excel工作表的上限（1048575行），请缩小筛选范围或导出为CSV")
		}
		return sw.SetRow("A"+strconv.Itoa(n), rowCells(spec.cells(r)))
	})
	if err == nil {
		err = sw.Flush()
	}
	if err != nil {
		_ = f.Close()
		return err
	}
	setAttachment(c, xlsxContentType, spec.file+"-"+stamp+".xlsx", spec.title+"-"+stamp+".xlsx")
	log := s.log
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer f.Close()
		if err := writeXLSX(f, bw); err != nil {
			log.Warn("export not sent completely", "export", spec.file, "err", err)
		}
	})
	return nil
}

// writeXLSX zips a workbook straight into w. (excelize's own Write builds the whole archive in a memory buffer
// first; its zip writer hook lets the archive go to w instead, with the streamed sheet copied from its temporary
// file.)
func writeXLSX(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	_, err := f.WriteTo(io.Discard)
	return err
}

// maxSheetRows is the last row number of an Excel worksheet.
const maxSheetRows = 1048576

func dateText(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func datePtrText(d *domain.Date) string {
	if d == nil {
		return ""
	}
	return dateText(*d)
}

// yesNoPtr is yesNo, or "" when not known (nil).
func yesNoPtr(b *bool) string {
	if b == nil {
		return ""
	}
	return yesNo(*b)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// departmentNames answers every department's name as letters print it (with the city), by id.
func (s *Server) departmentNames(c *fiber.Ctx) (map[string]string, error) {
	ds, err := s.db.ListDepartments(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ds))
	for _, d := range ds {
		out[d.ID] = d.Name
		if d.FullName != "" {
			out[d.ID] = d.FullName
		}
	}
	return out, nil
}

// nationalRow writes a penalty in the national format (domain.NationalPenaltyHeaders).
func nationalRow(p storage.Penalty, authority string) []string {
	category := string(domain.SubjectLegalPerson)
	if strings.HasPrefix(p.USCC, "92") { // registration authority 9, kind 2: an individual business
		category = string(domain.SubjectIndividualTrade)
	}
	fine := ""
	if p.FineAmountYuan != "" && strings.Trim(p.FineAmountYuan, "0.") != "" {
		fine = domain.YuanToWan(p.FineAmountYuan)
	}
	ends := ""
	if p.PublicationEnds != storage.NoEnd {
		ends = dateText(p.PublicationEnds)
	}
	n := p.National
	confiscation := ""
	if n.ConfiscationYuan != "" {
		confiscation = domain.YuanToWan(n.ConfiscationYuan)
	}
	source := authority
	if n.SourceUnit != "" {
		source = n.SourceUnit
	}
	return []string{
		p.EnterpriseName, category, p.USCC, n.LegalRepresentative, p.DecisionNo, p.PenaltyLaw.ViolationType, p.Facts,
		p.LegalBasis, domain.PenaltyTypeWords(p.PenaltyTypes), n.Content, fine, confiscation, n.License,
		dateText(p.DecidedOn), n.ValidUntil, ends, authority, n.AuthorityUSCC, source, n.SourceUnitUSCC, n.Remarks,
	}
}

func (s *Server) exportPenalties(c *fiber.Ctx) error {
	names, err := s.departmentNames(c)
	if err != nil {
		return err
	}
	return runExport(s, c, exportSpec[storage.Penalty]{file: "penalties", title: "行政处罚信息",
		header: domain.NationalPenaltyHeaders, list: s.penaltyLister, key: penaltyKey,
		cells: func(p storage.Penalty) []string { return nationalRow(p, names[p.DepartmentID]) }})
}

// caseColumns head the export of repair and objection cases: the case, the record it is about, the department.
func caseColumns(more ...string) []string {
	return append([]string{"案件编号", "行政处罚决定书文号", "企业名称", "统一社会信用代码", "认定部门"}, more...)
}

// caseCells are the caseColumns of a case.
func caseCells(id int64, decisionNo, enterprise, uscc, department string, more ...string) []string {
	return append([]string{strconv.FormatInt(id, 10), decisionNo, enterprise, uscc, department}, more...)
}

func (s *Server) exportRepairs(c *fiber.Ctx) error {
	return runExport(s, c, exportSpec[storage.Repair]{file: "repairs", title: "信用修复案件",
		header: caseColumns("申请日期", "状态", "办理方", "受理期限", "决定期限", "是否逾期", "决定日期", "是否按期决定", "决定书文号"),
		list:   s.repairLister, key: repairKey,
		cells: func(r storage.Repair) []string {
			return caseCells(r.ID, r.DecisionNoOfPenalty, r.EnterpriseName, r.USCC, r.DepartmentName,
				dateText(r.AppliedOn), r.Status.Label(), r.Holder.Label(), dateText(r.AcceptanceDue), dateText(r.DecisionDue),
				yesNo(r.Overdue), dateText(r.DecidedOn), yesNoPtr(r.DecidedInTime), r.DecisionNo)
		}})
}

func (s *Server) exportObjections(c *fiber.Ctx) error {
	return runExport(s, c, exportSpec[storage.Objection]{file: "objections", title: "异议申诉案件",
		header: caseColumns("异议理由", "提出日期", "状态", "办理方", "核实期限", "是否逾期", "处理结果", "答复日期", "是否按期答复"),
		list:   s.objectionLister, key: objectionKey,
		cells: func(o storage.Objection) []string {
			return caseCells(o.ID, o.DecisionNo, o.EnterpriseName, o.USCC, o.DepartmentName,
				o.Grounds.Label(), dateText(o.FiledOn), o.Status.Label(), o.Holder.Label(), dateText(o.VerifyDue),
				yesNo(o.Overdue), o.Outcome.Label(), dateText(o.ResolvedOn), yesNoPtr(o.ResolvedInTime))
		}})
}

func (s *Server) exportTrainings(c *fiber.Ctx) error {
	bj := func(t time.Time) string { return t.In(domain.Shanghai).Format("2006-01-02 15:04") }
	return runExport(s, c, exportSpec[storage.Training]{file: "trainings", title: "信用修复培训",
		header: []string{"培训编号", "培训名称", "开始时间", "结束时间", "地点", "学时", "承办机构", "容量", "已报名", "候补",
			"合格分数", "状态"},
		list: s.trainingLister, key: trainingKey,
		cells: func(t storage.Training) []string {
			return []string{strconv.FormatInt(t.ID, 10), t.Title, bj(t.StartsAt), bj(t.EndsAt), t.Venue,
				strconv.Itoa(t.ClassHours), t.AgencyName, strconv.Itoa(t.Capacity), strconv.Itoa(t.Enrolled),
				strconv.Itoa(t.Waitlisted), strconv.Itoa(t.PassScore), t.Status.Label()}
		}})
}

func (s *Server) exportWithdrawals(c *fiber.Ctx) error {
	return runExport(s, c, exportSpec[storage.Withdrawal]{file: "withdrawals", title: "撤下公示",
		header: []string{"编号", "行政处罚决定书文号", "企业名称", "统一社会信用代码", "认定部门", "撤下原因", "下达日期",
			"渠道数", "已确认渠道", "逾期渠道", "最近期限", "状态", "完成时间"},
		list: s.withdrawalLister, key: withdrawalKey,
		cells: func(w storage.Withdrawal) []string {
			done := ""
			if w.CompletedAt.Valid {
				done = w.CompletedAt.Time.In(domain.Shanghai).Format("2006-01-02 15:04")
			}
			return []string{strconv.FormatInt(w.ID, 10), w.DecisionNo, w.EnterpriseName, w.USCC, w.DepartmentName,
				w.Cause.Label(), dateText(w.OrderedOn), strconv.Itoa(w.Channels), strconv.Itoa(w.Confirmed),
				strconv.Itoa(w.Overdue), datePtrText(w.NextDue), w.Status.Label(), done}
		}})
}

func (s *Server) exportTasks(c *fiber.Ctx) error {
	p := principalOf(c)
	dept, me := p.Role == domain.RoleDepartment, p.ID
	return runExport(s, c, exportSpec[storage.Task]{file: "tasks", title: "待办事项",
		header: []string{"事项", "案件类别", "案件编号", "办理期限", "是否逾期", "承办人", "产生时间"},
		list:   s.taskLister, key: taskKey,
		cells: func(t storage.Task) []string {
			who := ""
			if dept {
				who = assigneeLabel(t, me)
			}
			return []string{t.Title, domain.CaseKind(t.CaseKind).Label(), t.CaseID, t.DueOnString(), yesNo(t.Overdue),
				who, t.CreatedAt.In(domain.Shanghai).Format("2006-01-02 15:04")}
		}})
}
