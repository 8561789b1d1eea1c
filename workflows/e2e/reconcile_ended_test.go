package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/workflows"
)

// runReconciler runs the schedule's workflow once, at once, under the given ID, for rows of any age.
func (s *stack) runReconciler(id string) workflows.ReconcileResult {
	s.t.Helper()
	ctx := context.Background()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileParams{MinAge: -1})
	require.NoError(s.t, err)
	var res workflows.ReconcileResult
	require.NoError(s.t, run.Get(ctx, &res))
	return res
}

// openTaskTitle is the title of a case's open task at a step ("" when there is none).
func (s *stack) openTaskTitle(kind, id, step string) string {
	s.t.Helper()
	var titles []string
	require.NoError(s.t, s.db.Select(&titles, `SELECT title FROM tasks WHERE case_kind = $1 AND case_id = $2 AND step = $3
		AND status = 'open' AND assignee_role = 'credit_office'`, kind, id, step))
	return strings.Join(titles, "")
}

// TestEndedImportIsMarkedFailed: an import whose job (import-<id>) ran and was terminated by an operator before it
// started its lifecycles used to stay `starting` for ever. A reconciler run describes the job, marks the import
// failed with the reason (API, import page and list show it), writes the audit entry and opens a task for the
// credit office; the import's records themselves are started by the same run as unstarted penalties. An operator
// who starts the job again completes the import and closes the task. A training session whose workflow was
// terminated while the session is open gets the same audit entry and task (it cannot be started again).
func TestEndedImportIsMarkedFailed(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	sthjj, office := s.token("sthjj"), s.token("office")

	// The import's rows are stored; its job starts (here on a task queue no worker serves, so that it is still
	// at its first step) and an operator terminates it.
	out, status := s.crashingAPI().importCSV(sthjj, importFile(3, "镇环罚终"))
	require.GreaterOrEqual(t, status, 500, "%v", out)
	var id int64
	require.NoError(t, s.db.Get(&id, `SELECT max(id) FROM penalty_imports`))
	wid := workflows.ImportWorkflowID(id)
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: "nobody-serves-this"},
		"ImportWorkflow", workflows.ImportParams{ImportID: id})
	require.NoError(t, err)
	require.NoError(t, s.temporal.TerminateWorkflow(ctx, wid, "", "operator stopped the import"))
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, s.workflowStatus(wid))

	// A training session whose workflow is terminated while enrollment is open.
	tr := s.planTraining(office, time.Now().Add(30*24*time.Hour), 10)
	twid := workflows.TrainingWorkflowID(tr.ID)
	s.eventually(30*time.Second, "the session opens", func() bool {
		return s.training(tr.ID, office).Status == string(domain.TrainingOpen)
	})
	require.NoError(t, s.temporal.TerminateWorkflow(ctx, twid, "", "operator stopped the session"))

	imp := func() (out struct {
		Status  string `json:"status"`
		Failure string `json:"failure"`
		Started int    `json:"started"`
		ToStart int    `json:"to_start"`
	}) {
		require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/imports/%d", id), sthjj, nil, &out))
		return out
	}
	require.Equal(t, "starting", imp().Status)

	res := s.runReconciler("reconciler-ended")
	assert.Contains(t, res.Ended, wid)
	assert.Contains(t, res.Ended, twid)
	assert.NotContains(t, res.Started, wid, "a terminated import is not started again by the reconciler")
	got := imp()
	assert.Equal(t, string(domain.ImportFailed), got.Status)
	assert.Contains(t, got.Failure, wid)
	assert.Contains(t, got.Failure, "被终止")
	assert.Equal(t, 0, got.Started)
	assert.Equal(t, 3, got.ToStart)
	var ids []int64
	require.NoError(t, s.db.Select(&ids, `SELECT id FROM penalties WHERE import_id = $1 ORDER BY id`, id))
	require.Len(t, ids, 3)
	for _, pid := range ids {
		assert.Contains(t, res.Started, workflows.PenaltyWorkflowID(pid), "the import's records are started as unstarted penalties")
	}

	// The import's page and the list show the status in Chinese with the reason; the page stops refreshing.
	dept := s.pageClient("sthjj")
	code, body := s.page(dept, fmt.Sprintf("/penalties/imports/%d", id))
	require.Equal(t, 200, code)
	assert.Contains(t, body, domain.ImportFailed.Label())
	assert.Contains(t, body, `id="import-failure"`)
	assert.Contains(t, body, "被终止")
	assert.NotContains(t, body, `http-equiv="refresh"`)
	code, body = s.page(dept, "/penalties/import")
	require.Equal(t, 200, code)
	assert.Contains(t, body, domain.ImportFailed.Label())

	// The audit entries, the credit office's tasks; the office's task opens the import's page.
	var actions []string
	require.NoError(t, s.db.Select(&actions, `SELECT action FROM audit_log WHERE (case_kind = 'penalty_import' AND case_id = $1)
		OR (case_kind = 'training' AND case_id = $2) ORDER BY id`, fmt.Sprint(id), fmt.Sprint(tr.ID)))
	assert.Contains(t, actions, "penalty_import.workflow_ended")
	assert.Contains(t, actions, "training.workflow_ended")
	assert.Contains(t, s.openTaskTitle("penalty_import", fmt.Sprint(id), "workflow.ended"), "被终止")
	assert.Contains(t, s.openTaskTitle("training", fmt.Sprint(tr.ID), "workflow.ended"), "被终止")
	code, body = s.page(s.pageClient("office"), "/")
	require.Equal(t, 200, code)
	assert.Contains(t, body, fmt.Sprintf(`/penalties/imports/%d`, id))

	// A second run changes nothing: one audit entry per ended run, the import stays failed.
	res = s.runReconciler("reconciler-ended-again")
	assert.NotContains(t, res.Ended, wid, "a failed import is no longer looked at")
	var n int
	require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action IN ('penalty_import.workflow_ended', 'training.workflow_ended')`))
	assert.Equal(t, 2, n)

	// The operator starts the job again: it counts the lifecycles started meanwhile and completes the import.
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: workflows.TaskQueue},
		"ImportWorkflow", workflows.ImportParams{ImportID: id})
	require.NoError(t, err)
	s.waitImport(sthjj, id, time.Minute)
	assert.Empty(t, imp().Failure)
	assert.Empty(t, s.openTaskTitle("penalty_import", fmt.Sprint(id), "workflow.ended"), "the import's task is closed")
}
