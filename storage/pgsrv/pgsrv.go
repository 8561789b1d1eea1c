// Package pgsrv finds or starts a PostgreSQL server for development and tests, so that `xinyong dev` and `go test`
// work on a fresh machine without hand-made database setup.
//
// The order is: DATABASE_URL if set; else a server already answering on 127.0.0.1:5432 as user postgres with trust
// auth; else a private cluster under <DataDir>/pg on port 54329, created with initdb on first use and started with
// pg_ctl. The private cluster is left running when the process exits so the next run (or another test package) reuses
// it; stop it with `pg_ctl stop -D <DataDir>/pg` (as the postgres user when running as root) or with Stop. Its log
// is <DataDir>/pg/server.log. Root cannot run PostgreSQL, so as root the cluster runs as the postgres system user,
// and lives under /var/tmp/xinyong-pg-<hash> when that user cannot enter DataDir.
package pgsrv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lib/pq"
)

// DefaultPort is the port of the private cluster; it differs from 5432 so it never collides with a system server.
const DefaultPort = 54329

// DefaultDatabase is the database Ensure names when Options.Database is empty.
const DefaultDatabase = "xinyong"

// systemAdminDSN reaches a PostgreSQL installed the usual way (Debian's package, a container) with trust auth.
const systemAdminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"

// Options tells Ensure where a private cluster lives and which database to hand back.
type Options struct {
	// DataDir holds the private cluster in DataDir/pg; needed only when no other server is found.
	DataDir string
	// Database is the database the returned DSN names, created when missing; DefaultDatabase when empty.
	Database string
	// Port is the private cluster's port; DefaultPort when zero.
	Port int
	// NoSystemServer skips the server on 127.0.0.1:5432, so a private cluster is used even when one answers there.
	NoSystemServer bool
	// Logf reports what Ensure found or started; nil discards.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// TestDataDir is where tests and `xinyong setup` keep their private cluster: one shared folder, so that all test
// packages of a `go test ./...` run use one server. XINYONG_TEST_DATA overrides it.
func TestDataDir() string {
	if d := os.Getenv("XINYONG_TEST_DATA"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "xinyong-test-pg")
}

// Ensure returns the DSN of a PostgreSQL database named opts.Database, finding or starting a server as the package
// doc describes. With DATABASE_URL set it returns that URL unchanged and creates nothing.
func Ensure(ctx context.Context, opts Options) (string, error) {
	opts.defaults()
	if u := os.Getenv("DATABASE_URL"); u != "" {
		opts.Logf("postgres: using DATABASE_URL")
		return u, nil
	}
	if !opts.NoSystemServer {
		if err := ping(ctx, systemAdminDSN); err == nil {
			dsn, err := WithDatabase(systemAdminDSN, opts.Database)
			if err != nil {
				return "", err
			}
			if err := createIfMissing(ctx, systemAdminDSN, opts.Database); err != nil {
				return "", err
			}
			opts.Logf("postgres: using the server on 127.0.0.1:5432, database %s", opts.Database)
			return stripConnectTimeout(dsn), nil
		}
	}
	if opts.DataDir == "" {
		return "", errors.New("pgsrv: no PostgreSQL found and no data dir for a private cluster")
	}
	return ensurePrivate(ctx, opts)
}

// WithDatabase returns dsn (URL or key=value form) naming database name instead of its own.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgsrv: parse dsn: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// key=value form: values here never hold spaces in practice, but quote the one we write.
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if strings.HasPrefix(f, "dbname=") {
			continue
		}
		parts = append(parts, f)
	}
	parts = append(parts, "dbname='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name)+"'")
	return strings.Join(parts, " "), nil
}

// CreateDatabase creates database name through db unless it exists, as UTF8 with the C locale so that sorting and
// text functions behave the same on every machine. Concurrent callers creating the same name both succeed.
func CreateDatabase(ctx context.Context, db *sql.DB, name string) error {
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).
		Scan(&exists); err != nil {
		return fmt.Errorf("pgsrv: look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+
		` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`)
	var pqErr *pq.Error
	// 42P04 duplicate_database, 23505 unique_violation on pg_database: another caller won the race.
	if errors.As(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgsrv: create database %s: %w", name, err)
	}
	return nil
}

func createIfMissing(ctx context.Context, adminDSN, name string) error {
	db, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return fmt.Errorf("pgsrv: open admin connection: %w", err)
	}
	defer db.Close()
	return CreateDatabase(ctx, db, name)
}

// ping connects once; connect_timeout in the DSN (or ctx) bounds it.
func ping(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return db.PingContext(pctx)
}

// stripConnectTimeout drops the short probe timeout from a DSN handed to callers, who have their own.
func stripConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Del("connect_timeout")
	u.RawQuery = q.Encode()
	return u.String()
}

func privateDSN(port int, database string, probe bool) string {
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, url.PathEscape(database))
	if probe {
		dsn += "&connect_timeout=2"
	}
	return dsn
}

// hashPath names the fallback folder of a data dir the postgres user cannot reach, stable per absolute path.
func hashPath(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])[:12]
}

// Available tells whether Ensure can get a server without installing anything: DATABASE_URL is set, a server
// answers on 127.0.0.1:5432, or initdb and pg_ctl are there to start a private cluster.
func Available(ctx context.Context) bool {
	if os.Getenv("DATABASE_URL") != "" || ping(ctx, systemAdminDSN) == nil {
		return true
	}
	_, _, err := findBinaries()
	return err == nil
}
