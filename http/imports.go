package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// CSV import of penalties: one penalty per row, UTF-8 with a header row naming the columns (the JSON fields of
// POST /api/v1/penalties; penalty_types separated by ";" inside the cell). Every row is validated like a single
// registration; good rows are stored at once in one transaction, bad rows are reported with their row number (the
// header is row 1) and reason, and a decision number the department registered before is reported as
// already_registered and changes nothing, so importing the same file twice creates nothing new. The lifecycles of
// the new records are started in the background by the import workflow (import-<id>); its progress is on the import.

// maxImportRows bounds one file; a department's year of decisions fits many times over.
const maxImportRows = 50000

var importColumns = []string{"decision_no", "uscc", "enterprise_name", "decided_on", "penalty_types",
	"fine_amount_yuan", "class", "duration_months", "facts", "legal_basis",
	"regulated_field", "discretion", "violation_type", "published_on", "summary", "publish_minor",
	"legal_representative", "content", "confiscation_amount_yuan", "license", "valid_until", "authority_uscc",
	"source_unit", "source_unit_uscc", "remarks"}

var requiredImportColumns = []string{"decision_no", "uscc", "enterprise_name", "decided_on", "penalty_types"}

// importRowJSON is the outcome of one CSV row.
type importRowJSON struct {
	Row        int    `json:"row"`
	DecisionNo string `json:"decision_no"`
	Status     string `json:"status"`
	PenaltyID  *int64 `json:"penalty_id,omitempty"`
	Code       string `json:"code,omitempty"`
	Field      string `json:"field,omitempty"`
	Message    string `json:"message,omitempty"`
}

// importJSON is an import with its progress and (unless asked otherwise) its rows.
type importJSON struct {
	storage.PenaltyImport
	Rows []importRowJSON `json:"rows"`
}

func toImportJSON(imp storage.PenaltyImport, rows []storage.ImportRow) importJSON {
	out := importJSON{PenaltyImport: imp, Rows: make([]importRowJSON, 0, len(rows))}
	for _, r := range rows {
		rj := importRowJSON{Row: r.Row, DecisionNo: r.DecisionNo, Status: r.Status, Code: r.Code, Field: r.Field, Message: r.Message}
		if r.PenaltyID.Valid {
			id := r.PenaltyID.Int64
			rj.PenaltyID = &id
		}
		out.Rows = append(out.Rows, rj)
	}
	return out
}

// parseImport reads and validates an import file (CSV or .xlsx, see imports_national.go): a file that is not
// readable or lacks a required column is one 422; otherwise every row gets its outcome.
func parseImport(r *registrar, raw []byte) (storage.NewImport, error) {
	var out storage.NewImport
	t, err := openImport(raw)
	if err != nil {
		return out, err
	}
	seen := map[string]int{}
	ents := map[string]int{}
	rows := 0
	for {
		row, rec, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, errTableRead(err)
		}
		rows++
		if rows > maxImportRows {
			return out, errTooLarge.With(map[string]any{"max_rows": maxImportRows})
		}
		cell := func(name string) string { return t.cell(rec, name) }
		amount := func(name string) string {
			if t.numeric { // a spreadsheet's number cell may carry binary noise past its 15 digits
				return domain.SpreadsheetNumber(cell(name))
			}
			return cell(name)
		}
		no := cell("decision_no")
		reject := func(e *Error) {
			field, _ := e.Details["field"].(string)
			out.Rejected = append(out.Rejected, storage.ImportRow{Row: row, DecisionNo: no, Status: storage.ImportRowRejected,
				Code: e.Code, Field: field, Message: e.Message})
		}
		if t.strictWidth && len(rec) != len(t.col) || !t.strictWidth && len(rec) > len(t.col) && !blankRow(rec[len(t.col):]) {
			reject(invalidField("", "invalid_column_count", fmt.Sprintf("该行有%d列，应与列名行一致为%d列", len(rec), len(t.col))))
			continue
		}
		if e := subjectProblem(cell(colSubjectCategory)); e != nil {
			reject(e)
			continue
		}
		types, terr := domain.ParsePenaltyTypeWords(cell("penalty_types"))
		if terr != nil {
			reject(invalidField("penalty_types", "unknown_penalty_type", terr.Error()))
			continue
		}
		in := penaltyInput{DecisionNo: no, USCC: cell("uscc"), EnterpriseName: cell("enterprise_name"),
			DecidedOn: importDate(cell("decided_on"), t.numeric), PenaltyTypes: stringsOf(types),
			FineAmountYuan: yuanField(amount("fine_amount_yuan")), Class: cell("class"),
			Facts: cell("facts"), LegalBasis: cell("legal_basis"), lawInput: lawInputFromCSV(cell)}
		if _, ok := t.col[colFineWan]; ok {
			y, e := importAmount(amount(colFineWan), colFineWan, "罚款金额（万元）")
			if e != nil {
				reject(e)
				continue
			}
			in.FineAmountYuan = yuanField(y)
		}
		confiscation, cerr := importAmount(amount(colConfiscationWan), colConfiscationWan, "没收违法所得、没收非法财物的金额（万元）")
		if cerr != nil {
			reject(cerr)
			continue
		}
		if _, ok := t.col[colConfiscationWan]; !ok {
			confiscation = amount("confiscation_amount_yuan")
		}
		in.National = nationalOf(cell, t.numeric, confiscation)
		if m := cell("duration_months"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil {
				reject(invalidField("duration_months", "invalid_duration", "处罚期限应为整数月数"))
				continue
			}
			in.DurationMonths = n
		}
		p, e, verr := r.validate(in)
		if verr != nil {
			reject(verr)
			continue
		}
		if first, dup := seen[p.DecisionNo]; dup {
			reject(invalidField("decision_no", "duplicate_in_file", fmt.Sprintf("与第%d行的处罚决定书文号重复", first)))
			continue
		}
		seen[p.DecisionNo] = row
		p.ImportRow.Int32, p.ImportRow.Valid = int32(row), true
		out.Penalties = append(out.Penalties, p)
		if i, ok := ents[e.USCC]; ok {
			out.Enterprises[i] = e // the later row's name wins, as a later registration would
		} else {
			ents[e.USCC] = len(out.Enterprises)
			out.Enterprises = append(out.Enterprises, e)
		}
	}
	if rows == 0 {
		return out, newError(domain.KindInvalid, "empty_csv", "文件只有列名行，没有数据行")
	}
	out.TotalRows = rows
	return out, nil
}

// openCSV checks an uploaded CSV file's encoding, drops a UTF-8 byte order mark, and reads its header row, whose
// names must be among columns (in any order, each once). It answers the reader at the first data row and each
// column's index. lineKey is as for csvError.
func openCSV(raw []byte, columns []string, lineKey string) (*csv.Reader, map[string]int, error) {
	if !utf8.Valid(raw) {
		return nil, nil, newError(domain.KindInvalid, "invalid_encoding", "文件不是UTF-8编码，请在表格软件中另存为“CSV UTF-8”格式后重新上传")
	}
	raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, newError(domain.KindInvalid, "empty_csv", "文件为空，第1行应为列名")
	}
	if err != nil {
		return nil, nil, csvError(err, lineKey)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(columns, h) {
			return nil, nil, newError(domain.KindInvalid, "invalid_csv_header",
				fmt.Sprintf("第1行第%d列的列名“%s”无法识别；可用的列名：%s", i+1, h, strings.Join(columns, ", "))).
				With(map[string]any{"column": i + 1, "name": h, "columns": columns})
		}
		if _, dup := col[h]; dup {
			return nil, nil, newError(domain.KindInvalid, "invalid_csv_header", fmt.Sprintf("列名“%s”重复", h))
		}
		col[h] = i
	}
	return cr, col, nil
}

// csvError is a 422 for a file that is not CSV; lineKey names the line in its details ("line", or "row" where
// the answer numbers rows by line).
func csvError(err error, lineKey string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return newError(domain.KindInvalid, "invalid_csv", fmt.Sprintf("CSV格式错误（第%d行第%d列）：引号或分隔符不匹配", pe.Line, pe.Column)).
			With(map[string]any{lineKey: pe.Line, "column": pe.Column})
	}
	return newError(domain.KindInvalid, "invalid_csv", "无法读取CSV文件")
}

// importFile validates and stores a file, then starts its background job.
func (s *Server) importFile(c *fiber.Ctx, filename string, raw []byte) (storage.PenaltyImport, []storage.ImportRow, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	r, err := s.newRegistrar(ctx, p)
	if err != nil {
		return storage.PenaltyImport{}, nil, err
	}
	ni, err := parseImport(r, raw)
	if err != nil {
		return storage.PenaltyImport{}, nil, err
	}
	sum := sha256.Sum256(raw)
	ni.DepartmentID, ni.CreatedBy, ni.Filename, ni.SHA256 = p.DepartmentID.String, p.Login, filename, hex.EncodeToString(sum[:])
	ni.Content = raw
	imp, rows, err := s.db.CreateImport(ctx, ni)
	if err != nil {
		return storage.PenaltyImport{}, nil, err
	}
	if err := s.audit(c, "penalty_import.create", "penalty_import", strconv.FormatInt(imp.ID, 10), map[string]any{
		"filename": filename, "sha256": imp.SHA256, "total_rows": imp.TotalRows, "registered": imp.Registered,
		"already_registered": imp.AlreadyRegistered, "rejected": imp.Rejected}); err != nil {
		return storage.PenaltyImport{}, nil, err
	}
	if imp.ToStart > 0 {
		if err := s.cases.start(ctx, importCases, imp.ID, workflows.ImportParams{ImportID: imp.ID}); err != nil {
			return storage.PenaltyImport{}, nil, err
		}
	}
	return imp, rows, nil
}

func (s *Server) importPenalties(c *fiber.Ctx) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch {
	case err != nil || (mt != "text/csv" && mt != "application/csv" && mt != xlsxContentType):
		return errUnsupportedMedia.With(map[string]any{"expected": []string{"text/csv", xlsxContentType}})
	case mt == xlsxContentType && !isXLSX(c.Body()):
		return errInvalidXLSX
	}
	name := c.Get("X-Filename")
	if utf8.RuneCountInString(name) > 200 {
		name = ""
	}
	imp, rows, err := s.importFile(c, name, c.Body())
	if err != nil {
		return err
	}
	c.Location("/api/v1/penalties/imports/" + strconv.FormatInt(imp.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(toImportJSON(imp, rows))
}

// visibleImport loads the :id import: a department sees its own, the credit office and admins all.
func (s *Server) visibleImport(c *fiber.Ctx) (storage.PenaltyImport, error) {
	return loadVisible(c, s.db.GetImport, func(imp storage.PenaltyImport) (bool, error) {
		p := principalOf(c)
		return p.Role != domain.RoleDepartment || imp.DepartmentID == p.DepartmentID.String, nil
	})
}

func (s *Server) getImport(c *fiber.Ctx) error {
	imp, err := s.visibleImport(c)
	if err != nil {
		return err
	}
	rows, err := s.db.ImportRows(c.UserContext(), imp.ID, c.QueryBool("problems"))
	if err != nil {
		return err
	}
	return c.JSON(toImportJSON(imp, rows))
}

func (s *Server) listImports(c *fiber.Ctx) error {
	p := principalOf(c)
	dept := ""
	if p.Role == domain.RoleDepartment {
		dept = p.DepartmentID.String
	}
	imps, err := s.db.ListImports(c.UserContext(), dept, 100)
	if err != nil {
		return err
	}
	if imps == nil {
		imps = []storage.PenaltyImport{}
	}
	return c.JSON(page[storage.PenaltyImport]{Items: imps})
}

// Pages.

func (s *Server) importPage(c *fiber.Ctx) error { return s.renderImportPage(c, nil) }

func (s *Server) renderImportPage(c *fiber.Ctx, problem *Error) error {
	p := principalOf(c)
	imps, err := s.db.ListImports(c.UserContext(), p.DepartmentID.String, 20)
	if err != nil {
		return err
	}
	d := map[string]any{"Imports": imps, "Columns": importColumns, "Types": penaltyTypeOptions(),
		"National": domain.NationalPenaltyHeaders}
	if problem != nil {
		d["Problem"] = refused(c, problem).Message
		c.Status(statusOf(problem))
	}
	return s.page(c, "import", pageData{Title: "批量导入行政处罚", Data: d})
}

func (s *Server) importUpload(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderImportPage(c, invalidField("file", "missing_file", "请选择要上传的Excel或CSV文件"))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxBodyBytes))
	if err != nil {
		return err
	}
	name := fh.Filename
	if utf8.RuneCountInString(name) > 200 {
		name = ""
	}
	imp, _, err := s.importFile(c, name, raw)
	if e, ok := pageProblem(err); ok {
		return s.renderImportPage(c, e)
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, "/penalties/imports/"+strconv.FormatInt(imp.ID, 10), "文件已上传，正在后台逐行登记")
}

func (s *Server) importResultPage(c *fiber.Ctx) error {
	imp, err := s.visibleImport(c)
	if err != nil {
		return err
	}
	rows, err := s.db.ImportRows(c.UserContext(), imp.ID, true)
	if err != nil {
		return err
	}
	type rowView struct {
		storage.ImportRow
		StatusLabel string
	}
	views := make([]rowView, 0, len(rows))
	for _, r := range rows {
		label := "格式或内容有误"
		if r.Status == storage.ImportRowAlreadyRegistered {
			label = "已登记过"
			if r.Message == "" {
				r.Message = "本部门已登记过该文号，本次未重复登记"
			}
		}
		views = append(views, rowView{ImportRow: r, StatusLabel: label})
	}
	percent := 100
	if imp.ToStart > 0 {
		percent = imp.Started * 100 / imp.ToStart
	}
	return s.page(c, "import_result", pageData{Title: "导入结果", Data: map[string]any{
		"Import": imp, "Rows": views, "Percent": percent, "Running": !imp.Status.Final(),
		"CreatedAt": imp.CreatedAt.In(shanghai).Format("2006-01-02 15:04:05"),
	}})
}
