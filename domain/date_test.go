package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func d(s string) Date { return MustParseDate(s) }

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-02-28", Date{2026, time.February, 28}, true},
		{"2024-02-29", Date{2024, time.February, 29}, true},
		{"2025-02-29", Date{}, false}, // not a leap year
		{"2026-02-30", Date{}, false},
		{"2026-13-01", Date{}, false},
		{"2026-2-3", Date{}, false},
		{"2026/02/03", Date{}, false},
		{"2026-02-03T00:00:00Z", Date{}, false},
		{"", Date{}, false},
	} {
		got, err := ParseDate(tc.in)
		if !tc.ok {
			var ie *InputError
			require.ErrorAs(t, err, &ie, tc.in)
			assert.Equal(t, "invalid_date", ie.Code)
			assert.Contains(t, ie.Error(), "日期")
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.in, got.String())
	}
}

func TestDateBasics(t *testing.T) {
	assert.True(t, Date{}.IsZero())
	assert.Equal(t, "", Date{}.String())
	assert.Equal(t, time.Saturday, d("2026-10-10").Weekday())
	assert.Equal(t, time.Sunday, d("2026-01-04").Weekday())
	assert.Equal(t, time.Thursday, d("2026-10-01").Weekday())

	assert.Equal(t, d("2026-03-01"), d("2026-02-28").AddDays(1))
	assert.Equal(t, d("2024-02-29"), d("2024-02-28").AddDays(1))
	assert.Equal(t, d("2027-01-01"), d("2026-12-31").AddDays(1))
	assert.Equal(t, d("2025-12-31"), d("2026-01-01").AddDays(-1))
	assert.Equal(t, d("2026-12-31"), d("2026-01-01").AddDays(364))

	assert.True(t, d("2026-01-31").Before(d("2026-02-01")))
	assert.True(t, d("2027-01-01").After(d("2026-12-31")))
	assert.False(t, d("2026-05-05").Before(d("2026-05-05")))
	assert.Equal(t, 0, d("2026-05-05").Compare(d("2026-05-05")))
	assert.Equal(t, -1, d("2025-12-31").Compare(d("2026-01-01")))
	assert.Equal(t, 365, d("2025-01-01").DaysUntil(d("2026-01-01")))
	assert.Equal(t, -366, d("2025-01-01").DaysUntil(d("2024-01-01")))
	assert.Equal(t, d("2026-05-06"), MaxDate(d("2026-05-06"), d("2026-05-05")))
	assert.Equal(t, d("2026-05-06"), MaxDate(d("2026-05-05"), d("2026-05-06")))

	assert.Equal(t, d("2026-03-01"), NewDate(2026, time.February, 29))
	late := time.Date(2026, 5, 5, 23, 30, 0, 0, time.UTC)
	assert.Equal(t, d("2026-05-06"), DateOf(late.In(Shanghai)), "23:30 UTC is the next morning in Shanghai")
}

func TestAddMonths(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2024-02-29", 48, "2028-02-29"},
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-08-31", 3, "2026-11-30"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-05-10", 36, "2029-05-10"},
		{"2026-12-15", 1, "2027-01-15"},
		{"2026-01-15", -1, "2025-12-15"},
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-01-31", -13, "2024-12-31"},
		{"2026-07-04", 0, "2026-07-04"},
	} {
		assert.Equal(t, tc.want, d(tc.from).AddMonths(tc.n).String(), "%s %+d months", tc.from, tc.n)
	}
}

// TestAddMonthsProperties checks every start day of four years against what AddMonths promises: the month moves
// by exactly n, and the day is kept unless the month is too short, in which case it is that month's last day.
func TestAddMonthsProperties(t *testing.T) {
	for day := d("2023-01-01"); day.Before(d("2027-01-01")); day = day.AddDays(1) {
		for n := -30; n <= 40; n++ {
			got := day.AddMonths(n)
			months := (got.Y*12 + int(got.M)) - (day.Y*12 + int(day.M))
			require.Equal(t, n, months, "%s %+d", day, n)
			lastOfMonth := got.AddDays(1).M != got.M
			if got.D != day.D {
				require.True(t, got.D < day.D && lastOfMonth, "%s %+d = %s", day, n, got)
			}
		}
	}
}

func TestDateJSON(t *testing.T) {
	type rec struct {
		On    Date `json:"on"`
		Maybe Date `json:"maybe"`
	}
	b, err := json.Marshal(rec{On: d("2026-10-10")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"on":"2026-10-10","maybe":null}`, string(b))

	var r rec
	require.NoError(t, json.Unmarshal([]byte(`{"on":"2024-02-29","maybe":""}`), &r))
	assert.Equal(t, d("2024-02-29"), r.On)
	assert.True(t, r.Maybe.IsZero())

	require.NoError(t, json.Unmarshal([]byte(`{"on":null}`), &r))
	assert.True(t, r.On.IsZero())

	for _, bad := range []string{`{"on":"2026-02-30"}`, `{"on":20260101}`, `{"on":"01/02/2026"}`} {
		err := json.Unmarshal([]byte(bad), &r)
		var ie *InputError
		assert.True(t, errors.As(err, &ie), "%s: %v", bad, err)
	}

	// As a map key a Date is text.
	mb, err := json.Marshal(map[Date]int{d("2026-01-04"): 1})
	require.NoError(t, err)
	assert.JSONEq(t, `{"2026-01-04":1}`, string(mb))
}

func TestDateSQL(t *testing.T) {
	v, err := d("2026-10-10").Value()
	require.NoError(t, err)
	assert.Equal(t, "2026-10-10", v)
	v, err = Date{}.Value()
	require.NoError(t, err)
	assert.Nil(t, v)

	var got Date
	// lib/pq returns a date column as midnight in UTC; a zone must not shift the day.
	require.NoError(t, got.Scan(time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)))
	assert.Equal(t, d("2026-01-04"), got)
	require.NoError(t, got.Scan(time.Date(2026, 1, 4, 0, 0, 0, 0, Shanghai)))
	assert.Equal(t, d("2026-01-04"), got)
	require.NoError(t, got.Scan("2025-12-31"))
	assert.Equal(t, d("2025-12-31"), got)
	require.NoError(t, got.Scan([]byte("2024-02-29 00:00:00")))
	assert.Equal(t, d("2024-02-29"), got)
	require.NoError(t, got.Scan(nil))
	assert.True(t, got.IsZero())
	assert.Error(t, got.Scan(42))
	assert.Error(t, got.Scan("yesterday"))
}

// Dates are written as fmt wrote them ("%04d-%02d-%02d"), as text and as JSON.
func TestDatesAreWrittenAsFmtWroteThem(t *testing.T) {
	for _, d := range []Date{{2026, 1, 5}, {999, 12, 31}, {12345, 10, 10}, {-1, 1, 1}, {2026, 12, 31}} {
		want := fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D)
		if got := d.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if got, _ := d.MarshalJSON(); string(got) != `"`+want+`"` {
			t.Errorf("MarshalJSON() = %s, want %q", got, want)
		}
	}
	if got, _ := (Date{}).MarshalJSON(); string(got) != "null" {
		t.Errorf("the zero date is %s, want null", got)
	}
}
