package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// TestStepComingRoundAgainReopensItsTask: a case resubmitted after 补正 opens the department's acceptance task
// again; before, the unique (case_kind, case_id, step) row swallowed it and the inbox said 暂无待办事项.
func TestStepComingRoundAgainReopensItsTask(t *testing.T) {
	f := newFixture(t)
	first, second := domain.MustParseDate("2026-06-10"), domain.MustParseDate("2026-06-24")
	open := TaskInput{CaseKind: "repair", CaseID: "6", Step: "acceptance", Title: "受理信用修复申请",
		AssigneeRole: domain.RoleDepartment, DepartmentID: "sthjj", DueOn: &first}
	require.NoError(t, f.acts.OpenTask(f.ctx, open))
	require.NoError(t, f.acts.Escalate(f.ctx, EscalateInput{CaseKind: "repair", CaseID: "6", Step: "acceptance", Title: "逾期", DueOn: &first}))
	require.NoError(t, f.acts.CloseTask(f.ctx, CloseTaskInput{CaseKind: "repair", CaseID: "6", Step: "acceptance"}))
	inbox := func() []storage.Task {
		ts, err := f.db.OpenTasks(f.ctx, storage.TaskFilter{Role: domain.RoleDepartment, DepartmentID: "sthjj"})
		require.NoError(t, err)
		return ts
	}
	require.Empty(t, inbox())

	open.Title, open.DueOn = "受理补正后的信用修复申请", &second
	f.twice(func() error { return f.acts.OpenTask(f.ctx, open) },
		"acceptance tasks", `SELECT count(*) FROM tasks WHERE case_id = '6' AND step = 'acceptance' AND status = 'open'`)
	ts := inbox()
	require.Len(t, ts, 1)
	assert.Equal(t, "受理补正后的信用修复申请", ts[0].Title)
	assert.Equal(t, "2026-06-24", ts[0].DueOnString())
	assert.False(t, ts[0].Overdue, "the new round has its own deadline")
}
