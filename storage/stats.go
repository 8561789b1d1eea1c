package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"xinyong/domain"
)

// StatsFilter selects the statistics of a period (whole months, Beijing time) and optionally one department.
type StatsFilter struct {
	// From is the first day of the first month; To the first day of the month after the last.
	From, To domain.Date
	// DepartmentID limits the figures to one department ("" for all).
	DepartmentID string
}

// StepFigures describe how long one step of a procedure took, in working days (domain.Calendar.WorkdaysBetween).
type StepFigures struct {
	Count int `json:"count"`
	// AverageWorkdays and P90Workdays are nil when no case finished the step in the period. P90 is the smallest
	// duration that at least 90% of the cases kept (percentile_disc).
	AverageWorkdays *float64 `json:"average_workdays"`
	P90Workdays     *float64 `json:"p90_workdays"`
}

// RepairFigures are the repair cases of a period: received (applied), accepted, decided in time or late against
// their legal deadline, and the working days of the acceptance and decision steps.
type RepairFigures struct {
	Received      int `json:"received"`
	Accepted      int `json:"accepted"`
	Decided       int `json:"decided"`
	DecidedInTime int `json:"decided_in_time"`
	DecidedLate   int `json:"decided_late"`
	// InTimeShare is DecidedInTime / Decided, nil when nothing was decided.
	InTimeShare *float64    `json:"in_time_share"`
	Acceptance  StepFigures `json:"acceptance"`
	Decision    StepFigures `json:"decision"`
}

// ObjectionFigures are the objections of a period: filed, resolved by outcome, in time or late, and the working
// days from filing to resolution.
type ObjectionFigures struct {
	Filed          int         `json:"filed"`
	Resolved       int         `json:"resolved"`
	ResolvedInTime int         `json:"resolved_in_time"`
	ResolvedLate   int         `json:"resolved_late"`
	Corrected      int         `json:"corrected"`
	Withdrawn      int         `json:"withdrawn"`
	Upheld         int         `json:"upheld"`
	Verification   StepFigures `json:"verification"`
}

// TrainingFigures are the enrollments of the training sessions that started in a period (attributed to the
// department that enrolled the enterprise; "" for enterprises that enrolled themselves), and the certificates of the
// period with the enterprises that applied for a repair after their certificate.
type TrainingFigures struct {
	Enrolled int `json:"enrolled"`
	Attended int `json:"attended"`
	Tested   int `json:"tested"`
	Passed   int `json:"passed"`
	// AttendanceRate is Attended / Enrolled and PassRate Passed / Tested; nil when the divisor is 0.
	AttendanceRate *float64 `json:"attendance_rate"`
	PassRate       *float64 `json:"pass_rate"`
	Certified      int      `json:"certified"`
	RepairedAfter  int      `json:"repaired_after"`
}

// StatsCell is the figures of one month and department; Month "" sums the period, DepartmentID "" with Month ""
// in Statistics.Total sums every department shown.
type StatsCell struct {
	Month          string           `json:"month"`
	DepartmentID   string           `json:"department_id"`
	DepartmentName string           `json:"department_name"`
	Repairs        RepairFigures    `json:"repairs"`
	Objections     ObjectionFigures `json:"objections"`
	Trainings      TrainingFigures  `json:"trainings"`
}

// ChannelFigures are the withdrawals a channel confirmed in a period and their lag, in working days from the
// withdrawal order to the confirmation. Month "" sums the period; DepartmentID "" every department shown.
type ChannelFigures struct {
	Month        string      `json:"month"`
	DepartmentID string      `json:"department_id"`
	ChannelID    string      `json:"channel_id"`
	ChannelName  string      `json:"channel_name"`
	Confirmed    int         `json:"confirmed"`
	Lag          StepFigures `json:"lag"`
}

// Statistics are the figures of a period: per month and department, per department over the period, the total,
// and the withdrawal confirmations per channel.
type Statistics struct {
	From         string           `json:"from"` // first month, YYYY-MM
	To           string           `json:"to"`   // last month, YYYY-MM
	DepartmentID string           `json:"department_id"`
	Months       []StatsCell      `json:"months"`      // per month and department
	Departments  []StatsCell      `json:"departments"` // per department, the whole period
	Total        StatsCell        `json:"total"`
	Channels     []ChannelFigures `json:"channels"`       // per channel, the whole period
	ChannelCells []ChannelFigures `json:"channel_months"` // per month, department and channel
}

// Grouping levels of the statistics' GROUPING SETS: a month and department, a department over the period, all.
const (
	groupCell  = 0
	groupDept  = 2
	groupTotal = 3
)

// statsGroups is the GROUPING SETS clause every statistics query shares (over columns month and dept).
const statsGroups = `GROUP BY GROUPING SETS ((month, dept), (dept), ()) `

// statsKey identifies a cell of the statistics.
type statsKey struct {
	g           int
	month, dept string
}

// statsRow is the common head of every statistics query's rows.
type statsRow struct {
	G     int            `db:"g"`
	Month sql.NullString `db:"month"`
	Dept  sql.NullString `db:"dept"`
}

func (r statsRow) key() statsKey { return statsKey{r.G, r.Month.String, r.Dept.String} }

// stepRow is a count with the average and p90 of a duration.
type stepRow struct {
	N   int             `db:"n"`
	Avg sql.NullFloat64 `db:"avg"`
	P90 sql.NullFloat64 `db:"p90"`
}

func (r stepRow) figures() StepFigures {
	f := StepFigures{Count: r.N}
	if r.Avg.Valid {
		f.AverageWorkdays = &r.Avg.Float64
	}
	if r.P90.Valid {
		f.P90Workdays = &r.P90.Float64
	}
	return f
}

// stepAggregates are the SELECT terms of a stepRow over the duration expression d.
func stepAggregates(d string) string {
	return `count(` + d + `) AS n, avg(` + d + `)::float8 AS avg,
		(percentile_disc(0.9) WITHIN GROUP (ORDER BY ` + d + `))::float8 AS p90`
}

// Statistics computes the figures of a period. Every query reads its cases by a range over an indexed date column
// of the period (migrations/00040_stats.sql), so the cost follows the period's cases, not all cases.
func (db *DB) Statistics(ctx context.Context, f StatsFilter) (Statistics, error) {
	out := Statistics{From: f.From.String()[:7], To: f.To.AddMonths(-1).String()[:7], DepartmentID: f.DepartmentID}
	cells := map[statsKey]*StatsCell{}
	cell := func(k statsKey) *StatsCell {
		c, ok := cells[k]
		if !ok {
			c = &StatsCell{Month: k.month, DepartmentID: k.dept}
			cells[k] = c
		}
		return c
	}
	from, to := f.From.Time(domain.Shanghai), f.To.Time(domain.Shanghai)
	args := []any{f.From, f.To, f.DepartmentID}

	var received []struct {
		statsRow
		N int `db:"n"`
	}
	if err := db.SelectContext(ctx, &received, statsReceivedSQL, args...); err != nil {
		return out, fmt.Errorf("statistics: repairs received: %w", err)
	}
	for _, r := range received {
		cell(r.key()).Repairs.Received = r.N
	}

	var accepted []struct {
		statsRow
		stepRow
	}
	if err := db.SelectContext(ctx, &accepted, statsAcceptedSQL, args...); err != nil {
		return out, fmt.Errorf("statistics: repairs accepted: %w", err)
	}
	for _, r := range accepted {
		c := cell(r.key())
		c.Repairs.Accepted = r.N
		c.Repairs.Acceptance = r.figures()
	}

	var decided []struct {
		statsRow
		stepRow
		InTime int `db:"in_time"`
		Late   int `db:"late"`
		All    int `db:"all_decided"`
	}
	if err := db.SelectContext(ctx, &decided, statsDecidedSQL, args...); err != nil {
		return out, fmt.Errorf("statistics: repairs decided: %w", err)
	}
	for _, r := range decided {
		c := cell(r.key())
		c.Repairs.Decided, c.Repairs.DecidedInTime, c.Repairs.DecidedLate = r.All, r.InTime, r.Late
		c.Repairs.Decision = r.figures()
		if r.All > 0 {
			share := float64(r.InTime) / float64(r.All)
			c.Repairs.InTimeShare = &share
		}
	}

	var filed []struct {
		statsRow
		N int `db:"n"`
	}
	if err := db.SelectContext(ctx, &filed, statsFiledSQL, args...); err != nil {
		return out, fmt.Errorf("statistics: objections filed: %w", err)
	}
	for _, r := range filed {
		cell(r.key()).Objections.Filed = r.N
	}

	var resolved []struct {
		statsRow
		stepRow
		All       int `db:"all_resolved"`
		InTime    int `db:"in_time"`
		Late      int `db:"late"`
		Corrected int `db:"corrected"`
		Withdrawn int `db:"withdrawn"`
		Upheld    int `db:"upheld"`
	}
	if err := db.SelectContext(ctx, &resolved, statsResolvedSQL, args...); err != nil {
		return out, fmt.Errorf("statistics: objections resolved: %w", err)
	}
	for _, r := range resolved {
		o := &cell(r.key()).Objections
		o.Resolved, o.ResolvedInTime, o.ResolvedLate = r.All, r.InTime, r.Late
		o.Corrected, o.Withdrawn, o.Upheld = r.Corrected, r.Withdrawn, r.Upheld
		o.Verification = r.figures()
	}

	var trained []struct {
		statsRow
		Enrolled int `db:"enrolled"`
		Attended int `db:"attended"`
		Tested   int `db:"tested"`
		Passed   int `db:"passed"`
	}
	if err := db.SelectContext(ctx, &trained, statsTrainedSQL, from, to, f.DepartmentID); err != nil {
		return out, fmt.Errorf("statistics: training attendance: %w", err)
	}
	for _, r := range trained {
		t := &cell(r.key()).Trainings
		t.Enrolled, t.Attended, t.Tested, t.Passed = r.Enrolled, r.Attended, r.Tested, r.Passed
		t.AttendanceRate, t.PassRate = ratio(r.Attended, r.Enrolled), ratio(r.Passed, r.Tested)
	}

	// A certificate counts in the month it was issued; its enterprise "repaired later" when it applied for a repair
	// after it (repairs_uscc: one index probe per certificate of the period).
	var certified []struct {
		statsRow
		Certified int `db:"certified"`
		Repaired  int `db:"repaired"`
	}
	if err := db.SelectContext(ctx, &certified, statsCertifiedSQL, from, to, f.DepartmentID); err != nil {
		return out, fmt.Errorf("statistics: trained enterprises: %w", err)
	}
	for _, r := range certified {
		t := &cell(r.key()).Trainings
		t.Certified, t.RepairedAfter = r.Certified, r.Repaired
	}

	var channels []struct {
		G       int            `db:"g"`
		Month   sql.NullString `db:"month"`
		Dept    sql.NullString `db:"dept"`
		Channel string         `db:"channel"`
		stepRow
	}
	if err := db.SelectContext(ctx, &channels, statsChannelsSQL, from, to, f.DepartmentID); err != nil {
		return out, fmt.Errorf("statistics: withdrawal confirmations: %w", err)
	}

	names, err := db.statsNames(ctx)
	if err != nil {
		return out, err
	}
	for _, r := range channels {
		cf := ChannelFigures{Month: r.Month.String, DepartmentID: r.Dept.String, ChannelID: r.Channel,
			ChannelName: names.channels[r.Channel], Confirmed: r.N, Lag: r.figures()}
		if r.G == groupCell {
			out.ChannelCells = append(out.ChannelCells, cf)
		} else {
			out.Channels = append(out.Channels, cf)
		}
	}
	// Every department shown has its row even without a case in the period.
	for id := range names.departments {
		if f.DepartmentID == "" || f.DepartmentID == id {
			cell(statsKey{groupDept, "", id})
		}
	}
	for k, c := range cells {
		c.DepartmentName = names.departments[c.DepartmentID]
		switch k.g {
		case groupCell:
			out.Months = append(out.Months, *c)
		case groupDept:
			out.Departments = append(out.Departments, *c)
		case groupTotal:
			out.Total = *c
		}
	}
	slices.SortFunc(out.Months, func(a, b StatsCell) int {
		return strings.Compare(a.Month+"\x00"+a.DepartmentID, b.Month+"\x00"+b.DepartmentID)
	})
	slices.SortFunc(out.Departments, func(a, b StatsCell) int { return strings.Compare(a.DepartmentID, b.DepartmentID) })
	out.Total.Month, out.Total.DepartmentID, out.Total.DepartmentName = "", "", ""
	return out, nil
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// statsLabels are the names of the departments and channels in the statistics.
type statsLabels struct{ departments, channels map[string]string }

func (db *DB) statsNames(ctx context.Context) (statsLabels, error) {
	l := statsLabels{departments: map[string]string{}, channels: map[string]string{}}
	var rows []struct {
		Kind string `db:"kind"`
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT 'd' AS kind, id, name FROM departments
		UNION ALL SELECT 'c', id, name FROM channels`); err != nil {
		return l, fmt.Errorf("statistics: names: %w", err)
	}
	for _, r := range rows {
		if r.Kind == "d" {
			l.departments[r.ID] = r.Name
		} else {
			l.channels[r.ID] = r.Name
		}
	}
	return l, nil
}

// The statistics' queries: $1, $2 the period's first and next month's first day (as dates, or as Beijing times for
// the queries of timestamptz columns: statsTimeQueries), $3 a department or the empty string for all.
var (
	statsReceivedSQL = `SELECT GROUPING(month, dept) AS g, month, dept, count(*) AS n
		FROM (SELECT to_char(applied_on, 'YYYY-MM') AS month, department_id AS dept FROM repairs
			WHERE applied_on >= $1 AND applied_on < $2 AND ($3 = '' OR department_id = $3)) x ` + statsGroups
	statsAcceptedSQL = `SELECT GROUPING(month, dept) AS g, month, dept, ` + stepAggregates("d") + `
		FROM (SELECT to_char(accepted_on, 'YYYY-MM') AS month, department_id AS dept,
				stats_workdays(COALESCE(received_on, applied_on), accepted_on) AS d FROM repairs
			WHERE accepted_on >= $1 AND accepted_on < $2 AND ($3 = '' OR department_id = $3)) x ` + statsGroups
	statsDecidedSQL = `SELECT GROUPING(month, dept) AS g, month, dept, count(*) AS all_decided,
			count(*) FILTER (WHERE in_time) AS in_time, count(*) FILTER (WHERE NOT in_time) AS late, ` + stepAggregates("d") + `
		FROM (SELECT to_char(decided_on, 'YYYY-MM') AS month, department_id AS dept, decided_in_time AS in_time,
				stats_workdays(COALESCE(accepted_on, received_on, applied_on), decided_on) AS d FROM repairs
			WHERE decided_on >= $1 AND decided_on < $2 AND ($3 = '' OR department_id = $3)) x ` + statsGroups
	statsFiledSQL = `SELECT GROUPING(month, dept) AS g, month, dept, count(*) AS n
		FROM (SELECT to_char(filed_on, 'YYYY-MM') AS month, department_id AS dept FROM objections
			WHERE filed_on >= $1 AND filed_on < $2 AND ($3 = '' OR department_id = $3)) x ` + statsGroups
	statsResolvedSQL = `SELECT GROUPING(month, dept) AS g, month, dept, count(*) AS all_resolved,
			count(*) FILTER (WHERE in_time) AS in_time, count(*) FILTER (WHERE NOT in_time) AS late,
			count(*) FILTER (WHERE outcome = 'corrected') AS corrected, count(*) FILTER (WHERE outcome = 'withdrawn') AS withdrawn,
			count(*) FILTER (WHERE outcome = 'upheld') AS upheld, ` + stepAggregates("d") + `
		FROM (SELECT to_char(resolved_on, 'YYYY-MM') AS month, department_id AS dept, resolved_in_time AS in_time, outcome,
				stats_workdays(filed_on, resolved_on) AS d FROM objections
			WHERE resolved_on >= $1 AND resolved_on < $2 AND ($3 = '' OR department_id = $3)) x ` + statsGroups
	statsTrainedSQL = `SELECT GROUPING(month, dept) AS g, month, dept, count(*) AS enrolled,
			count(*) FILTER (WHERE attended) AS attended, count(*) FILTER (WHERE attended AND score IS NOT NULL) AS tested,
			count(*) FILTER (WHERE attended AND score >= pass_score) AS passed
		FROM (SELECT to_char(t.starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
				COALESCE(e.department_id, '') AS dept, e.attended, e.score, t.pass_score
			FROM trainings t JOIN training_enrollments e ON e.training_id = t.id AND e.status = 'enrolled'
			WHERE t.starts_at >= $1 AND t.starts_at < $2 AND t.status IN ('started', 'closed')
				AND ($3 = '' OR e.department_id = $3)) x ` + statsGroups
	statsCertifiedSQL = `SELECT GROUPING(month, dept) AS g, month, dept,
			count(DISTINCT uscc) AS certified, count(DISTINCT uscc) FILTER (WHERE repaired) AS repaired
		FROM (SELECT to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
				COALESCE(e.department_id, '') AS dept, c.uscc,
				EXISTS (SELECT 1 FROM repairs r WHERE r.uscc = c.uscc AND r.created_at > c.created_at) AS repaired
			FROM training_certificates c
			LEFT JOIN training_enrollments e ON e.training_id = c.training_id AND e.uscc = c.uscc
			WHERE c.created_at >= $1 AND c.created_at < $2 AND ($3 = '' OR e.department_id = $3)) x ` + statsGroups
	statsChannelsSQL = `SELECT GROUPING(month, dept) AS g, month, dept, channel, ` + stepAggregates("d") + `
		FROM (SELECT month, dept, channel, stats_workdays(ordered_on, confirmed_on) AS d
			FROM (SELECT to_char(wc.confirmed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, wc.channel_id AS channel,
					(wc.confirmed_at AT TIME ZONE 'Asia/Shanghai')::date AS confirmed_on,
					-- Scalar subqueries: one primary-key probe per confirmation of the period, never a join that
					-- could read every withdrawal.
					(SELECT w.ordered_on FROM withdrawals w WHERE w.id = wc.withdrawal_id) AS ordered_on,
					(SELECT p.department_id FROM withdrawals w JOIN penalties p ON p.id = w.penalty_id
						WHERE w.id = wc.withdrawal_id) AS dept
				FROM withdrawal_channels wc WHERE wc.confirmed_at >= $1 AND wc.confirmed_at < $2) c
			WHERE $3 = '' OR dept = $3) x
		GROUP BY GROUPING SETS ((month, dept, channel), (channel)) ORDER BY channel, month, dept`
)

// statsTimeQueries take the period as times.
var statsTimeQueries = map[string]bool{"statsTrainedSQL": true, "statsCertifiedSQL": true, "statsChannelsSQL": true}

// statisticsQueries lists every statistics query, for the EXPLAIN test.
var statisticsQueries = map[string]string{
	"statsReceivedSQL":  statsReceivedSQL,
	"statsAcceptedSQL":  statsAcceptedSQL,
	"statsDecidedSQL":   statsDecidedSQL,
	"statsFiledSQL":     statsFiledSQL,
	"statsResolvedSQL":  statsResolvedSQL,
	"statsTrainedSQL":   statsTrainedSQL,
	"statsCertifiedSQL": statsCertifiedSQL,
	"statsChannelsSQL":  statsChannelsSQL,
}
