package httpapi

import (
	"context"
	"errors"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xinyong/activities"
	"xinyong/storage"
	"xinyong/workflows"
)

// startOp is a fake update-with-start operation that keeps the start's arguments.
type startOp struct {
	client.WithStartWorkflowOperation
	id   string
	args []any
}

func newStartOp(o client.StartWorkflowOptions, args []any) client.WithStartWorkflowOperation {
	return startOp{id: o.ID, args: args}
}

// Get answers that the workflow started.
func (o startOp) Get(context.Context) (client.WorkflowRun, error) { return fakeRun{}, nil }

// startsPenalty reports whether op starts a penalty's lifecycle (a registration).
func startsPenalty(op client.WithStartWorkflowOperation) bool {
	so, ok := op.(startOp)
	if !ok || len(so.args) == 0 {
		return false
	}
	_, ok = so.args[0].(workflows.PenaltyParams)
	return ok
}

// createCase plays a new case's workflow in tests without Temporal: its first activity stores the row under the
// reserved id, and an open case refuses it as the workflow would (a conflict). It reports the started workflow's
// id, "" when the start carries no new case.
func createCase(ctx context.Context, db *storage.DB, op client.WithStartWorkflowOperation) (string, error) {
	so, ok := op.(startOp)
	if !ok || len(so.args) == 0 {
		return "", nil
	}
	a := &activities.Activities{DB: db}
	var err error
	switch p := so.args[0].(type) {
	case workflows.RepairParams:
		if p.Application == nil {
			return "", nil
		}
		err = a.CreateRepairCase(ctx, *p.Application)
	case workflows.ObjectionParams:
		if p.Filing == nil {
			return "", nil
		}
		err = a.CreateObjectionCase(ctx, *p.Filing)
	default:
		return "", nil
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return so.id, workflows.Refusal(ae.Type(), ae.Message(), true)
	}
	return so.id, err
}
