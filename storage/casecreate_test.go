package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

func seededFine(t *testing.T, db *storage.DB, no string) (int64, storage.Enterprise) {
	t.Helper()
	require.NoError(t, db.SeedDemo(context.Background()))
	ent := storage.DemoEnterprises[1]
	id, err := storage.InsertPenalty(context.Background(), db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: no, USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20"),
	})
	require.NoError(t, err)
	return id, ent
}

// TestCreateRepairUnderReservedID: the workflow's activity stores the application under the reserved id once,
// however often it runs; a second application for the record is refused while the first is open; the
// reconciler's query sees the row once it is old enough.
func TestCreateRepairUnderReservedID(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	pid, ent := seededFine(t, db, "镇环罚〔2026〕61号")
	id, err := db.ReserveRepairID(ctx)
	require.NoError(t, err)
	n := storage.NewRepair{ID: id, PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.MustParseDate("2026-11-02"), ApplicantLogin: ent.USCC, CommitmentAcceptedAt: time.Now()}
	audit := storage.AuditEntry{Actor: ent.USCC, Role: "enterprise", Action: "repair.submitted"}
	for range 2 {
		got, err := db.CreateRepair(ctx, n, audit, nil)
		require.NoError(t, err)
		assert.Equal(t, id, got)
	}
	var rows, audits int
	require.NoError(t, db.Get(&rows, `SELECT count(*) FROM repairs WHERE penalty_id = $1`, pid))
	require.NoError(t, db.Get(&audits, `SELECT count(*) FROM audit_log WHERE case_kind = 'repair' AND case_id = $1`, id))
	assert.Equal(t, 1, rows)
	assert.Equal(t, 1, audits)

	other, err := db.ReserveRepairID(ctx)
	require.NoError(t, err)
	assert.Greater(t, other, id)
	n.ID = other
	_, err = db.CreateRepair(ctx, n, audit, nil)
	var open *storage.ErrRepairOpen
	require.ErrorAs(t, err, &open)
	assert.Equal(t, id, open.OpenRepairID)

	// The reconciler's view: the open row, once created before the cut-off; the record's lifecycle never started.
	ids, err := db.CasesAwaitingWorkflow(ctx, storage.ReconcileRepair, 0, time.Now().Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{id}, ids)
	ids, err = db.CasesAwaitingWorkflow(ctx, storage.ReconcileRepair, 0, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, ids)
	ids, err = db.CasesAwaitingWorkflow(ctx, storage.ReconcileRepair, id, time.Now().Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Empty(t, ids, "after the cursor")
	ids, err = db.CasesAwaitingWorkflow(ctx, storage.ReconcilePenalty, 0, time.Now().Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{pid}, ids)
	for _, kind := range storage.ReconcileKinds {
		_, err := db.CasesAwaitingWorkflow(ctx, kind, 0, time.Now(), 10)
		require.NoError(t, err, kind)
	}
	_, err = db.CasesAwaitingWorkflow(ctx, "letters", 0, time.Now(), 10)
	require.Error(t, err)
	_, err = db.MarkLifecyclesStarted(ctx, []int64{pid})
	require.NoError(t, err)
	ids, err = db.CasesAwaitingWorkflow(ctx, storage.ReconcilePenalty, 0, time.Now().Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Empty(t, ids)
}

// TestRepairEligibilityFactsExcludeTheCaseItself: the re-check of a stored case does not count the case itself as
// another open case.
func TestRepairEligibilityFactsExcludeTheCaseItself(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	pid, ent := seededFine(t, db, "镇环罚〔2026〕62号")
	id, err := db.CreateRepair(ctx, storage.NewRepair{PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.MustParseDate("2026-11-02"), ApplicantLogin: ent.USCC, CommitmentAcceptedAt: time.Now()},
		storage.AuditEntry{Actor: ent.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
	require.NoError(t, err)
	pen, err := db.GetPenalty(ctx, pid)
	require.NoError(t, err)
	today := domain.MustParseDate("2026-11-02")
	f, err := db.RepairEligibilityFacts(ctx, pen, today, 0)
	require.NoError(t, err)
	assert.Equal(t, id, f.OpenRepairID)
	f, err = db.RepairEligibilityFacts(ctx, pen, today, id)
	require.NoError(t, err)
	assert.Zero(t, f.OpenRepairID)
	assert.Equal(t, "ndrc-2026", f.ProcedureRuleSet.ID)
	assert.Equal(t, int64(50000_00), f.Penalty.FineFen)
	v, err := domain.JudgeRepairEligibility(f)
	require.NoError(t, err)
	assert.True(t, v.Eligible, "%+v", v.Refusal)
}
