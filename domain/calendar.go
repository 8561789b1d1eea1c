package domain

import (
	"database/sql/driver"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// CalendarDay is one entry of a holiday notice: a day off (even on a weekday) or a make-up working day (调休, even
// on a weekend). Days not listed follow the plain rule: Monday to Friday work, Saturday and Sunday rest.
type CalendarDay struct {
	Date   Date   `json:"date" db:"day"`
	OffDay bool   `json:"off_day" db:"off_day"`
	Name   string `json:"name" db:"name"`
}

// Calendar answers working-day questions from the State Council's holiday notices. It is immutable once built and
// safe for concurrent use.
type Calendar struct {
	special map[Date]CalendarDay
	covered map[int]bool
}

// NewCalendar builds a calendar from the listed days and the years whose notices were loaded. Coverage is by notice,
// not by the dates seen, because a notice for one year may list days of the neighbouring year (the 2019 notice
// lists 2018-12-29..31) without the neighbouring year's own notice being known. When a date is listed twice, the
// later entry wins.
func NewCalendar(days []CalendarDay, coveredYears []int) *Calendar {
	c := &Calendar{special: make(map[Date]CalendarDay, len(days)), covered: make(map[int]bool, len(coveredYears))}
	for _, d := range days {
		c.special[d.Date] = d
	}
	for _, y := range coveredYears {
		c.covered[y] = true
	}
	return c
}

// IsWorkingDay reports whether d is a working day: a listed make-up day, or a weekday that is not a listed day off.
// In a year whose notice is not loaded, the fixed-date statutory holidays are days off too (FixedHoliday).
func (c *Calendar) IsWorkingDay(d Date) bool {
	if s, ok := c.special[d]; ok {
		return !s.OffDay
	}
	if !c.covered[d.Y] && FixedHoliday(d) {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// FixedHoliday reports whether d is a statutory holiday on a fixed date under 《全国年节及纪念日放假办法》: New Year's
// Day, 1-2 May and 1-3 October. The other holidays follow the lunar calendar or the yearly notice, so a year
// without its notice keeps only these (and weekends) as days off.
func FixedHoliday(d Date) bool {
	switch d.M {
	case time.January:
		return d.D == 1
	case time.May:
		return d.D <= 2
	case time.October:
		return d.D <= 3
	}
	return false
}

// lateDecemberFrom is the first December day a next year's notice may change: notices have moved days off and
// make-up days into the last days of the previous year (the 2019 notice listed 2018-12-29..31), so those days are
// only known once the next year's notice is loaded.
const lateDecemberFrom = 25

// Uncertain reports whether d's status as a working day may still change: its year's notice is not loaded, or d is
// in late December and the next year's notice is not.
func (c *Calendar) Uncertain(d Date) bool {
	if _, ok := c.special[d]; ok && c.covered[d.Y] {
		return false
	}
	return !c.covered[d.Y] || (d.M == time.December && d.D >= lateDecemberFrom && !c.covered[d.Y+1])
}

// Covers reports whether the holiday notice of year y has been loaded.
func (c *Calendar) Covers(year int) bool { return c.covered[year] }

// CoveredYears returns the years whose notices are loaded, in ascending order.
func (c *Calendar) CoveredYears() []int {
	years := make([]int, 0, len(c.covered))
	for y := range c.covered {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

// Days returns every listed day in date order.
func (c *Calendar) Days() []CalendarDay {
	days := make([]CalendarDay, 0, len(c.special))
	for _, d := range c.special {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b CalendarDay) int { return a.Date.Compare(b.Date) })
	return days
}

// Day returns the notice's entry for d, if it lists d.
func (c *Calendar) Day(d Date) (CalendarDay, bool) {
	s, ok := c.special[d]
	return s, ok
}

// AddWorkdays returns the n-th working day after from; from itself is not counted, so "within 3 working days of
// the event" ends at the end of AddWorkdays(event, 3). A negative n counts backwards (the n-th working day before
// from); zero returns from. The result is provisional when any day counted over is Uncertain (a year whose notice is
// not loaded, where only weekends and the fixed-date holidays are known, or late December before the next year's
// notice): such a deadline is shown as 暂定 and recomputed when the notice arrives.
func (c *Calendar) AddWorkdays(from Date, n int) (deadline Date, provisional bool) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := from
	for n > 0 {
		d = d.AddDays(step)
		if c.Uncertain(d) {
			provisional = true
		}
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d, provisional
}

// Extend adds n working days to an existing deadline (an extension of N working days runs from the deadline it
// extends, not from the day it was granted).
func (c *Calendar) Extend(deadline Date, n int) (Date, bool) {
	return c.AddWorkdays(deadline, n)
}

// WorkdaysBetween counts the working days after a up to and including b, so that
// WorkdaysBetween(x, AddWorkdays(x, n)) == n. It is negative when b is before a.
func (c *Calendar) WorkdaysBetween(a, b Date) int {
	if b.Before(a) {
		return -c.WorkdaysBetween(b, a)
	}
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// HolidayFile is the holiday-cn JSON format (https://github.com/NateScarlet/holiday-cn).
type HolidayFile struct {
	Year   *int     `json:"year"`
	Papers []string `json:"papers"`
	Days   []struct {
		Name     string `json:"name"`
		Date     string `json:"date"`
		IsOffDay *bool  `json:"isOffDay"`
	} `json:"days"`
}

// LoadHolidayJSON parses one year's file in the holiday-cn format. An empty days list is returned as such: it means
// the year's notice has not been published, and callers must not treat that year as covered.
func LoadHolidayJSON(r io.Reader) (year int, days []CalendarDay, err error) {
	year, days, _, err = loadHolidayJSON(r)
	return year, days, err
}

// ParseHolidayYear parses a holiday-cn file into a HolidayYear whose Source is the notice addresses (papers), for
// the record of where a year's data came from.
func ParseHolidayYear(r io.Reader) (HolidayYear, error) {
	year, days, papers, err := loadHolidayJSON(r)
	if err != nil {
		return HolidayYear{}, err
	}
	return HolidayYear{Year: year, Source: strings.Join(papers, " "), Days: days}, nil
}

func loadHolidayJSON(r io.Reader) (int, []CalendarDay, []string, error) {
	var f HolidayFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return 0, nil, nil, &InputError{Field: "holidays", Code: "invalid_holiday_file",
			Message: fmt.Sprintf("节假日数据不是有效的JSON：%v", err)}
	}
	if f.Year == nil || *f.Year < 1949 || *f.Year > 9999 {
		return 0, nil, nil, &InputError{Field: "year", Code: "invalid_holiday_file", Message: "节假日数据缺少有效的年份（year）"}
	}
	year := *f.Year
	days := make([]CalendarDay, 0, len(f.Days))
	seen := make(map[Date]bool, len(f.Days))
	for i, e := range f.Days {
		d, err := ParseDate(e.Date)
		if err != nil {
			return 0, nil, nil, &InputError{Field: "days", Code: "invalid_holiday_file",
				Message: fmt.Sprintf("节假日数据第%d项的日期“%s”无效", i+1, e.Date)}
		}
		if e.IsOffDay == nil {
			return 0, nil, nil, &InputError{Field: "days", Code: "invalid_holiday_file",
				Message: fmt.Sprintf("节假日数据第%d项（%s）缺少isOffDay", i+1, e.Date)}
		}
		// A notice only ever reaches into the adjacent year; anything further is a wrong or corrupted file.
		if d.Y < year-1 || d.Y > year+1 {
			return 0, nil, nil, &InputError{Field: "days", Code: "invalid_holiday_file",
				Message: fmt.Sprintf("%d年节假日数据中出现了不相邻年份的日期%s", year, d)}
		}
		if seen[d] {
			return 0, nil, nil, &InputError{Field: "days", Code: "invalid_holiday_file",
				Message: fmt.Sprintf("节假日数据中日期%s重复出现", d)}
		}
		seen[d] = true
		days = append(days, CalendarDay{Date: d, OffDay: *e.IsOffDay, Name: e.Name})
	}
	return year, days, f.Papers, nil
}

// holidayFS holds the notices for 2019-2026 so that pure code and tests have a calendar without a database.
//
//go:embed holidays/*.json
var holidayFS embed.FS

// HolidayYear is one loaded notice: its year, where it came from, and its days.
type HolidayYear struct {
	Year   int
	Source string
	Days   []CalendarDay
}

// EmbeddedHolidayYears returns the notices embedded in the binary, by year. Years whose file lists no days (not yet
// announced) are left out.
func EmbeddedHolidayYears() ([]HolidayYear, error) {
	names, err := fs.Glob(holidayFS, "holidays/*.json")
	if err != nil {
		return nil, fmt.Errorf("domain: list embedded holidays: %w", err)
	}
	var years []HolidayYear
	for _, name := range names {
		f, err := holidayFS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("domain: open %s: %w", name, err)
		}
		year, days, papers, err := loadHolidayJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("domain: %s: %w", name, err)
		}
		if len(days) == 0 {
			continue
		}
		years = append(years, HolidayYear{Year: year, Source: strings.Join(papers, " "), Days: days})
	}
	slices.SortFunc(years, func(a, b HolidayYear) int { return a.Year - b.Year })
	return years, nil
}

var defaultCalendar = sync.OnceValue(func() *Calendar {
	years, err := EmbeddedHolidayYears()
	if err != nil {
		// The files are compiled in and tested; failing here means the build itself is broken.
		panic(err)
	}
	var days []CalendarDay
	var covered []int
	for _, y := range years {
		days = append(days, y.Days...)
		covered = append(covered, y.Year)
	}
	return NewCalendar(days, covered)
})

// DefaultCalendar returns the calendar of the embedded notices (2019-2026). Production code reads the calendar from
// PostgreSQL, where an operator can add a year; this one serves pure tests and as a fallback.
func DefaultCalendar() *Calendar { return defaultCalendar() }

// DeadlineNames lists deadlines of a case by name (acceptance_due...), stored as a PostgreSQL text[] of plain
// identifiers.
type DeadlineNames []string

// Value stores the names as a text[] literal; names are plain identifiers, so no quoting is needed.
func (n DeadlineNames) Value() (driver.Value, error) {
	for _, s := range n {
		if s == "" || strings.ContainsAny(s, `{},"\ `) {
			return nil, fmt.Errorf("domain: deadline name %q is not a plain identifier", s)
		}
	}
	return "{" + strings.Join(n, ",") + "}", nil
}

// Scan reads a text[] of plain identifiers.
func (n *DeadlineNames) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*n = nil
		return nil
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return fmt.Errorf("domain: cannot scan %T into DeadlineNames", src)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		*n = DeadlineNames{}
		return nil
	}
	*n = strings.Split(s, ",")
	return nil
}

// CaseDeadline is one working-day deadline of a case. A deadline a person set as a date (an objection extension to
// the department's date) has Workdays 0 and From the date: it is never provisional.
type CaseDeadline struct {
	Name        string `db:"name" json:"name"`
	From        Date   `db:"from_on" json:"from"`
	Workdays    int    `db:"workdays" json:"workdays"`
	Extend      int    `db:"extend_workdays" json:"extend"`
	Due         Date   `db:"due_on" json:"due"`
	Provisional bool   `db:"provisional" json:"provisional"`
}

// Count counts the deadline with cal: Workdays after From, then Extend more (an extension runs from the deadline
// it extends); it is provisional when any day counted over is not yet known.
func (d CaseDeadline) Count(cal *Calendar) CaseDeadline {
	due, prov := cal.AddWorkdays(d.From, d.Workdays)
	if d.Extend > 0 {
		var p2 bool
		due, p2 = cal.AddWorkdays(due, d.Extend)
		prov = prov || p2
	}
	d.Due, d.Provisional = due, prov
	return d
}
