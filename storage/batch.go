package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/maphash"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// A Batch is several reads sent to PostgreSQL in one round trip. A page that shows many lists (the enterprise's home
// page shows eight) spent most of its time on the round trips of its statements rather than on running them: each
// costs the server and this process about 0.1 ms beyond its run (issue 17). The reads of a batch are prepared once
// per connection under names of their own (PREPARE) and executed together in one simple query (EXECUTE, one
// after the other, their arguments written as quoted literals). Every read is the same statement its list runs on
// its own: each list function adds its read to a batch (the Batch methods beside it) and runs that.
//
// Reads whose arguments cannot be written as literals, and batches of one read, run one by one as before.
type Batch struct {
	reads []batchRead
}

type batchRead struct {
	dest  any // a pointer to a slice, as SelectContext takes
	query string
	args  []any
	what  string       // for errors: "list repairs", say
	after func() error // post-processing once dest is read (trimming to the limit, grouping)
}

func (b *Batch) add(what string, dest any, query string, args []any, after func() error) {
	b.reads = append(b.reads, batchRead{dest: dest, query: query, args: args, what: what, after: after})
}

// runOne runs the one read add adds to a batch of its own (a list read alone, as its API and pages read it).
func runOne[T any](ctx context.Context, db *DB, add func(b *Batch, out *T)) (T, error) {
	var b Batch
	var out T
	add(&b, &out)
	err := db.Run(ctx, &b)
	return out, err
}

// Run reads every read of b (in one round trip where it can) and empties b.
func (db *DB) Run(ctx context.Context, b *Batch) error {
	reads := b.reads
	b.reads = nil
	var lits [][]string
	ok := len(reads) > 1 && !db.Unprepared
	if ok {
		lits, ok = literalArgs(reads)
	}
	if !ok {
		for _, r := range reads {
			if err := db.SelectContext(ctx, r.dest, r.query, r.args...); err != nil {
				return fmt.Errorf("%s: %w", r.what, err)
			}
			if err := finish(r); err != nil {
				return err
			}
		}
		return nil
	}
	err := db.runBatch(ctx, reads, lits)
	if pq.As(err, pqerror.InvalidSQLStatementName) != nil { // a prepared statement gone (DEALLOCATE ALL, say): prepare again once
		for _, r := range reads { // rows the first attempt read are not read twice
			reflect.ValueOf(r.dest).Elem().SetZero()
		}
		err = db.runBatch(ctx, reads, lits)
	}
	return err
}

func finish(r batchRead) error {
	if r.after == nil {
		return nil
	}
	if err := r.after(); err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	return nil
}

func (db *DB) runBatch(ctx context.Context, reads []batchRead, lits [][]string) error {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	defer conn.Close()
	names, err := prepareBatch(ctx, conn, reads)
	if err != nil {
		return err
	}
	var q strings.Builder
	for i := range reads {
		q.WriteString("EXECUTE ")
		q.WriteString(names[i])
		if len(lits[i]) > 0 {
			q.WriteByte('(')
			q.WriteString(strings.Join(lits[i], ", "))
			q.WriteByte(')')
		}
		q.WriteString(";\n")
	}
	// The driver reads ahead (an error of the second read may come with the first's rows): a failure is the batch's.
	fail := func(err error) error {
		forgetPrepared(conn)
		whats := make([]string, len(reads))
		for i, r := range reads {
			whats[i] = r.what
		}
		return fmt.Errorf("batch (%s): %w", strings.Join(whats, "; "), err)
	}
	rows, err := conn.QueryContext(ctx, q.String())
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for i, r := range reads {
		if i > 0 && !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				return fail(err)
			}
			return fail(fmt.Errorf("no result for %s", r.what))
		}
		if err := db.scanAll(rows, r.dest); err != nil {
			return fail(fmt.Errorf("%s: %w", r.what, err))
		}
		if err := rows.Err(); err != nil {
			return fail(err)
		}
	}
	for _, r := range reads {
		if err := finish(r); err != nil {
			return err
		}
	}
	return nil
}

// batchPrefix names the statements a batch prepares; statementName the one of a query text.
const batchPrefix = "xinyong_batch_"

func statementName(query string) string {
	return batchPrefix + strconv.FormatUint(maphash.String(statementSeed, query), 36)
}

// statementSeed hashes the statements' names. It is the process's own: a connection's prepared statements are
// those of the process that opened it. maphash rather than FNV: a page names about ten statements of a kilobyte
// each, and hashing them byte by byte was 1% of an enterprise's home page (issue 17).
var statementSeed = maphash.MakeSeed()

// connStatements are the batch statements prepared on one connection.
type connStatements struct {
	mu    sync.Mutex
	names map[string]bool
}

// batchConns holds connStatements by driver connection. Connections come and go with the pool; past
// maxBatchConns the map starts again (a connection it forgot reads what it has prepared from the server).
var (
	batchConnsMu sync.Mutex
	batchConns   = map[any]*connStatements{}
)

const maxBatchConns = 256

func driverConnOf(conn *sql.Conn) any {
	var key any
	_ = conn.Raw(func(dc any) error { key = dc; return nil })
	return key
}

func forgetPrepared(conn *sql.Conn) {
	key := driverConnOf(conn)
	batchConnsMu.Lock()
	delete(batchConns, key)
	batchConnsMu.Unlock()
}

// prepareBatch prepares on conn the reads' statements it does not have yet and returns their names.
func prepareBatch(ctx context.Context, conn *sql.Conn, reads []batchRead) ([]string, error) {
	key := driverConnOf(conn)
	batchConnsMu.Lock()
	cs := batchConns[key]
	if cs == nil {
		if len(batchConns) >= maxBatchConns {
			batchConns = map[any]*connStatements{}
		}
		cs = &connStatements{}
		batchConns[key] = cs
	}
	batchConnsMu.Unlock()
	cs.mu.Lock() // a connection serves one caller at a time; the lock only guards the map
	defer cs.mu.Unlock()
	if cs.names == nil { // a connection new to this map: what has it prepared already?
		var have []string
		rows, err := conn.QueryContext(ctx, `SELECT name FROM pg_prepared_statements WHERE name LIKE '`+batchPrefix+`%'`)
		if err != nil {
			return nil, fmt.Errorf("batch: prepared statements: %w", err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("batch: prepared statements: %w", err)
			}
			have = append(have, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("batch: prepared statements: %w", err)
		}
		cs.names = map[string]bool{}
		for _, n := range have {
			cs.names[n] = true
		}
	}
	names := make([]string, len(reads))
	var prepare strings.Builder
	var added []string
	for i, r := range reads {
		names[i] = statementName(r.query)
		if cs.names[names[i]] || slices.Contains(added, names[i]) { // a read twice in a batch is prepared once
			continue
		}
		prepare.WriteString("PREPARE " + names[i] + " AS " + r.query + ";\n")
		added = append(added, names[i])
	}
	if prepare.Len() > 0 {
		if _, err := conn.ExecContext(ctx, prepare.String()); err != nil {
			cs.names = nil // some may have been prepared: read them again next time
			return nil, fmt.Errorf("batch: prepare: %w", err)
		}
		for _, n := range added {
			cs.names[n] = true
		}
	}
	return names, nil
}

// literalArgs writes every read's arguments as SQL literals; false when one cannot be written (the reads then run
// one by one, with their arguments bound).
func literalArgs(reads []batchRead) ([][]string, bool) {
	out := make([][]string, len(reads))
	for i, r := range reads {
		for _, a := range r.args {
			l, ok := literal(a)
			if !ok {
				return nil, false
			}
			out[i] = append(out[i], l)
		}
	}
	return out, true
}

// literal writes v as a quoted literal (typed by the statement's parameter it is passed to, as a bound text value
// would be), or NULL.
func literal(v any) (string, bool) {
	if dv, ok := v.(driver.Valuer); ok {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "NULL", true
		}
		x, err := dv.Value()
		if err != nil {
			return "", false
		}
		v = x
	}
	switch x := v.(type) {
	case nil:
		return "NULL", true
	case string:
		return quoted(x)
	case []byte:
		if !utf8.Valid(x) {
			return "", false
		}
		return quoted(string(x))
	case bool:
		return "'" + strconv.FormatBool(x) + "'", true
	case time.Time:
		return "'" + x.Format(time.RFC3339Nano) + "'", true
	case int:
		return "'" + strconv.Itoa(x) + "'", true
	case int64:
		return "'" + strconv.FormatInt(x, 10) + "'", true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return quoted(rv.String())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "'" + strconv.FormatInt(rv.Int(), 10) + "'", true
	}
	return "", false
}

// quoted is s as a standard-conforming string literal; false for text PostgreSQL cannot hold (a NUL).
func quoted(s string) (string, bool) {
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return "", false
	}
	return pq.QuoteLiteral(s), true
}
