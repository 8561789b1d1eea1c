package httpapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"xinyong/domain"
)

// Import files in the national 双公示 format (issue 19): .xlsx (the first sheet) or .csv in UTF-8 or GBK/GB18030,
// with the Chinese headers of the national standard (domain.NationalPenaltyHeaders) or the API's English names,
// in any order and mixed. Amounts in 万元 are converted to yuan exactly; 处罚类别 words become penalty types.

// xlsxContentType is the media type of an .xlsx file.
const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Internal names of the import columns that are not fields of POST /api/v1/penalties.
const (
	colSubjectCategory = "subject_category"
	colFineWan         = "fine_amount_wan"
	colConfiscationWan = "confiscation_amount_wan"
	// colInformational prefixes the national columns the platform reads but does not keep: it computes 公示截止期
	// itself (from the rule set), and 处罚机关 is the uploading department (docs/api-additions-19.md).
	colInformational = "info:"
)

// nationalColumns maps the normalized national headers to the import's column names.
var nationalColumns = func() map[string]string {
	m := map[string]string{
		domain.NatSubjectName: "enterprise_name", domain.NatSubjectCategory: colSubjectCategory,
		domain.NatSubjectUSCC: "uscc", domain.NatDecisionNo: "decision_no", domain.NatViolationType: "violation_type",
		domain.NatFacts: "facts", domain.NatLegalBasis: "legal_basis", domain.NatPenaltyCategory: "penalty_types",
		domain.NatFineWan: colFineWan, domain.NatConfiscationWan: colConfiscationWan, domain.NatDecidedOn: "decided_on",
		// Kept as given (storage.PenaltyNational) and exported again.
		domain.NatLegalRep: "legal_representative", domain.NatContent: "content", domain.NatLicense: "license",
		domain.NatValidUntil: "valid_until", domain.NatAuthorityUSCC: "authority_uscc", domain.NatSourceUnit: "source_unit",
		domain.NatSourceUnitUSCC: "source_unit_uscc", domain.NatRemarks: "remarks",
	}
	out := map[string]string{}
	for _, h := range domain.NationalPenaltyHeaders {
		col, ok := m[h]
		if !ok {
			col = colInformational + h
		}
		out[domain.NormalizeHeader(h)] = col
	}
	for alias, h := range domain.NationalHeaderAliases {
		out[alias] = out[domain.NormalizeHeader(h)]
	}
	return out
}()

// columnLabel names a column for messages: its national header where it has one.
func columnLabel(col string) string {
	for _, h := range domain.NationalPenaltyHeaders {
		if nationalColumns[domain.NormalizeHeader(h)] == col {
			return h + "（" + col + "）"
		}
	}
	return col
}

// importTable is an uploaded file opened for reading: its columns and its data rows one by one.
type importTable struct {
	header []string
	col    map[string]int
	// next answers the next data row with its number in the file (the header is row 1), or io.EOF.
	next func() (int, []string, error)
	// strictWidth: every row has as many cells as the header (CSV); a spreadsheet leaves trailing blanks out.
	strictWidth bool
	// numeric reports whether a cell was stored as a number (a spreadsheet's date serials and amounts).
	numeric bool
}

// cell is the trimmed cell of column name ("" when the file has no such column).
func (t *importTable) cell(rec []string, name string) string {
	if i, ok := t.col[name]; ok && i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// isXLSX reports whether a file is an .xlsx (a zip archive) rather than text.
func isXLSX(raw []byte) bool { return bytes.HasPrefix(raw, []byte("PK\x03\x04")) }

// openImport opens an uploaded import file of either kind and maps its header.
func openImport(raw []byte) (*importTable, error) {
	if isXLSX(raw) {
		return openImportXLSX(raw)
	}
	text, err := decodeText(raw)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, newError(domain.KindInvalid, "empty_csv", "文件为空，第1行应为列名")
	}
	if err != nil {
		return nil, csvError(err, "line")
	}
	col, err := mapImportHeader(header)
	if err != nil {
		return nil, err
	}
	row := 1
	return &importTable{header: header, col: col, strictWidth: true, next: func() (int, []string, error) {
		rec, err := cr.Read()
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		row++
		if err != nil {
			return row, nil, csvError(err, "line")
		}
		return row, rec, nil
	}}, nil
}

// decodeText answers a text file as UTF-8: UTF-8 as it is (without its byte order mark), otherwise GB18030 (which
// contains GBK and GB2312, what Excel writes for "CSV" on a Chinese Windows). Bytes that are neither are a 422.
func decodeText(raw []byte) ([]byte, error) {
	if utf8.Valid(raw) {
		return bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF")), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, newError(domain.KindInvalid, "invalid_encoding",
			"文件既不是UTF-8编码也不是GBK/GB18030编码，请在表格软件中另存为“CSV UTF-8”或Excel工作簿（.xlsx）后重新上传")
	}
	// The text check of every request (textinput.go) could not read this file before it was decoded.
	if e := checkCSVText("file", out); e != nil {
		return nil, e
	}
	return out, nil
}

// maxXLSXUnzipped bounds what an .xlsx may expand to, so a small zip bomb cannot exhaust memory.
const maxXLSXUnzipped = 512 << 20

var errInvalidXLSX = newError(domain.KindInvalid, "invalid_xlsx", "无法读取Excel文件，请确认是.xlsx格式的工作簿（旧版.xls请另存为.xlsx）")

// openImportXLSX reads the first worksheet of an .xlsx; cells are read unformatted, so amounts keep their digits
// and dates come as serial numbers or text.
func openImportXLSX(raw []byte) (*importTable, error) {
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxXLSXUnzipped, UnzipXMLSizeLimit: maxXLSXUnzipped})
	if err != nil {
		return nil, errInvalidXLSX
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, errInvalidXLSX
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, errInvalidXLSX
	}
	rowNo := 0
	read := func() (int, []string, error) {
		for rows.Next() {
			rowNo++
			rec, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return rowNo, nil, errInvalidXLSX
			}
			if !blankRow(rec) {
				return rowNo, rec, nil
			}
		}
		if err := rows.Error(); err != nil {
			return rowNo, nil, errInvalidXLSX
		}
		_ = rows.Close()
		_ = f.Close()
		return 0, nil, io.EOF
	}
	_, header, err := read()
	if err == io.EOF {
		return nil, newError(domain.KindInvalid, "empty_csv", "工作表为空，第1行应为列名")
	}
	if err != nil {
		return nil, err
	}
	col, err := mapImportHeader(header)
	if err != nil {
		return nil, err
	}
	return &importTable{header: header, col: col, next: read, numeric: true}, nil
}

func blankRow(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// mapImportHeader maps a header row to column names: the API's English names or the national Chinese headers,
// each once. Blank header cells of a spreadsheet's trailing columns are ignored.
func mapImportHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if name == "" {
			continue
		}
		if c, ok := nationalColumns[domain.NormalizeHeader(h)]; ok {
			name = c
		} else if !contains(importColumns, name) {
			return nil, newError(domain.KindInvalid, "invalid_csv_header",
				fmt.Sprintf("第1行第%d列的列名“%s”无法识别；可用全国行政处罚信息标准的中文列名（%s）或英文列名（%s）",
					i+1, strings.TrimSpace(h), strings.Join(domain.NationalPenaltyHeaders, "、"), strings.Join(importColumns, ", "))).
				With(map[string]any{"column": i + 1, "name": strings.TrimSpace(h), "columns": importColumns,
					"national_columns": domain.NationalPenaltyHeaders})
		}
		if _, dup := col[name]; dup {
			return nil, newError(domain.KindInvalid, "invalid_csv_header", fmt.Sprintf("列“%s”重复", columnLabel(name)))
		}
		col[name] = i
	}
	if _, yuan := col["fine_amount_yuan"]; yuan {
		if _, wan := col[colFineWan]; wan {
			return nil, newError(domain.KindInvalid, "invalid_csv_header",
				"罚款金额只能有一列：fine_amount_yuan（元）或“罚款金额（万元）”")
		}
	}
	for _, c := range requiredImportColumns {
		if _, ok := col[c]; !ok {
			return nil, newError(domain.KindInvalid, "invalid_csv_header", fmt.Sprintf("缺少必填列“%s”", columnLabel(c))).
				With(map[string]any{"missing": c, "required": requiredImportColumns})
		}
	}
	return col, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// importDate reads a decision date as files write it: 2026-05-20, 2026/5/20, 2026.5.20, 2026年5月20日, with a time
// of day after it, or (in a spreadsheet) a date serial number. It answers YYYY-MM-DD, or the cell as it was when
// it is none of these (validation then names the problem).
func importDate(cell string, numeric bool) string {
	s := strings.TrimSpace(cell)
	if numeric {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 1 && n < 2958466 && !strings.ContainsAny(s, "-/年") {
			if t, err := excelize.ExcelDateToTime(n, false); err == nil {
				return t.Format("2006-01-02")
			}
		}
	}
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, "日")
	s = strings.NewReplacer("年", "-", "月", "-", "/", "-", ".", "-").Replace(s)
	for _, layout := range []string{"2006-1-2", "2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return strings.TrimSpace(cell)
}

// importAmount reads an amount cell in 万元 as yuan; field names the column in the error.
func importAmount(cell, field, label string) (string, *Error) {
	y, err := domain.WanToYuan(cell)
	if err != nil {
		return "", invalidField(field, "invalid_amount", label+"："+err.Error())
	}
	return y, nil
}

var errNaturalPerson = func() *Error {
	return invalidField(colSubjectCategory, "natural_person",
		"行政相对人类别为自然人：对自然人的行政处罚信息不在“信用中国”网站公示，本平台不予登记")
}

// subjectProblem checks a row's 行政相对人类别: natural persons are refused, unknown words too.
func subjectProblem(cell string) *Error {
	cat, ok := domain.ParseSubjectCategory(cell)
	switch {
	case !ok:
		return invalidField(colSubjectCategory, "invalid_subject_category",
			fmt.Sprintf("行政相对人类别“%s”无法识别，应为法人及非法人组织、个体工商户或自然人", cell))
	case cat == domain.SubjectNaturalPerson:
		return errNaturalPerson()
	}
	return nil
}

// errTableRead turns a read error of a file into the 422 it is (csv and xlsx errors are already answers).
func errTableRead(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(domain.KindInvalid, "invalid_csv", "无法读取文件")
}
