// Package pgtest gives each test its own freshly migrated PostgreSQL database, so test packages run in parallel
// against one server without seeing each other's rows.
//
// The server comes from pgsrv.Ensure with pgsrv.TestDataDir (DATABASE_URL, else 127.0.0.1:5432, else a shared
// private cluster). Migrations run once into a template database named after a hash of the migration files; each
// test database is a cheap copy of it (CREATE DATABASE ... TEMPLATE) and is dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"xinyong/migrations"
	"xinyong/storage"
	"xinyong/storage/pgsrv"
)

// New returns a handle on a fresh, migrated database of the test's own, closed and dropped when the test ends.
func New(t testing.TB) *storage.DB {
	t.Helper()
	dsn := DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Registered after DSN's drop, so it runs before it.
	t.Cleanup(func() { db.Close() })
	// Few idle connections per test database: many tests run at once against one server, whose connection limit
	// the service's own pool (as many idle as open, storage.Open) would exhaust.
	db.SetMaxIdleConns(2)
	// A no-op on a copy of the migrated template, but it keeps New honest if the template ever lags.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return db
}

// DSN returns the DSN of a fresh, migrated database of the test's own, dropped (with its connections) when the
// test ends; for tests that start a whole server against it.
func DSN(t testing.TB) string {
	t.Helper()
	s, err := getServer(t)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := dbName(packageName(), t.Name())
	if err := s.createFromTemplate(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.drop(ctx, name); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	dsn, err := pgsrv.WithDatabase(s.dsn, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// server is the process-wide admin connection; one per test binary.
type server struct {
	dsn   string
	admin *sql.DB

	mu       sync.Mutex
	template string // name of the template known to exist; "" until built or found
}

var (
	serverOnce sync.Once
	theServer  *server
	serverErr  error
)

func getServer(t testing.TB) (*server, error) {
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		dsn, err := pgsrv.Ensure(ctx, pgsrv.Options{DataDir: pgsrv.TestDataDir(), Database: "postgres", Logf: t.Logf})
		if err != nil {
			serverErr = fmt.Errorf("no PostgreSQL for tests (run `go run ./cmd/xinyong setup`): %w", err)
			return
		}
		admin, err := sql.Open("postgres", dsn)
		if err != nil {
			serverErr = fmt.Errorf("open admin connection: %w", err)
			return
		}
		admin.SetMaxOpenConns(4)
		if err := admin.PingContext(ctx); err != nil {
			admin.Close()
			serverErr = fmt.Errorf("ping %s: %w", dsn, err)
			return
		}
		theServer = &server{dsn: dsn, admin: admin}
		theServer.sweep(ctx)
	})
	return theServer, serverErr
}

// createFromTemplate copies the migrated template into name, rebuilding the template if another test binary (with
// other migrations) dropped it meanwhile.
func (s *server) createFromTemplate(ctx context.Context, name string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var tpl string
		tpl, err = s.ensureTemplate(ctx)
		if err != nil {
			return err
		}
		_, err = s.admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+pq.QuoteIdentifier(tpl))
		if err == nil {
			return nil
		}
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) {
			break
		}
		switch pqErr.Code {
		case "3D000": // invalid_catalog_name: the template is gone
			s.mu.Lock()
			s.template = ""
			s.mu.Unlock()
		case "55006": // object_in_use: someone is connected to the template; they leave quickly
			time.Sleep(500 * time.Millisecond)
		default:
			return fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return fmt.Errorf("create database %s: %w", name, err)
}

// templateLockKey serialises template building across every test binary sharing the server.
const templateLockKey = 0x78696e796f6e67 // "xinyong"

// ensureTemplate returns the name of the migrated template, building it under an advisory lock when missing.
func (s *server) ensureTemplate(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.template != "" {
		return s.template, nil
	}
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "xinyong_tpl_" + hash[:16]

	// Advisory locks belong to a session, so lock and unlock on one dedicated connection.
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("admin connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, templateLockKey); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, templateLockKey)

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).
		Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if !exists {
		if err := s.buildTemplate(ctx, conn, name); err != nil {
			return "", err
		}
		s.dropOldTemplates(ctx, conn, name)
	}
	s.template = name
	return name, nil
}

// buildTemplate migrates a scratch database and renames it into place only once complete, so a crash midway never
// leaves a half-migrated template behind.
func (s *server) buildTemplate(ctx context.Context, conn *sql.Conn, name string) error {
	build := name + "_build"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(build)+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop stale %s: %w", build, err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(build)+
		` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		return fmt.Errorf("create %s: %w", build, err)
	}
	dsn, err := pgsrv.WithDatabase(s.dsn, build)
	if err != nil {
		return err
	}
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		return err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	for _, stmt := range []string{
		`ALTER DATABASE ` + pq.QuoteIdentifier(build) + ` RENAME TO ` + pq.QuoteIdentifier(name),
		// No connections, so nothing ever blocks copying it.
		`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("finish template %s: %w", name, err)
		}
	}
	return nil
}

// dropOldTemplates removes templates of earlier migrations; a binary still using one rebuilds it on demand.
func (s *server) dropOldTemplates(ctx context.Context, conn *sql.Conn, keep string) {
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'xinyong\_tpl\_%' AND datname NOT LIKE '%\_build' AND datname <> $1`, keep)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		_, _ = conn.ExecContext(ctx, `ALTER DATABASE `+pq.QuoteIdentifier(n)+` WITH IS_TEMPLATE false`)
		_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(n))
	}
}

func (s *server) drop(ctx context.Context, name string) error {
	if _, err := s.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// staleAfter is how old a test database must be before sweep takes it for a leftover of a killed test run.
const staleAfter = 24 * time.Hour

// sweep drops test databases that killed test runs never dropped; the creation time is in their names.
func (s *server) sweep(ctx context.Context) {
	rows, err := s.admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'xinyong\_t\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			continue
		}
		if created, ok := createdAt(n); ok && time.Since(created) > staleAfter {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		_ = s.drop(ctx, n)
	}
}

// suffixRandom is how many hex digits of randomness follow the base-36 creation time in a database name.
const suffixRandom = 4

// dbName is xinyong_t_<package>_<test>_<creation time base 36><random>, within PostgreSQL's 63-byte limit.
func dbName(pkg, test string) string {
	var rnd [suffixRandom / 2]byte
	_, _ = rand.Read(rnd[:])
	suffix := strconv.FormatInt(time.Now().Unix(), 36) + hex.EncodeToString(rnd[:])
	const prefix = "xinyong_t_"
	middle := sanitize(pkg + "_" + test)
	if max := 63 - len(prefix) - 1 - len(suffix); len(middle) > max {
		middle = strings.TrimRight(middle[:max], "_")
	}
	return prefix + middle + "_" + suffix
}

// createdAt reads the creation time back out of a name made by dbName.
func createdAt(name string) (time.Time, bool) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 || len(name)-i-1 <= suffixRandom {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(name[i+1:len(name)-suffixRandom], 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

func sanitize(s string) string {
	return strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// packageName is the tested package's folder: `go test` runs each test binary in its package's folder.
func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "pkg"
	}
	return filepath.Base(wd)
}

// migrationsHash names the template after the migrations' content, so a changed migration gets a new template.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
