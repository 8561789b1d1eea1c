package storage

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// conds builds the WHERE clause of a list from only the filters a call asks for. Reads are prepared statements
// kept per query text (stmtcache.go): a statement that names only its own filters can keep a generic plan, where a
// catch-all one (each filter written as "empty, or equal") was planned again on every call — planning took longer
// than running the home pages' lists at 1,000,000 records (issue 17) — or, planned generically, walked the wrong
// index.
type conds struct {
	where []string
	args  []any
}

// add appends a condition; each "$?" in sql takes the next of args.
func (c *conds) add(sql string, args ...any) {
	for _, a := range args {
		sql = strings.Replace(sql, "$?", c.arg(a), 1)
	}
	c.where = append(c.where, sql)
}

// addIf adds a condition of one argument when v is set: a filter left at its zero value ("" or 0) was not asked
// for.
func (c *conds) addIf(sql string, v any) {
	if v == nil || reflect.ValueOf(v).IsZero() {
		return
	}
	c.add(sql, v)
}

// caseConds are the filters of a case list (CaseFilter) on the cases aliased a, in the lists' order (overdue
// first, then the newest) with its cursor; open (with its arguments) is what "still in progress" means for the kind.
func caseConds[T ~string](a string, f CaseFilter, statuses []T, open string, openArgs ...any) conds {
	var c conds
	c.addIf(a+".uscc = $?::bpchar", f.USCC)
	c.addIf(a+".department_id = $?", f.DepartmentID)
	c.addIf(a+".penalty_id = $?", f.PenaltyID)
	if f.Status != "" {
		addEnum(&c, a+".status = $?", f.Status, statuses)
	}
	if f.Open {
		c.add(open, openArgs...)
	}
	if f.OverdueOnly {
		c.add(a + ".overdue")
	}
	if f.AfterOverdue != nil {
		c.add("("+a+".overdue, "+a+".id) < ($?::boolean, $?::bigint)", *f.AfterOverdue, f.AfterID)
	}
	return c
}

// addCaseList adds to b the read of a case list: selectFrom (columns and FROM) filtered by c, in the lists' order
// (overdue first, then the newest, as caseConds's cursor expects) on the cases aliased a, at most limit rows (50
// when none is asked for).
func addCaseList[T any](b *Batch, what, a, selectFrom string, c conds, limit int, out *[]T) {
	if limit <= 0 {
		limit = 50
	}
	b.add(what, out, `SELECT `+selectFrom+`
		WHERE `+c.sql()+`
		ORDER BY `+a+`.overdue DESC, `+a+`.id DESC LIMIT `+limitOf(limit), c.args, func() error { *out = firstN(*out, limit); return nil })
}

// sqlToday is today's date in Beijing, as a statement reads it.
const sqlToday = "(now() AT TIME ZONE 'Asia/Shanghai')::date"

// addEnum adds a condition on a value of a closed vocabulary (a status, a role), written into the statement as a
// literal where an argument would be "$?". These columns are skewed (nearly every withdrawal order is completed,
// few open tasks are the office's): passed as an argument, PostgreSQL either planned the statement again on every
// call for the value it got (0.4-0.7 ms, more than running it) or, planned once for any value, walked the wrong
// index (45 ms for the office's open orders, 190 ms for its tasks, at 1,000,000 records). As a literal, each value
// has its own statement, planned once for that value. A value outside vocabulary (which no row holds) is passed as
// an argument, so that input cannot add statements to the cache.
func addEnum[T ~string](c *conds, sql string, v string, vocabulary []T) {
	if !slices.Contains(vocabulary, T(v)) {
		c.add(sql, v)
		return
	}
	c.where = append(c.where, strings.Replace(sql, "$?", pq.QuoteLiteral(v), 1))
}

// limitOf is a list's LIMIT as written into its statement: the limit asked for rounded up to one of a few sizes,
// the caller keeping the first limit rows (firstN). Passed as an argument, PostgreSQL plans a statement for "some
// limit" as if a tenth of the rows were wanted, judged that plan worse than one for the limit it was given, and so
// planned the lists again on every call (issue 17); a literal limit per size lets it keep one plan. Rounded, the
// sizes a client may ask for (1 to 200) make a handful of statements, not one each. The API's pages read one row
// more than they show (to know whether there is a next page), hence the sizes plus one.
func limitOf(n int) string {
	for _, size := range []int{1, 2, 5, 10, 11, 20, 21, 50, 51, 100, 101, 200, 201, 500, 501, 1000, 1001} {
		if n <= size {
			return strconv.Itoa(size)
		}
	}
	return strconv.Itoa((n + 999) / 1000 * 1000)
}

// firstN keeps the first n of xs (a list read with limitOf).
func firstN[T any](xs []T, n int) []T {
	if n >= 0 && len(xs) > n {
		return xs[:n]
	}
	return xs
}

// arg appends an argument and returns its placeholder.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// sql is the conditions joined with AND (TRUE for none).
func (c *conds) sql() string {
	if len(c.where) == 0 {
		return "TRUE"
	}
	return strings.Join(c.where, " AND ")
}
