package storage

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/jmoiron/sqlx"
)

// Lists are read into slices of structs. sqlx does that by allocating each row on its own, finding each column's
// field again for every row and appending the row to the slice by reflection (copying it, and the slice as it
// grows): a third of the processor time of a home page's reads at 1,000,000 records (issue 17). selectStructs finds
// the fields once per query shape and scans every row in place. It reads only what sqlx reads the same way: a slice
// of plain structs whose every column has a field reached without a pointer; anything else goes to sqlx.

// scanPlan is where each column of a result goes in its struct.
type scanPlan []scanColumn

// scanColumn is one column's field: its offset in the row, its type and, for the plain kinds the driver returns as
// they are (strings, 64-bit integers, booleans, floats, times), how to set it from the driver's value without
// database/sql's reflective conversion. Any other field (a Scanner, a pointer, a slice) is scanned by database/sql
// itself, through its address.
type scanColumn struct {
	offset uintptr
	typ    reflect.Type
	fast   fastKind
}

type fastKind uint8

const (
	scanByDriver fastKind = iota // database/sql converts into the field
	fastString
	fastInt64
	fastBool
	fastFloat64
	fastTime
)

var timeType = reflect.TypeFor[time.Time]()

// fastKindOf says how a field of type t is set from the driver's value, or scanByDriver when database/sql must.
func fastKindOf(t reflect.Type) fastKind {
	if reflect.PointerTo(t).Implements(scannerType) {
		return scanByDriver
	}
	if t == timeType {
		return fastTime
	}
	switch t.Kind() {
	case reflect.String:
		return fastString
	case reflect.Int64, reflect.Int:
		if t.Size() == 8 {
			return fastInt64
		}
	case reflect.Bool:
		return fastBool
	case reflect.Float64:
		return fastFloat64
	}
	return scanByDriver
}

// set writes v, the driver's value, to the field at p; false when v is not of the kind the field takes as it is
// (NULL, say), which database/sql must then convert (or refuse) as it always does.
func (c scanColumn) set(p unsafe.Pointer, v any) bool {
	switch c.fast {
	case fastString:
		switch v := v.(type) {
		case string:
			*(*string)(p) = v
			return true
		case []byte:
			*(*string)(p) = string(v)
			return true
		}
	case fastInt64:
		if v, ok := v.(int64); ok {
			*(*int64)(p) = v
			return true
		}
	case fastBool:
		if v, ok := v.(bool); ok {
			*(*bool)(p) = v
			return true
		}
	case fastFloat64:
		if v, ok := v.(float64); ok {
			*(*float64)(p) = v
			return true
		}
	case fastTime:
		if v, ok := v.(time.Time); ok {
			*(*time.Time)(p) = v
			return true
		}
	}
	return false
}

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
			f := t.FieldByIndex(fi.Index)
			plan[i] = scanColumn{offset: offsetOf(t, fi.Index), typ: f.Type, fast: fastKindOf(f.Type)}
		}
	}
	scanPlans.Store(key, plan)
	return plan
}

// offsetOf is the offset of the field at index (reached without pointers) from the start of t.
func offsetOf(t reflect.Type, index []int) uintptr {
	var off uintptr
	for _, i := range index {
		f := t.Field(i)
		off += f.Offset
		t = f.Type
	}
	return off
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
	if !inPlace(dest) {
		return false, nil
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return true, err
	}
	defer rows.Close()
	if err := db.scanAll(rows, dest); err != nil {
		return true, err
	}
	return true, rows.Err()
}

// inPlace tells whether scanAll reads into dest itself: a pointer to a slice of structs that are not Scanners.
func inPlace(dest any) bool {
	t := reflect.TypeOf(dest)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Slice || t.Elem().Elem().Kind() != reflect.Struct {
		return false
	}
	return !reflect.PointerTo(t.Elem().Elem()).Implements(scannerType)
}

// scanAll reads the rows of the current result set into dest, a pointer to a slice (of structs, read in place when
// every column maps to a field; anything else as sqlx reads it). It leaves rows open: a batch reads its next result
// set from them.
func (db *DB) scanAll(rows *sql.Rows, dest any) error {
	if !inPlace(dest) {
		return sqlx.StructScan(rows, dest)
	}
	dv := reflect.ValueOf(dest)
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	plan := planFor(db.DB, dv.Elem().Type().Elem(), columns)
	if plan == nil { // sqlx reads (and reports unmapped columns) as it always did
		return sqlx.StructScan(rows, dest)
	}
	// Rows are added to dest as sqlx adds them (no rows, dest as it was: nil stays nil). The plain columns are
	// scanned as the driver's values and set directly; a value database/sql must convert after all (a NULL into a
	// string, say) is scanned again into its field, so that it is converted or refused exactly as before.
	//
	// The rows are read into a scratch slice of the process's and then copied to dest at their number: grown by
	// doubling, dest itself took twice the rows' room in discarded arrays (a record is 896 bytes), most of what a
	// page allocated and the collector then had to reclaim (issue 17).
	sc := takeScratch(dv.Type().Elem())
	work := sc.rows
	defer sc.handTo(dv.Elem())
	values := make([]any, len(columns))
	raw := make([]any, len(columns))
	for i, c := range plan {
		if c.fast != scanByDriver {
			values[i] = &raw[i]
		}
	}
	var again []any
	for rows.Next() {
		n := work.Len()
		if n == work.Cap() {
			work.Grow(max(n, 8))
		}
		work.SetLen(n + 1)
		base := work.Index(n).Addr().UnsafePointer()
		for i, c := range plan {
			if c.fast == scanByDriver {
				values[i] = reflect.NewAt(c.typ, unsafe.Add(base, c.offset)).Interface()
			}
		}
		if err := rows.Scan(values...); err != nil {
			work.Index(n).SetZero()
			work.SetLen(n) // the row that failed is not added
			return err
		}
		for i, c := range plan {
			if c.fast == scanByDriver || c.set(unsafe.Add(base, c.offset), raw[i]) {
				continue
			}
			if again == nil {
				again = make([]any, len(columns))
			}
			for j := range again {
				again[j] = new(any)
			}
			again[i] = reflect.NewAt(c.typ, unsafe.Add(base, c.offset)).Interface()
			if err := rows.Scan(again...); err != nil {
				work.Index(n).SetZero()
				work.SetLen(n)
				return err
			}
		}
	}
	return nil
}

// scratchKept is the most room (in bytes) a scratch slice keeps between reads: a list page's rows, not an export's.
const scratchKept = 256 << 10

// scratches holds, per slice type, a sync.Pool of pointers to scratch slices of that type.
var scratches sync.Map

// A scratch is a slice of rows being read (addressable, so it grows in place) and the pool it goes back to.
type scratch struct {
	rows reflect.Value
	pool *sync.Pool
}

// takeScratch returns an empty scratch slice of type t.
func takeScratch(t reflect.Type) scratch {
	pool, ok := scratches.Load(t)
	if !ok {
		pool, _ = scratches.LoadOrStore(t, &sync.Pool{})
	}
	sc := scratch{pool: pool.(*sync.Pool)}
	if p := sc.pool.Get(); p != nil {
		sc.rows = reflect.ValueOf(p).Elem()
	} else {
		sc.rows = reflect.New(t).Elem()
	}
	return sc
}

// handTo adds the scratch's rows to dest and keeps the scratch for the next read of its type, cleared (its rows'
// strings are dest's now and must not be kept alive here), unless it grew past scratchKept: then it is dropped, or,
// when dest is empty, becomes dest itself (copying a result that large would cost more than it saves).
func (sc scratch) handTo(dest reflect.Value) {
	rows := sc.rows
	oversized := rows.Cap()*int(rows.Type().Elem().Size()) > scratchKept
	if oversized && dest.Len() == 0 {
		if rows.Len() > 0 {
			dest.Set(rows)
		}
		return
	}
	if rows.Len() > 0 {
		dest.Set(reflect.AppendSlice(dest, rows))
	}
	if oversized {
		return
	}
	rows.Clear()
	rows.SetLen(0)
	sc.pool.Put(rows.Addr().Interface())
}
