package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
)

// NextImportBatch returns the next rows after AfterRow that have a penalty to start, in row order. It first waits
// (importBackpressureWait at most) while the lifecycles the import started last are still issuing their letters:
// an import of 10,000 rows used to start every lifecycle within a minute, and 10,000 workflows waiting at once for
// the same worker filled its memory and the engine's task backlog, so that all of them were slower than a few
// hundred at a time (issue 17).
func (a *Activities) NextImportBatch(ctx context.Context, in NextImportBatchInput) ([]ImportStart, error) {
	if in.AfterRow > 0 && in.Limit > 0 {
		if err := a.awaitImportBacklog(ctx, in); err != nil {
			return nil, err
		}
	}
	rows, err := a.DB.ImportBatch(ctx, in.ImportID, in.AfterRow, in.Limit)
	out := make([]ImportStart, len(rows))
	for i, r := range rows {
		out[i] = ImportStart(r)
	}
	return out, err
}

// importBackpressureWait bounds how long NextImportBatch waits for the lifecycles in flight: it paces the import,
// and a lifecycle that cannot issue its letters (held up for good) must not stop the others from starting.
const importBackpressureWait = 30 * time.Second

// awaitImportBacklog waits until at most in.Limit of the lifecycles started from the last 2×in.Limit rows before
// in.AfterRow are still issuing their letters, or importBackpressureWait has passed.
func (a *Activities) awaitImportBacklog(ctx context.Context, in NextImportBatchInput) error {
	deadline := time.Now().Add(importBackpressureWait)
	for {
		n, err := a.DB.ImportLifecyclesIssuing(ctx, in.ImportID, in.AfterRow-2*in.Limit, in.AfterRow)
		if err != nil || n <= in.Limit || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ImportPriority is the task priority of imported lifecycles (1 is the highest, 3 the default, 5 the lowest).
const ImportPriority = 4

// startConcurrency bounds the parallel start calls of one batch: enough to hide the round trips, few enough not to
// crowd out the workflows already running on a small machine.
const startConcurrency = 16

// StartLifecycles starts the penalty workflows of a batch (reject-duplicate IDs, so a workflow that already runs
// or ran is left alone and counts as started), marks them started and updates the import's progress. A retried
// batch starts nothing twice.
func (a *Activities) StartLifecycles(ctx context.Context, in StartLifecyclesInput) error {
	tc := activity.GetClient(ctx)
	var (
		mu      sync.Mutex
		started []int64
		firstEr error
		wg      sync.WaitGroup
	)
	work := make(chan LifecycleStart)
	for range startConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				err := startLifecycle(ctx, tc, in, s)
				mu.Lock()
				if err != nil {
					if firstEr == nil {
						firstEr = err
					}
				} else {
					started = append(started, s.PenaltyID)
				}
				mu.Unlock()
			}
		}()
	}
	for i, s := range in.Starts {
		if i%100 == 0 {
			activity.RecordHeartbeat(ctx, i)
		}
		work <- s
	}
	close(work)
	wg.Wait()
	// Record what did start even when some failed, so the retry's progress is right and its work smaller.
	if len(started) > 0 {
		if _, err := a.DB.MarkLifecyclesStarted(ctx, started); err != nil {
			return err
		}
	}
	if _, err := a.DB.RecountImport(ctx, in.ImportID, false); err != nil {
		return err
	}
	if firstEr != nil {
		return fmt.Errorf("start lifecycles of import %d: %w", in.ImportID, firstEr)
	}
	return nil
}

func startLifecycle(ctx context.Context, tc client.Client, in StartLifecyclesInput, s LifecycleStart) error {
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: s.WorkflowID, TaskQueue: in.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// Below the default (3): where the server orders backed-up task queues by priority, a department
		// registering one penalty by hand is not queued behind thousands of imported lifecycles.
		Priority: temporal.Priority{PriorityKey: ImportPriority},
	}, in.WorkflowType, LifecycleArgs{PenaltyID: s.PenaltyID, Shape: LifecycleShape})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start %s: %w", s.WorkflowID, err)
	}
	return nil
}

// FinishImport marks an import completed once every lifecycle it had to start is started.
func (a *Activities) FinishImport(ctx context.Context, importID int64) error {
	imp, err := a.DB.RecountImport(ctx, importID, true)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("import-%d:completed", importID)
	err = a.DB.Audit(ctx, storage.AuditEntry{Actor: "system", Role: "system", Action: "penalty_import.completed",
		CaseKind: "penalty_import", CaseID: fmt.Sprint(importID), DedupKey: &key},
		map[string]any{"started": imp.Started, "to_start": imp.ToStart})
	if err != nil {
		return err
	}
	// A job started again by an operator after the reconciler marked the import failed closes its task.
	return a.DB.CloseTask(ctx, domain.CasePenaltyImport, fmt.Sprint(importID), "workflow.ended", domain.TaskDone)
}
