package deploy

import (
	"context"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
	"xinyong/storage/pgsrv"
	"xinyong/storage/pgtest"
)

// TestRestoreDrill is the backup and restore procedure of OPERATIONS.md, run: pg_dump --format=custom of a
// xinyong database with data in every kind of table, pg_restore into an empty database, and the restored copy is
// the same (row counts of every table, the migration version), still protects its audit log (the trigger came
// back), and takes new writes (sequences restored past the highest id).
func TestRestoreDrill(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian package postgresql-client)", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srcDSN := pgtest.DSN(t)
	src, err := storage.Open(ctx, srcDSN)
	require.NoError(t, err)
	defer src.Close()
	require.NoError(t, src.SeedDemo(ctx))
	u, err := src.UserByLogin(ctx, "office")
	require.NoError(t, err)
	tok, _, err := src.CreateToken(ctx, u.ID, "before-backup")
	require.NoError(t, err)
	require.NoError(t, src.Audit(ctx, storage.AuditEntry{Actor: "office", Role: "credit_office", Action: "drill.before_backup",
		CaseKind: "drill", CaseID: "1"}, map[string]any{"note": "备份前写入"}))

	dump := filepath.Join(t.TempDir(), "xinyong.dump")
	out, err := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--no-owner", "--file", dump, "--dbname", srcDSN).CombinedOutput()
	require.NoError(t, err, "pg_dump: %s", out)

	// An empty database on the same server, as a restore target would be.
	name := "xyrestore_" + randHex(4)
	_, err = src.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = src.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	dstDSN, err := pgsrv.WithDatabase(srcDSN, name)
	require.NoError(t, err)
	out, err = exec.CommandContext(ctx, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", dstDSN, dump).CombinedOutput()
	require.NoError(t, err, "pg_restore: %s", out)

	dst, err := storage.Open(ctx, dstDSN)
	require.NoError(t, err)
	defer dst.Close()
	var tables []string
	require.NoError(t, src.SelectContext(ctx, &tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`))
	require.NotEmpty(t, tables)
	for _, tbl := range tables {
		var a, b int
		q := "SELECT count(*) FROM " + pqIdent(tbl)
		require.NoError(t, src.GetContext(ctx, &a, q))
		require.NoError(t, dst.GetContext(ctx, &b, q), tbl)
		assert.Equal(t, a, b, "table %s restored with every row", tbl)
	}

	// The restored database is a working xinyong database: migrations have nothing to do, the token issued before
	// the backup authenticates, the audit log is still append-only, new rows get fresh ids.
	require.NoError(t, dst.Migrate(ctx), "migrations on the restored copy are a no-op")
	who, err := dst.TokenUser(ctx, tok)
	require.NoError(t, err, "a token issued before the backup still works after the restore")
	assert.Equal(t, "office", who.Login)
	_, err = dst.ExecContext(ctx, `UPDATE audit_log SET actor = 'forged'`)
	require.Error(t, err, "the audit log's append-only trigger is restored")
	_, _, err = dst.CreateToken(ctx, u.ID, "after-restore")
	require.NoError(t, err, "sequences continue after the restored rows")

	pu, _ := url.Parse(dstDSN)
	t.Logf("restored %d tables into %s", len(tables), pu.Path)
}

func pqIdent(s string) string { return `"` + s + `"` }
