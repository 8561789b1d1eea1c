package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
)

// Workflow-first creation of an objection case: the handler reserves the id and starts objection-<id> with the
// filing (update-with-start of ObjectionReadyUpdate); the workflow writes the row itself, so a row never exists
// without its workflow. Rows written the old way and never started are found by the reconciler.

// objectionCreatesRowChange: a new filing is stored by the workflow (workflow.GetVersion).
const objectionCreatesRowChange = "objection-creates-row"

// create writes the new filing's row; it reports false when the filing was refused (another objection of the
// applicant opened meanwhile): the run then ends once the ready update has answered the refusal.
func (w *objection) create(ctx workflow.Context) (bool, error) {
	if workflow.GetVersion(ctx, objectionCreatesRowChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true, nil // no recorded history carries a filing
	}
	err := workflow.ExecuteActivity(ctx, acts.CreateObjectionCase, *w.filing).Get(ctx, nil)
	var ae *temporal.ApplicationError
	switch {
	case errors.As(err, &ae) && ae.Type() == activities.ErrObjectionCaseOpen:
		w.refusal, w.ready = reject(ae.Type(), ae.Message(), true), true
		return false, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	case err != nil:
		return false, err
	}
	return true, nil
}
