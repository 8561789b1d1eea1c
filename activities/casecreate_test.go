package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// TestCreateCasesOnceUnderTheirReservedIDs: the first activity of a new repair or objection workflow may run twice
// and stores its case once; a second case while the first is open is a non-retryable refusal naming it.
func TestCreateCasesOnceUnderTheirReservedIDs(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(ctx))
	ent := storage.DemoEnterprises[1]
	pid, err := storage.InsertPenalty(ctx, db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: "镇环罚〔2026〕71号", USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20"),
	})
	require.NoError(t, err)
	a := &activities.Activities{DB: db}
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, db.Get(&n, q, args...))
		return n
	}
	refusal := func(err error) *temporal.ApplicationError {
		var ae *temporal.ApplicationError
		require.True(t, errors.As(err, &ae), "%v", err)
		assert.True(t, ae.NonRetryable())
		return ae
	}

	rid, err := db.ReserveRepairID(ctx)
	require.NoError(t, err)
	app := activities.RepairApplication{RepairID: rid, PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.MustParseDate("2026-11-02"), ApplicantLogin: ent.USCC, ApplicantRole: "enterprise",
		CommitmentAcceptedAt: time.Now(), CommitmentRemoteAddr: "10.0.0.8"}
	require.NoError(t, a.CreateRepairCase(ctx, app))
	require.NoError(t, a.CreateRepairCase(ctx, app))
	assert.Equal(t, 1, count(`SELECT count(*) FROM repairs WHERE id = $1`, rid))
	assert.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE case_kind = 'repair' AND case_id = $1::text`, rid))
	second := app
	second.RepairID, err = db.ReserveRepairID(ctx)
	require.NoError(t, err)
	ae := refusal(a.CreateRepairCase(ctx, second))
	assert.Equal(t, activities.ErrRepairCaseOpen, ae.Type())
	assert.Regexp(t, `\p{Han}`, ae.Message(), "the applicant reads it")
	var open int64
	require.NoError(t, ae.Details(&open))
	assert.Equal(t, rid, open)
	assert.Zero(t, count(`SELECT count(*) FROM repairs WHERE id = $1`, second.RepairID))

	oid, err := db.ReserveObjectionID(ctx)
	require.NoError(t, err)
	filing := activities.ObjectionFiling{ObjectionID: oid, PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj",
		Grounds: "wrong_content", Statement: "罚款金额有误", RuleSet: "ndrc-2026", FiledOn: domain.MustParseDate("2026-11-02"),
		FiledBy: ent.USCC, FiledByRole: "enterprise", CommitmentAcceptedAt: time.Now()}
	require.NoError(t, a.CreateObjectionCase(ctx, filing))
	require.NoError(t, a.CreateObjectionCase(ctx, filing))
	assert.Equal(t, 1, count(`SELECT count(*) FROM objections WHERE id = $1`, oid))
	assert.Equal(t, 1, count(`SELECT count(*) FROM audit_log WHERE case_kind = 'objection' AND case_id = $1::text`, oid))
	filing.ObjectionID, err = db.ReserveObjectionID(ctx)
	require.NoError(t, err)
	ae = refusal(a.CreateObjectionCase(ctx, filing))
	assert.Equal(t, activities.ErrObjectionCaseOpen, ae.Type())
	assert.Regexp(t, `\p{Han}`, ae.Message())

	// A record that does not exist is never retried.
	app.RepairID, app.PenaltyID = rid+100, pid+100
	assert.Equal(t, "not_found", refusal(a.CreateRepairCase(ctx, app)).Type())
}
