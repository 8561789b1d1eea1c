package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// TestInboxOrderIsTakenInSQL: the home page reads only the first page of open tasks, so the overdue task opened
// last and the nearest deadline must be in that page even when more tasks are open than fit in it.
func TestInboxOrderIsTakenInSQL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	first := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = 150
	for i := range n {
		// Later ids get earlier deadlines, so id order and deadline order disagree.
		due := first.AddDate(0, 0, n-i)
		require.NoError(t, db.OpenTask(ctx, storage.Task{CaseKind: "repair", CaseID: fmt.Sprint(1000 + i), Step: "verify",
			Title: "核查", AssigneeRole: domain.RoleCreditOffice, DueOn: sql.NullTime{Time: due, Valid: true}}))
	}
	require.NoError(t, db.MarkTaskOverdue(ctx, "repair", "1000", "verify"))

	byID, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleCreditOffice, Limit: 20})
	require.NoError(t, err)
	require.Len(t, byID, 20)
	assert.Equal(t, "1000", byID[0].CaseID, "the API list stays in id order for its keyset pages")

	inbox, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleCreditOffice, Limit: 20, Inbox: true})
	require.NoError(t, err)
	require.Len(t, inbox, 20)
	assert.Equal(t, "1000", inbox[0].CaseID, "overdue work first")
	assert.True(t, inbox[0].Overdue)
	assert.Equal(t, fmt.Sprint(1000+n-1), inbox[1].CaseID, "then the nearest deadline, though its id is the last")
	for i := 2; i < len(inbox); i++ {
		assert.False(t, inbox[i].DueOn.Time.Before(inbox[i-1].DueOn.Time), "deadlines ascend")
	}
}

// An enterprise's inbox is read without the officers who have its cases (it shows none, and none of the cases is
// its own to put first): overdue work first, then the nearest deadline, whoever handles the case.
func TestEnterpriseInboxIsOrderedByDeadlineAlone(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	const uscc = "91320100MA1XYZ0001"
	first := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		require.NoError(t, db.OpenTask(ctx, storage.Task{CaseKind: "repair", CaseID: fmt.Sprint(2000 + i), Step: "supplement",
			Title: "补正", AssigneeRole: domain.RoleEnterprise, USCC: sql.NullString{String: uscc, Valid: true},
			DueOn: sql.NullTime{Time: first.AddDate(0, 0, 5-i), Valid: true}}))
	}
	require.NoError(t, db.MarkTaskOverdue(ctx, "repair", "2000", "supplement"))
	inbox, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleEnterprise, USCC: uscc, Limit: 20, Inbox: true, UserID: 1})
	require.NoError(t, err)
	require.Len(t, inbox, 5)
	got := make([]string, len(inbox))
	for i, task := range inbox {
		got[i] = task.CaseID
	}
	assert.Equal(t, []string{"2000", "2004", "2003", "2002", "2001"}, got)
}

// A batch opens every task as OpenTask would, in one statement: NULL bindings stay NULL, a second batch leaves open
// tasks as they are (a retried activity) and opens a closed one again, and a step listed twice is opened once.
func TestOpenTaskBatchOpensEachOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	due := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	some := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	batch := []storage.Task{
		{CaseKind: "penalty", CaseID: "7", Step: "publish:c1", Title: "公示一", AssigneeRole: domain.RoleChannelOperator,
			ChannelID: some("c1"), DueOn: sql.NullTime{Time: due, Valid: true}},
		{CaseKind: "penalty", CaseID: "7", Step: "publish:c2", Title: "公示二（旧）", AssigneeRole: domain.RoleChannelOperator,
			ChannelID: some("c2")},
		{CaseKind: "penalty", CaseID: "7", Step: "publish:c2", Title: "公示二", AssigneeRole: domain.RoleChannelOperator,
			ChannelID: some("c2"), USCC: some("91320100MA1XYZ0001")},
	}
	for _, c := range []string{"c1", "c2"} {
		_, err := db.ExecContext(ctx, `INSERT INTO channels (id, name, kind) VALUES ($1, $1, 'manual')`, c)
		require.NoError(t, err)
	}
	require.NoError(t, db.OpenTaskBatch(ctx, batch))
	open := func() map[string]storage.Task {
		ts, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleChannelOperator})
		require.NoError(t, err)
		m := map[string]storage.Task{}
		for _, t := range ts {
			m[t.Step] = t
		}
		return m
	}
	got := open()
	require.Len(t, got, 2)
	assert.Equal(t, "2027-03-01", got["publish:c1"].DueOnString())
	assert.False(t, got["publish:c1"].USCC.Valid, "no enterprise stays NULL")
	assert.False(t, got["publish:c2"].DueOn.Valid, "no deadline stays NULL")
	assert.Equal(t, "公示二", got["publish:c2"].Title, "the last entry of a step listed twice")
	assert.Equal(t, "91320100MA1XYZ0001", got["publish:c2"].USCC.String)
	assert.Equal(t, "c2", got["publish:c2"].ChannelID.String)

	require.NoError(t, db.MarkTaskOverdue(ctx, "penalty", "7", "publish:c1"))
	require.NoError(t, db.CloseTask(ctx, "penalty", "7", "publish:c2", domain.TaskDone))
	require.NoError(t, db.OpenTaskBatch(ctx, batch))
	again := open()
	require.Len(t, again, 2, "the closed task is open again")
	assert.True(t, again["publish:c1"].Overdue, "an open task is left as it is")
	assert.Equal(t, got["publish:c1"].ID, again["publish:c1"].ID)
	assert.False(t, again["publish:c2"].Overdue)
	require.NoError(t, db.OpenTaskBatch(ctx, nil))
}
