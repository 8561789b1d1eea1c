package workflows

import (
	"errors"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
)

// The result of a pushed case (inbound-<kind>-<case id>). A channel or platform (信用中国, Order 36 arts. 13, 17)
// pushes a repair application or an objection through the signed inbound endpoint; the handler creates the case
// through the same workflow-first path as the single window and starts this workflow beside it. The workflow
//
//  1. waits, with the retry policy of the AwaitInboundResult activity as the poll, until the case has a result (a
//     repair decided, not accepted or withdrawn; an objection answered) and has the activity build the result
//     event once;
//  2. sends the event to the pushing channel with SendInboundResult: signed, with the case's idempotency key and the
//     same bytes on every attempt, retried until the channel answers 2xx, across worker crashes (Temporal keeps the
//     activity scheduled); the activity records the confirmation on the push's row.
//
// The case's own workflow is untouched: the result is read from the case's row, which only that workflow writes.

// InboundResultWorkflowID is the result of one pushed case.
func InboundResultWorkflowID(kind string, caseID int64) string {
	return "inbound-" + kind + "-" + strconv.FormatInt(caseID, 10)
}

// InboundResultStartOptions start the result workflow of a pushed case once: a second start (the same push again,
// or the reconciler) joins the one running, and one that ended is not run again.
func InboundResultStartOptions(kind string, caseID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: InboundResultWorkflowID(kind, caseID), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
}

// InboundResultParams names the pushed case.
type InboundResultParams struct {
	Kind   string
	CaseID int64
}

// InboundResultOutcome is what the workflow sent.
type InboundResultOutcome struct {
	Sent    bool   `json:"sent"`
	Outcome string `json:"outcome"`
}

// InboundPollRetry is the poll for the case's result: quick at first (a refusal to accept may come at once),
// then at most every ten minutes (a decision takes days). A variable only so tests can poll faster.
var InboundPollRetry = &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 1.5, MaximumInterval: 10 * time.Minute}

// InboundSendRetry retries the result's delivery for as long as it takes, like every call to a channel
// (channelRetryPolicy). A variable only so tests can retry faster.
var InboundSendRetry = channelRetryPolicy

func init() {
	registrars = append(registrars, func(w worker.Registry) { w.RegisterWorkflow(InboundResultWorkflow) })
}

// InboundResultWorkflow sends a pushed case's result back to the channel that pushed it, once.
func InboundResultWorkflow(ctx workflow.Context, in InboundResultParams) (InboundResultOutcome, error) {
	pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: InboundPollRetry})
	var res activities.InboundResult
	err := workflow.ExecuteActivity(pctx, acts.AwaitInboundResult, activities.InboundCase{Kind: in.Kind, CaseID: in.CaseID}).Get(ctx, &res)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == activities.ErrInboundUnknown {
		// The push was refused and forgotten before its case was stored: there is nothing to answer.
		workflow.GetLogger(ctx).Warn("no pushed case to answer", "kind", in.Kind, "case", in.CaseID)
		return InboundResultOutcome{}, nil
	}
	if err != nil {
		return InboundResultOutcome{}, err
	}
	sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// One call is bounded by the webhook timeout (15 s); a call lost with a dead worker is retried after this.
		StartToCloseTimeout: 25 * time.Second, RetryPolicy: InboundSendRetry,
	})
	if err := workflow.ExecuteActivity(sctx, acts.SendInboundResult, res).Get(ctx, nil); err != nil {
		return InboundResultOutcome{}, err
	}
	return InboundResultOutcome{Sent: true, Outcome: res.Outcome}, nil
}
