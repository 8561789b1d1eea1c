package pgsrv

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
)

func TestEnsureUsesDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://someone@db.example:5432/elsewhere")
	dsn, err := Ensure(context.Background(), Options{})
	require.NoError(t, err)
	require.Equal(t, "postgres://someone@db.example:5432/elsewhere", dsn)
}

func TestWithDatabase(t *testing.T) {
	got, err := WithDatabase("postgres://u:p@h:1/old?sslmode=disable", "new_db")
	require.NoError(t, err)
	require.Equal(t, "postgres://u:p@h:1/new_db?sslmode=disable", got)

	got, err = WithDatabase("host=h port=1 dbname=old sslmode=disable", "new_db")
	require.NoError(t, err)
	require.Equal(t, "host=h port=1 sslmode=disable dbname='new_db'", got)
}

func TestEnsureUsesRunningServer(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ctx := context.Background()
	if err := ping(ctx, systemAdminDSN); err != nil {
		t.Skipf("no PostgreSQL on 127.0.0.1:5432: %v", err)
	}
	name := "xinyong_pgsrv_test_running"
	dropAfter(t, systemAdminDSN, name)

	dsn, err := Ensure(ctx, Options{Database: name, Logf: t.Logf})
	require.NoError(t, err)
	require.Equal(t, name, currentDatabase(t, dsn))

	// A second call finds the database already there.
	again, err := Ensure(ctx, Options{Database: name})
	require.NoError(t, err)
	require.Equal(t, dsn, again)
}

func TestEnsureStartsPrivateCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, _, err := findBinaries(); err != nil {
		t.Skip(err)
	}
	t.Setenv("DATABASE_URL", "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	dataDir := t.TempDir()
	// t.TempDir's folders are 0700; the postgres user must enter them when we run as root.
	require.NoError(t, os.Chmod(dataDir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dataDir), 0o755))
	opts := Options{DataDir: dataDir, Database: "probe", Port: freePort(t), NoSystemServer: true, Logf: t.Logf}
	t.Cleanup(func() { _ = Stop(context.Background(), opts) })

	// Several callers at once, as several test packages would: one starts the cluster, the others wait and reuse it.
	var wg sync.WaitGroup
	dsns := make([]string, 3)
	errs := make([]error, 3)
	for i := range dsns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dsns[i], errs[i] = Ensure(ctx, opts)
		}()
	}
	wg.Wait()
	for i := range dsns {
		require.NoError(t, errs[i])
		require.Equal(t, dsns[0], dsns[i])
	}
	require.Equal(t, "probe", currentDatabase(t, dsns[0]))
	require.FileExists(t, filepath.Join(dataDir, "pg", "PG_VERSION"))

	// Stopped, it starts again from the same folder without a new initdb, and the database is still there.
	require.NoError(t, Stop(ctx, opts))
	require.Error(t, ping(ctx, privateDSN(opts.Port, "postgres", true)))
	opts.Database = "probe2"
	dsn, err := Ensure(ctx, opts)
	require.NoError(t, err)
	require.Equal(t, "probe2", currentDatabase(t, dsn))
	require.Equal(t, "probe", currentDatabase(t, dsns[0]))
}

func TestClusterDirFallsBackWhenPostgresCannotEnter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	r, err := newRunner()
	if err != nil {
		t.Skip(err)
	}
	closed := t.TempDir() // 0700, owned by root
	dir, err := clusterDir(filepath.Join(closed, "data"), r, t.Logf)
	require.NoError(t, err)
	fallback := filepath.Dir(dir)
	t.Cleanup(func() { os.RemoveAll(fallback) })
	require.True(t, strings.HasPrefix(dir, "/var/tmp/xinyong-pg-"), dir)
	require.Equal(t, "pg", filepath.Base(dir))

	open := t.TempDir()
	require.NoError(t, os.Chmod(open, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(open), 0o755))
	dir, err = clusterDir(filepath.Join(open, "data"), r, t.Logf)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(open, "data", "pg"), dir)
}

func currentDatabase(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer db.Close()
	var name string
	require.NoError(t, db.QueryRow(`SELECT current_database()`).Scan(&name))
	return name
}

func dropAfter(t *testing.T, adminDSN, name string) {
	t.Cleanup(func() {
		db, err := sql.Open("postgres", adminDSN)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
