package storage_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage/pgtest"
)

// updateSeeds rewrites the generated seed sections of the migrations from the embedded domain data:
// go test ./storage -run TestSeed -update-seeds. Only for a migration not yet released; a released one is frozen
// and new data goes into a new migration.
var updateSeeds = flag.Bool("update-seeds", false, "rewrite the generated seed sections of migrations")

const (
	seedBegin = "-- BEGIN GENERATED SEED"
	seedEnd   = "-- END GENERATED SEED"
)

// checkSeed compares the generated section of a migration with want, or rewrites it with -update-seeds.
func checkSeed(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(b)
	i := strings.Index(text, seedBegin)
	j := strings.Index(text, seedEnd)
	require.True(t, i >= 0 && j > i, "%s has no generated seed section", path)
	i += strings.Index(text[i:], "\n") + 1
	if *updateSeeds {
		require.NoError(t, os.WriteFile(path, []byte(text[:i]+want+text[j:]), 0o644))
		return
	}
	assert.Equal(t, want, text[i:j], "%s is out of date with the embedded data; run go test ./storage -run TestSeed -update-seeds", path)
}

// sqlString quotes s as a standard SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// seededHolidayYears are the notices migrations/00002_calendar.sql ships; later years belong in later migrations.
var seededHolidayYears = []int{2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026}

func calendarSeedSQL(t *testing.T) string {
	years, err := domain.EmbeddedHolidayYears()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("INSERT INTO calendar_years (year, source) VALUES\n")
	var rows []string
	for _, y := range years {
		if !containsInt(seededHolidayYears, y.Year) {
			continue
		}
		rows = append(rows, fmt.Sprintf("    (%d, %s)", y.Year, sqlString(y.Source)))
	}
	b.WriteString(strings.Join(rows, ",\n") + ";\n\n")
	b.WriteString("INSERT INTO calendar_days (day, off_day, name, notice_year) VALUES\n")
	rows = rows[:0]
	for _, y := range years {
		if !containsInt(seededHolidayYears, y.Year) {
			continue
		}
		for _, d := range y.Days {
			rows = append(rows, fmt.Sprintf("    ('%s', %t, %s, %d)", d.Date, d.OffDay, sqlString(d.Name), y.Year))
		}
	}
	b.WriteString(strings.Join(rows, ",\n") + ";\n")
	return b.String()
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestSeedCalendarSQL(t *testing.T) {
	checkSeed(t, "../migrations/00002_calendar.sql", calendarSeedSQL(t))
}

func TestSeededCalendarEqualsEmbedded(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	cal, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	want := domain.DefaultCalendar()
	assert.Equal(t, want.CoveredYears(), cal.CoveredYears())
	assert.Equal(t, want.Days(), cal.Days())

	// Spot checks through the loaded calendar: the RULES.md examples.
	got, prov := cal.AddWorkdays(domain.MustParseDate("2026-09-30"), 3)
	assert.Equal(t, "2026-10-10", got.String())
	assert.False(t, prov)
	got, _ = cal.AddWorkdays(domain.MustParseDate("2025-12-31"), 1)
	assert.Equal(t, "2026-01-04", got.String())

	years, err := db.ListCalendarYears(ctx)
	require.NoError(t, err)
	embedded, err := domain.EmbeddedHolidayYears()
	require.NoError(t, err)
	require.Len(t, years, len(embedded))
	for i, y := range years {
		assert.Equal(t, embedded[i].Year, y.Year)
		assert.Equal(t, len(embedded[i].Days), y.Days, y.Year)
		assert.Contains(t, y.Source, "gov.cn", y.Year)
	}
}

func TestImportHolidayYear(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	d := domain.MustParseDate

	before, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	due, prov := before.AddWorkdays(d("2026-12-30"), 3)
	require.True(t, prov)
	require.Equal(t, "2027-01-05", due.String(), "1 January is off even before the notice")

	// A made-up 2027 notice: New Year's Day off, a make-up Saturday, and a day of 2026 it reaches back into.
	notice := []domain.CalendarDay{
		{Date: d("2026-12-31"), OffDay: true, Name: "元旦"},
		{Date: d("2027-01-01"), OffDay: true, Name: "元旦"},
		{Date: d("2027-01-02"), OffDay: false, Name: "元旦"},
		{Date: d("2027-02-08"), OffDay: true, Name: "春节"},
	}
	require.NoError(t, db.ImportHolidayYear(ctx, 2027, "https://example.gov.cn/2027", notice))
	cal, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	assert.True(t, cal.Covers(2027))
	due, prov = cal.AddWorkdays(d("2026-12-30"), 3)
	assert.False(t, prov)
	assert.Equal(t, "2027-01-05", due.String()) // 31 off, 01 off, 02 make-up Saturday, 04, 05

	// Importing the same notice again changes nothing.
	require.NoError(t, db.ImportHolidayYear(ctx, 2027, "https://example.gov.cn/2027", notice))
	again, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	assert.Equal(t, cal.Days(), again.Days())
	assert.Equal(t, cal.CoveredYears(), again.CoveredYears())

	// A corrected notice replaces the earlier import's days: 2027-02-08 is gone.
	corrected := notice[:3]
	require.NoError(t, db.ImportHolidayYear(ctx, 2027, "https://example.gov.cn/2027-corrected", corrected))
	cal, err = db.LoadCalendar(ctx)
	require.NoError(t, err)
	_, listed := cal.Day(d("2027-02-08"))
	assert.False(t, listed)
	assert.True(t, cal.IsWorkingDay(d("2027-02-08")))
	years, err := db.ListCalendarYears(ctx)
	require.NoError(t, err)
	last := years[len(years)-1]
	assert.Equal(t, 2027, last.Year)
	assert.Equal(t, "https://example.gov.cn/2027-corrected", last.Source)
	assert.Equal(t, 3, last.Days)

	// A day another notice listed is taken over by the newer import; the older notice keeps its other days.
	require.NoError(t, db.ImportHolidayYear(ctx, 2026, "https://example.gov.cn/2026-revised",
		[]domain.CalendarDay{{Date: d("2026-12-31"), OffDay: false, Name: "测试"}}))
	cal, err = db.LoadCalendar(ctx)
	require.NoError(t, err)
	day, ok := cal.Day(d("2026-12-31"))
	require.True(t, ok)
	assert.Equal(t, "测试", day.Name)
	_, ok = cal.Day(d("2027-01-01"))
	assert.True(t, ok)
	_, ok = cal.Day(d("2026-10-01"))
	assert.False(t, ok, "the 2026 notice was replaced by the revised one")
}

func TestImportHolidayYearRefusesBadData(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	d := domain.MustParseDate
	for name, tc := range map[string]struct {
		year int
		days []domain.CalendarDay
	}{
		"empty (not yet announced)": {2027, nil},
		"far date":                  {2027, []domain.CalendarDay{{Date: d("2029-01-01"), OffDay: true, Name: "x"}}},
		"zero date":                 {2027, []domain.CalendarDay{{OffDay: true, Name: "x"}}},
		"duplicate":                 {2027, []domain.CalendarDay{{Date: d("2027-01-01"), OffDay: true}, {Date: d("2027-01-01"), OffDay: true}}},
		"bad year":                  {27, []domain.CalendarDay{{Date: d("2027-01-01"), OffDay: true}}},
	} {
		err := db.ImportHolidayYear(ctx, tc.year, "x", tc.days)
		var ie *domain.InputError
		require.ErrorAs(t, err, &ie, name)
		assert.Equal(t, "invalid_holiday_file", ie.Code, name)
	}
	cal, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	assert.False(t, cal.Covers(2027), "nothing was imported")

	// The not-yet-announced file as published.
	f, err := os.Open("../../shared/domain/holidays-cn/2027.json")
	if err != nil {
		t.Skipf("shared 2027.json not available: %v", err)
	}
	defer f.Close()
	hy, err := domain.ParseHolidayYear(f)
	require.NoError(t, err)
	err = db.ImportHolidayYear(ctx, hy.Year, hy.Source, hy.Days)
	var ie *domain.InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Error(), "为空")
}
