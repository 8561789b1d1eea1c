package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// Files of the import page: the templates (xlsx and csv, national headers) and an import's result file (the
// department's own rows with a result column).

// setAttachment names a download: an ASCII name for old clients and the Chinese one (RFC 6266 filename*).
func setAttachment(c *fiber.Ctx, contentType, asciiName, name string) {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, asciiName, url.PathEscape(name)))
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// newSheet starts a workbook whose first sheet (named name) is written row by row with bounded memory; header is
// its first row, in bold.
func newSheet(name string, header []string) (*excelize.File, *excelize.StreamWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, nil, err
	}
	if err := sw.SetColWidth(1, max(1, len(header)), 20); err != nil {
		return nil, nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{Value: h, StyleID: bold}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, nil, err
	}
	return f, sw, nil
}

// rowCells converts texts to a row of the stream writer.
func rowCells(texts []string) []any {
	out := make([]any, len(texts))
	for i, t := range texts {
		out[i] = t
	}
	return out
}

// importTemplate answers the empty import file with the national headers: ?format=xlsx (the default) or csv
// (UTF-8 with a byte order mark, which Excel opens as UTF-8).
func (s *Server) importTemplate(c *fiber.Ctx) error {
	format := c.Query("format", "xlsx")
	switch format {
	case "csv":
		setAttachment(c, "text/csv; charset=utf-8", "penalty-import-template.csv", "行政处罚信息导入模板.csv")
		w := csvWriter(c)
		_ = w.Write(domain.NationalPenaltyHeaders)
		w.Flush()
		return w.Error()
	case "xlsx":
	default:
		return invalidField("format", "invalid_format", "format 应为 xlsx 或 csv")
	}
	f, sw, err := newSheet("行政处罚", domain.NationalPenaltyHeaders)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := sw.Flush(); err != nil {
		return err
	}
	// A second sheet explains the columns; the import reads only the first.
	notes := [][]string{
		{"列名", "说明"},
		{domain.NatSubjectName, "必填，企业名称"},
		{domain.NatSubjectCategory, "法人及非法人组织、个体工商户；自然人的处罚信息不在信用中国公示，不予导入"},
		{domain.NatSubjectUSCC, "必填，18位统一社会信用代码"},
		{domain.NatDecisionNo, "必填，本部门已登记过的文号不会重复登记"},
		{domain.NatPenaltyCategory, "必填，如：警告；罚款；没收违法所得、没收非法财物（多种用分号分隔）"},
		{domain.NatFineWan, "以万元为单位，如 1.5 即 15000 元，最多六位小数"},
		{domain.NatConfiscationWan, "以万元为单位"},
		{domain.NatDecidedOn, "必填，如 2026-05-20 或 2026/5/20"},
		{domain.NatPublicationEnds, "可不填：公示截止期由平台按公示期限规定计算"},
		{domain.NatAuthority, "可不填：处罚机关即上传文件的部门"},
		{domain.NatRemarks, "法定代表人、处罚内容、暂扣或吊销证照名称及编号、处罚有效期、处罚机关统一社会信用代码、数据来源单位及其统一社会信用代码、备注：可不填；填写的原样保存，导出时一并带出"},
	}
	if _, err := f.NewSheet("填写说明"); err != nil {
		return err
	}
	for i, r := range notes {
		if err := f.SetSheetRow("填写说明", "A"+strconv.Itoa(i+1), &r); err != nil {
			return err
		}
	}
	setAttachment(c, xlsxContentType, "penalty-import-template.xlsx", "行政处罚信息导入模板.xlsx")
	return writeXLSX(f, c.Response().BodyWriter())
}

// importResultLabel is the result column of a row.
func importResultLabel(r storage.ImportRow) string {
	switch r.Status {
	case storage.ImportRowRegistered:
		return "已登记"
	case storage.ImportRowAlreadyRegistered:
		return "已登记过，未重复登记"
	}
	return "未导入"
}

// importResultFile answers an import's results as an .xlsx: the uploaded rows as they were with the columns
// 导入结果 and 说明 added, so the department can correct the refused rows and upload the file again (what was
// registered is then reported as already registered). Imports from before files were kept get one row per result.
func (s *Server) importResultFile(c *fiber.Ctx) error {
	imp, err := s.visibleImport(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	rows, err := s.db.ImportRows(ctx, imp.ID, false)
	if err != nil {
		return err
	}
	byRow := make(map[int]storage.ImportRow, len(rows))
	for _, r := range rows {
		byRow[r.Row] = r
	}
	raw, err := s.db.ImportFile(ctx, imp.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	var t *importTable
	if raw != nil {
		if t, err = openImport(raw); err != nil {
			t = nil // a file that was refused as a whole has no rows to give back
		}
	}
	header := []string{"行号", domain.NatDecisionNo}
	if t != nil {
		header = make([]string, len(t.header))
		copy(header, t.header)
	}
	header = append(header, "导入结果", "说明")
	f, sw, err := newSheet("导入结果", header)
	if err != nil {
		return err
	}
	defer f.Close()
	out := 1
	write := func(cells []string, r storage.ImportRow, ok bool) error {
		out++
		res, why := "", ""
		if ok {
			res, why = importResultLabel(r), r.Message
			if r.Status == storage.ImportRowAlreadyRegistered && why == "" {
				why = "本部门已登记过该文号"
			}
		}
		return sw.SetRow("A"+strconv.Itoa(out), rowCells(append(cells, res, why)))
	}
	if t != nil {
		width := len(t.header)
		dateCol, hasDate := t.col["decided_on"]
		for {
			row, rec, err := t.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return errTableRead(err)
			}
			cells := make([]string, width)
			copy(cells, rec)
			if hasDate && dateCol < width {
				cells[dateCol] = importDate(cells[dateCol], t.numeric)
			}
			r, ok := byRow[row]
			if err := write(cells, r, ok); err != nil {
				return err
			}
		}
	} else {
		for _, r := range rows {
			if err := write([]string{strconv.Itoa(r.Row), r.DecisionNo}, r, true); err != nil {
				return err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	setAttachment(c, xlsxContentType, fmt.Sprintf("import-%d-result.xlsx", imp.ID), fmt.Sprintf("导入结果-第%d号.xlsx", imp.ID))
	return writeXLSX(f, c.Response().BodyWriter())
}
