package storage_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// TestRecountCaseDeadlinesWhenTheYearIsLoaded (RULES.md "Working days"): an objection's verification deadline
// counted from 2026-12-24 over 2027 days with no notice loaded is provisional (7 working days: 2027-01-05 with
// weekends and 1 January off); loading a 2027 notice that makes 2027-01-04 a holiday moves it to 2027-01-06,
// stores it as final and records the change in the case's history once. An extension by the department's own date
// is a date, never provisional.
func TestRecountCaseDeadlinesWhenTheYearIsLoaded(t *testing.T) {
	ctx := context.Background()
	db := without2027(t)
	d := domain.MustParseDate
	ds, err := db.CountCaseDeadlines(ctx, "objection", "901", []domain.CaseDeadline{
		{Name: "verify_due", From: d("2026-12-24"), Workdays: 7},
		{Name: "mark_due", From: d("2026-12-10"), Workdays: 1},
	})
	require.NoError(t, err)
	assert.Equal(t, "2027-01-05", ds[0].Due.String())
	assert.True(t, ds[0].Provisional)
	assert.False(t, ds[1].Provisional, "counted over known days only")
	prov, err := db.ProvisionalDeadlines(ctx, "objection", "901")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"verify_due": true}, prov)

	fixed, err := db.CountCaseDeadlines(ctx, "objection", "902", []domain.CaseDeadline{{Name: "verify_due", From: d("2027-01-20")}})
	require.NoError(t, err)
	assert.False(t, fixed[0].Provisional, "a date the department set")

	load2027(t, db)
	r, err := db.RecountCaseDeadlines(ctx, "objection", "901", 2027)
	require.NoError(t, err)
	assert.Equal(t, [2]domain.Date{d("2027-01-05"), d("2027-01-06")}, r.Moved["verify_due"])
	assert.Empty(t, r.Provisional)
	assert.Equal(t, d("2027-01-06"), r.Dues["verify_due"])
	prov, err = db.ProvisionalDeadlines(ctx, "objection", "901")
	require.NoError(t, err)
	assert.Empty(t, prov, "stored as final")

	again, err := db.RecountCaseDeadlines(ctx, "objection", "901", 2027)
	require.NoError(t, err)
	assert.Empty(t, again.Moved, "a retry finds nothing left to change")
	entries, err := db.AuditOf(ctx, "objection", "901")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "objection.deadlines_recomputed", entries[0].Action)
}

// TestListingPublishDueIsKeptAndRecounted: a list entry whose publication due date was counted over 2027 days with
// no notice loaded keeps it with its origin; loading the notice moves penalties.publish_due and the open
// publications' due dates.
func TestListingPublishDueIsKeptAndRecounted(t *testing.T) {
	ctx := context.Background()
	db := without2027(t)
	d := domain.MustParseDate
	cal, err := db.LoadCalendar(ctx)
	require.NoError(t, err)
	due := domain.CaseDeadline{Name: "publish_due", From: d("2026-12-24"), Workdays: 7}.Count(cal)
	require.True(t, due.Provisional)
	require.Equal(t, "2027-01-05", due.Due.String())
	dept := "t-list"
	_, err = db.ExecContext(ctx, `INSERT INTO departments (id, name) VALUES ('t-list', '测试局')`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO enterprises (uscc, name) VALUES ('91321100MA1MXY2K09', '镇江测试有限公司')
		ON CONFLICT DO NOTHING`)
	require.NoError(t, err)
	id, err := db.InsertListing(ctx, storage.Listing{Kind: storage.RecordAbnormalList, DepartmentID: dept, Number: "测异〔2026〕1号",
		USCC: "91321100MA1MXY2K09", EnterpriseName: "镇江测试有限公司", ListedOn: d("2026-12-24"), Cause: "address", Facts: "住所无法联系",
		RuleSet: "ndrc-2026", PublishDue: due.Due, PublishDueCounted: due, EligibleFrom: d("2026-12-24"), Ends: storage.NoEnd, CreatedBy: "test"})
	require.NoError(t, err)
	caseID := strconv.FormatInt(id, 10)
	prov, err := db.ProvisionalDeadlines(ctx, "penalty", caseID)
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"publish_due": true}, prov)
	refs, err := db.OpenCasesWithProvisionalDeadlines(ctx, 2027)
	require.NoError(t, err)
	assert.Contains(t, refs, storage.CaseRef{Kind: "penalty", ID: id}, "the entry's workflow is told when 2027 is loaded")

	load2027(t, db)
	r, err := db.RecountCaseDeadlines(ctx, "penalty", caseID, 2027)
	require.NoError(t, err)
	assert.Equal(t, [2]domain.Date{d("2027-01-05"), d("2027-01-06")}, r.Moved["publish_due"])
	var stored domain.Date
	require.NoError(t, db.GetContext(ctx, &stored, `SELECT publish_due FROM penalties WHERE id = $1`, id))
	assert.Equal(t, d("2027-01-06"), stored)
}

// without2027 is a test database with no 2027 holiday notice loaded.
func without2027(t *testing.T) *storage.DB {
	db := pgtest.New(t)
	_, err := db.ExecContext(context.Background(), `DELETE FROM calendar_years WHERE year = 2027`)
	require.NoError(t, err)
	return db
}

// load2027 loads a 2027 notice that makes 2027-01-04 a holiday besides 1 January.
func load2027(t *testing.T, db *storage.DB) {
	d := domain.MustParseDate
	require.NoError(t, db.ImportHolidayYear(context.Background(), 2027, "test notice", []domain.CalendarDay{
		{Date: d("2027-01-01"), OffDay: true, Name: "元旦"}, {Date: d("2027-01-04"), OffDay: true, Name: "元旦"}}))
}
