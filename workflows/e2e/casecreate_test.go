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
	"go.temporal.io/sdk/worker"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/egress"
	httpapi "xinyong/http"
	"xinyong/storage"
	"xinyong/workflows"
)

// interruptedApplication stores a repair application exactly as the old handler did before it started the
// workflow, and nothing else: the state a crash between the two steps left behind.
func (s *stack) interruptedApplication(pid int64, ent storage.Enterprise) int64 {
	s.t.Helper()
	now := time.Now()
	id, err := s.db.CreateRepair(context.Background(), storage.NewRepair{
		PenaltyID: pid, USCC: ent.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026", AppliedOn: domain.Today(),
		Statement: "罚款已缴清", ApplicantLogin: ent.USCC, CommitmentAcceptedAt: now, CommitmentRemoteAddr: "10.0.0.8",
	}, storage.AuditEntry{Actor: ent.USCC, Role: "enterprise", Action: "repair.submitted"}, nil)
	require.NoError(s.t, err)
	return id
}

// TestCrashBetweenRowAndWorkflowIsReconciled: acceptance 4 of issue 11. A repair row whose workflow never started
// (the handler died between the two steps) blocks new applications for the record; the reconciler's schedule finds
// it, starts its workflow, which re-checks eligibility and takes the case in, and the case runs to its decision
// and closes once the record is withdrawn everywhere.
func TestCrashBetweenRowAndWorkflowIsReconciled(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	firm, sthjj, office := s.token(a.USCC), s.token("sthjj"), s.token("office")
	p := s.registerGeneralFine("镇环罚〔2026〕41号", a, "2026-05-20")

	id := s.interruptedApplication(p.ID, a)
	// A training session stored by the credit office the same way, its workflow never started.
	agency, err := s.db.UserByLogin(ctx, "agency")
	require.NoError(t, err)
	starts := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Hour)
	training, err := s.db.CreateTraining(ctx, storage.Training{Title: "信用修复专题培训", StartsAt: starts, EndsAt: starts.Add(4 * time.Hour),
		Venue: "市民中心", Capacity: 30, ClassHours: 4, AgencyLogin: agency.Login, AgencyName: agency.DisplayName, PassScore: 60,
		Organizer: "镇江市信用办", CreatedBy: "office"}, storage.AuditEntry{Actor: "office", Role: "credit_office", Action: "training.create"}, nil)
	require.NoError(t, err)
	assert.EqualValues(t, domain.RepairSubmitted, s.repair(id, firm).Status)
	var e repairErr
	require.Equal(t, 409, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "repair_case_open", e.Error.Code, "the orphan blocks a new application")
	_, err = s.temporal.DescribeWorkflowExecution(ctx, workflows.RepairWorkflowID(id), "")
	require.Error(t, err, "no workflow runs for the row")

	// The schedule is created idempotently (every worker does it at start); a trigger runs the reconciler now.
	for range 2 {
		require.NoError(t, workflows.EnsureReconcileSchedule(ctx, s.temporal, time.Hour, workflows.ReconcileParams{MinAge: -1}))
	}
	h := s.temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, time.Hour, desc.Schedule.Spec.Intervals[0].Every)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))

	s.eventually(60*time.Second, "the reconciler starts the orphan's workflow, which forwards the case", func() bool {
		return s.repair(id, firm).Status == string(domain.RepairPendingAcceptance)
	})
	r := s.repair(id, firm)
	require.NotNil(t, r.Commitment.LetterID, "the commitment was rendered by the late workflow")
	s.eventually(60*time.Second, "the reconciled training session issues its plan and opens", func() bool {
		t, err := s.db.GetTraining(ctx, training)
		return err == nil && t.Status == domain.TrainingOpen && t.PlanLetterID.Valid
	})
	var steps []string
	for _, h := range r.History {
		steps = append(steps, h.Step)
	}
	assert.Subset(t, steps, []string{"repair.submitted", "repair.received", "repair.forwarded"})

	// A second run finds nothing to do: the case's workflow runs.
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "reconciler-check", TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileParams{MinAge: -1})
	require.NoError(t, err)
	var res workflows.ReconcileResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Empty(t, res.Started)
	s.recordHistory(reconcilerRun(t, s), "reconcile_started_orphans.json")

	// The case completes: accepted, approved, withdrawn everywhere, closed.
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", id), sthjj, nil, &r))
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", id), sthjj,
		map[string]any{"approved": true, "reason": "已缴清罚款并完成整改"}, &r))
	assert.EqualValues(t, domain.RepairApproved, r.Status)
	var order int64
	s.eventually(60*time.Second, "the withdrawal order of the repair", func() bool {
		var pa penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa)
		if pa.Withdrawal != nil {
			order = pa.Withdrawal.ID
		}
		return order != 0
	})
	s.eventually(90*time.Second, "the repair case closes once every channel confirmed", func() bool {
		s.confirmManualChannels(order)
		return s.repair(id, firm).Status == string(domain.RepairClosed)
	})
	s.eventually(30*time.Second, "the repair workflow ends", func() bool {
		return s.workflowStatus(workflows.RepairWorkflowID(id)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.RepairWorkflowID(id), "repair_reconciled.json")
}

// TestRepairRowIsWrittenByItsWorkflow: workflow-first creation. An application whose workflow cannot run yet (no
// worker: the process died right after the start) leaves no row behind; once a worker runs, the workflow writes
// the row itself and takes the case in, and a late re-check refusal stores nothing at all.
func TestRepairRowIsWrittenByItsWorkflow(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[1]
	firm := s.token(a.USCC)
	p := s.registerGeneralFine("镇环罚〔2026〕42号", a, "2026-05-20")

	// Start the way the handler does, on a task queue no worker polls, then "kill" the caller.
	id, err := s.db.ReserveRepairID(ctx)
	require.NoError(t, err)
	app := &activities.RepairApplication{RepairID: id, PenaltyID: p.ID, USCC: a.USCC, DepartmentID: "sthjj", RuleSet: "ndrc-2026",
		AppliedOn: domain.Today(), Statement: "罚款已缴清", ApplicantLogin: a.USCC, ApplicantRole: "enterprise",
		CommitmentAcceptedAt: time.Now(), CommitmentRemoteAddr: "10.0.0.9"}
	opts := workflows.RepairStartOptions(id)
	opts.TaskQueue = "xinyong-paused"
	_, err = s.temporal.ExecuteWorkflow(ctx, opts, workflows.RepairWorkflowType, workflows.RepairParams{RepairID: id, Application: app})
	require.NoError(t, err)
	var n int
	require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM repairs WHERE id = $1`, id))
	require.Zero(t, n, "no row without a running workflow")

	// A worker comes up: the workflow writes the row and forwards the case.
	w := worker.New(s.temporal, "xinyong-paused", worker.Options{})
	workflows.Register(w, s.acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	s.eventually(60*time.Second, "the workflow writes its row and forwards the case", func() bool {
		var st string
		_ = s.db.Get(&st, `SELECT status FROM repairs WHERE id = $1`, id)
		return st == string(domain.RepairPendingAcceptance)
	})
	r := s.repair(id, firm)
	assert.Equal(t, "10.0.0.9", r.Commitment.RemoteAddr)
	s.recordHistory(workflows.RepairWorkflowID(id), "repair_created_pending_acceptance.json")

	// A second application for the record, raced past the handler's check, is refused by the workflow's re-check
	// and stores nothing.
	id2, err := s.db.ReserveRepairID(ctx)
	require.NoError(t, err)
	app2 := *app
	app2.RepairID = id2
	start := s.temporal.NewWithStartWorkflowOperation(workflows.RepairStartOptions(id2), workflows.RepairWorkflowType,
		workflows.RepairParams{RepairID: id2, Application: &app2})
	uh, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: workflows.RepairWorkflowID(id2), UpdateName: workflows.RepairReadyUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted}})
	if err == nil {
		var st workflows.RepairState
		err = uh.Get(ctx, &st)
	}
	rej, ok := workflows.AsRejection(err)
	require.True(t, ok, "a refusal: %v", err)
	assert.Equal(t, "repair_case_open", rej.Code)
	assert.True(t, rej.Conflict)
	require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM repairs WHERE id = $1`, id2))
	require.Zero(t, n)
	s.eventually(30*time.Second, "the refused workflow ends", func() bool {
		return s.workflowStatus(workflows.RepairWorkflowID(id2)) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	s.recordHistory(workflows.RepairWorkflowID(id2), "repair_refused_at_start.json")
}

// reconcilerRun is the ID of the schedule's latest reconciler run.
func reconcilerRun(t *testing.T, s *stack) string {
	t.Helper()
	desc, err := s.temporal.ScheduleClient().GetHandle(context.Background(), workflows.ReconcileScheduleID).Describe(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, desc.Info.RecentActions)
	return desc.Info.RecentActions[len(desc.Info.RecentActions)-1].StartWorkflowResult.WorkflowID
}

// diesBeforeStart is a Temporal client whose process dies right after the handler stored its row: every workflow
// start fails, so the row stays behind without its workflow, as a crash between the two steps leaves it.
type diesBeforeStart struct{ client.Client }

func (diesBeforeStart) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("process killed between storing the row and starting its workflow")
}

func (diesBeforeStart) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
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
