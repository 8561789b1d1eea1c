package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// The department's steps.

func (w *objection) validateResolve(ctx workflow.Context, req ObjectionResolution) error {
	if w.p.Status != domain.ObjectionVerifying || w.resolution != nil {
		return invalid("该异议已答复，不能重复答复；" + w.stateText())
	}
	outcome := domain.ObjectionOutcome(req.Outcome)
	if outcome.Label() == "" {
		return badValue("invalid_outcome", "处理结果 outcome 应为 corrected（更正）、withdrawn（删除并终止公示）或 upheld（维持）")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return badValue("reason_required", "请填写核查意见和理由")
	}
	hasCorrections := req.Corrections != nil && !req.Corrections.Empty()
	switch {
	case !w.marksRecord() && req.Outcome == domain.OutcomeWithdrawn:
		return badValue("invalid_outcome", "对不予修复决定的异议，处理结果应为 corrected（异议成立，重新办理）或 upheld（维持原决定）")
	case !w.marksRecord() && hasCorrections:
		return badValue("corrections_not_allowed", "对不予修复决定的异议不更正处罚信息，请勿填写更正内容")
	case w.marksRecord() && req.Outcome == domain.OutcomeCorrected && !hasCorrections:
		return badValue("corrections_required", "处理结果为更正的，请填写更正后的内容（corrections）")
	case req.Outcome != domain.OutcomeCorrected && hasCorrections:
		return badValue("corrections_not_allowed", "只有处理结果为更正（corrected）时才能填写更正内容")
	}
	return nil
}

// correctionText says in words what a correction changed (for the letter).
func correctionText(c *domain.PenaltyCorrection) string {
	if c == nil {
		return ""
	}
	var parts []string
	if c.DecisionNo != nil {
		parts = append(parts, "行政处罚决定书文号更正为“"+*c.DecisionNo+"”")
	}
	if c.EnterpriseName != nil {
		parts = append(parts, "企业名称更正为“"+*c.EnterpriseName+"”")
	}
	if c.PenaltyTypes != nil {
		var names []string
		for _, t := range c.PenaltyTypes {
			names = append(names, domain.PenaltyType(t).Label())
		}
		parts = append(parts, "处罚种类更正为"+strings.Join(names, "、"))
	}
	if c.FineAmountYuan != nil {
		parts = append(parts, "罚款金额更正为"+*c.FineAmountYuan+"元")
	}
	if c.Facts != nil {
		parts = append(parts, "违法事实更正为“"+*c.Facts+"”")
	}
	if c.LegalBasis != nil {
		parts = append(parts, "处罚依据更正为“"+*c.LegalBasis+"”")
	}
	return strings.Join(parts, "；")
}

func (w *objection) resolve(ctx workflow.Context, req ObjectionResolution) error {
	f := w.f
	w.resolution = &req // taken at once, so a second answer is refused
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	by := req.ObjectionActor

	version := 0
	if req.Outcome == domain.OutcomeCorrected && w.marksRecord() {
		err := workflow.ExecuteActivity(ctx, acts.CorrectPenalty, activities.CorrectPenaltyInput{
			ObjectionID: w.id, PenaltyID: f.PenaltyID, Correction: *req.Corrections, Reason: reason, By: by.Actor,
		}).Get(ctx, &version)
		if err != nil {
			w.resolution = nil
			var ae *temporal.ApplicationError
			if errors.As(err, &ae) && ae.Type() == activities.ErrDuplicateDecisionNo {
				return reject(activities.ErrDuplicateDecisionNo, ae.Message(), true)
			}
			return err
		}
	}

	inTime := !now.After(w.p.VerifyDue)
	w.p.Outcome, w.p.OutcomeReason, w.p.ResolvedOn, w.p.ResolvedBy, w.p.ResolvedInTime = req.Outcome, reason, now, by.Actor, &inTime
	w.p.PenaltyVersion, w.p.Overdue = version, false
	if req.Corrections != nil {
		raw, err := json.Marshal(req.Corrections)
		if err != nil {
			return err
		}
		w.p.Corrections = raw
	}
	w.p.ResultNo = w.letterNumber("异议复", now)
	w.p.Status, w.p.Holder = domain.ObjectionResolved, domain.HolderChannels
	if !w.marksRecord() || len(f.Channels) == 0 && req.Outcome != domain.OutcomeWithdrawn {
		w.p.Holder = ""
	}

	d := letters.ObjectionResultData{
		Issue:          letters.Issue{Issuer: f.DepartmentName, Number: w.p.ResultNo, Date: now.Time(domain.Shanghai)},
		ApplicationRef: w.applicationRef(), DecisionNo: f.DecisionNo, Grounds: domain.ObjectionGrounds(f.Grounds),
		Outcome: domain.ObjectionOutcome(req.Outcome), Reason: reason, Corrections: correctionText(req.Corrections),
	}
	if !w.marksRecord() {
		// The record is not at issue: the answer concerns the refused repair (its decision number).
		d.DecisionNo = f.RepairDecisionNo
		if req.Outcome == domain.OutcomeCorrected {
			d.Corrections = "撤销原不予受理或者不予信用修复的决定，信用修复申请重新办理"
		}
	}
	ref, err := w.issue(ctx, letters.KindObjectionResult, d, map[string]any{
		"outcome": req.Outcome, "reason": reason, "result_no": w.p.ResultNo, "corrections": req.Corrections,
		"penalty_version": version})
	if err != nil {
		return err
	}
	if ref.Number != "" { // the number the letter was given when stored (see IssueLetter)
		w.p.ResultNo = ref.Number
	}
	w.p.ResultLetterID = ref.ID
	if version != 0 && workflow.GetVersion(ctx, correctedNoticeChange, workflow.DefaultVersion, 1) == 1 {
		if err := w.reissueRepairNotice(ctx, version, now); err != nil {
			return err
		}
	}
	if err := w.closeTasks(ctx, domain.TaskDone, "verify", "verify:extended"); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "resolved", "objection_resolved", "异议处理结果",
		fmt.Sprintf("%s已答复你单位对行政处罚决定（%s）提出的异议：%s。理由：%s。《异议处理结果告知书》（%s）可在异议详情中查看。",
			f.DepartmentName, f.DecisionNo, req.Outcome.Label(), reason, w.p.ResultNo)); err != nil {
		return err
	}
	details := map[string]any{"outcome": req.Outcome, "reason": reason, "in_time": inTime, "result_no": w.p.ResultNo,
		"letter_id": ref.ID}
	if version != 0 {
		details["penalty_version"] = version
		details["corrections"] = req.Corrections
	}
	if err := w.record(ctx, "objection.resolved", by, details); err != nil {
		return err
	}
	w.resolved = true
	return nil
}

// correctedNoticeChange: a corrected record gets a corrected 信用修复告知书 (workflow.GetVersion).
const correctedNoticeChange = "corrected-repair-notice"

// reissueRepairNotice issues the penalty's 信用修复告知书 again from the corrected record, as the letter of the
// record's new version: it supersedes the one that states the old values, and both stay verifiable.
func (w *objection) reissueRepairNotice(ctx workflow.Context, version int, on domain.Date) error {
	var facts activities.PenaltyFacts
	if err := workflow.ExecuteActivity(ctx, acts.LoadPenaltyFacts, w.f.PenaltyID).Get(ctx, &facts); err != nil {
		return err
	}
	notice, _ := letterContents(facts, on)
	var ref activities.LetterRef
	return workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "penalty", CaseID: strconv.FormatInt(w.f.PenaltyID, 10), Version: version, USCC: facts.USCC,
		DepartmentID: facts.DepartmentID, Content: &notice,
		Data: map[string]any{"penalty_id": facts.PenaltyID, "decision_no": facts.DecisionNo, "penalty_version": version,
			"objection_id": w.id},
	}).Get(ctx, &ref)
}

func (w *objection) validateExtend(ctx workflow.Context, req ObjectionExtension) error {
	switch {
	case w.p.Status != domain.ObjectionVerifying || w.resolution != nil:
		return invalid("该异议已答复，不能延期；" + w.stateText())
	case w.p.Extended:
		return invalid(fmt.Sprintf("核实期限已于%s延长过一次，不能再次延期", w.p.ExtendedOn))
	case today(ctx).After(w.p.VerifyDue):
		return invalid(fmt.Sprintf("核实期限已于%s届满，延期应在期限届满前告知申请人；请尽快答复", w.p.VerifyDue))
	case strings.TrimSpace(req.Reason) == "":
		return badValue("reason_required", "请说明延长核实期限的理由（将告知申请人）")
	case !req.DueOn.IsZero() && !req.DueOn.After(w.p.VerifyDue):
		return badValue("invalid_due_on", fmt.Sprintf("延长后的核实期限应晚于原期限%s", w.p.VerifyDue))
	}
	return nil
}

func (w *objection) extend(ctx workflow.Context, req ObjectionExtension) error {
	f := w.f
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	original := w.p.VerifyDue
	oldStep := w.verifyStep()
	w.p.Extended, w.p.ExtendedOn, w.p.ExtensionReason = true, now, reason // taken at once: a second one is refused
	counted, err := w.counted(ctx, original, f.Deadlines.ObjectionExtension)
	newDue, provisional := counted.Due, counted.Provisional
	if err != nil {
		w.p.Extended, w.p.ExtendedOn, w.p.ExtensionReason = false, domain.Date{}, ""
		return err
	}
	extra := f.Deadlines.ObjectionExtension
	if !req.DueOn.IsZero() {
		if req.DueOn.After(newDue) {
			w.p.Extended, w.p.ExtendedOn, w.p.ExtensionReason = false, domain.Date{}, ""
			return badValue("extension_too_long", fmt.Sprintf("核实期限最多延长%d个工作日（至%s），不能延长至%s",
				f.Deadlines.ObjectionExtension, newDue, req.DueOn))
		}
		// The department's own date is what the applicant is told; the letter names the date, not a count of days.
		newDue, extra, provisional = req.DueOn, 0, false
	}
	newDueText := newDue.String()
	if provisional {
		newDueText += provisionalText
	}
	// The applicant is told before the deadline changes.
	l := letters.ExtensionNoticeData{
		Issue:          letters.Issue{Issuer: f.DepartmentName, Number: w.letterNumber("异议延", now), Date: now.Time(domain.Shanghai)},
		ApplicationRef: w.applicationRef(), Procedure: "异议申请", Reason: reason,
		ExtraWorkingDays: extra, OriginalDue: original.Time(domain.Shanghai), NewDue: newDue.Time(domain.Shanghai),
		NewDueProvisional: provisional,
	}
	ref, err := w.issue(ctx, letters.KindExtensionNotice, l, map[string]any{"reason": reason, "original_due": original, "new_due": newDue})
	if err != nil {
		return err
	}
	w.p.ExtensionLetterID = ref.ID
	if err := w.notify(ctx, false, "extended", "objection_extended", "异议核实期限延长",
		fmt.Sprintf("%s因%s，将你单位异议的核实期限由%s延长至%s。", f.DepartmentName, strings.TrimSuffix(reason, "。"), original, newDueText)); err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskCancelled, oldStep); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, deadlinesCountChange, workflow.DefaultVersion, 1) >= 1 {
		// Kept with its origin: an extension by the rule set's working days is counted again with the calendar;
		// the department's own date is a date.
		d := domain.CaseDeadline{Name: dueVerify, From: w.p.ForwardedOn, Workdays: f.Deadlines.ObjectionVerify, Extend: extra}
		if extra == 0 {
			d = domain.CaseDeadline{Name: dueVerify, From: newDue}
		}
		ds, err := countDeadlines(ctx, "objection", w.caseID(), d)
		if err != nil {
			return err
		}
		newDue = ds[0].Due
	}
	w.p.VerifyDue = newDue
	if err := w.openTask(ctx, activities.TaskInput{Step: w.verifyStep(), AssigneeRole: domain.RoleDepartment,
		DepartmentID: f.DepartmentID, DueOn: &newDue,
		Title: fmt.Sprintf("核实并答复异议（已延期，%s，%s）", f.DecisionNo, f.EnterpriseName)}); err != nil {
		return err
	}
	return w.record(ctx, "objection.extended", req.ObjectionActor, map[string]any{
		"reason": reason, "original_due": original, "new_due": newDue, "letter_id": ref.ID})
}

// Propagation of the answer.

// propagate carries the answer out: the channels show the corrected record or lose the mark, the record is
// withdrawn everywhere, or the refused repair is reopened; it returns once every channel has done so.
func (w *objection) propagate(ctx workflow.Context) error {
	if !w.marksRecord() {
		if w.p.Outcome == domain.OutcomeCorrected {
			return w.reopenRepair(ctx)
		}
		return nil
	}
	// Marks not made yet are no longer wanted: the answer replaces them. A webhook channel is told the outcome in
	// any case (its system may have applied a mark we did not hear back from); a manual operator who never marked
	// the record has nothing to remove.
	marked := map[string]bool{}
	for _, c := range w.channelsOf(domain.ObjectionMark) {
		if c.confirmed() || c.Kind == domain.ChannelWebhook {
			marked[c.ChannelID] = true
		}
		if err := w.cancelChannel(ctx, c); err != nil {
			return err
		}
	}
	now := today(ctx)
	switch w.p.Outcome {
	case domain.OutcomeWithdrawn:
		if err := w.withdraw(ctx); err != nil {
			return err
		}
	case domain.OutcomeCorrected, domain.OutcomeUpheld:
		action := domain.ObjectionUnmark
		if w.p.Outcome == domain.OutcomeCorrected {
			action = domain.ObjectionCorrect
		}
		var dues []activities.ObjectionChannelDue
		counted := workflow.GetVersion(ctx, deadlinesCountChange, workflow.DefaultVersion, 1) >= 1
		var origins []domain.CaseDeadline
		for _, c := range w.f.Channels {
			if action == domain.ObjectionUnmark && !marked[c.ChannelID] {
				continue
			}
			if counted {
				// Kept with their origins (each channel's action, named as its task): counted in one go below.
				origins = append(origins, domain.CaseDeadline{Name: string(action) + ":" + c.ChannelID, From: now, Workdays: c.DeadlineWorkdays})
				continue
			}
			due, err := w.deadline(ctx, now, c.DeadlineWorkdays)
			if err != nil {
				return err
			}
			dues = append(dues, activities.ObjectionChannelDue{ChannelID: c.ChannelID, DueOn: due})
		}
		if len(origins) > 0 {
			ds, err := countDeadlines(ctx, "objection", w.caseID(), origins...)
			if err != nil {
				return err
			}
			for i, d := range ds {
				dues = append(dues, activities.ObjectionChannelDue{ChannelID: strings.TrimPrefix(origins[i].Name, string(action)+":"), DueOn: d.Due})
			}
		}
		if len(dues) > 0 {
			if err := w.startChannels(ctx, action, dues); err != nil {
				return err
			}
		}
	}
	if err := workflow.Await(ctx, w.allSettled); err != nil {
		return err
	}
	details := map[string]any{"outcome": w.p.Outcome}
	var confirmed []string
	for _, c := range w.channels {
		if c.Action != domain.ObjectionMark && c.confirmed() {
			confirmed = append(confirmed, c.ChannelID)
		}
	}
	details["channels"] = confirmed
	if w.p.WithdrawalID != 0 {
		details["withdrawal_id"] = w.p.WithdrawalID
	}
	return w.record(ctx, "objection.propagated", ObjectionActor{}, details)
}

// withdraw asks the penalty's lifecycle to withdraw the record everywhere with cause objection (一件通用) and waits
// until it is; a lifecycle that already ended is replaced by a withdrawal order of this case's own.
func (w *objection) withdraw(ctx workflow.Context) error {
	f := w.f
	req := WithdrawRequest{Cause: domain.CauseObjection, CauseRef: ObjectionWorkflowID(w.id),
		CauseDecision: fmt.Sprintf("%s异议处理结果告知书（%s）：异议成立，删除该信息并终止公示", f.DepartmentName, w.p.ResultNo)}
	details := map[string]any{"penalty_workflow": PenaltyWorkflowID(f.PenaltyID), "cause_ref": req.CauseRef,
		"cause_decision": req.CauseDecision}
	in := activities.ObjectionWithdrawalInput{ObjectionID: w.id, PenaltyID: f.PenaltyID}
	var direct *WithdrawalResult
	if err := workflow.SignalExternalWorkflow(ctx, PenaltyWorkflowID(f.PenaltyID), "", PenaltyWithdrawSignal, req).Get(ctx, nil); err != nil {
		details["signal_error"] = err.Error()
		var st activities.ObjectionWithdrawalResult
		if err := workflow.ExecuteActivity(ctx, acts.CheckObjectionWithdrawal, in).Get(ctx, &st); err != nil {
			return err
		}
		if !st.Done {
			// No lifecycle to ask: order the withdrawal ourselves (one order per record and cause).
			res, err := objectionRunWithdrawal(ctx, WithdrawalInput{PenaltyID: f.PenaltyID, Cause: domain.CauseObjection,
				CauseRef: req.CauseRef, CauseDecision: req.CauseDecision})
			if err != nil {
				return err
			}
			direct = &res
			details["direct"] = true
		}
	}
	if err := w.record(ctx, "objection.withdrawal_requested", ObjectionActor{}, details); err != nil {
		return err
	}
	var res activities.ObjectionWithdrawalResult
	if direct != nil {
		res.WithdrawalID = direct.WithdrawalID
	} else {
		pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: 2 * time.Second, BackoffCoefficient: 1.5, MaximumInterval: 5 * time.Minute,
			},
		})
		if err := workflow.ExecuteActivity(pctx, acts.AwaitObjectionWithdrawal, in).Get(ctx, &res); err != nil {
			return err
		}
	}
	w.p.WithdrawalID = res.WithdrawalID
	if err := workflow.ExecuteActivity(ctx, acts.ClearObjectionMarks, w.id).Get(ctx, nil); err != nil {
		return err
	}
	return w.record(ctx, "objection.withdrawn", ObjectionActor{}, map[string]any{"withdrawal_id": res.WithdrawalID,
		"cause": res.Cause})
}

// reopenRepair reopens the refused repair case after a successful objection to the refusal: a running case takes
// the signal; one whose workflow ended is resumed by a new run (RepairStartOptions' policy) that takes it.
func (w *objection) reopenRepair(ctx workflow.Context) error {
	f := w.f
	req := RepairReopen{Ref: ObjectionWorkflowID(w.id), Reason: "异议成立：" + w.p.OutcomeReason,
		RepairActor: RepairActor{Actor: w.p.ResolvedBy, Role: string(domain.RoleDepartment)}}
	details := map[string]any{"repair_workflow": RepairWorkflowID(f.RepairID)}
	err := workflow.SignalExternalWorkflow(ctx, RepairWorkflowID(f.RepairID), "", RepairReopenSignal, req).Get(ctx, nil)
	if err != nil {
		details["signal_error"] = err.Error()
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: RepairWorkflowID(f.RepairID), TaskQueue: TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		child := workflow.ExecuteChildWorkflow(cctx, RepairWorkflowType, RepairParams{RepairID: f.RepairID})
		if err = child.GetChildWorkflowExecution().Get(ctx, nil); err == nil {
			err = child.SignalChildWorkflow(ctx, RepairReopenSignal, req).Get(ctx, nil)
		}
		if err != nil {
			details["resume_error"] = err.Error()
		}
	}
	w.p.RepairReopened = err == nil
	details["reopened"] = w.p.RepairReopened
	w.p.Holder = ""
	if err == nil {
		if nerr := w.notify(ctx, false, "repair_reopened", "objection_repair_reopened", "信用修复申请重新办理",
			fmt.Sprintf("你单位对不予信用修复决定（%s）的异议成立，信用修复申请已重新转%s办理。", f.RepairDecisionNo, f.DepartmentName)); nerr != nil {
			return nerr
		}
	}
	return w.record(ctx, "objection.repair_reopened", ObjectionActor{}, details)
}
