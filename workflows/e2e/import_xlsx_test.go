package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"xinyong/domain"
	"xinyong/storage"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importXLSXFile is importFile's rows as a department's system writes them: an .xlsx with the national headers,
// the fine in 万元 as a number.
func importXLSXFile(t *testing.T, n int, prefix string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(t, err)
	require.NoError(t, sw.SetRow("A1", []any{domain.NatSubjectName, domain.NatSubjectCategory, domain.NatSubjectUSCC,
		domain.NatDecisionNo, domain.NatPenaltyCategory, domain.NatFineWan, domain.NatDecidedOn}))
	for i := range n {
		e := storage.DemoEnterprises[i%len(storage.DemoEnterprises)]
		require.NoError(t, sw.SetRow(fmt.Sprintf("A%d", i+2), []any{e.Name, "法人及非法人组织", e.USCC,
			fmt.Sprintf("%s〔2026〕%d号", prefix, i+1), "罚款", domain.YuanToWan(fmt.Sprintf("%d.00", 6000+i%90000)),
			fmt.Sprintf("2026-%02d-%02d", 6+i%5, 1+i%28)}))
	}
	require.NoError(t, sw.Flush())
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

func (s *stack) importXLSX(token string, body []byte) (map[string]any, int) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.base+"/api/v1/penalties/import", bytes.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", xlsxType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	return out, resp.StatusCode
}

// TestImportXLSX10000RowsBenchmark (issue 19): a 10,000-row .xlsx in the national format imports at the rate of
// the same rows as CSV, measured in the same run on the real stack (the HTTP answer, and the time until every
// lifecycle is started). Slow, so only with XINYONG_BENCH_IMPORT=1:
//
//	XINYONG_BENCH_IMPORT=1 go test ./workflows/e2e/ -run TestImportXLSX10000RowsBenchmark -v -timeout 60m
func TestImportXLSX10000RowsBenchmark(t *testing.T) {
	if os.Getenv("XINYONG_BENCH_IMPORT") != "1" {
		t.Skip("set XINYONG_BENCH_IMPORT=1 to run the 10,000-row xlsx import benchmark")
	}
	const n = 10000
	s := newStack(t)
	tok := s.token("sthjj")
	measure := func(kind string, post func() (map[string]any, int)) (answered, started time.Duration) {
		begin := time.Now()
		out, status := post()
		answered = time.Since(begin)
		require.Equal(t, 201, status, "%v", out["error"])
		require.EqualValues(t, n, out["registered"], "%s: %v", kind, out["rows"])
		s.waitImport(tok, int64(out["id"].(float64)), 30*time.Minute)
		started = time.Since(begin)
		t.Logf("%s, %d rows: HTTP answer in %s; all lifecycles started after %s (%.0f/s)", kind, n,
			answered.Round(time.Millisecond), started.Round(time.Second), n/started.Seconds())
		return answered, started
	}
	csvFile := importFile(n, "镇环罚C")
	xlsxFile := importXLSXFile(t, n, "镇环罚X")
	csvAnswer, csvStarted := measure("csv", func() (map[string]any, int) { return s.importCSV(tok, csvFile) })
	xlsxAnswer, xlsxStarted := measure("xlsx", func() (map[string]any, int) { return s.importXLSX(tok, xlsxFile) })
	t.Logf("xlsx/csv: answer %.2f×, lifecycles started %.2f× the CSV time", xlsxAnswer.Seconds()/csvAnswer.Seconds(),
		xlsxStarted.Seconds()/csvStarted.Seconds())
	// Reading a spreadsheet costs a little more than CSV; the whole import must still run at the CSV rate (within
	// the 0.5× margin issue 17 allows against its baseline).
	require.Less(t, xlsxStarted.Seconds(), 2*csvStarted.Seconds(), "xlsx import at least half the CSV rate")
}
