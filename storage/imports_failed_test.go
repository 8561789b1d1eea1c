package storage_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// TestFailImportOnceAndStartAgain: the reconciler marks an import still starting failed once (one audit entry
// however often it is told); an import completed meanwhile is left alone; a job started again by an operator
// recounts it back to starting and completes it.
func TestFailImportOnceAndStartAgain(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(ctx))
	ent := storage.DemoEnterprises[1]
	p := storage.Penalty{DepartmentID: "sthjj", DecisionNo: "镇环罚〔2026〕81号", USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		DeliveryDue: domain.MustParseDate("2026-05-27"), CreatedBy: "sthjj", ImportRow: sql.NullInt32{Int32: 2, Valid: true}}
	imp, _, err := db.CreateImport(ctx, storage.NewImport{DepartmentID: "sthjj", CreatedBy: "sthjj", Filename: "a.csv",
		SHA256: strings.Repeat("a", 64), TotalRows: 1, Penalties: []storage.Penalty{p}})
	require.NoError(t, err)
	require.Equal(t, domain.ImportStarting, imp.Status)

	key := "import-x:ended:run"
	entry := storage.AuditEntry{Actor: "system", Role: "system", Action: "penalty_import.workflow_ended",
		CaseKind: "penalty_import", CaseID: "x", DedupKey: &key}
	for i := range 2 {
		got, changed, err := db.FailImport(ctx, imp.ID, "后台启动任务被终止", entry, nil)
		require.NoError(t, err)
		assert.Equal(t, i == 0, changed)
		assert.Equal(t, domain.ImportFailed, got.Status)
		assert.Equal(t, "后台启动任务被终止", got.Failure)
		assert.True(t, got.FailedAt.Valid)
	}
	var n int
	require.NoError(t, db.Get(&n, `SELECT count(*) FROM audit_log WHERE dedup_key = $1`, key))
	assert.Equal(t, 1, n)

	got, err := db.RecountImport(ctx, imp.ID, false)
	require.NoError(t, err)
	assert.Equal(t, domain.ImportStarting, got.Status, "a job that runs again takes the import back")
	assert.Empty(t, got.Failure)
	assert.False(t, got.FailedAt.Valid)
	got, err = db.RecountImport(ctx, imp.ID, true)
	require.NoError(t, err)
	assert.Equal(t, domain.ImportCompleted, got.Status)
	_, changed, err := db.FailImport(ctx, imp.ID, "迟到的失败", entry, nil)
	require.NoError(t, err)
	assert.False(t, changed, "a completed import is not failed")
}
