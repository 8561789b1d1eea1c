package storage

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Lists are read into slices of structs. sqlx does that by allocating each row on its own, finding each column's
// field again for every row and appending the row to the slice by reflection (copying it, and the slice as it
// grows): a third of the processor time of a home page's reads at 1,000,000 records (issue 17). selectStructs finds
// the fields once per query shape and scans every row in place. It reads only what sqlx reads the same way: a slice
// of plain structs whose every column has a field reached without a pointer; anything else goes to sqlx.

// scanPlan is where each column of a result goes in its struct: the field's index path.
type scanPlan [][]int

type scanPlanKey struct {
	t       reflect.Type
	columns string
}

var (
	scanPlans   sync.Map // scanPlanKey -> scanPlan, or nil where sqlx must read the rows
	scannerType = reflect.TypeFor[sql.Scanner]()
)

// planFor returns how to read columns into t, or nil when t is not a plain struct every column maps to.
func planFor(m *sqlx.DB, t reflect.Type, columns []string) scanPlan {
	key := scanPlanKey{t, strings.Join(columns, ",")}
	if p, ok := scanPlans.Load(key); ok {
		return p.(scanPlan)
	}
	var plan scanPlan
	if t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(scannerType) {
		tm := m.Mapper.TypeMap(t)
		plan = make(scanPlan, len(columns))
		for i, c := range columns {
			fi, ok := tm.Names[c] // as sqlx maps a column (reflectx.TraversalsByName)
			if !ok || throughPointer(t, fi.Index) {
				plan = nil
				break
			}
			plan[i] = fi.Index
		}
	}
	scanPlans.Store(key, plan)
	return plan
}

// throughPointer tells whether reaching the field at index from t passes through a pointer (an embedded *T), which
// would have to be allocated first.
func throughPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		t = t.Field(i).Type
		if t.Kind() != reflect.Struct {
			return true
		}
	}
	return false
}

// selectStructs runs st and reads its rows into dest (a pointer to a slice of structs); false when the rows are not
// of a shape it reads, in which case nothing has run and the caller asks sqlx.
func (db *DB) selectStructs(ctx context.Context, st *sqlx.Stmt, dest any, args ...any) (bool, error) {
	dv := reflect.ValueOf(dest)
	if dv.Kind() != reflect.Pointer || dv.Elem().Kind() != reflect.Slice || dv.Elem().Type().Elem().Kind() != reflect.Struct {
		return false, nil
	}
	elem := dv.Elem().Type().Elem()
	if reflect.PointerTo(elem).Implements(scannerType) {
		return false, nil
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return true, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return true, err
	}
	plan := planFor(db.DB, elem, columns)
	if plan == nil { // sqlx reads (and reports unmapped columns) as it always did
		return true, sqlx.StructScan(rows, dest)
	}
	// Rows are added to dest as sqlx adds them (no rows, dest as it was: nil stays nil).
	slice := dv.Elem()
	values := make([]any, len(columns))
	for rows.Next() {
		n := slice.Len()
		if n == slice.Cap() {
			slice.Grow(max(n, 8))
		}
		slice.SetLen(n + 1)
		row := slice.Index(n)
		for i, index := range plan {
			values[i] = row.FieldByIndex(index).Addr().Interface()
		}
		if err := rows.Scan(values...); err != nil {
			slice.SetLen(n) // the row that failed is not added
			return true, err
		}
	}
	if err := rows.Err(); err != nil {
		return true, err
	}
	return true, nil
}
