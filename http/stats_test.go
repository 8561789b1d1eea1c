package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"xinyong/storage"
)

// seedStats writes three decided repair cases of March 2026: scjgj one in time (2 + 3 working days) and one late
// (5 + 8), sthjj one in time (1 + 5); and a withdrawal confirmed by 信用中国 two working days after its order.
func seedStats(t *testing.T, e *testEnv) {
	ctx := context.Background()
	var ruleSet string
	require.NoError(t, e.db.GetContext(ctx, &ruleSet, `SELECT id FROM rule_sets ORDER BY id LIMIT 1`))
	uscc := storage.DemoEnterprises[0].USCC
	for i, r := range []struct {
		dept, applied, accepted, decided, status string
		inTime                                   bool
	}{
		{"scjgj", "2026-03-02", "2026-03-04", "2026-03-09", "approved", true},
		{"scjgj", "2026-03-03", "2026-03-10", "2026-03-20", "refused", false},
		{"sthjj", "2026-03-05", "2026-03-06", "2026-03-13", "approved", true},
	} {
		var p int64
		require.NoError(t, e.db.GetContext(ctx, &p, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name,
				decided_on, penalty_types, class, rule_set, published, publish_due, repair_eligible_from, publication_ends,
				created_by, status)
			VALUES ($1, $2, $3, '企业', '2026-01-05', '{warning}', 'general', $4, true, '2026-01-12', '2026-02-05', '2027-01-05', 'test', 'published')
			RETURNING id`, r.dept, fmt.Sprintf("统计〔2026〕%d号", i), uscc, ruleSet))
		_, err := e.db.ExecContext(ctx, `INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on,
				applicant_login, commitment_accepted_at, status, received_on, accepted_on, decided_on, decided_in_time)
			VALUES ($1, $2, $3, $4, $5, 'test', now(), $6, $5, $7, $8, $9)`, p, uscc, r.dept, ruleSet, r.applied, r.status,
			r.accepted, r.decided, r.inTime)
		require.NoError(t, err)
		if i == 0 {
			var w int64
			require.NoError(t, e.db.GetContext(ctx, &w, `INSERT INTO withdrawals (penalty_id, cause, ordered_on)
				VALUES ($1, 'repair', '2026-03-09') RETURNING id`, p))
			_, err = e.db.ExecContext(ctx, `INSERT INTO withdrawal_channels (withdrawal_id, channel_id, status, due_on, confirmed_at)
				VALUES ($1, 'creditchina', 'confirmed', '2026-03-12', '2026-03-11T15:00:00+08:00')`, w)
			require.NoError(t, err)
		}
	}
}

func TestStatsAPIScopesAndValidates(t *testing.T) {
	e := newTestEnv(t)
	seedStats(t, e)
	office, dept := e.token("office"), e.token("sthjj")

	st := decode[storage.Statistics](t, e.do("GET", "/api/v1/stats?from=2026-03&to=2026-04", office, nil))
	assert.Equal(t, 3, st.Total.Repairs.Decided)
	assert.Equal(t, 2, st.Total.Repairs.DecidedInTime)
	assert.Equal(t, 1, st.Total.Repairs.DecidedLate)
	require.Len(t, st.Departments, 3)
	assert.Equal(t, "scjgj", st.Departments[0].DepartmentID)
	assert.Equal(t, 0.5, *st.Departments[0].Repairs.InTimeShare)
	assert.Equal(t, 5.5, *st.Departments[0].Repairs.Decision.AverageWorkdays)
	require.Len(t, st.Channels, 1)
	assert.Equal(t, 2.0, *st.Channels[0].Lag.AverageWorkdays)

	// A department sees its own figures; asking for another's is refused.
	own := decode[storage.Statistics](t, e.do("GET", "/api/v1/stats?from=2026-03&to=2026-03", dept, nil))
	assert.Equal(t, "sthjj", own.DepartmentID)
	assert.Equal(t, 1, own.Total.Repairs.Decided)
	assert.Empty(t, own.Channels)
	resp := e.do("GET", "/api/v1/stats?department=scjgj", dept, nil)
	assert.Equal(t, 403, resp.StatusCode)

	for q, code := range map[string]string{"from=2026-3": "invalid_month", "from=2026-05&to=2026-03": "invalid_period",
		"from=2020-01&to=2026-03": "period_too_long"} {
		resp := e.do("GET", "/api/v1/stats?"+q, office, nil)
		assert.Equal(t, 422, resp.StatusCode, q)
		body, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(body), code, q)
	}
	assert.Equal(t, 403, e.do("GET", "/api/v1/stats", e.token(storage.DemoEnterprises[0].USCC), nil).StatusCode)

	// The workbook holds the same figures.
	resp = e.do("GET", "/stats.xlsx?from=2026-03&to=2026-04", office, nil)
	require.Equal(t, 200, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	rows, err := x.GetRows("部门汇总")
	require.NoError(t, err)
	require.Len(t, rows, 5) // header, three departments, total
	assert.Equal(t, []string{"2026-03至2026-04", "市场监督管理局", "2", "2", "2", "1", "1", "50.0%"}, rows[1][:8])
	assert.Equal(t, "合计", rows[4][1])
	ch, err := x.GetRows("撤下公示渠道")
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-03至2026-04", "信用中国", "1", "2.0", "2.0"}, ch[1])
}

// browserLogin signs a demo login in.
func browserLogin(t *testing.T, ctx context.Context, base, login string) {
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#login-form", chromedp.ByID),
		chromedp.SendKeys("#login", login, chromedp.ByID),
		chromedp.SendKeys("#password", storage.DemoPassword, chromedp.ByID),
		chromedp.Click("#submit", chromedp.ByID),
		chromedp.WaitVisible("#home-title", chromedp.ByID),
	))
}

func TestBrowserStatsPageForOfficeAndDepartment(t *testing.T) {
	e := newTestEnv(t)
	seedStats(t, e)
	base := e.serve()

	t.Run("office", func(t *testing.T) {
		ctx := newBrowser(t)
		browserLogin(t, ctx, base, "office")
		var table, chart, period string
		var bars int
		var nodes []string
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/stats?from=2026-03&to=2026-04"),
			chromedp.WaitVisible("#chart-in-time", chromedp.ByID),
			chromedp.Text("#stats-departments", &table, chromedp.ByID),
			chromedp.Text("#stats-period", &period, chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll('#chart-in-time rect.bar').length`, &bars),
			chromedp.Evaluate(`document.querySelector('#chart-in-time').getBoundingClientRect().width > 100 ? 'drawn' : 'empty'`, &chart),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#stats-filter select[name=department] option')).map(o => o.textContent)`, &nodes),
		))
		assert.Contains(t, period, "2026-03 至 2026-04")
		assert.Equal(t, "drawn", chart)
		assert.Equal(t, 6, bars, "in time and late for three departments")
		for _, want := range []string{"市场监督管理局", "生态环境局", "应急管理局", "合计", "50.0%", "100.0%"} {
			assert.Contains(t, table, want)
		}
		assert.Contains(t, nodes, "全部部门")
		var channels string
		require.NoError(t, chromedp.Run(ctx, chromedp.Text("#stats-channels", &channels, chromedp.ByID)))
		assert.Contains(t, channels, "信用中国")
		assert.Contains(t, channels, "2.0")
		shot(t, ctx, "stats-office")
	})

	t.Run("department", func(t *testing.T) {
		ctx := newBrowser(t)
		browserLogin(t, ctx, base, "sthjj")
		var table string
		var selects, bars int
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/stats?from=2026-03&to=2026-04"),
			chromedp.WaitVisible("#chart-in-time", chromedp.ByID),
			chromedp.Text("#stats-departments", &table, chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll('#stats-filter select').length`, &selects),
			chromedp.Evaluate(`document.querySelectorAll('#chart-in-time rect.bar').length`, &bars),
		))
		assert.Contains(t, table, "生态环境局")
		assert.Contains(t, table, "100.0%")
		assert.NotContains(t, table, "市场监督管理局")
		assert.Equal(t, 0, selects, "a department has no department filter")
		assert.Equal(t, 2, bars)
		assert.True(t, strings.Contains(table, "5.0"), "decision took 5 working days: %s", table)
		shot(t, ctx, "stats-department")
	})
}

// shot saves a screenshot when STATS_SHOTS names a folder (for a person to look at).
func shot(t *testing.T, ctx context.Context, name string) {
	dir := strings.TrimSpace(os.Getenv("STATS_SHOTS"))
	if dir == "" {
		return
	}
	var buf []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)))
	require.NoError(t, os.WriteFile(dir+"/"+name+".png", buf, 0o644))
}
