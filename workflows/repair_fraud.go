package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// Fraud found at any stage (Order 36 art. 25, Order 107 art. 23): a department that refuses a repair because the
// materials are forged or the commitment is seriously untrue says so with the decision ({"approved": false,
// "fraud": true}). The refusal then
//
//   - bans a new application for the record for the rule set's FraudBanMonths (a fraud ban, as after a revoked
//     repair; the application's eligibility check refuses with the date);
//   - publishes the fraud itself as a record of its own (domain.RecordKindFraud) on every channel for the same period,
//     with its own letter (弄虚作假失信记录公示告知书); the record cannot be repaired early and its workflow
//     (RecordWorkflow) withdraws it by itself at the end.

// fraud carries out a refusal for fraud, after the refusal letter; it answers what it did, for the audit entry.
func (w *repair) fraud(ctx workflow.Context, now domain.Date, reason string, by RepairActor) (map[string]any, error) {
	f := w.f
	until := now.AddMonths(f.FraudBanMonths)
	due, err := w.deadline(ctx, now, f.Deadlines.Publication)
	if err != nil {
		return nil, err
	}
	number := w.letterNumber("信修虚", now)
	ref, err := w.issue(ctx, letters.KindFraudRecord, letters.RecordNoticeData{
		Issue: w.issueOf(number, now), EnterpriseName: f.EnterpriseName, USCC: f.USCC,
		RecordTitle: domain.RecordKindLabel(domain.RecordKindFraud), RecordNo: number, DecisionNo: f.DecisionNo,
		RelatedNo: w.p.DecisionNo, Cause: reason, Channels: f.Channels, From: now.Time(domain.Shanghai),
		Until: until.Time(domain.Shanghai), BannedUntil: until.Time(domain.Shanghai),
	}, map[string]any{"reason": reason, "number": number, "publication_ends": until, "banned_until": until})
	if err != nil {
		return nil, err
	}
	if err := workflow.ExecuteActivity(ctx, acts.RecordFraudBan, activities.FraudBanInput{
		RepairID: w.id, PenaltyID: f.PenaltyID, USCC: f.USCC, Reason: reason, RevokedOn: now, BannedUntil: until,
		LetterID: ref.ID, Actor: by.Actor,
	}).Get(ctx, nil); err != nil {
		return nil, err
	}
	var recordID int64
	if err := workflow.ExecuteActivity(ctx, acts.CreateFraudRecord, activities.FraudRecordInput{
		RepairID: w.id, RestsOn: f.PenaltyID, DepartmentID: f.DepartmentID, Number: number, USCC: f.USCC,
		EnterpriseName: f.EnterpriseName, FoundOn: now, PublishDue: due, PublicationEnds: until,
		Facts:   fmt.Sprintf("就行政处罚决定（%s）申请信用修复时%s（不予信用修复决定：%s）", f.DecisionNo, reason, w.p.DecisionNo),
		RuleSet: f.RuleSet, Actor: by.Actor,
	}).Get(ctx, &recordID); err != nil {
		return nil, err
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: PenaltyWorkflowID(recordID), TaskQueue: TaskQueue,
		// The record outlives the case by years.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	})
	err = workflow.ExecuteChildWorkflow(cctx, RecordWorkflow, RecordParams{RecordID: recordID, Kind: domain.RecordKindFraud,
		PublishDue: due, Until: until, ExpiryDecision: recordExpiryDecision(domain.RecordKindFraud, until),
	}).GetChildWorkflowExecution().Get(ctx, nil)
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if err != nil && !errors.As(err, &already) {
		return nil, err
	}
	restart, err := w.restartPeriod(ctx, now, reason)
	if err != nil {
		return nil, err
	}
	if err := w.notify(ctx, false, "fraud", "repair_fraud", "弄虚作假失信记录将予公示",
		fmt.Sprintf("经查，你单位在信用修复申请中%s。%s已决定不予信用修复，该行为记入信用记录并在各公示渠道公示至%s，不得提前修复；%s前不予受理该信息的信用修复申请。",
			reason, f.DepartmentName, until, until)); err != nil {
		return nil, err
	}
	out := map[string]any{"record_id": recordID, "number": number, "letter_id": ref.ID, "banned_until": until,
		"publication_ends": until, "publish_due": due}
	if restart != nil {
		out["period_restarted"] = restart
	}
	return out, nil
}

// fraudRestartsPeriodChange: a refusal for fraud restarts the original record's publication period where the rule
// set says so (workflow.GetVersion).
const fraudRestartsPeriodChange = "fraud-refusal-restarts-period"

// restartPeriod restarts the original record's publication period from the fraud finding under a rule set where
// fraud restarts it (samr-2025: SAMR Order 107 art. 23, "公示期重新计算"): the record, still published after the
// refusal, is published for the class's full period again from today. The new end is stored, then the record's
// lifecycle (penalty-<id>, which sleeps until the end) is told. It answers what it did, nil when nothing.
func (w *repair) restartPeriod(ctx workflow.Context, now domain.Date, reason string) (map[string]any, error) {
	f := w.f
	if !f.FraudRestartsPublication || f.MaxPublishMonths <= 0 || !f.Published ||
		(f.RecordKind != "" && f.RecordKind != domain.RecordKindPenalty) { // a listing keeps its own period
		return nil, nil
	}
	if workflow.GetVersion(ctx, fraudRestartsPeriodChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil, nil
	}
	until := now.AddMonths(f.MaxPublishMonths)
	if !until.After(f.PublicationEnds) {
		return nil, nil
	}
	why := fmt.Sprintf("不予信用修复决定（%s）认定弄虚作假：%s", w.p.DecisionNo, reason)
	if err := workflow.ExecuteActivity(ctx, acts.RestartPublicationPeriod, activities.RestartPeriodInput{
		PenaltyID: f.PenaltyID, RepairID: w.id, From: now, Until: until, Reason: why}).Get(ctx, nil); err != nil {
		return nil, err
	}
	out := map[string]any{"from": now, "publication_ends": until, "publication_ends_before": f.PublicationEnds}
	if err := workflow.SignalExternalWorkflow(ctx, PenaltyWorkflowID(f.PenaltyID), "", PenaltyRestartPeriodSignal,
		PeriodRestart{Until: until, Reason: why}).Get(ctx, nil); err != nil {
		// The lifecycle already ended (the record came down by another cause): nothing sleeps until the old end.
		out["signal_error"] = err.Error()
	}
	return out, nil
}
