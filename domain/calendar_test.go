package domain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddWorkdaysDefaultCalendar(t *testing.T) {
	cal := DefaultCalendar()
	for _, tc := range []struct {
		name        string
		from        string
		n           int
		want        string
		provisional bool
	}{
		// The checks of RULES.md.
		{"National Day 2026: Saturday make-up day", "2026-09-30", 3, "2026-10-10", false},
		{"National Day 2026: ten days", "2026-09-30", 10, "2026-10-20", false},
		{"Spring Festival 2026 with both make-up Saturdays", "2026-02-12", 7, "2026-02-28", false},
		{"New Year 2026: Sunday make-up day across the year end", "2025-12-31", 1, "2026-01-04", false},

		// Spring Festival 2025: off 01-28..02-04, make-up Sunday 01-26 and Saturday 02-08.
		{"Spring Festival 2025: Sunday make-up before", "2025-01-24", 1, "2025-01-26", false},
		{"Spring Festival 2025: Monday before the break", "2025-01-24", 2, "2025-01-27", false},
		{"Spring Festival 2025: first day after the break", "2025-01-24", 3, "2025-02-05", false},
		{"Spring Festival 2025: Saturday make-up after", "2025-01-24", 6, "2025-02-08", false},
		{"Spring Festival 2025: from inside the break", "2025-01-30", 1, "2025-02-05", false},

		// Spring Festival 2026: make-up Saturday 02-14, off 02-15..02-23.
		{"Spring Festival 2026: Saturday make-up next day", "2026-02-13", 1, "2026-02-14", false},
		{"Spring Festival 2026: over the break", "2026-02-13", 2, "2026-02-24", false},

		// National Day 2025, combined with Mid-Autumn: off 10-01..10-08, make-up Sunday 09-28 and Saturday 10-11.
		{"National Day 2025: Sunday make-up", "2025-09-26", 1, "2025-09-28", false},
		{"National Day 2025: eight days off", "2025-09-30", 1, "2025-10-09", false},
		{"National Day 2025: Saturday make-up after", "2025-09-30", 3, "2025-10-11", false},
		{"National Day 2025: a week later", "2025-09-30", 7, "2025-10-16", false},

		// Year ends.
		{"New Year 2025", "2024-12-31", 1, "2025-01-02", false},
		{"2018-12-29 is a make-up Saturday from the 2019 notice, but 2018 is not covered", "2018-12-28", 1, "2018-12-29", true},

		// 2027 has no notice yet: weekends and the fixed-date holidays (1 January), provisional.
		{"into 2027: New Year's Day is off without a notice", "2026-12-30", 3, "2027-01-05", true},
		{"late December of the last loaded year is provisional", "2026-12-30", 1, "2026-12-31", true},
		{"late December starts on the 25th", "2026-12-23", 1, "2026-12-24", false},
		{"Christmas Day 2026 is late December", "2026-12-24", 1, "2026-12-25", true},
		{"the first 2027 day makes it provisional", "2026-12-31", 1, "2027-01-04", true},
		{"acceptance on 2026-12-24: decision deadline 2027-01-05", "2026-12-24", 7, "2027-01-05", true},
		{"wholly in 2027", "2027-03-01", 5, "2027-03-08", true},
		{"1-2 May 2027 are off without a notice", "2027-04-30", 1, "2027-05-03", true},
		{"1-3 October 2027 are off without a notice", "2027-09-30", 1, "2027-10-04", true},
		{"late December 2025 is final: 2026's notice is loaded", "2025-12-24", 2, "2025-12-26", false},

		{"zero days is the day itself", "2026-10-01", 0, "2026-10-01", false},
		{"zero days in 2027 counts nothing", "2027-10-01", 0, "2027-10-01", false},

		// Backwards.
		{"backwards over National Day 2026", "2026-10-08", -1, "2026-09-30", false},
		{"backwards over the Mid-Autumn weekend 2026", "2026-10-08", -4, "2026-09-24", false},
		{"backwards onto a make-up Sunday", "2025-10-09", -1, "2025-09-30", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, prov := cal.AddWorkdays(d(tc.from), tc.n)
			assert.Equal(t, tc.want, got.String())
			assert.Equal(t, tc.provisional, prov)
			ext, extProv := cal.Extend(d(tc.from), tc.n)
			assert.Equal(t, got, ext)
			assert.Equal(t, prov, extProv)
		})
	}
}

func TestExtendAddsToTheDeadline(t *testing.T) {
	cal := DefaultCalendar()
	// A decision due 7 working days after acceptance on 2026-09-21, extended by 10.
	due, _ := cal.AddWorkdays(d("2026-09-21"), 7)
	assert.Equal(t, "2026-10-08", due.String()) // 22,23,24,(25-27 off),28,29,30,(10-01..07 off),08
	ext, prov := cal.Extend(due, 10)
	assert.False(t, prov)
	assert.Equal(t, "2026-10-21", ext.String()) // 09,10(Sat make-up),12,13,14,15,16,19,20,21
}

func TestIsWorkingDay(t *testing.T) {
	cal := DefaultCalendar()
	for day, want := range map[string]bool{
		"2026-10-10": true,  // make-up Saturday
		"2026-10-01": false, // National Day
		"2026-10-11": false, // plain Sunday
		"2026-10-12": true,  // plain Monday
		"2026-01-04": true,  // make-up Sunday
		"2025-05-31": false, // Dragon Boat, Saturday listed as off
		"2025-06-02": false, // Dragon Boat, Monday
		"2020-01-31": false, // 2020's Spring Festival extension is in the data
		"2027-01-01": false, // no notice: New Year's Day is a fixed-date holiday
		"2027-01-02": false,
		"2027-05-03": true, // no notice: only 1-2 May are fixed
		"2027-10-04": true, // no notice: only 1-3 October are fixed
		"2027-10-01": false,
	} {
		assert.Equal(t, want, cal.IsWorkingDay(d(day)), day)
	}
}

func TestWorkdaysBetween(t *testing.T) {
	cal := DefaultCalendar()
	assert.Equal(t, 3, cal.WorkdaysBetween(d("2026-09-30"), d("2026-10-10")))
	assert.Equal(t, 10, cal.WorkdaysBetween(d("2026-09-30"), d("2026-10-20")))
	assert.Equal(t, -10, cal.WorkdaysBetween(d("2026-10-20"), d("2026-09-30")))
	assert.Equal(t, 0, cal.WorkdaysBetween(d("2026-10-01"), d("2026-10-07")))
	assert.Equal(t, 0, cal.WorkdaysBetween(d("2026-10-08"), d("2026-10-08")))
	assert.Equal(t, 1, cal.WorkdaysBetween(d("2025-12-31"), d("2026-01-04")))
}

// TestAddWorkdaysProperties checks, for every start day 2019-2026 and up to 40 working days, that the result is a
// working day, that exactly n working days lie after the start up to it, and that the day before it leaves n-1.
func TestAddWorkdaysProperties(t *testing.T) {
	cal := DefaultCalendar()
	for day := d("2019-01-01"); day.Before(d("2026-11-01")); day = day.AddDays(1) {
		for n := 1; n <= 40; n++ {
			got, prov := cal.AddWorkdays(day, n)
			if got.Before(d("2026-12-25")) {
				require.False(t, prov, "%s +%d", day, n)
			}
			require.True(t, cal.IsWorkingDay(got), "%s +%d = %s", day, n, got)
			require.Equal(t, n, cal.WorkdaysBetween(day, got), "%s +%d = %s", day, n, got)
			require.Equal(t, n-1, cal.WorkdaysBetween(day, got.AddDays(-1)), "%s +%d = %s", day, n, got)
			back, _ := cal.AddWorkdays(got, -n)
			require.False(t, back.After(day), "%s +%d -%d = %s", day, n, n, back)
		}
	}
}

func TestDefaultCalendarMatchesFiles(t *testing.T) {
	cal := DefaultCalendar()
	assert.Equal(t, []int{2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026}, cal.CoveredYears())
	assert.False(t, cal.Covers(2027))
	assert.False(t, cal.Covers(2018))

	// Read the embedded files with a plain decoder and compare entry by entry.
	files, err := filepath.Glob("holidays/*.json")
	require.NoError(t, err)
	require.Len(t, files, 8)
	want := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var raw struct {
			Days []map[string]any `json:"days"`
		}
		require.NoError(t, json.Unmarshal(b, &raw))
		for _, e := range raw.Days {
			want[e["date"].(string)] = e["isOffDay"].(bool)
		}
	}
	days := cal.Days()
	require.Len(t, days, len(want))
	for i, day := range days {
		off, ok := want[day.Date.String()]
		require.True(t, ok, day.Date.String())
		assert.Equal(t, off, day.OffDay, day.Date.String())
		assert.NotEmpty(t, day.Name)
		if i > 0 {
			assert.True(t, days[i-1].Date.Before(day.Date), "Days is sorted")
		}
	}
	nd, ok := cal.Day(d("2026-10-10"))
	require.True(t, ok)
	assert.Equal(t, "国庆节", nd.Name)
	assert.False(t, nd.OffDay)
}

func TestLoadHolidayJSON(t *testing.T) {
	year, days, err := LoadHolidayJSON(strings.NewReader(`{"year": 2019, "papers": ["http://a", "http://b"],
		"days": [{"name": "元旦", "date": "2018-12-29", "isOffDay": false},
		         {"name": "元旦", "date": "2019-01-01", "isOffDay": true}]}`))
	require.NoError(t, err)
	assert.Equal(t, 2019, year)
	assert.Equal(t, []CalendarDay{
		{Date: d("2018-12-29"), OffDay: false, Name: "元旦"},
		{Date: d("2019-01-01"), OffDay: true, Name: "元旦"},
	}, days)

	hy, err := ParseHolidayYear(strings.NewReader(`{"year": 2019, "papers": ["http://a", "http://b"], "days": []}`))
	require.NoError(t, err)
	assert.Equal(t, HolidayYear{Year: 2019, Source: "http://a http://b", Days: []CalendarDay{}}, hy)

	// The 2027 file as published before the notice: a year with no days.
	f, err := os.Open("../../shared/domain/holidays-cn/2027.json")
	if err == nil {
		defer f.Close()
		year, days, err := LoadHolidayJSON(f)
		require.NoError(t, err)
		assert.Equal(t, 2027, year)
		assert.Empty(t, days)
	}

	for name, bad := range map[string]string{
		"not json":         `{"year": 20`,
		"no year":          `{"days": []}`,
		"bad date":         `{"year": 2026, "days": [{"name": "x", "date": "2026-02-30", "isOffDay": true}]}`,
		"no isOffDay":      `{"year": 2026, "days": [{"name": "x", "date": "2026-02-03"}]}`,
		"far year":         `{"year": 2026, "days": [{"name": "x", "date": "2028-01-01", "isOffDay": true}]}`,
		"duplicate date":   `{"year": 2026, "days": [{"name": "x", "date": "2026-01-01", "isOffDay": true}, {"name": "y", "date": "2026-01-01", "isOffDay": true}]}`,
		"implausible year": `{"year": 26, "days": []}`,
	} {
		_, _, err := LoadHolidayJSON(strings.NewReader(bad))
		var ie *InputError
		require.ErrorAs(t, err, &ie, name)
		assert.Equal(t, "invalid_holiday_file", ie.Code, name)
		assert.Contains(t, ie.Error(), "节假日数据", name)
	}
}

func TestCoverageIsByNotice(t *testing.T) {
	// Only the 2019 notice is loaded: its 2018 entry is applied, but 2018 stays uncovered.
	cal := NewCalendar([]CalendarDay{
		{Date: d("2018-12-29"), OffDay: false, Name: "元旦"},
		{Date: d("2018-12-31"), OffDay: true, Name: "元旦"},
		{Date: d("2019-01-01"), OffDay: true, Name: "元旦"},
	}, []int{2019})
	got, prov := cal.AddWorkdays(d("2018-12-28"), 2)
	assert.Equal(t, "2019-01-02", got.String()) // 29 (make-up), 30 Sun, 31 off, 01 off, 02
	assert.True(t, prov)
	got, prov = cal.AddWorkdays(d("2018-12-31"), 1)
	assert.Equal(t, "2019-01-02", got.String())
	assert.False(t, prov, "only 2019 days are counted")

	// The same dates with no notice at all: weekends and New Year's Day.
	empty := NewCalendar(nil, nil)
	got, prov = empty.AddWorkdays(d("2018-12-28"), 2)
	assert.Equal(t, "2019-01-02", got.String())
	assert.True(t, prov)
	assert.Equal(t, time.Wednesday, got.Weekday())

	// A later entry for the same date wins.
	c2 := NewCalendar([]CalendarDay{{Date: d("2026-03-02"), OffDay: true}, {Date: d("2026-03-02"), OffDay: false}}, nil)
	assert.True(t, c2.IsWorkingDay(d("2026-03-02")))
}
