package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"xinyong/storage"
)

// TestExportMillionPenaltiesBenchmark (issue 19, acceptance 2): 1,000,000 penalties of one department export as
// .xlsx through the real HTTP server with the process's peak RSS under 200 MB, and the exported file imports again
// with "already registered" for every row. The import takes at most maxImportRows rows a file, so the benchmark
// uploads the exported rows in files of that size, as a department would. It is slow, so it runs only with
// XINYONG_BENCH_EXPORT=1 (XINYONG_BENCH_EXPORT_ROWS sets another volume):
//
//	XINYONG_BENCH_EXPORT=1 go test ./http/ -run TestExportMillionPenaltiesBenchmark -v -timeout 60m
func TestExportMillionPenaltiesBenchmark(t *testing.T) {
	if os.Getenv("XINYONG_BENCH_EXPORT") != "1" {
		t.Skip("set XINYONG_BENCH_EXPORT=1 to run the 1,000,000-row export benchmark")
	}
	n := 1_000_000
	if v := os.Getenv("XINYONG_BENCH_EXPORT_ROWS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	e, _ := newPenaltyEnv(t)
	seedDepartmentPenalties(t, e.db, "sthjj", n)
	base := e.serve()
	tok := e.token("sthjj")

	out, err := os.CreateTemp(t.TempDir(), "export-*.xlsx")
	require.NoError(t, err)
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatusKB(t, "VmRSS")
	// Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS, so the peak below is the export's.
	require.NoError(t, os.WriteFile("/proc/self/clear_refs", []byte("5"), 0))
	begin := time.Now()
	req, err := http.NewRequest("GET", base+"/api/v1/penalties/export?format=xlsx", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	size, err := io.Copy(out, resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	took := time.Since(begin)
	peak := procStatusKB(t, "VmHWM")
	t.Logf("export of %d penalties as xlsx: %.1f MB in %s; RSS before %d MB, peak during the export %d MB",
		n, float64(size)/1e6, took.Round(time.Second), before/1024, peak/1024)
	require.Less(t, peak, int64(200*1024), "peak RSS of the exporting process stays under 200 MB")
	require.NoError(t, out.Close())

	// Re-import, in files of the import's maximum size.
	f, err := excelize.OpenFile(out.Name())
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	require.NoError(t, err)
	require.True(t, rows.Next())
	header, err := rows.Columns()
	require.NoError(t, err)
	var chunk [][]string
	total, already := 0, 0
	begin = time.Now()
	flush := func() {
		if len(chunk) == 0 {
			return
		}
		// Each file is an .xlsx with the export's header and its next rows, as the department would cut it.
		cf, sw, err := newSheet("行政处罚", header)
		require.NoError(t, err)
		for i, r := range chunk {
			require.NoError(t, sw.SetRow("A"+strconv.Itoa(i+2), rowCells(r)))
		}
		require.NoError(t, sw.Flush())
		var buf bytes.Buffer
		require.NoError(t, writeXLSX(cf, &buf))
		require.NoError(t, cf.Close())
		got := decode[importAnswer](t, e.importRaw(tok, xlsxContentType, buf.Bytes()))
		require.Equal(t, len(chunk), got.AlreadyRegistered, "%+v", firstProblems(got.Rows))
		require.Zero(t, got.Registered)
		total += got.TotalRows
		already += got.AlreadyRegistered
		chunk = chunk[:0]
	}
	for rows.Next() {
		r, err := rows.Columns()
		require.NoError(t, err)
		chunk = append(chunk, r)
		if len(chunk) == maxImportRows {
			flush()
		}
	}
	flush()
	require.Equal(t, n, total)
	require.Equal(t, n, already)
	t.Logf("re-import of the %d exported rows (%d files): every row already registered, in %s", n,
		(n+maxImportRows-1)/maxImportRows, time.Since(begin).Round(time.Second))
}

// procStatusKB reads a field of /proc/self/status in kB.
func procStatusKB(t *testing.T, field string) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// seedDepartmentPenalties stores n valid penalties of one department (the demo enterprises in turn), set-based.
func seedDepartmentPenalties(t *testing.T, db *storage.DB, dept string, n int) {
	t.Helper()
	ctx := context.Background()
	var usccs, names []string
	for _, e := range storage.DemoEnterprises {
		usccs, names = append(usccs, e.USCC), append(names, e.Name)
	}
	begin := time.Now()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
			penalty_types, fine_amount_yuan, class, rule_set, published, publish_due, repair_eligible_from, publication_ends,
			status, created_by, delivery_due, facts, legal_basis, lifecycle_started_at)
		SELECT $1, '镇环罚〔2026〕' || i || '号', ($2::text[])[i % $4 + 1], ($3::text[])[i % $4 + 1],
			date '2026-01-05' + (i % 300), '{fine}', 6000.50 + (i % 1000), 'general', 'ndrc-2026', true,
			date '2026-01-12' + (i % 300), date '2026-04-05' + (i % 300), date '2029-01-05' + (i % 300), 'published', 'seed',
			date '2026-01-15' + (i % 300), '违法事实' || i, '处罚依据', now()
		FROM generate_series(1, $5) i`, dept, pq.StringArray(usccs), pq.StringArray(names), len(usccs), n)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `ANALYZE penalties`)
	require.NoError(t, err)
	t.Logf("seeded %d penalties in %s", n, time.Since(begin).Round(time.Millisecond))
}
