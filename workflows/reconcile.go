package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
)

// The reconciler: a Temporal Schedule (ReconcileScheduleID, created by every worker at start) runs
// ReconcileWorkflow every few minutes. It looks for case rows that should have a workflow and have none running —
// rows written by a handler that died before it started the workflow (the old order of creation), penalties whose
// lifecycle never started, repair cases whose workflow failed or was terminated — and starts their workflow, which
// resumes the case from its row. Other rows whose workflow ended without completing cannot be run again under their
// ID; they are reported (an import is marked failed). New repair and objection cases cannot fall apart (their workflow writes the row),
// so the reconciler is the safety net for everything else. See docs/reconciler.md.

const (
	// ReconcileWorkflowType is the registered name of ReconcileWorkflow.
	ReconcileWorkflowType = "ReconcileWorkflow"
	// ReconcileScheduleID is the schedule that runs it; ReconcileWorkflowID the ID of its runs (the schedule adds
	// the time).
	ReconcileScheduleID = "xinyong-reconciler"
	ReconcileWorkflowID = "reconciler"
	// DefaultReconcileEvery is how often the schedule runs; DefaultReconcileMinAge how old a row must be before it
	// counts as orphaned, so a handler of the old order that is about to start its workflow is not raced.
	DefaultReconcileEvery  = 5 * time.Minute
	DefaultReconcileMinAge = 2 * time.Minute
	reconcilePage          = 200
)

// ReconcileParams tunes one run.
type ReconcileParams struct {
	// MinAge: rows created less than this long ago are left alone (0: DefaultReconcileMinAge; negative: none).
	MinAge time.Duration
}

// ReconcileResult lists the workflows a run started, and those it found ended without completing while their row
// is still in progress (an import is marked failed, other cases get an audit entry and a credit-office task).
type ReconcileResult struct {
	Started []string `json:"started"`
	Ended   []string `json:"ended,omitempty"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(ReconcileWorkflow, workflow.RegisterOptions{Name: ReconcileWorkflowType})
	})
}

// reconcilable is how each kind's workflow is started for an existing row: with the row's id only, so the run
// resumes (or, for a row never taken in, takes in) the case as stored.
// An import goes before the penalties, so that its own workflow starts its lifecycles and counts them.
var reconcilable = []struct {
	kind  string
	id    func(int64) string
	wf    string
	reuse enumspb.WorkflowIdReusePolicy
	args  func(int64, activities.FindOrphansResult) any
}{
	{"import", ImportWorkflowID, "ImportWorkflow", enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		func(id int64, _ activities.FindOrphansResult) any { return ImportParams{ImportID: id} }},
	{"penalty", PenaltyWorkflowID, PenaltyWorkflowType, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		func(id int64, _ activities.FindOrphansResult) any { return NewPenaltyParams(id) }},
	{"repair", RepairWorkflowID, RepairWorkflowType, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		func(id int64, _ activities.FindOrphansResult) any { return RepairParams{RepairID: id} }},
	{"objection", ObjectionWorkflowID, ObjectionWorkflowType, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		func(id int64, _ activities.FindOrphansResult) any { return ObjectionParams{ObjectionID: id} }},
	{"training", TrainingWorkflowID, TrainingWorkflowType, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		func(id int64, page activities.FindOrphansResult) any {
			t := page.Sessions[id]
			return TrainingParams{TrainingID: id, Title: t.Title, StartsAt: t.StartsAt, EndsAt: t.EndsAt, Venue: t.Venue,
				Capacity: t.Capacity, ClassHours: t.ClassHours, AgencyLogin: t.AgencyLogin, AgencyName: t.AgencyName,
				PassScore: t.PassScore, Organizer: t.Organizer}
		}},
	// List entries run RecordWorkflow under their penalty-<id> (records.go), from the entry as stored.
	{"listing", PenaltyWorkflowID, RecordWorkflowType, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		func(id int64, page activities.FindOrphansResult) any { return ListingRecordParams(page.Listings[id]) }},
}

// ReconcileWorkflow finds rows without a running workflow, page by page, and starts their workflows as abandoned
// children (they outlive this run; a workflow started meanwhile by someone else is left alone).
func ReconcileWorkflow(ctx workflow.Context, in ReconcileParams) (ReconcileResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	minAge := in.MinAge
	if minAge == 0 {
		minAge = DefaultReconcileMinAge
	}
	if minAge < 0 {
		minAge = 0
	}
	before := workflow.Now(ctx).Add(-minAge)
	res := ReconcileResult{Started: []string{}}
	for _, k := range reconcilable {
		if k.kind == "listing" && workflow.GetVersion(ctx, reconcileListingsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			continue // runs recorded before list entries were reconciled
		}
		after := int64(0)
		for {
			var page activities.FindOrphansResult
			if err := workflow.ExecuteActivity(ctx, acts.FindOrphanCases, activities.FindOrphansInput{
				Kind: k.kind, AfterID: after, CreatedBefore: before, Limit: reconcilePage}).Get(ctx, &page); err != nil {
				return res, err
			}
			res.Ended = append(res.Ended, page.Ended...)
			var starts []workflow.ChildWorkflowFuture
			for _, id := range page.Orphans {
				cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
					WorkflowID: k.id(id), TaskQueue: TaskQueue, WorkflowIDReusePolicy: k.reuse,
					ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
				})
				starts = append(starts, workflow.ExecuteChildWorkflow(cctx, k.wf, k.args(id, page)))
			}
			for i, f := range starts {
				err := f.GetChildWorkflowExecution().Get(ctx, nil)
				switch {
				case err == nil:
					res.Started = append(res.Started, k.id(page.Orphans[i]))
				case temporal.IsWorkflowExecutionAlreadyStartedError(err):
				default:
					workflow.GetLogger(ctx).Error("reconciler could not start a case's workflow", "workflow", k.id(page.Orphans[i]), "error", err)
				}
			}
			if !page.More {
				break
			}
			after = page.LastID
		}
	}
	if len(res.Started) > 0 {
		workflow.GetLogger(ctx).Warn("reconciler started workflows of orphaned case rows", "workflows", res.Started)
	}
	if len(res.Ended) > 0 {
		workflow.GetLogger(ctx).Warn("reconciler found workflows that ended without completing; their cases need an operator", "workflows", res.Ended)
	}
	return res, nil
}

// EnsureReconcileSchedule creates the reconciler's schedule, or brings an existing one to the given interval and
// parameters; every worker calls it at start, so it is idempotent. every <= 0 deletes the schedule (off).
func EnsureReconcileSchedule(ctx context.Context, c client.Client, every time.Duration, in ReconcileParams) error {
	sc := c.ScheduleClient()
	if every <= 0 {
		err := sc.GetHandle(ctx, ReconcileScheduleID).Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("delete reconciler schedule: %w", err)
		}
		return nil
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{ID: ReconcileWorkflowID, Workflow: ReconcileWorkflowType, TaskQueue: TaskQueue,
		Args: []any{in}}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID: ReconcileScheduleID, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note: "finds case rows without a running workflow and starts them (docs/reconciler.md)",
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		if err != nil {
			return fmt.Errorf("create reconciler schedule: %w", err)
		}
		return nil
	}
	err = sc.GetHandle(ctx, ReconcileScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy != nil {
				s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update reconciler schedule: %w", err)
	}
	return nil
}
