package httpapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// The home pages read brief rows (only the columns a row shows, issue 17): every row must come out exactly as it
// does from the full record or case, for the enterprise's records, repairs and objections, the department's
// objections to verify and the credit office's late deliveries and publications.
func TestHomeBriefReadsShowWhatFullReadsShow(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	const n = 2000
	require.NoError(t, db.SeedScale(ctx, n, t.Logf))
	s := &Server{db: db}
	uscc := fmt.Sprintf("9%017d", n/20+1) // an enterprise with repairs, objections and withdrawals (SeedScale)

	penaltyCells := func(f storage.PenaltyFilter) [][]any {
		ps, err := db.ListPenalties(ctx, f)
		require.NoError(t, err)
		rows, err := s.penaltyRows(ctx, ps)
		require.NoError(t, err)
		var out [][]any
		for _, r := range rows {
			out = append(out, []any{r.ID, r.DecisionNo, r.DepartmentName, r.EnterpriseName, r.ClassLabel, r.StatusLabel,
				r.TypesLabel, r.DeliveryLate, r.Countdown, r.Published, r.RepairEligibleFrom, r.PublicationEnds, r.DeliveryDue,
				r.PublishDue, channelSummary(r.Penalty, nil)})
		}
		return out
	}
	for _, f := range []storage.PenaltyFilter{
		{USCC: uscc, Newest: true, Limit: homeRecordsShown, Named: true},
		{Overdue: "delivery", Limit: homeLateShown, Named: true},
		{Overdue: "publication", Limit: homeLateShown, Named: true},
	} {
		full := penaltyCells(f)
		require.NotEmpty(t, full, "%+v", f)
		f.Brief = true
		require.Equal(t, full, penaltyCells(f), "%+v", f)
	}

	// The enterprise's records show their channels from the brief publications as from each record's own.
	var b storage.Batch
	var pubs map[int64][]storage.Publication
	b.NewestPublications(uscc, homeRecordsShown, &pubs)
	require.NoError(t, db.Run(ctx, &b))
	ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: homeRecordsShown})
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		full, err := db.PublicationsOf(ctx, p.ID)
		require.NoError(t, err)
		require.NotEmpty(t, full)
		require.Equal(t, channelSummary(p, full), channelSummary(p, pubs[p.ID]), "record %d", p.ID)
	}

	repairCells := func(f storage.RepairFilter) [][]any {
		rs, err := db.ListRepairs(ctx, f)
		require.NoError(t, err)
		var out [][]any
		for _, r := range toRepairRows(rs) {
			out = append(out, []any{r.ID, r.DecisionNoOfPenalty, r.StatusLabel, r.HolderLabel, r.DueLabel, r.Waiting, r.Overdue})
		}
		return out
	}
	rf := storage.RepairFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}}
	full := repairCells(rf)
	require.NotEmpty(t, full)
	rf.Brief = true
	require.Equal(t, full, repairCells(rf))

	objectionRows := func(f storage.ObjectionFilter) []objectionRow {
		os, err := db.ListObjections(ctx, f)
		require.NoError(t, err)
		return toObjectionRows(os)
	}
	for _, f := range []storage.ObjectionFilter{
		{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}},
		{CaseFilter: storage.CaseFilter{DepartmentID: "sd1", Status: string(domain.ObjectionVerifying), Limit: homeVerifyingShown}},
	} {
		full := objectionRows(f)
		require.NotEmpty(t, full, "%+v", f)
		f.Brief = true
		require.Equal(t, full, objectionRows(f), "%+v", f)
	}
}
