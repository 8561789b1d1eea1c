package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/egress"
	httpapi "xinyong/http"
	"xinyong/storage"
	"xinyong/workflows"
)

// diesBeforeStart is a Temporal client whose process dies right after the handler stored its row: every workflow
// start fails, so the row stays behind without its workflow, as a crash between the two steps leaves it.
type diesBeforeStart struct{ client.Client }

func (diesBeforeStart) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("process killed between storing the row and starting its workflow")
}

// crashingAPI is a second API server on the stack's database whose workflow starts never happen.
func (s *stack) crashingAPI() *stack {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	base := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := httpapi.New(s.db, diesBeforeStart{s.temporal}, log, httpapi.Config{BaseURL: base, ChannelEgress: egress.MustParse("127.0.0.1")})
	go func() { _ = srv.App().Listener(ln) }()
	s.t.Cleanup(func() { _ = srv.App().Shutdown() })
	crashed := *s
	crashed.base = base
	return &crashed
}

// TestRowFirstOrphansAreReconciled: the penalty and the import, which stay row-first (docs/reconciler.md), left
// behind by a handler that stored the row and died before it started the workflow. A penalty row keeps
// lifecycle_started_at empty and has no penalty-<id>; an import stays `starting` with no import-<id>. One
// reconciler run starts both: the penalty's lifecycle issues its notice (and the next run marks it started); the import starts
// every lifecycle of its rows and completes.
func TestRowFirstOrphansAreReconciled(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	crashed := s.crashingAPI()
	sthjj := s.token("sthjj")
	a := storage.DemoEnterprises[2]

	// The penalty: stored, then the start fails (the process "died"); the caller got no 201.
	status := crashed.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕61号", "uscc": a.USCC, "enterprise_name": a.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 50000, "facts": "超标排放大气污染物",
		"legal_basis": "《大气污染防治法》第九十九条",
	}, nil)
	require.GreaterOrEqual(t, status, 500, "the start failed after the row was stored")
	pen, err := s.db.PenaltyByDecisionNo(ctx, "sthjj", "镇环罚〔2026〕61号")
	require.NoError(t, err, "the row was stored before the crash")
	require.False(t, pen.LifecycleStartedAt.Valid)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, s.workflowStatus(workflows.PenaltyWorkflowID(pen.ID)),
		"no lifecycle runs for the row")

	// The import: its rows stored and the import left `starting`, its job never started.
	out, status := crashed.importCSV(sthjj, importFile(5, "镇环罚补"))
	require.GreaterOrEqual(t, status, 500, "%v", out)
	var imp struct {
		ID      int64  `db:"id"`
		Status  string `db:"status"`
		ToStart int    `db:"to_start"`
	}
	require.NoError(t, s.db.Get(&imp, `SELECT id, status, to_start FROM penalty_imports ORDER BY id DESC LIMIT 1`))
	require.Equal(t, "starting", imp.Status)
	require.Equal(t, 5, imp.ToStart)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, s.workflowStatus(workflows.ImportWorkflowID(imp.ID)))

	// One reconciler run (the schedule's workflow, started at once) finds and starts both.
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "reconciler-row-first", TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileParams{MinAge: -1})
	require.NoError(t, err)
	var res workflows.ReconcileResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Contains(t, res.Started, workflows.ImportWorkflowID(imp.ID))
	assert.Contains(t, res.Started, workflows.PenaltyWorkflowID(pen.ID))

	s.waitImport(sthjj, imp.ID, 2*time.Minute)
	var unstarted int
	require.NoError(t, s.db.Get(&unstarted, `SELECT count(*) FROM penalties WHERE import_id = $1 AND lifecycle_started_at IS NULL`, imp.ID))
	assert.Zero(t, unstarted, "the import started every lifecycle of its rows")
	s.eventually(60*time.Second, "the orphan penalty's lifecycle issues its notice", func() bool {
		var p penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", pen.ID), sthjj, nil, &p)
		return p.Status != "" && p.Status != string(domain.PenaltyRegistered)
	})
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, s.workflowStatus(workflows.PenaltyWorkflowID(pen.ID)))
	s.recordHistory(workflows.PenaltyWorkflowID(pen.ID), "penalty_reconciled_awaiting_delivery.json")
	s.recordHistory("reconciler-row-first", "reconcile_row_first.json")

	// A second run has nothing left to start; it finds the penalty's lifecycle running and marks it started, so
	// later runs no longer look at it.
	run, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "reconciler-row-first-again", TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileParams{MinAge: -1})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, &res))
	assert.Empty(t, res.Started)
	after, err := s.db.GetPenalty(ctx, pen.ID)
	require.NoError(t, err)
	assert.True(t, after.LifecycleStartedAt.Valid, "the penalty is marked started")
}
