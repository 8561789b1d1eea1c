package storage_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// statsFixture writes a small hand-made data set (see the expected figures in TestStatisticsOfAHandMadeDataSet).
type statsFixture struct {
	t       *testing.T
	db      *storage.DB
	ruleSet string
	n       int
}

func (f *statsFixture) exec(q string, args ...any) {
	f.t.Helper()
	_, err := f.db.ExecContext(context.Background(), q, args...)
	require.NoError(f.t, err, q)
}

// penalty registers a record of dept for uscc and returns its id.
func (f *statsFixture) penalty(dept, uscc string) int64 {
	f.t.Helper()
	f.n++
	var id int64
	require.NoError(f.t, f.db.GetContext(context.Background(), &id, `INSERT INTO penalties (department_id, decision_no, uscc,
			enterprise_name, decided_on, penalty_types, class, rule_set, published, publish_due, repair_eligible_from,
			publication_ends, created_by, status)
		VALUES ($1, $2, $3, '测试企业', '2026-01-05', '{warning}', 'general', $4, true, '2026-01-12', '2026-04-05', '2027-01-05', 'test', 'published')
		RETURNING id`, dept, fmt.Sprintf("测试罚〔2026〕%d号", f.n), uscc, f.ruleSet))
	return id
}

// repair writes a repair case; empty dates stay NULL.
func (f *statsFixture) repair(dept, uscc, status, applied, accepted, decided string, inTime bool) {
	f.t.Helper()
	p := f.penalty(dept, uscc)
	f.exec(`INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on, applicant_login, commitment_accepted_at,
			created_at, status, received_on, accepted_on, decided_on, decided_in_time)
		VALUES ($1, $2, $3, $4, $5::date, 'test', now(), ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $6, $5::date,
			NULLIF($7, '')::date, NULLIF($8, '')::date, CASE WHEN $8 = '' THEN NULL ELSE $9::boolean END)`,
		p, uscc, dept, f.ruleSet, applied, status, accepted, decided, inTime)
}

func (f *statsFixture) objection(dept, uscc, filed, resolved, outcome string, inTime bool) {
	f.t.Helper()
	p := f.penalty(dept, uscc)
	status := "closed"
	if resolved == "" {
		status = "verifying"
	}
	f.exec(`INSERT INTO objections (penalty_id, uscc, department_id, grounds, rule_set, filed_on, filed_by, filed_by_role,
			commitment_accepted_at, status, resolved_on, outcome, resolved_in_time)
		VALUES ($1, $2, $3, 'wrong_content', $4, $5, 'test', 'enterprise', now(), $6, NULLIF($7, '')::date, NULLIF($8, ''),
			CASE WHEN $7 = '' THEN NULL ELSE $9::boolean END)`, p, uscc, dept, f.ruleSet, filed, status, resolved, outcome, inTime)
}

// withdrawal orders a record of dept withdrawn on ordered; confirmed maps a channel to its confirmation time
// (RFC 3339, "" for not confirmed).
func (f *statsFixture) withdrawal(dept, ordered string, confirmed map[string]string) {
	f.t.Helper()
	p := f.penalty(dept, "91321191MA27R1HJ58")
	var w int64
	require.NoError(f.t, f.db.GetContext(context.Background(), &w, `INSERT INTO withdrawals (penalty_id, cause, ordered_on)
		VALUES ($1, 'expiry', $2) RETURNING id`, p, ordered))
	for ch, at := range confirmed {
		f.exec(`INSERT INTO withdrawal_channels (withdrawal_id, channel_id, status, due_on, confirmed_at)
			VALUES ($1, $2, CASE WHEN $3 = '' THEN 'sent' ELSE 'confirmed' END, $4, NULLIF($3, '')::timestamptz)`, w, ch, at, ordered)
	}
}

const (
	entA = "91350100M000100Y43"
	entB = "91321100MA1MXY2K09"
	entC = "91321102MA20A8B3XG"
	entD = "91321111MA1P4Q6L2D"
	entE = "92321100MA22C5T7P6"
)

func newStatsFixture(t *testing.T) *statsFixture {
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx))
	f := &statsFixture{t: t, db: db}
	require.NoError(t, db.GetContext(ctx, &f.ruleSet, `SELECT id FROM rule_sets ORDER BY id LIMIT 1`))

	// Repairs. scjgj: R1 accepted after 2 working days, decided 3 later in time; R2 accepted after 5, decided 8
	// later, late; R3 and R7 only received. sthjj: R4 accepted after 1, decided in April in time; R5 before the period.
	f.repair("scjgj", entA, "approved", "2026-03-02", "2026-03-04", "2026-03-09", true)
	f.repair("scjgj", entB, "refused", "2026-03-03", "2026-03-10", "2026-03-20", false)
	f.repair("scjgj", entC, "submitted", "2026-03-16", "", "", false)
	f.repair("sthjj", entE, "approved", "2026-03-05", "2026-03-06", "2026-04-07", true)
	f.repair("sthjj", entD, "submitted", "2026-02-27", "", "", false)
	f.repair("scjgj", entA, "submitted", "2026-03-25", "", "", false) // R7: A after its certificate

	// Objections. scjgj: 5 working days corrected in time, 20 upheld late; sthjj: 2 withdrawn in time, one open.
	f.objection("scjgj", entA, "2026-03-02", "2026-03-09", "corrected", true)
	f.objection("scjgj", entB, "2026-03-03", "2026-03-31", "upheld", false)
	f.objection("sthjj", entE, "2026-03-10", "2026-03-12", "withdrawn", true)
	f.objection("sthjj", entD, "2026-03-20", "", "", false)

	// Withdrawals: creditchina 2 and 1 working days, gsxt 5, dept-site 1 (at 23:30 Beijing on 31 March, still
	// March); one confirmation after the period (00:30 Beijing on 1 May) and one not confirmed.
	f.withdrawal("scjgj", "2026-03-02", map[string]string{"creditchina": "2026-03-04T10:00:00+08:00", "gsxt": "2026-03-09T10:00:00+08:00"})
	f.withdrawal("sthjj", "2026-03-10", map[string]string{"creditchina": "2026-03-11T10:00:00+08:00", "gsxt": ""})
	f.withdrawal("scjgj", "2026-03-30", map[string]string{"dept-site": "2026-03-31T23:30:00+08:00"})
	f.withdrawal("scjgj", "2026-04-29", map[string]string{"dept-site": "2026-05-01T00:30:00+08:00"})

	// A training on 18 March: scjgj enrolled A (80, passes) and B (50, fails), sthjj E (60 = pass score, passes),
	// C enrolled itself and did not come, D cancelled. A and E got certificates; A applied for a repair afterwards.
	var tr int64
	require.NoError(t, db.GetContext(ctx, &tr, `INSERT INTO trainings (title, starts_at, ends_at, venue, capacity, class_hours,
			agency_login, agency_name, pass_score, organizer, status, created_by)
		VALUES ('培训', '2026-03-18T09:00:00+08:00', '2026-03-18T17:00:00+08:00', '会议室', 50, 4, 'agency', '机构', 60, '市信用办', 'closed', 'office')
		RETURNING id`))
	enroll := func(uscc, status string, dept any, attended any, score any) {
		f.exec(`INSERT INTO training_enrollments (training_id, uscc, status, enrolled_by, enrolled_by_role, department_id,
				enrolled_at, attended, score, rev)
			VALUES ($1, $2, $3, 'test', 'department', $4, now(), $5, $6, 1)`, tr, uscc, status, dept, attended, score)
	}
	enroll(entA, "enrolled", "scjgj", true, 80)
	enroll(entB, "enrolled", "scjgj", true, 50)
	enroll(entE, "enrolled", "sthjj", true, 60)
	enroll(entC, "enrolled", nil, false, nil)
	enroll(entD, "cancelled", "sthjj", nil, nil)
	for i, uscc := range []string{entA, entE} {
		var letter int64
		require.NoError(t, db.GetContext(ctx, &letter, `INSERT INTO letters (kind, case_kind, case_id, title, issuer, addressee,
				issued_on, sha256, verify_code, pdf) VALUES ('training_certificate', 'training', $1, '证明', '市信用办', '企业',
				'2026-03-18', 'x', $2, '\x00') RETURNING id`, fmt.Sprintf("%d-%s", tr, uscc), fmt.Sprintf("code%d", i)))
		f.exec(`INSERT INTO training_certificates (training_id, uscc, letter_id, score, created_at)
			VALUES ($1, $2, $3, 80, '2026-03-18T12:00:00+08:00')`, tr, uscc, letter)
	}
	return f
}

func period(t *testing.T, dept string) storage.StatsFilter {
	return storage.StatsFilter{From: domain.MustParseDate("2026-03-01"), To: domain.MustParseDate("2026-05-01"), DepartmentID: dept}
}

func fp(v float64) *float64 { return &v }

func step(n int, avg, p90 float64) storage.StepFigures {
	return storage.StepFigures{Count: n, AverageWorkdays: fp(avg), P90Workdays: fp(p90)}
}

func findCell(cells []storage.StatsCell, month, dept string) storage.StatsCell {
	for _, c := range cells {
		if c.Month == month && c.DepartmentID == dept {
			return c
		}
	}
	return storage.StatsCell{}
}

// The figures of a hand-made data set, counted by hand (working days of March 2026 have no holiday).
func TestStatisticsOfAHandMadeDataSet(t *testing.T) {
	f := newStatsFixture(t)
	st, err := f.db.Statistics(context.Background(), period(t, ""))
	require.NoError(t, err)
	assert.Equal(t, "2026-03", st.From)
	assert.Equal(t, "2026-04", st.To)

	sc := findCell(st.Departments, "", "scjgj")
	assert.Equal(t, "市场监督管理局", sc.DepartmentName)
	assert.Equal(t, storage.RepairFigures{Received: 4, Accepted: 2, Decided: 2, DecidedInTime: 1, DecidedLate: 1, InTimeShare: fp(0.5),
		Acceptance: step(2, 3.5, 5), Decision: step(2, 5.5, 8)}, sc.Repairs)
	assert.Equal(t, storage.ObjectionFigures{Filed: 2, Resolved: 2, ResolvedInTime: 1, ResolvedLate: 1, Corrected: 1, Upheld: 1,
		Verification: step(2, 12.5, 20)}, sc.Objections)
	assert.Equal(t, storage.TrainingFigures{Enrolled: 2, Attended: 2, Tested: 2, Passed: 1, AttendanceRate: fp(1), PassRate: fp(0.5),
		Certified: 1, RepairedAfter: 1}, sc.Trainings)

	// sthjj's decision is in April: 6 March to 7 April, with Qingming (4-6 April 2026) off.
	cal := domain.DefaultCalendar()
	april := float64(cal.WorkdaysBetween(domain.MustParseDate("2026-03-06"), domain.MustParseDate("2026-04-07")))
	assert.Equal(t, 21.0, april)
	st2 := findCell(st.Departments, "", "sthjj")
	assert.Equal(t, storage.RepairFigures{Received: 1, Accepted: 1, Decided: 1, DecidedInTime: 1, InTimeShare: fp(1),
		Acceptance: step(1, 1, 1), Decision: step(1, april, april)}, st2.Repairs)
	assert.Equal(t, storage.ObjectionFigures{Filed: 2, Resolved: 1, ResolvedInTime: 1, Withdrawn: 1, Verification: step(1, 2, 2)}, st2.Objections)
	assert.Equal(t, storage.TrainingFigures{Enrolled: 1, Attended: 1, Tested: 1, Passed: 1, AttendanceRate: fp(1), PassRate: fp(1),
		Certified: 1}, st2.Trainings)
	assert.Equal(t, storage.RepairFigures{}, findCell(st.Departments, "", "yjglj").Repairs, "a department without cases has its row")

	// Per month: sthjj decided nothing in March and one case in April.
	assert.Equal(t, 0, findCell(st.Months, "2026-03", "sthjj").Repairs.Decided)
	assert.Equal(t, 1, findCell(st.Months, "2026-04", "sthjj").Repairs.Decided)
	assert.Equal(t, 4, findCell(st.Months, "2026-03", "scjgj").Repairs.Received)

	// The total of every department, with the enterprise that enrolled itself.
	tot := st.Total
	assert.Equal(t, 5, tot.Repairs.Received)
	assert.Equal(t, 3, tot.Repairs.Accepted)
	assert.InDelta(t, 8.0/3, *tot.Repairs.Acceptance.AverageWorkdays, 1e-9)
	assert.Equal(t, 5.0, *tot.Repairs.Acceptance.P90Workdays)
	assert.Equal(t, 3, tot.Repairs.Decided)
	assert.Equal(t, 2, tot.Repairs.DecidedInTime)
	assert.Equal(t, 1, tot.Repairs.DecidedLate)
	assert.Equal(t, storage.TrainingFigures{Enrolled: 4, Attended: 3, Tested: 3, Passed: 2, AttendanceRate: fp(0.75), PassRate: fp(2.0 / 3),
		Certified: 2, RepairedAfter: 1}, tot.Trainings)
	assert.Equal(t, 4, tot.Objections.Filed)

	// Channels over the period.
	byChannel := map[string]storage.ChannelFigures{}
	for _, c := range st.Channels {
		byChannel[c.ChannelID] = c
	}
	assert.Len(t, byChannel, 3)
	assert.Equal(t, storage.ChannelFigures{ChannelID: "creditchina", ChannelName: "信用中国", Confirmed: 2, Lag: step(2, 1.5, 2)}, byChannel["creditchina"])
	assert.Equal(t, storage.ChannelFigures{ChannelID: "gsxt", ChannelName: "国家企业信用信息公示系统", Confirmed: 1, Lag: step(1, 5, 5)}, byChannel["gsxt"])
	assert.Equal(t, 1, byChannel["dept-site"].Confirmed, "confirmed at 23:30 Beijing on 31 March; 1 May 00:30 is outside")

	// A department sees its own figures only.
	own, err := f.db.Statistics(context.Background(), period(t, "sthjj"))
	require.NoError(t, err)
	require.Len(t, own.Departments, 1)
	assert.Equal(t, st2.Repairs, own.Departments[0].Repairs)
	assert.Equal(t, st2.Repairs, own.Total.Repairs)
	require.Len(t, own.Channels, 1)
	assert.Equal(t, storage.ChannelFigures{ChannelID: "creditchina", ChannelName: "信用中国", Confirmed: 1, Lag: step(1, 1, 1)}, own.Channels[0])
	for _, c := range own.Months {
		assert.Equal(t, "sthjj", c.DepartmentID)
	}

	// A period without the decisions: March alone.
	march, err := f.db.Statistics(context.Background(), storage.StatsFilter{From: domain.MustParseDate("2026-03-01"), To: domain.MustParseDate("2026-04-01")})
	require.NoError(t, err)
	assert.Equal(t, 2, march.Total.Repairs.Decided)
}

// The SQL count of working days agrees with domain's calendar, over covered years and a year without its notice.
func TestStatsWorkdaysMatchesTheCalendar(t *testing.T) {
	db := pgtest.New(t)
	cal, err := db.LoadCalendar(context.Background())
	require.NoError(t, err)
	pairs := [][2]string{{"2026-03-02", "2026-03-09"}, {"2026-09-25", "2026-10-12"}, {"2026-01-30", "2026-02-27"},
		{"2025-12-20", "2026-01-10"}, {"2027-04-28", "2027-05-10"}, {"2027-09-28", "2027-10-08"}, {"2026-03-09", "2026-03-02"},
		{"2026-03-02", "2026-03-02"}}
	for _, p := range pairs {
		a, b := domain.MustParseDate(p[0]), domain.MustParseDate(p[1])
		var n int
		require.NoError(t, db.GetContext(context.Background(), &n, `SELECT stats_workdays($1, $2)`, a, b))
		assert.Equal(t, cal.WorkdaysBetween(a, b), n, "%s..%s", p[0], p[1])
	}
}

// With many cases over ten years, a month's statistics read every table by an index on the period's dates: no
// query scans all cases.
func TestStatisticsReadThePeriodByIndex(t *testing.T) {
	f := newStatsFixture(t)
	ctx := context.Background()
	// 20,000 penalties over eleven years, each with a decided repair, a resolved objection and a confirmed withdrawal;
	// 2,000 trainings with an enrollment and a certificate.
	f.exec(`INSERT INTO enterprises (uscc, name) SELECT 'BULK' || lpad(g::text, 14, '0'), '企业' || g FROM generate_series(0, 1999) g`)
	f.exec(`INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on, penalty_types, class, rule_set,
			published, publish_due, repair_eligible_from, publication_ends, created_by, status)
		SELECT (ARRAY['scjgj', 'sthjj', 'yjglj'])[1 + g % 3], 'bulk-' || g, 'BULK' || lpad((g % 2000)::text, 14, '0'), '企业', DATE '2017-01-01' + g / 5, '{warning}',
			'general', $1, true, DATE '2017-01-01' + g / 5, DATE '2017-01-01' + g / 5, DATE '2027-01-01', 'test', 'withdrawn'
		FROM generate_series(1, 20000) g`, f.ruleSet)
	f.exec(`INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on, applicant_login, commitment_accepted_at,
			status, received_on, accepted_on, decided_on, decided_in_time, created_at)
		SELECT id, uscc, department_id, $1, decided_on, 'test', now(), 'closed', decided_on, decided_on + 3, decided_on + 10, true,
			decided_on::timestamptz FROM penalties WHERE decision_no LIKE 'bulk-%'`, f.ruleSet)
	f.exec(`INSERT INTO objections (penalty_id, uscc, department_id, grounds, rule_set, filed_on, filed_by, filed_by_role,
			commitment_accepted_at, status, resolved_on, outcome, resolved_in_time)
		SELECT id, uscc, department_id, 'wrong_content', $1, decided_on, 'test', 'enterprise', now(), 'closed', decided_on + 5,
			'upheld', true FROM penalties WHERE decision_no LIKE 'bulk-%'`, f.ruleSet)
	f.exec(`INSERT INTO withdrawals (penalty_id, cause, ordered_on)
		SELECT id, 'expiry', decided_on FROM penalties WHERE decision_no LIKE 'bulk-%'`)
	f.exec(`INSERT INTO withdrawal_channels (withdrawal_id, channel_id, status, due_on, confirmed_at)
		SELECT w.id, 'creditchina', 'confirmed', w.ordered_on, w.ordered_on + interval '2 days'
		FROM withdrawals w JOIN penalties p ON p.id = w.penalty_id WHERE p.decision_no LIKE 'bulk-%'`)
	f.exec(`INSERT INTO trainings (title, starts_at, ends_at, venue, capacity, class_hours, agency_login, agency_name, pass_score,
			organizer, status, created_by)
		SELECT 'bulk', TIMESTAMPTZ '2017-01-02 09:00+08' + g * interval '1 day', TIMESTAMPTZ '2017-01-02 17:00+08' + g * interval '1 day',
			'会议室', 50, 4, 'agency', '机构', 60, '市信用办', 'closed', 'office' FROM generate_series(1, 2000) g`)
	f.exec(`INSERT INTO training_enrollments (training_id, uscc, status, enrolled_by, enrolled_by_role, department_id, enrolled_at,
			attended, score, rev)
		SELECT id, 'BULK' || lpad((id % 2000)::text, 14, '0'), 'enrolled', 'test', 'department', 'scjgj', starts_at, true, 70, 1
		FROM trainings WHERE title = 'bulk'`)
	f.exec(`INSERT INTO letters (kind, case_kind, case_id, title, issuer, addressee, issued_on, sha256, verify_code, pdf)
		SELECT 'training_certificate', 'training', 'bulk-' || id, '证明', '市信用办', '企业', starts_at::date, 'x', 'bulk-' || id, '\x00'
		FROM trainings WHERE title = 'bulk'`)
	f.exec(`INSERT INTO training_certificates (training_id, uscc, letter_id, score, created_at)
		SELECT t.id, e.uscc, l.id, 70, t.ends_at FROM trainings t JOIN letters l ON l.case_id = 'bulk-' || t.id
			JOIN training_enrollments e ON e.training_id = t.id`)
	f.exec(`ANALYZE`)

	from, to := domain.MustParseDate("2026-03-01"), domain.MustParseDate("2026-04-01")
	big := regexp.MustCompile(`Seq Scan on (repairs|objections|withdrawal_channels|withdrawals|penalties|trainings|training_enrollments|training_certificates)\b`)
	for _, dept := range []string{"", "scjgj"} {
		for name, q := range storage.StatisticsQueries {
			a := []any{from, to, dept}
			if storage.StatisticsTimeQueries[name] {
				a = []any{from.Time(domain.Shanghai), to.Time(domain.Shanghai), dept}
			}
			var plan []string
			require.NoError(t, f.db.SelectContext(ctx, &plan, `EXPLAIN `+q, a...), name)
			text := strings.Join(plan, "\n")
			assert.NotRegexp(t, big, text, "%s (department %q) scans a whole table:\n%s", name, dept, text)
			assert.Regexp(t, `Index|Bitmap`, text, name)
		}
	}
	// And the figures are still right with the bulk around them (the bulk's cases of March 2026 are its own).
	st, err := f.db.Statistics(ctx, storage.StatsFilter{From: from, To: to, DepartmentID: "scjgj"})
	require.NoError(t, err)
	var bulk int
	require.NoError(t, f.db.GetContext(ctx, &bulk, `SELECT count(*) FROM repairs WHERE department_id = 'scjgj'
		AND applied_on >= '2026-03-01' AND applied_on < '2026-04-01'`))
	assert.Greater(t, bulk, 4)
	assert.Equal(t, bulk, st.Total.Repairs.Received)
}
