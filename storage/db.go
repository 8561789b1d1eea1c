// Package storage owns every SQL statement of xinyong: one file per entity, plain SQL next to the code that runs it.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // also the PostgreSQL driver

	"xinyong/migrations"
)

// DB is the application's handle on PostgreSQL.
type DB struct {
	*sqlx.DB
	// Unprepared runs every read as it is, planned for its arguments on each call: for tests that inspect the
	// plan of each statement (EXPLAIN sees only unprepared ones).
	Unprepared bool
	stmtsOnce  sync.Once
	stmts      *stmtCache // see stmtcache.go
	// series serializes this process's letters of one numbering series before they take a connection
	// (PutNumberedLetter): a chan struct{} of capacity one by LetterSeries.
	series    sync.Map
	dsn       string     // as opened, for the credentials cache's own connection
	creds     *credCache // nil unless CacheCredentials
	credsOnce sync.Once
}

// Open connects to PostgreSQL at dsn and checks that it answers.
func Open(ctx context.Context, dsn string) (*DB, error) {
	dsn = withSessionSettings(dsn)
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	// As many idle as open: with fewer, a burst of more than the idle count closed the extra connections on release
	// and opened new ones the moment after, each a new server process warming its caches and preparing its
	// statements again (most of PostgreSQL's processor time under registration load, issue 17). Idle ones still
	// close after ConnMaxIdleTime.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: ping: %w", err)
	}
	return &DB{DB: db, dsn: dsn}, nil
}

// sessionSettings are set on every connection (lib/pq passes unknown DSN keys to the server as run-time
// parameters). A worker cut off from the network in the middle of a transaction leaves its backend idle in that
// transaction, holding its locks (a letter series' counter row, say) until the kernel notices the dead peer, which
// takes hours; every other worker's letters of that series would wait on it. The server ends such a session after a
// minute instead, rolling back its transaction, and the cut-off worker's activity is retried. No transaction of
// ours waits a minute between two statements.
//
// binary_parameters makes lib/pq send a statement with arguments in one round trip (parse, bind and execute
// together) instead of two (it otherwise asks the server for the parameter types first), and []byte arguments
// as they are rather than hex text: a page of the enterprise's home issues about ten statements, and the extra
// round trips were most of the database's time per page (issue 17). JSON bound for jsonb columns is therefore
// passed as text (a []byte would be taken for jsonb's binary form).
var sessionSettings = [][2]string{{"idle_in_transaction_session_timeout", "60000"}, {"binary_parameters", "yes"}}

// withSessionSettings adds sessionSettings to a key=value or URL DSN unless it sets them itself.
func withSessionSettings(dsn string) string {
	for _, kv := range sessionSettings {
		dsn = withSetting(dsn, kv[0], kv[1])
	}
	return dsn
}

// withSetting adds key=value to a key=value or URL DSN unless it sets key itself.
func withSetting(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn // sqlx.Open reports it
		}
		q := u.Query()
		if !q.Has(key) {
			q.Set(key, value)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	if strings.Contains(dsn, key+"=") {
		return dsn
	}
	return strings.TrimSpace(dsn + " " + key + "=" + value)
}

// Migrate applies the embedded migrations.
func (db *DB) Migrate(ctx context.Context) error {
	return migrations.Up(ctx, db.DB.DB)
}

// ErrNotFound is returned when a row does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with existing state (a unique key, a state already left).
var ErrConflict = errors.New("conflict")

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// InTx runs fn in a transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// stringArray passes a list of domain values (statuses, kinds) as a PostgreSQL text[] parameter.
func stringArray[T ~string](vs []T) pq.StringArray {
	a := make(pq.StringArray, len(vs))
	for i, v := range vs {
		a[i] = string(v)
	}
	return a
}
