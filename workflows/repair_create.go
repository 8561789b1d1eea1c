package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// Workflow-first creation of a repair case. The handler reserves the case's id, then starts repair-<id> with the
// application (update-with-start of RepairReadyUpdate, so the start and the answer are one call). The workflow
// re-checks eligibility and writes the row itself, so a row never exists without its workflow; a crash before the
// start leaves only an unused id. Rows written the old way (by a handler that then died) are found by the
// reconciler, which starts their workflow; that run re-checks eligibility too before it takes the case in.

// Change IDs of the repair workflow's shape (workflow.GetVersion).
const (
	// repairCreatesRowChange: a new application is re-checked and its row written by the workflow.
	repairCreatesRowChange = "repair-creates-row"
	// repairRecheckChange: a case found in submitted (its workflow started late) is re-checked before it is taken in.
	repairRecheckChange = "repair-eligibility-recheck"
)

// RejectIneligible is the code of a repair that the re-check refused for a reason the rules could not name.
const RejectIneligible = "not_repairable"

// create re-checks the new application and writes its row; it reports false when the application was refused (the
// run then ends once the ready update has answered the refusal).
func (w *repair) create(ctx workflow.Context) (bool, error) {
	if workflow.GetVersion(ctx, repairCreatesRowChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true, nil // no recorded history carries an application
	}
	r, err := w.recheck(ctx, w.app.PenaltyID)
	if err != nil {
		return false, err
	}
	var refusal error
	if r != nil {
		refusal = reject(r.Code, r.Message, r.Conflict)
	} else {
		err := workflow.ExecuteActivity(ctx, acts.CreateRepairCase, *w.app).Get(ctx, nil)
		var ae *temporal.ApplicationError
		switch {
		case errors.As(err, &ae) && ae.Type() == activities.ErrRepairCaseOpen:
			refusal = reject(ae.Type(), ae.Message(), true)
		case err != nil:
			return false, err
		}
	}
	if refusal == nil {
		return true, nil
	}
	workflow.GetLogger(ctx).Info("repair application refused by the re-check", "repair", w.id, "error", refusal)
	w.refusal, w.ready = refusal, true
	return false, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// recheck judges the record's eligibility today on facts read by an activity; nil means eligible.
func (w *repair) recheck(ctx workflow.Context, penaltyID int64) (*domain.RepairRefusal, error) {
	var f domain.RepairEligibilityFacts
	if err := workflow.ExecuteActivity(ctx, acts.RepairEligibilityFacts, activities.RepairEligibilityInput{
		PenaltyID: penaltyID, RepairID: w.id, Today: today(ctx)}).Get(ctx, &f); err != nil {
		return nil, err
	}
	v, err := domain.JudgeRepairEligibility(f)
	if err != nil {
		// Facts the rules cannot judge are a refusal with a clear reason, never a failed workflow.
		return &domain.RepairRefusal{Code: RejectIneligible, Message: "无法依规则判断该处罚信息能否修复，请联系市信用办"}, nil
	}
	return v.Refusal, nil
}

// recheckStored re-checks a stored application that is taken in only now (its workflow started by the reconciler,
// or by an old handler). A refused one is closed as not accepted with the reason, and stays reopenable by an
// objection like any other case not accepted; it reports whether it was refused.
func (w *repair) recheckStored(ctx workflow.Context) (bool, error) {
	if w.app != nil {
		return false, nil // checked before its row was written
	}
	if workflow.GetVersion(ctx, repairRecheckChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	r, err := w.recheck(ctx, w.f.PenaltyID)
	if err != nil || r == nil {
		return false, err
	}
	w.p.Status, w.p.Holder, w.p.DecisionReason = domain.RepairNotAccepted, "", r.Message
	if err := w.record(ctx, "repair.ineligible", RepairActor{}, map[string]any{
		"code": r.Code, "message": r.Message, "details": r.Details}, nil, ""); err != nil {
		return true, err
	}
	if err := w.notify(ctx, false, "ineligible", "repair_ineligible", "信用修复申请不符合条件",
		"您的信用修复申请经复核不符合申请条件："+r.Message); err != nil {
		return true, err
	}
	w.ready = true
	return true, nil
}
