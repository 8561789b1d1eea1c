package pgtest

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
)

func TestNewGivesEachTestItsOwnMigratedDatabase(t *testing.T) {
	a, b := New(t), New(t)

	var nameA, nameB string
	require.NoError(t, a.Get(&nameA, `SELECT current_database()`))
	require.NoError(t, b.Get(&nameB, `SELECT current_database()`))
	require.NotEqual(t, nameA, nameB)
	require.True(t, strings.HasPrefix(nameA, "xinyong_t_pgtest_testnewgives"), nameA)
	require.LessOrEqual(t, len(nameA), 63)

	// Migrated: the schema is there, and goose knows it.
	var n int
	require.NoError(t, a.Get(&n, `SELECT count(*) FROM departments`))
	require.NoError(t, a.Get(&n, `SELECT count(*) FROM goose_db_version WHERE is_applied`))
	require.Positive(t, n)

	// Isolated: a row in one is not in the other.
	_, err := a.Exec(`INSERT INTO departments (id, name) VALUES ('t1', '测试局')`)
	require.NoError(t, err)
	require.NoError(t, b.Get(&n, `SELECT count(*) FROM departments WHERE id = 't1'`))
	require.Zero(t, n)

	var enc string
	require.NoError(t, a.Get(&enc, `SHOW server_encoding`))
	require.Equal(t, "UTF8", enc)
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		db := New(t)
		require.NoError(t, db.Get(&name, `SELECT current_database()`))
		// A connection left open by the test (a server it started, say) does not stop the drop.
		dsn := DSN(t)
		other, err := openRaw(dsn)
		require.NoError(t, err)
		require.NoError(t, other.Ping())
	})
	require.False(t, databaseExists(t, name), name)
}

func TestMissingTemplateIsRebuilt(t *testing.T) {
	s, err := getServer(t)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tpl, err := s.ensureTemplate(ctx)
	require.NoError(t, err)

	// As if another test binary with other migrations had dropped it.
	// Tolerant of a template already gone: another test process (another checkout on this machine) may have
	// dropped it first.
	_, err = s.admin.ExecContext(ctx, `UPDATE pg_database SET datistemplate = false WHERE datname = $1`, tpl)
	require.NoError(t, err)
	_, err = s.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(tpl))
	require.NoError(t, err)

	db := New(t)
	var n int
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM departments`))
	require.True(t, databaseExists(t, tpl))
}

func TestDBName(t *testing.T) {
	name := dbName("storage", "TestSomething/with spaces and 中文 and a very long tail that goes on and on")
	require.LessOrEqual(t, len(name), 63)
	require.Regexp(t, `^xinyong_t_storage_testsomething_with_spaces_and_[a-z_]*_[0-9a-z]{10}$`, name)
	created, ok := createdAt(name)
	require.True(t, ok)
	require.WithinDuration(t, time.Now(), created, time.Minute)
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	s, err := getServer(t)
	require.NoError(t, err)
	var exists bool
	require.NoError(t, s.admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).
		Scan(&exists))
	return exists
}

func openRaw(dsn string) (*sql.DB, error) { return sql.Open("postgres", dsn) }
