package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
)

// The import workflow (import-<id>) starts the lifecycles of a CSV import in the background, batch by batch, so the
// HTTP request that stored the rows answers at once and a crash in the middle loses nothing: the rows are in
// PostgreSQL, the workflow resumes from its last batch, and starting a lifecycle twice is impossible (its ID is the
// penalty's business key, with reject-duplicate).

// ImportParams starts (or continues) an import's background job; AfterRow is the last CSV row already handled.
type ImportParams struct {
	ImportID int64
	AfterRow int
}

const (
	// importBatchSize rows per start activity: large enough that the per-activity overhead is small, small enough
	// that a retried batch redoes little and the progress moves visibly.
	importBatchSize = 250
	// importParallelBatches start activities run at a time.
	importParallelBatches = 2
	// importBatchesPerRun bounds one run's history (about 6 events a batch); then the job continues as new.
	importBatchesPerRun = 200
)

func init() {
	registrars = append(registrars, func(w worker.Registry) { w.RegisterWorkflow(ImportWorkflow) })
}

// ImportWorkflow starts every lifecycle an import has to start, then marks the import completed.
func ImportWorkflow(ctx workflow.Context, in ImportParams) error {
	ctx = withActivityOptions(ctx)
	startCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
		},
	})
	for batches := 0; batches < importBatchesPerRun; {
		var rows []activities.ImportStart
		err := workflow.ExecuteActivity(ctx, acts.NextImportBatch, activities.NextImportBatchInput{
			ImportID: in.ImportID, AfterRow: in.AfterRow, Limit: importBatchSize * importParallelBatches,
		}).Get(ctx, &rows)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return workflow.ExecuteActivity(ctx, acts.FinishImport, in.ImportID).Get(ctx, nil)
		}
		var futures []workflow.Future
		for start := 0; start < len(rows); start += importBatchSize {
			chunk := rows[start:min(start+importBatchSize, len(rows))]
			var starts []activities.LifecycleStart
			for _, r := range chunk {
				if !r.Started {
					starts = append(starts, activities.LifecycleStart{PenaltyID: r.PenaltyID, WorkflowID: PenaltyWorkflowID(r.PenaltyID)})
				}
			}
			if len(starts) == 0 {
				continue
			}
			futures = append(futures, workflow.ExecuteActivity(startCtx, acts.StartLifecycles, activities.StartLifecyclesInput{
				ImportID: in.ImportID, WorkflowType: PenaltyWorkflowType, TaskQueue: TaskQueue, Starts: starts,
			}))
			batches++
		}
		for _, f := range futures {
			if err := f.Get(ctx, nil); err != nil {
				return err
			}
		}
		in.AfterRow = rows[len(rows)-1].Row
	}
	return workflow.NewContinueAsNewError(ctx, ImportWorkflow, in)
}
