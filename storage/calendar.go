package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// CalendarYear is one loaded holiday notice.
type CalendarYear struct {
	Year     int       `db:"year" json:"year"`
	Source   string    `db:"source" json:"source"`
	LoadedAt time.Time `db:"loaded_at" json:"loaded_at"`
	Days     int       `db:"days" json:"days"`
}

// LoadCalendar builds the working-day calendar from every loaded notice.
func (db *DB) LoadCalendar(ctx context.Context) (*domain.Calendar, error) {
	var days []domain.CalendarDay
	if err := db.SelectContext(ctx, &days, `SELECT day, off_day, name FROM calendar_days ORDER BY day`); err != nil {
		return nil, fmt.Errorf("load calendar days: %w", err)
	}
	var years []int
	if err := db.SelectContext(ctx, &years, `SELECT year FROM calendar_years ORDER BY year`); err != nil {
		return nil, fmt.Errorf("load calendar years: %w", err)
	}
	return domain.NewCalendar(days, years), nil
}

// ListCalendarYears returns the loaded notices with the number of days each lists.
func (db *DB) ListCalendarYears(ctx context.Context) ([]CalendarYear, error) {
	var ys []CalendarYear
	err := db.SelectContext(ctx, &ys, `SELECT y.year, y.source, y.loaded_at, count(d.day) AS days
		FROM calendar_years y LEFT JOIN calendar_days d ON d.notice_year = y.year
		GROUP BY y.year ORDER BY y.year`)
	if err != nil {
		return nil, fmt.Errorf("list calendar years: %w", err)
	}
	return ys, nil
}

// ImportHolidayYear loads (or reloads) the notice for year: the year becomes covered and its days replace the ones
// an earlier import of the same notice listed. A day listed by another notice is taken over by this one. Running it
// twice with the same data leaves the same rows. An empty list is refused: it means the notice is not published
// yet, and loading it would wrongly mark the year as covered.
func (db *DB) ImportHolidayYear(ctx context.Context, year int, source string, days []domain.CalendarDay) error {
	if err := checkHolidayYear(year, days); err != nil {
		return err
	}
	dates := make([]string, len(days))
	off := make([]bool, len(days))
	names := make([]string, len(days))
	for i, d := range days {
		dates[i], off[i], names[i] = d.Date.String(), d.OffDay, d.Name
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_years (year, source) VALUES ($1, $2)
			ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now()`, year, source); err != nil {
			return fmt.Errorf("upsert calendar year: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE notice_year = $1`, year); err != nil {
			return fmt.Errorf("delete old days: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (day, off_day, name, notice_year)
			SELECT d, o, n, $4 FROM unnest($1::date[], $2::boolean[], $3::text[]) AS t (d, o, n)
			ON CONFLICT (day) DO UPDATE SET off_day = EXCLUDED.off_day, name = EXCLUDED.name,
				notice_year = EXCLUDED.notice_year`,
			pq.Array(dates), pq.Array(off), pq.Array(names), year)
		if err != nil {
			return fmt.Errorf("insert days: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import holidays %d: %w", year, err)
	}
	return nil
}

// checkHolidayYear applies to data from any source the checks LoadHolidayJSON applies to a file.
func checkHolidayYear(year int, days []domain.CalendarDay) error {
	bad := func(msg string) error {
		return &domain.InputError{Field: "days", Code: "invalid_holiday_file", Message: msg}
	}
	if year < 1949 || year > 9999 {
		return bad(fmt.Sprintf("节假日数据的年份%d无效", year))
	}
	if len(days) == 0 {
		return bad(fmt.Sprintf("%d年节假日数据为空（国务院通知可能尚未发布），不能导入", year))
	}
	seen := make(map[domain.Date]bool, len(days))
	for _, d := range days {
		if d.Date.IsZero() || d.Date.Y < year-1 || d.Date.Y > year+1 {
			return bad(fmt.Sprintf("%d年节假日数据中的日期%s不在该年度或相邻年度", year, d.Date))
		}
		if seen[d.Date] {
			return bad(fmt.Sprintf("节假日数据中日期%s重复出现", d.Date))
		}
		seen[d.Date] = true
	}
	return nil
}
