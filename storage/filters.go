package storage

import (
	"reflect"
	"strconv"
	"strings"
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
