package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xinyong/domain"
)

// The lifecycle's publication (双公示): runs from penaltyShapeVersion on publish in the lifecycle itself
// (publishInline); runs recorded before started the publish workflow as a child.

// startPublication publishes the record: it is public on every channel by publish_due. The publication is
// cancelled when a withdrawal starts, and ends with this workflow at the latest. Runs from penaltyShapeVersion on
// run it here (publishInline); runs before ran the publish workflow as a child.
func (w *penalty) startPublication(ctx workflow.Context) {
	if w.shape >= 1 {
		w.publishInline(ctx)
		return
	}
	cctx, cancel := workflow.WithCancel(ctx)
	w.cancelPublish = cancel
	cctx = workflow.WithChildOptions(cctx, workflow.ChildWorkflowOptions{
		WorkflowID: PublishWorkflowID(w.id), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_TERMINATE,
	})
	fut := workflow.ExecuteChildWorkflow(cctx, PublishWorkflow, PublishInput{PenaltyID: w.id, DueOn: w.facts.PublishDue})
	w.state.Publication = "publishing"
	workflow.Go(ctx, func(ctx workflow.Context) { w.published(ctx, fut.Get(ctx, nil)) })
}

// publishInline runs the publication (publish.go) in this workflow: the same steps, tasks and deadline as the
// publish workflow, whose confirmations the channel operators' API sends here when there is no publish workflow
// (PublishConfirmUpdate).
func (w *penalty) publishInline(ctx workflow.Context) {
	cctx, cancel := workflow.WithCancel(ctx)
	w.cancelPublish = cancel
	w.pub = &publication{in: PublishInput{PenaltyID: w.id, DueOn: w.facts.PublishDue, Shape: publishShape}}
	w.state.Publication, w.publishing = "publishing", true
	workflow.Go(cctx, func(cctx workflow.Context) {
		err := w.pub.run(cctx)
		w.publishing = false
		// What follows the publication is recorded even when a withdrawal cancelled it.
		dctx, _ := workflow.NewDisconnectedContext(cctx)
		w.published(dctx, err)
	})
}

// published takes the end of the publication, child or inline.
func (w *penalty) published(ctx workflow.Context, err error) {
	switch {
	case err == nil:
		w.state.Publication = "published"
		if w.state.Withdrawal == nil {
			_ = w.step(ctx, domain.PenaltyPublished, "penalty.published", map[string]any{"publish_due": w.facts.PublishDue})
			w.countPeriodsFromPublication(ctx)
		}
	case temporal.IsCanceledError(err):
		w.state.Publication = "cancelled"
	default:
		w.state.Publication = "failed"
		workflow.GetLogger(ctx).Error("publish workflow failed", "penalty", w.id, "error", err)
		_ = w.step(ctx, "", "penalty.publication_failed", map[string]any{"error": err.Error()})
	}
}

// errPublicationNotRunning refuses a confirmation when the record is not being published here: as the API answers
// for a publish workflow that has ended or not started.
func errPublicationNotRunning() error {
	return reject("case_closed", "该处罚信息的公示流程已结束或尚未启动", true)
}

func (w *penalty) validateConfirmPublication(ctx workflow.Context, req ConfirmChannelRequest) error {
	if w.pub == nil || !w.publishing {
		return errPublicationNotRunning()
	}
	return w.pub.checkConfirm(req)
}

func (w *penalty) confirmPublication(ctx workflow.Context, req ConfirmChannelRequest) (PublicationState, error) {
	if w.pub == nil || !w.publishing {
		return PublicationState{}, errPublicationNotRunning()
	}
	return w.pub.confirm(ctx, req)
}
