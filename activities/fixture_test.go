package activities

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/egress"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// fixture is a fresh database with the demo data and the activities on it.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	db   *storage.DB
	acts *Activities
	ent  storage.Enterprise
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Parallel() // each test has its own database
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx))
	return &fixture{t: t, ctx: ctx, db: db, ent: storage.DemoEnterprises[1],
		acts: &Activities{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://xinyong.test",
			Egress: egress.MustParse("127.0.0.1")}} // test channel servers listen on loopback
}

// penalty stores a published general fine of sthjj decided on 2026-05-20.
func (f *fixture) penalty(decisionNo string) int64 {
	f.t.Helper()
	id, err := storage.InsertPenalty(f.ctx, f.db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: decisionNo, USCC: f.ent.USCC, EnterpriseName: f.ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-20"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: "sthjj", DeliveryDue: domain.MustParseDate("2026-05-29"),
	})
	require.NoError(f.t, err)
	return id
}

// count runs a SELECT count(*) … query.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.db.GetContext(f.ctx, &n, query, args...))
	return n
}

// twice calls an activity twice with the same input, as a retry after a lost answer does, and requires both calls
// to succeed and the effect, counted by query, to be there exactly once.
func (f *fixture) twice(call func() error, what, query string, args ...any) {
	f.t.Helper()
	require.NoError(f.t, call(), "first call")
	require.Equal(f.t, 1, f.count(query, args...), "%s after the first call", what)
	require.NoError(f.t, call(), "second call")
	require.Equal(f.t, 1, f.count(query, args...), "%s after the second call", what)
}
