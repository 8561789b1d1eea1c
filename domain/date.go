package domain

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Date is a civil date with no time of day and no time zone: deadlines and periods are counted in whole days of the
// Asia/Shanghai calendar, so carrying a time.Time around would only invite off-by-one-day errors at midnight UTC.
// The zero Date means "no date".
type Date struct {
	Y int
	M time.Month
	D int
}

// dateLayout is the only textual form of a Date, in JSON, SQL and messages alike.
const dateLayout = "2006-01-02"

// Shanghai is the time zone in which every date of the system is reckoned.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// China has had no daylight saving since 1991, so a fixed +08:00 zone is exact for every date we handle;
		// it keeps the binary working on hosts without tzdata.
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}

// NewDate returns the date y-m-d, normalizing out-of-range months and days the way time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Y: y, M: m, D: d}
}

// Today returns the current date in Asia/Shanghai. Workflows must not call it (they get dates from activities).
func Today() Date {
	return DateOf(time.Now().In(Shanghai))
}

// ParseDate parses "YYYY-MM-DD" and rejects dates that do not exist (2026-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, &InputError{Field: "date", Code: "invalid_date",
			Message: fmt.Sprintf("日期“%s”格式不正确，应为YYYY-MM-DD且为真实存在的日期", s)}
	}
	return DateOf(t), nil
}

// MustParseDate is ParseDate for literals known to be valid; it panics otherwise.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.appendTo(make([]byte, 0, 10)))
}

// appendTo appends "YYYY-MM-DD" (what fmt's "%04d-%02d-%02d" writes, without its cost: lists and pages write
// thousands of dates a second).
func (d Date) appendTo(b []byte) []byte {
	b = appendPadded(b, d.Y, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.M), 2)
	b = append(b, '-')
	return appendPadded(b, d.D, 2)
}

func appendPadded(b []byte, v, width int) []byte {
	if v < 0 {
		return fmt.Appendf(b, "%0*d", width, v)
	}
	var digits [20]byte
	n := strconv.AppendInt(digits[:0], int64(v), 10)
	for i := len(n); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, n...)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, loc)
}

// utc is the date as a time.Time at midnight UTC, where every day lasts exactly 24 hours.
func (d Date) utc() time.Time { return d.Time(time.UTC) }

// AddDays returns the date n days after d (before d when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(d.utc().AddDate(0, 0, n))
}

// AddMonths returns the date n calendar months after d. When the target month is shorter than d's day, the result
// is clamped to that month's last day instead of spilling into the next month, so 2026-01-31 + 1 month is
// 2026-02-28 and 2024-02-29 + 12 months is 2025-02-28. A publication period of "N months from the decision" thus
// never ends in a later month than the one N months on.
func (d Date) AddMonths(n int) Date {
	total := d.Y*12 + int(d.M) - 1 + n
	y, m := floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	day := min(d.D, daysIn(y, m))
	return Date{Y: y, M: m, D: day}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }

// daysIn returns the number of days of month m in year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Y != e.Y:
		return cmpInt(d.Y, e.Y)
	case d.M != e.M:
		return cmpInt(int(d.M), int(e.M))
	default:
		return cmpInt(d.D, e.D)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// DaysUntil returns the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.utc().Sub(d.utc()).Hours() / 24)
}

// MaxDate returns the later of a and b.
func MaxDate(a, b Date) Date {
	if a.After(b) {
		return a
	}
	return b
}

// MarshalText formats d as "YYYY-MM-DD" (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "YYYY-MM-DD"; empty text gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date so that "no date" is not mistaken for a date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := append(make([]byte, 0, 12), '"')
	return append(d.appendTo(b), '"'), nil // digits and dashes: nothing to escape
}

// UnmarshalJSON reads "YYYY-MM-DD", "" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &InputError{Field: "date", Code: "invalid_date", Message: "日期应为形如“2026-01-31”的字符串"}
	}
	return d.UnmarshalText([]byte(s))
}

// Value stores d in a PostgreSQL date column; the zero Date is NULL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date column: lib/pq hands over a time.Time at midnight (its location carries no meaning for a date
// column, so its own calendar fields are taken as they are), NULL becomes the zero Date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = DateOf(v)
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("domain: cannot scan %T into Date", src)
	}
	return nil
}

func (d *Date) scanText(s string) error {
	// A date column read as text may come back with a time part when the query casts it; the date is its prefix.
	if len(s) > len(dateLayout) {
		s = s[:len(dateLayout)]
	}
	v, err := ParseDate(s)
	if err != nil {
		return fmt.Errorf("domain: scan date %q: %w", s, err)
	}
	*d = v
	return nil
}
