package workflows

import (
	"fmt"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// Republication after fraud (the part of a penalty's lifecycle the penalty workflow does not cover). When the credit
// office revokes a repair for fraud, the record must come back on its channels; by then penalty-<id> has ended
// with the repair's withdrawal, so the revoking repair workflow starts republish-<penalty>-<repair>, which:
//
//  1. marks the record published again (RestorePenaltyPublished) and republishes it on every channel through the
//     publish workflow with PublishInput.Republish set (the explicit new decision that lifts the no-re-insertion
//     guard; recorded by the channels' storage);
//  2. keeps it there until the end of its publication period (Until), or until a withdrawal is requested with the
//     penalty workflow's own signal (PenaltyWithdrawSignal: an objection upheld, a revoked decision);
//  3. withdraws it everywhere (一件通用) with cause expiry (or the requested cause) and marks it withdrawn.
//
// Known limit: withdrawal orders are unique per record and cause (issue 4), so a record repaired again after its
// fraud ban cannot be withdrawn a second time with cause repair; that needs orders keyed by cause_ref as well.

// RepublishWorkflowType is the registered name of RepublishWorkflow.
const RepublishWorkflowType = "RepublishWorkflow"

// RepublishWorkflowID is the republication of a record after the repair repairID was revoked for fraud.
func RepublishWorkflowID(penaltyID, repairID int64) string {
	return "republish-" + strconv.FormatInt(penaltyID, 10) + "-" + strconv.FormatInt(repairID, 10)
}

// republishUnderPublishIDChange: the republication's publish workflow runs under PublishWorkflowID, where the
// channel-confirm API sends its updates (workflow.GetVersion).
const republishUnderPublishIDChange = "republish-under-publish-id"

// RepublishParams is a republication: the record, the revoked repair, the decision in words, and the dates.
type RepublishParams struct {
	PenaltyID  int64
	RepairID   int64
	Reason     string
	RevokedOn  domain.Date
	PublishDue domain.Date
	// Until is the last day of the renewed publication.
	Until domain.Date
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(RepublishWorkflow, workflow.RegisterOptions{Name: RepublishWorkflowType})
	})
}

// RepublishWorkflow republishes a record after a fraud revocation and withdraws it again at the end of its period.
func RepublishWorkflow(ctx workflow.Context, in RepublishParams) error {
	ctx = withActivityOptions(ctx)
	var requested *WithdrawRequest
	signals := workflow.GetSignalChannel(ctx, PenaltyWithdrawSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var req WithdrawRequest
			signals.Receive(ctx, &req)
			if requested == nil && req.Cause != "" {
				requested = &req
			}
		}
	})

	if err := workflow.ExecuteActivity(ctx, acts.RestorePenaltyPublished, activities.RestorePublishedInput{
		PenaltyID: in.PenaltyID, RepairID: in.RepairID, Reason: in.Reason}).Get(ctx, nil); err != nil {
		return err
	}
	pctx, cancelPublish := workflow.WithCancel(ctx)
	// The republication runs as publish-<penalty>, the workflow the channels' confirmations are sent to (the first
	// publication's run of that ID ended with the repair's withdrawal). Runs recorded before used an ID of their own,
	// which nobody signalled: their confirmations were lost.
	publishID, reuse := PublishWorkflowID(in.PenaltyID), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	if workflow.GetVersion(ctx, republishUnderPublishIDChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		publishID = fmt.Sprintf("%s-republish-%d", PublishWorkflowID(in.PenaltyID), in.RepairID)
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	}
	pctx = workflow.WithChildOptions(pctx, workflow.ChildWorkflowOptions{
		WorkflowID: publishID, TaskQueue: TaskQueue,
		WorkflowIDReusePolicy: reuse,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_TERMINATE,
	})
	publishing := workflow.ExecuteChildWorkflow(pctx, PublishWorkflow, PublishInput{PenaltyID: in.PenaltyID, DueOn: in.PublishDue,
		Republish: in.Reason})
	if err := publishing.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return err
	}

	wait := endOfDay(in.Until).Sub(workflow.Now(ctx))
	if wait > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return requested != nil }); err != nil {
			return err
		}
	}
	req := requested
	if req == nil {
		req = &WithdrawRequest{Cause: domain.CauseExpiry, CauseRef: "expiry-" + in.Until.String(),
			CauseDecision: fmt.Sprintf("因失信撤销信用修复后恢复公示的信息已于%s公示期满，依规停止公示", in.Until)}
	}
	cancelPublish()
	res, err := runWithdrawal(ctx, WithdrawalInput{PenaltyID: in.PenaltyID, Cause: req.Cause, CauseRef: req.CauseRef,
		CauseDecision: req.CauseDecision})
	if err != nil {
		return err
	}
	return workflow.ExecuteActivity(ctx, acts.PenaltyStep, activities.PenaltyStepInput{
		PenaltyID: in.PenaltyID, Status: domain.PenaltyWithdrawn,
		Action:  fmt.Sprintf("penalty.withdrawn_after_republication_%d", in.RepairID),
		Details: map[string]any{"cause": req.Cause, "cause_ref": req.CauseRef, "withdrawal": res},
	}).Get(ctx, nil)
}
