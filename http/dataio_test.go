package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"xinyong/domain"
	"xinyong/storage"
)

// Issue 19: import in the national 双公示 format and exports of the lists.

// nationalXLSX writes an .xlsx as a department's system would: the national headers, amounts in 万元 (as numbers),
// the decision date as a date cell.
func nationalXLSX(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	header := []string{domain.NatSubjectName, domain.NatSubjectCategory, domain.NatSubjectUSCC, domain.NatDecisionNo,
		domain.NatPenaltyCategory, "罚款金额(万元)", domain.NatConfiscationWan, domain.NatDecidedOn, domain.NatFacts,
		domain.NatLegalBasis, domain.NatAuthority, domain.NatPublicationEnds}
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &header))
	for i, r := range rows {
		require.NoError(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

func (e *testEnv) importRaw(token, contentType string, body []byte) *http.Response {
	e.t.Helper()
	return e.raw("POST", "/api/v1/penalties/import", token, contentType, body)
}

// readXLSX reads the first sheet of a downloaded workbook.
func readXLSX(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, xlsxContentType, resp.Header.Get("Content-Type"))
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	require.NoError(t, err)
	return rows
}

func TestNationalXLSXImportConvertsWanExactlyAndRefusesNaturalPersons(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	body := nationalXLSX(t, [][]any{
		{a.Name, "法人及非法人组织", a.USCC, "镇环罚〔2026〕101号", "罚款；没收违法所得、没收非法财物", 1.5, "0.123456", "2026-05-20", "超标排放", "《大气污染防治法》第九十九条", "镇江市生态环境局", "2029-05-20"},
		{b.Name, "", b.USCC, "镇环罚〔2026〕102号", "警告", "", "", "2026/5/21", "未按规定", "依据", "", ""},
		{"张三", "自然人", "", "镇环罚〔2026〕103号", "罚款", 0.02, "", "2026-05-20", "", "", "", ""},
		{a.Name, "法人及非法人组织", a.USCC, "镇环罚〔2026〕104号", "罚款", "0.0000001", "", "2026-05-20", "", "", "", ""},
		{a.Name, "法人及非法人组织", a.USCC, "镇环罚〔2026〕105号", "罚款；行政拘留", 1, "", "2026-05-20", "", "", "", ""},
		{a.Name, "法人及非法人组织", a.USCC, "镇环罚〔2026〕106号", "罚款", 12345.678901, "", 46162, "", "", "", ""},
		{a.Name, "法人及非法人组织", a.USCC, "镇环罚〔2026〕107号", "罚款", sum(0.1, 0.2), "", "2026-05-20", "", "", "", ""},
	})
	resp := e.importRaw(tok, xlsxContentType, body)
	require.Equal(t, 201, resp.StatusCode)
	got := decode[importAnswer](t, resp)
	require.Equal(t, 7, got.TotalRows)
	require.Equal(t, 4, got.Registered, "%+v", got.Rows)
	require.Equal(t, 3, got.Rejected)
	byNo := map[string]importRowJSON{}
	for _, r := range got.Rows {
		byNo[r.DecisionNo] = r
	}
	nat := byNo["镇环罚〔2026〕103号"]
	assert.Equal(t, "rejected", nat.Status)
	assert.Equal(t, "natural_person", nat.Code)
	assert.Contains(t, nat.Message, "自然人")
	assert.Contains(t, nat.Message, "信用中国")
	assert.Equal(t, 4, nat.Row, "rows are numbered as the sheet numbers them")
	assert.Equal(t, "invalid_amount", byNo["镇环罚〔2026〕104号"].Code)
	assert.Equal(t, "unknown_penalty_type", byNo["镇环罚〔2026〕105号"].Code)
	assert.Contains(t, byNo["镇环罚〔2026〕105号"].Message, "行政拘留")

	type stored struct {
		Fine  string        `db:"fine_amount_yuan"`
		Types pqStringArray `db:"penalty_types"`
		On    string        `db:"decided_on"`
		Facts string        `db:"facts"`
	}
	var p stored
	require.NoError(t, e.db.Get(&p, `SELECT fine_amount_yuan::text, penalty_types, decided_on::text, facts FROM penalties WHERE decision_no = '镇环罚〔2026〕101号'`))
	assert.Equal(t, "15000.00", p.Fine, "1.5 万元 is exactly 15000 yuan")
	assert.Equal(t, pqStringArray{"fine", "confiscation"}, p.Types)
	assert.Equal(t, "2026-05-20", p.On)
	assert.Equal(t, "超标排放", p.Facts)
	require.NoError(t, e.db.Get(&p, `SELECT fine_amount_yuan::text, penalty_types, decided_on::text, facts FROM penalties WHERE decision_no = '镇环罚〔2026〕102号'`))
	assert.Equal(t, "2026-05-21", p.On)
	assert.Equal(t, pqStringArray{"warning"}, p.Types)
	require.NoError(t, e.db.Get(&p, `SELECT fine_amount_yuan::text, penalty_types, decided_on::text, facts FROM penalties WHERE decision_no = '镇环罚〔2026〕106号'`))
	assert.Equal(t, "123456789.01", p.Fine, "a number cell of 12345.678901 万元 keeps every digit")
	assert.Equal(t, "2026-05-20", p.On, "a date serial number is read as its date")
	require.NoError(t, e.db.Get(&p, `SELECT fine_amount_yuan::text, penalty_types, decided_on::text, facts FROM penalties WHERE decision_no = '镇环罚〔2026〕107号'`))
	assert.Equal(t, "3000.00", p.Fine, "a computed cell's binary noise (0.30000000000000004) is not an amount")

	// The result file: the department's own rows with the result columns added.
	rows := readXLSX(t, e.do("GET", fmt.Sprintf("/api/v1/penalties/imports/%d/result", got.ID), tok, nil))
	require.Len(t, rows, 8)
	assert.Equal(t, []string{"导入结果", "说明"}, rows[0][len(rows[0])-2:])
	assert.Equal(t, domain.NatSubjectName, rows[0][0])
	last := func(r []string) (string, string) {
		cell := func(i int) string {
			if i < len(r) {
				return r[i]
			}
			return ""
		}
		return cell(len(rows[0]) - 2), cell(len(rows[0]) - 1)
	}
	res, why := last(rows[1])
	assert.Equal(t, "已登记", res)
	assert.Empty(t, why)
	res, why = last(rows[3])
	assert.Equal(t, "张三", rows[3][0])
	assert.Equal(t, "未导入", res)
	assert.Contains(t, why, "自然人")
	assert.Equal(t, "2026-05-20", rows[6][7], "the date column shows the date, not its serial number")
	// Another department does not get it.
	assert.Equal(t, 404, e.do("GET", fmt.Sprintf("/api/v1/penalties/imports/%d/result", got.ID), e.token("scjgj"), nil).StatusCode)

	// The same file again registers nothing.
	again := decode[importAnswer](t, e.importRaw(tok, xlsxContentType, body))
	assert.Equal(t, 0, again.Registered)
	assert.Equal(t, 4, again.AlreadyRegistered)
	// A file that claims to be xlsx and is not is one 422.
	requireError(t, e.importRaw(tok, xlsxContentType, []byte("decision_no\n")), 422, "invalid_xlsx")
}

// sum adds at run time (a constant expression would be exact), so the result carries float64's binary noise.
func sum(a, b float64) float64 { return a + b }

// pqStringArray scans a text[] column.
type pqStringArray []string

func (a *pqStringArray) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	}
	s = strings.Trim(s, "{}")
	*a = nil
	if s != "" {
		*a = strings.Split(s, ",")
	}
	return nil
}

func TestGBKCSVImportsWithChineseHeaders(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	a := storage.DemoEnterprises[1]
	text := strings.Join([]string{
		"行政处罚决定书文号,行政相对人名称,行政相对人代码_1（统一社会信用代码）,处罚类别,罚款金额（万元）,处罚决定日期,行政相对人类别,违法事实",
		"镇环罚〔2026〕201号," + a.Name + "," + a.USCC + ",罚款,2.05,2026年5月20日,法人及非法人组织,夜间施工噪声超标",
		"镇环罚〔2026〕202号,李四,,罚款,0.1,2026-05-20,自然人,",
	}, "\r\n") + "\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	require.NoError(t, err)
	require.False(t, bytes.Equal([]byte(gbk), []byte(text)))
	resp := e.postCSV(tok, gbk)
	require.Equal(t, 201, resp.StatusCode)
	got := decode[importAnswer](t, resp)
	require.Equal(t, 1, got.Registered, "%+v", got.Rows)
	require.Equal(t, 1, got.Rejected)
	assert.Equal(t, "natural_person", got.Rows[1].Code)
	var fine, facts string
	require.NoError(t, e.db.QueryRow(`SELECT fine_amount_yuan::text, facts FROM penalties WHERE decision_no = '镇环罚〔2026〕201号'`).Scan(&fine, &facts))
	assert.Equal(t, "20500.00", fine)
	assert.Equal(t, "夜间施工噪声超标", facts, "GBK text is stored as the same Chinese text")
	// A file in neither encoding is still refused as a whole.
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types\n\x80\xff,x,y,z,w\n"), 422, "invalid_encoding")
	// Both fine columns at once are ambiguous.
	requireError(t, e.postCSV(tok, "decision_no,uscc,enterprise_name,decided_on,penalty_types,fine_amount_yuan,罚款金额（万元）\nx,y,z,w,v,1,1\n"), 422, "invalid_csv_header")
}

func TestImportTemplatesDownload(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	rows := readXLSX(t, e.do("GET", "/api/v1/penalties/import/template?format=xlsx", tok, nil))
	require.Len(t, rows, 1)
	assert.Equal(t, domain.NationalPenaltyHeaders, rows[0])
	resp := e.do("GET", "/api/v1/penalties/import/template?format=csv", tok, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''")
	raw, _ := io.ReadAll(resp.Body)
	require.True(t, bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")))
	assert.Equal(t, strings.Join(domain.NationalPenaltyHeaders, ",")+"\n", string(raw[3:]))
	// The empty template is a valid import file: it says it has no rows.
	requireError(t, e.postCSV(tok, string(raw)), 422, "empty_csv")
	// The import page links both templates.
	b := e.browser()
	b.login("sthjj", storage.DemoPassword)
	_, html := b.get("/penalties/import")
	assert.Contains(t, html, `href="/api/v1/penalties/import/template?format=xlsx"`)
	assert.Contains(t, html, `href="/api/v1/penalties/import/template?format=csv"`)
	requireError(t, e.do("GET", "/api/v1/penalties/import/template?format=pdf", tok, nil), 422, "invalid_format")
}

// TestPenaltyExportRoundTrip: what the list shows exports in the national format, as xlsx and csv, and both files
// import again as "already registered" for every row.
func TestPenaltyExportRoundTrip(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	// 2,500 rows: more than one page of the export's cursor.
	resp := e.postCSV(tok, csvOf(2500, "镇环罚"))
	require.Equal(t, 201, resp.StatusCode)
	require.Equal(t, 2500, decode[importAnswer](t, resp).Registered)
	other := storage.DemoEnterprises[3]
	e.storeFine("scjgj", "镇市监罚〔2026〕1号", other)

	rows := readXLSX(t, e.do("GET", "/api/v1/penalties/export?format=xlsx", tok, nil))
	require.Len(t, rows, 2501, "a department exports its own records only")
	assert.Equal(t, domain.NationalPenaltyHeaders, rows[0])
	first := rows[1]
	assert.Equal(t, "镇环罚〔2026〕1号", first[4])
	assert.Equal(t, "罚款", first[8])
	assert.Equal(t, "0.60005", first[10], "6000.50 yuan is 0.60005 万元")
	assert.Equal(t, "2026-05-01", first[13])
	assert.NotEmpty(t, first[15], "the publication end")
	assert.Contains(t, first[16], "生态环境局")

	// Filters apply: one enterprise's records.
	ent := storage.DemoEnterprises[0]
	rows = readXLSX(t, e.do("GET", "/api/v1/penalties/export?format=xlsx&uscc="+ent.USCC, tok, nil))
	for _, r := range rows[1:] {
		require.Equal(t, ent.USCC, r[2])
	}
	require.Less(t, len(rows), 2501)
	requireError(t, e.do("GET", "/api/v1/penalties/export?format=xlsx&status=bogus", tok, nil), 422, "invalid_status")
	requireError(t, e.do("GET", "/api/v1/penalties/export?format=doc", tok, nil), 422, "invalid_format")

	// Re-import: the xlsx export.
	resp = e.do("GET", "/api/v1/penalties/export?format=xlsx", tok, nil)
	xlsx, _ := io.ReadAll(resp.Body)
	again := decode[importAnswer](t, e.importRaw(tok, xlsxContentType, xlsx))
	require.Equal(t, 2500, again.TotalRows)
	require.Equal(t, 2500, again.AlreadyRegistered, "%+v", firstProblems(again.Rows))
	require.Zero(t, again.Registered)
	require.Zero(t, again.Rejected)

	// And the csv export.
	resp = e.do("GET", "/api/v1/penalties/export?format=csv", tok, nil)
	require.Equal(t, 200, resp.StatusCode)
	raw, _ := io.ReadAll(resp.Body)
	require.True(t, bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")))
	recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2501)
	again = decode[importAnswer](t, e.postCSV(tok, string(raw)))
	require.Equal(t, 2500, again.AlreadyRegistered, "%+v", firstProblems(again.Rows))

	// The office sees every department's records.
	rows = readXLSX(t, e.do("GET", "/api/v1/penalties/export", e.token("office"), nil))
	require.Len(t, rows, 2502)
}

func firstProblems(rows []importRowJSON) []importRowJSON {
	var out []importRowJSON
	for _, r := range rows {
		if r.Status == "rejected" && len(out) < 5 {
			out = append(out, r)
		}
	}
	return out
}

// TestEveryListExports: each list's export answers its rows as xlsx and csv with Chinese headers, and the list
// pages link it with their filters.
func TestEveryListExports(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	for _, c := range []struct{ path, login, header string }{
		{"/api/v1/repairs/export", "scjgj", "案件编号"},
		{"/api/v1/objections/export", "office", "案件编号"},
		{"/api/v1/trainings/export", "office", "培训编号"},
		{"/api/v1/withdrawals/export?status=all", "office", "编号"},
		{"/api/v1/tasks/export", "scjgj", "事项"},
	} {
		tok := e.token(c.login)
		sep := "?"
		if strings.Contains(c.path, "?") {
			sep = "&"
		}
		rows := readXLSX(t, e.do("GET", c.path+sep+"format=xlsx", tok, nil))
		require.NotEmpty(t, rows, c.path)
		assert.Equal(t, c.header, rows[0][0], c.path)
		resp := e.do("GET", c.path+sep+"format=csv", tok, nil)
		require.Equal(t, 200, resp.StatusCode, c.path)
		raw, _ := io.ReadAll(resp.Body)
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF")))).ReadAll()
		require.NoError(t, err, c.path)
		assert.Equal(t, len(rows), len(recs), c.path)
	}
	// An enterprise cannot export what it may not list.
	ent := e.token(storage.DemoEnterprises[0].USCC)
	assert.Equal(t, 401, e.do("GET", "/api/v1/withdrawals/export", "", nil).StatusCode)
	rows := readXLSX(t, e.do("GET", "/api/v1/penalties/export", ent, nil))
	for _, r := range rows[1:] {
		assert.Equal(t, storage.DemoEnterprises[0].USCC, r[2])
	}

	b := e.browser()
	b.login("office", storage.DemoPassword)
	_, html := b.get("/penalties?status=published&department=sthjj")
	assert.Contains(t, html, `href="/api/v1/penalties/export?format=xlsx&amp;department=sthjj&amp;status=published"`)
	_, html = b.get("/repairs")
	assert.Contains(t, html, `id="repair-export-xlsx"`)
	_, html = b.get("/objections")
	assert.Contains(t, html, `id="objection-export-csv"`)
	_, html = b.get("/trainings")
	assert.Contains(t, html, `id="training-export-xlsx"`)
	_, html = b.get("/withdrawals?status=all")
	assert.Contains(t, html, `href="/api/v1/withdrawals/export?format=xlsx&amp;status=all"`)
}
