package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// Steps.

func statusIn(status domain.RepairStatus, allowed ...domain.RepairStatus) bool {
	return slices.Contains(allowed, status)
}

func (w *repair) stateText() string {
	return "当前状态：" + w.p.Status.Label()
}

func (w *repair) validateAccept(ctx workflow.Context, _ RepairActor) error {
	if w.p.Status != domain.RepairPendingAcceptance {
		return invalid("只有待受理的申请可以受理；" + w.stateText())
	}
	return nil
}

func (w *repair) accept(ctx workflow.Context, by RepairActor) error {
	f := w.f
	now := today(ctx)
	prevTask := w.task("acceptance")
	w.p.Status, w.p.Holder, w.p.AcceptedOn, w.p.DecisionDue, w.p.Overdue = domain.RepairVerifying, domain.HolderDepartment, now, domain.Date{}, false
	due, err := w.due(ctx, dueDecision, now, f.Deadlines.Decision, 0)
	if err != nil {
		return err
	}
	w.p.DecisionDue = due
	if err := w.closeTasks(ctx, domain.TaskDone, prevTask); err != nil {
		return err
	}
	if err := w.openTask(ctx, w.decisionTask(), fmt.Sprintf("核实并作出信用修复决定（%s，%s）", f.EnterpriseName, f.DecisionNo),
		domain.RoleDepartment, due); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "accepted", "repair_accepted", "信用修复申请已受理",
		fmt.Sprintf("%s已于%s受理你单位的信用修复申请（%s），将于%s前作出决定。", f.DepartmentName, now, f.DecisionNo, due)); err != nil {
		return err
	}
	return w.record(ctx, "repair.accepted", by, map[string]any{"accepted_on": now, "decision_due": due}, nil, "")
}

func cleanItems(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func (w *repair) validateRequestSupplement(ctx workflow.Context, req RepairSupplementItems) error {
	switch {
	case w.p.Status != domain.RepairPendingAcceptance:
		return invalid("只有待受理的申请可以要求补正；" + w.stateText())
	case w.p.SupplementRequested:
		return invalid("补正材料应一次性告知，本申请已经要求过补正，不能再次要求")
	}
	items := cleanItems(req.Items)
	if len(items) == 0 {
		return badValue("items_required", "请逐项列明需要补正的全部材料")
	}
	if len(items) > 50 {
		return badValue("too_many_items", "补正事项不能超过50项")
	}
	if !req.DueOn.IsZero() && !req.DueOn.After(today(ctx)) {
		return badValue("invalid_due_on", fmt.Sprintf("补正期限%s应晚于今天", req.DueOn))
	}
	return nil
}

func (w *repair) requestSupplement(ctx workflow.Context, req RepairSupplementItems) error {
	f := w.f
	now := today(ctx)
	items := cleanItems(req.Items)
	prevTask := w.task("acceptance")
	w.p.Status, w.p.Holder, w.p.SupplementRequested, w.p.SupplementDue, w.p.Overdue =
		domain.RepairSupplementRequested, "enterprise", true, req.DueOn, false
	d := letters.SupplementNoticeData{
		Issue: w.issueOf(w.letterNumber("信修补", now), now), ApplicationRef: w.applicationRef(), DecisionNo: f.DecisionNo,
		Items: items, SubmitVia: "信用修复协同平台（在本申请页面“补正材料”中提交）或" + activities.ApplyWindow,
		Contact: f.DepartmentContact,
	}
	if !req.DueOn.IsZero() {
		d.DueOn = req.DueOn.Time(domain.Shanghai)
	}
	ref, err := w.issue(ctx, letters.KindSupplementNotice, d, map[string]any{"items": items, "due_on": req.DueOn})
	if err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskDone, prevTask); err != nil {
		return err
	}
	if err := w.openTask(ctx, w.task("supplement"), "补正信用修复申请材料（"+f.DecisionNo+"）", domain.RoleEnterprise, req.DueOn); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "supplement_requested", "repair_supplement_requested", "请补正信用修复申请材料",
		fmt.Sprintf("%s要求补正以下材料：%s。请在申请页面提交补正材料，补正后重新计算受理期限。", f.DepartmentName,
			strings.Join(items, "；"))); err != nil {
		return err
	}
	return w.record(ctx, "repair.supplement_requested", req.RepairActor, map[string]any{"items": items, "due_on": req.DueOn,
		"letter_id": ref.ID}, nil, "")
}

func (w *repair) validateSupplement(ctx workflow.Context, req RepairSupplement) error {
	if !statusIn(w.p.Status, domain.RepairSupplementRequested, domain.RepairRectifying) {
		return invalid("只有在要求补正或者整改期间可以提交材料；" + w.stateText())
	}
	if len(req.AttachmentIDs) == 0 && strings.TrimSpace(req.Statement) == "" {
		return badValue("supplement_empty", "请上传补正材料或者填写说明")
	}
	return nil
}

func (w *repair) supplement(ctx workflow.Context, req RepairSupplement) error {
	details := map[string]any{"attachment_ids": req.AttachmentIDs, "statement": strings.TrimSpace(req.Statement)}
	if w.p.Status == domain.RepairRectifying {
		w.p.Status, w.p.Holder, w.p.RectificationSubmitted = domain.RepairVerifying, domain.HolderDepartment, true
		if err := w.closeTasks(ctx, domain.TaskDone, w.task("rectification")); err != nil {
			return err
		}
		if err := w.notify(ctx, true, "rectification_submitted", "repair_rectification_submitted", "企业已提交整改材料",
			fmt.Sprintf("%s已就信用修复申请（%s）提交整改材料，请核实后作出决定。", w.f.EnterpriseName, w.f.DecisionNo)); err != nil {
			return err
		}
		return w.record(ctx, "repair.rectification_submitted", req.RepairActor, details, req.AttachmentIDs, "rectification")
	}
	// The supplement completes the application: it goes back to the department, and the clock starts again.
	w.beginForward()
	if err := w.record(ctx, "repair.supplemented", req.RepairActor, details, req.AttachmentIDs, "supplement"); err != nil {
		return err
	}
	return w.finishForward(ctx, "repair.forwarded_after_supplement", RepairActor{})
}

func (w *repair) validateReject(ctx workflow.Context, req RepairReason) error {
	if w.p.Status != domain.RepairPendingAcceptance {
		return invalid("只有待受理的申请可以不予受理；" + w.stateText())
	}
	if strings.TrimSpace(req.Reason) == "" {
		return badValue("reason_required", "不予受理应当说明理由")
	}
	return nil
}

func (w *repair) reject(ctx workflow.Context, req RepairReason) error {
	f := w.f
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	prevTask := w.task("acceptance")
	w.p.Status, w.p.Holder, w.p.DecisionReason, w.p.Overdue = domain.RepairNotAccepted, "", reason, false
	ref, err := w.issue(ctx, letters.KindNotAccepted, letters.NotAcceptedData{
		Issue: w.issueOf(w.letterNumber("信修不受", now), now), ApplicationRef: w.applicationRef(),
		DecisionNo: f.DecisionNo, Reason: reason,
	}, map[string]any{"reason": reason})
	if err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskDone, prevTask); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "not_accepted", "repair_not_accepted", "信用修复申请不予受理",
		fmt.Sprintf("%s决定对你单位的信用修复申请（%s）不予受理，理由：%s。", f.DepartmentName, f.DecisionNo, reason)); err != nil {
		return err
	}
	return w.record(ctx, "repair.not_accepted", req.RepairActor, map[string]any{"reason": reason, "letter_id": ref.ID}, nil, "")
}

func (w *repair) validateExtend(ctx workflow.Context, req RepairReason) error {
	switch {
	case !statusIn(w.p.Status, domain.RepairVerifying, domain.RepairRectifying):
		return invalid("只有已受理、尚未决定的申请可以延期；" + w.stateText())
	case w.p.Extended:
		return invalid("核实期限只能延长一次，本申请已经延期")
	case w.p.DecisionDue.IsZero():
		return invalid("决定期限尚未确定，请稍后重试")
	case today(ctx).After(w.p.DecisionDue):
		return invalid(fmt.Sprintf("决定期限（%s）已过，不能再延期", w.p.DecisionDue))
	case strings.TrimSpace(req.Reason) == "":
		return badValue("reason_required", "延期应当说明理由（如需现场核查等）")
	}
	return nil
}

func (w *repair) extend(ctx workflow.Context, req RepairReason) error {
	f := w.f
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	prevTask, original := w.decisionTask(), w.p.DecisionDue
	w.p.Extended = true
	// An extension of N working days adds them to the deadline it extends.
	due, err := w.extendDue(ctx, dueDecision, original, f.Deadlines.Extension)
	if err != nil {
		return err
	}
	w.p.DecisionDue = due
	ref, err := w.issue(ctx, letters.KindExtensionNotice, letters.ExtensionNoticeData{
		Issue: w.issueOf(w.letterNumber("信修延", now), now), ApplicationRef: w.applicationRef(),
		Procedure: "信用修复申请", Reason: reason, ExtraWorkingDays: f.Deadlines.Extension,
		OriginalDue: original.Time(domain.Shanghai), NewDue: due.Time(domain.Shanghai),
	}, map[string]any{"reason": reason, "original_due": original, "new_due": due})
	if err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskDone, prevTask); err != nil {
		return err
	}
	if err := w.openTask(ctx, w.decisionTask(), fmt.Sprintf("核实并作出信用修复决定（已延期，%s，%s）", f.EnterpriseName, f.DecisionNo),
		domain.RoleDepartment, due); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "extended", "repair_extended", "信用修复核实期限延长",
		fmt.Sprintf("%s将你单位信用修复申请（%s）的核实期限由%s延长至%s，理由：%s。", f.DepartmentName, f.DecisionNo, original, due, reason)); err != nil {
		return err
	}
	return w.record(ctx, "repair.extended", req.RepairActor, map[string]any{"reason": reason, "original_due": original,
		"decision_due": due, "letter_id": ref.ID}, nil, "")
}

func (w *repair) validateRectification(ctx workflow.Context, req RepairRectification) error {
	switch {
	case w.p.Status != domain.RepairVerifying:
		return invalid("只有核实中的申请可以设定整改期限；" + w.stateText())
	case !w.p.RectificationDue.IsZero():
		return invalid(fmt.Sprintf("本申请已设定整改期限（%s），不能重复设定", w.p.RectificationDue))
	case req.DueOn.IsZero():
		return badValue("due_on_required", "请填写整改期限")
	case !req.DueOn.After(today(ctx)):
		return badValue("invalid_due_on", fmt.Sprintf("整改期限%s应晚于今天", req.DueOn))
	case !w.p.DecisionDue.IsZero() && req.DueOn.After(w.p.DecisionDue):
		return badValue("due_on_after_decision_due", fmt.Sprintf("整改期限%s不得晚于作出决定的期限%s；需要更长时间的，请先延期", req.DueOn, w.p.DecisionDue))
	case len(cleanItems(req.Requirements)) == 0:
		return badValue("requirements_required", "请列明整改要求")
	}
	return nil
}

func (w *repair) rectification(ctx workflow.Context, req RepairRectification) error {
	f := w.f
	now := today(ctx)
	reqs := cleanItems(req.Requirements)
	w.p.Status, w.p.Holder, w.p.RectificationDue = domain.RepairRectifying, domain.HolderEnterprise, req.DueOn
	ref, err := w.issue(ctx, letters.KindRectificationNotice, letters.RectificationNoticeData{
		Issue: w.issueOf(w.letterNumber("信修整", now), now), ApplicationRef: w.applicationRef(), DecisionNo: f.DecisionNo,
		Requirements: reqs, DueOn: req.DueOn.Time(domain.Shanghai), Contact: f.DepartmentContact,
	}, map[string]any{"requirements": reqs, "due_on": req.DueOn})
	if err != nil {
		return err
	}
	workflow.Go(ctx, w.watchRectification)
	if err := w.openTask(ctx, w.task("rectification"), "按整改通知书完成整改并提交材料（"+f.DecisionNo+"）", domain.RoleEnterprise, req.DueOn); err != nil {
		return err
	}
	if err := w.notify(ctx, false, "rectification", "repair_rectification", "请按期完成整改",
		fmt.Sprintf("%s要求你单位于%s前完成整改：%s。完成后请在申请页面提交整改材料。", f.DepartmentName, req.DueOn, strings.Join(reqs, "；"))); err != nil {
		return err
	}
	return w.record(ctx, "repair.rectification_deadline", req.RepairActor, map[string]any{"due_on": req.DueOn,
		"requirements": reqs, "letter_id": ref.ID}, nil, "")
}

// watchRectification: when the rectification deadline passes with nothing submitted, the department may hold a
// warning interview before deciding.
func (w *repair) watchRectification(ctx workflow.Context) {
	ctx = withActivityOptions(ctx)
	due, round := w.p.RectificationDue, w.p.Round
	settled := func() bool {
		return w.p.RectificationSubmitted || w.p.Status != domain.RepairRectifying || w.p.Round != round
	}
	inTime, err := awaitUntilEndOf(ctx, due, settled)
	if err != nil || inTime {
		return
	}
	f := w.f
	w.p.Status, w.p.Holder, w.p.RectificationMissed = domain.RepairVerifying, domain.HolderDepartment, true
	_ = w.closeTasks(ctx, domain.TaskCancelled, w.task("rectification"))
	_ = w.openTask(ctx, w.task("warning_interview"), fmt.Sprintf("企业逾期未完成整改，可进行警示约谈后作出决定（%s，%s）",
		f.EnterpriseName, f.DecisionNo), domain.RoleDepartment, w.p.DecisionDue)
	_ = w.notify(ctx, true, "rectification_missed", "repair_rectification_missed", "企业逾期未完成整改",
		fmt.Sprintf("%s未在整改期限（%s）内提交整改材料（%s），可约谈其负责人并记录警示约谈后作出决定。", f.EnterpriseName, due, f.DecisionNo))
	_ = w.record(ctx, "repair.rectification_missed", RepairActor{}, map[string]any{"rectification_due": due}, nil, "")
}

func (w *repair) validateWarningInterview(ctx workflow.Context, req RepairWarningInterview) error {
	switch {
	case w.p.Status != domain.RepairVerifying || !w.p.RectificationMissed:
		return invalid("警示约谈记录只能在企业逾期未完成整改后、作出决定前登记；" + w.stateText())
	case !w.p.WarningInterviewOn.IsZero():
		return invalid(fmt.Sprintf("已于%s登记警示约谈", w.p.WarningInterviewOn))
	case req.HeldOn.IsZero():
		return badValue("held_on_required", "请填写约谈日期")
	case req.HeldOn.After(today(ctx)):
		return badValue("invalid_held_on", fmt.Sprintf("约谈日期%s晚于今天", req.HeldOn))
	case !req.HeldOn.After(w.p.RectificationDue):
		return badValue("invalid_held_on", fmt.Sprintf("约谈日期%s应在整改期限%s之后", req.HeldOn, w.p.RectificationDue))
	case strings.TrimSpace(req.Notes) == "":
		return badValue("notes_required", "请填写约谈内容")
	}
	return nil
}

func (w *repair) warningInterview(ctx workflow.Context, req RepairWarningInterview) error {
	f := w.f
	now := today(ctx)
	w.p.WarningInterviewOn = req.HeldOn
	interviewee, role := strings.TrimSpace(req.Interviewee), strings.TrimSpace(req.IntervieweeRole)
	if interviewee == "" {
		interviewee, role = f.LegalRepresentative, "法定代表人"
	}
	place := strings.TrimSpace(req.Place)
	if place == "" {
		place = f.DepartmentName
	}
	ref, err := w.issue(ctx, letters.KindWarningInterview, letters.WarningInterviewData{
		Issue: w.issueOf(w.letterNumber("信修约", now), now), EnterpriseName: f.EnterpriseName, USCC: f.USCC,
		DecisionNo: f.DecisionNo, HeldOn: req.HeldOn.Time(domain.Shanghai), Place: place, Interviewee: interviewee,
		IntervieweeRole: role, Interviewers: req.Interviewers, Recorder: req.Actor,
		Cause: fmt.Sprintf("未在整改期限（%s）内完成信用修复整改要求（行政处罚决定书文号：%s）", letters.FormatDate(w.p.RectificationDue.Time(domain.Shanghai)), f.DecisionNo),
		Notes: strings.TrimSpace(req.Notes), Undertakings: strings.TrimSpace(req.Undertakings),
	}, map[string]any{"held_on": req.HeldOn, "notes": strings.TrimSpace(req.Notes)})
	if err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskDone, w.task("warning_interview")); err != nil {
		return err
	}
	return w.record(ctx, "repair.warning_interview", req.RepairActor, map[string]any{"held_on": req.HeldOn,
		"interviewee": interviewee, "letter_id": ref.ID}, nil, "")
}

func (w *repair) validateDecide(ctx workflow.Context, req RepairDecision) error {
	switch {
	case !statusIn(w.p.Status, domain.RepairVerifying, domain.RepairRectifying):
		return invalid("只有已受理、正在核实的申请可以作出决定；" + w.stateText())
	case w.p.DecisionDue.IsZero():
		return invalid("受理手续尚未办结，请稍后重试")
	case !req.Approved && strings.TrimSpace(req.Reason) == "":
		return badValue("reason_required", "不予信用修复应当说明理由")
	case req.Approved && req.Fraud:
		return badValue("fraud_requires_refusal", "认定弄虚作假的，应当作出不予信用修复决定（approved 为 false）")
	case req.Approved && !w.conditionsMet():
		return invalid("修复条件尚未满足（培训证明或信用报告），不能准予修复")
	}
	return nil
}

func (w *repair) decide(ctx workflow.Context, req RepairDecision) error {
	f := w.f
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	open := []string{w.decisionTask(), w.task("warning_interview")}
	inTime := !now.After(w.p.DecisionDue)
	approved := req.Approved
	w.p.DecidedOn, w.p.DecidedInTime, w.p.Approved, w.p.DecisionReason, w.p.Overdue = now, &inTime, &approved, reason, false
	d := letters.RepairDecisionData{ApplicationRef: w.applicationRef(), DecisionNo: f.DecisionNo, RecordTitle: recordTitle(f.RecordKind),
		Reason: reason}
	kind, action := letters.KindRepairRefused, "repair.refused"
	if approved {
		w.p.Status, w.p.Holder = domain.RepairApproved, domain.HolderChannels
		w.p.DecisionNo = w.letterNumber("信修准", now)
		d.Issue, d.Channels, kind, action = w.issueOf(w.p.DecisionNo, now), f.Channels, letters.KindRepairApproved, "repair.approved"
	} else {
		w.p.Status, w.p.Holder = domain.RepairRefused, ""
		w.p.DecisionNo = w.letterNumber("信修不准", now)
		d.Issue = w.issueOf(w.p.DecisionNo, now)
	}
	ref, err := w.issue(ctx, kind, d, map[string]any{"approved": approved, "reason": reason, "decision_no": w.p.DecisionNo})
	if err != nil {
		return err
	}
	if ref.Number != "" { // the number the letter was given when stored (see IssueLetter)
		w.p.DecisionNo = ref.Number
	}
	if err := w.closeTasks(ctx, domain.TaskDone, open...); err != nil {
		return err
	}
	if err := w.closeTasks(ctx, domain.TaskCancelled, w.task("rectification")); err != nil {
		return err
	}
	title, body := "信用修复申请不予修复", fmt.Sprintf("%s决定对你单位的信用修复申请（%s）不予信用修复（%s），理由：%s。对决定不服的，可以提出异议或者依法申请行政复议、提起行政诉讼。",
		f.DepartmentName, f.DecisionNo, w.p.DecisionNo, reason)
	if approved {
		title, body = "信用修复申请已准予", fmt.Sprintf("%s决定准予你单位信用修复（%s）。相关信息将在各公示渠道撤下，完成后另行告知。",
			f.DepartmentName, w.p.DecisionNo)
	}
	if err := w.notify(ctx, false, "decided", "repair_decided", title, body); err != nil {
		return err
	}
	details := map[string]any{"decision_no": w.p.DecisionNo, "reason": reason, "in_time": inTime, "letter_id": ref.ID}
	if req.Fraud {
		fraud, err := w.fraud(ctx, now, reason, req.RepairActor)
		if err != nil {
			return err
		}
		details["fraud"] = fraud
	}
	return w.record(ctx, action, req.RepairActor, details, nil, "")
}

func (w *repair) validateWithdraw(ctx workflow.Context, _ RepairReason) error {
	if !statusIn(w.p.Status, domain.RepairWaitingConditions, domain.RepairPendingAcceptance, domain.RepairSupplementRequested,
		domain.RepairVerifying, domain.RepairRectifying) {
		return invalid("只有尚未作出决定的申请可以撤回；" + w.stateText())
	}
	return nil
}

func (w *repair) withdraw(ctx workflow.Context, req RepairReason) error {
	open := []string{w.task("conditions"), w.task("acceptance"), w.task("supplement"), w.task("decision"),
		w.task("decision_extended"), w.task("rectification"), w.task("warning_interview")}
	w.p.Status, w.p.Holder, w.p.WaitingTraining, w.p.WaitingCreditReport, w.p.Overdue = domain.RepairCancelled, "", false, false, false
	if err := w.closeTasks(ctx, domain.TaskCancelled, open...); err != nil {
		return err
	}
	if err := w.notify(ctx, true, "cancelled", "repair_cancelled", "信用修复申请已撤回",
		fmt.Sprintf("%s撤回了信用修复申请（%s），无需继续办理。", w.f.EnterpriseName, w.f.DecisionNo)); err != nil {
		return err
	}
	return w.record(ctx, "repair.cancelled", req.RepairActor, map[string]any{"reason": strings.TrimSpace(req.Reason)}, nil, "")
}

func (w *repair) validateCondition(ctx workflow.Context, req RepairCondition) error {
	if !statusIn(w.p.Status, domain.RepairWaitingConditions, domain.RepairPendingAcceptance, domain.RepairSupplementRequested,
		domain.RepairVerifying, domain.RepairRectifying) {
		return invalid("只有尚未作出决定的申请可以补充修复条件；" + w.stateText())
	}
	switch req.Kind {
	case ConditionTrainingCertificate:
		if req.LetterID <= 0 {
			return badValue("letter_id_required", "请指定信用修复培训证明（letter_id）")
		}
	case ConditionCreditReport:
		if req.AttachmentID <= 0 {
			return badValue("attachment_id_required", "请指定已上传的信用报告（attachment_id）")
		}
	default:
		return badValue("invalid_condition_kind", "条件类型应为 training_certificate（培训证明）或 credit_report（信用报告）")
	}
	return nil
}

func (w *repair) attachCondition(ctx workflow.Context, req RepairCondition) error {
	details := map[string]any{"kind": req.Kind}
	var attach []int64
	if req.Kind == ConditionTrainingCertificate {
		w.p.TrainingLetterID, w.p.WaitingTraining = req.LetterID, false
		details["letter_id"] = req.LetterID
	} else {
		w.p.CreditReportAttachmentID, w.p.WaitingCreditReport = req.AttachmentID, false
		details["attachment_id"] = req.AttachmentID
		attach = []int64{req.AttachmentID}
	}
	return w.record(ctx, "repair.condition_attached", req.RepairActor, details, attach, "credit_report")
}

// trainingCertificate takes a certificate issued by a training session for the case's enterprise.
func (w *repair) trainingCertificate(ctx workflow.Context, sig TrainingCertificateSignal) {
	log := workflow.GetLogger(ctx)
	switch {
	case sig.USCC != w.f.USCC:
		log.Warn("training certificate of another enterprise ignored", "repair", w.id, "uscc", sig.USCC)
		return
	case sig.LetterID <= 0 || (!w.p.WaitingTraining && w.p.TrainingLetterID != 0):
		return
	case w.terminal():
		return
	}
	w.p.TrainingLetterID, w.p.WaitingTraining = sig.LetterID, false
	w.busy++
	defer func() { w.busy-- }()
	_ = w.record(ctx, "repair.training_certificate", RepairActor{}, map[string]any{"letter_id": sig.LetterID,
		"training_id": sig.TrainingID}, nil, "")
}

func (w *repair) validateRevoke(ctx workflow.Context, req RepairReason) error {
	switch {
	case w.p.Status == domain.RepairApproved:
		return invalid("准予修复后的撤下公示尚未完成，请完成后再撤销")
	case w.p.Status != domain.RepairClosed || w.p.Approved == nil || !*w.p.Approved:
		return invalid("只有已准予并办结的信用修复可以因失信撤销；" + w.stateText())
	case strings.TrimSpace(req.Reason) == "":
		return badValue("reason_required", "撤销信用修复应当说明查实的失信情形（如提供虚假材料、虚假承诺）")
	}
	return nil
}

func (w *repair) revoke(ctx workflow.Context, req RepairReason) error {
	f := w.f
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	w.p.Status, w.p.Holder = domain.RepairRevoked, ""
	bannedUntil := now.AddMonths(f.FraudBanMonths)
	number := fmt.Sprintf("信用办撤修〔%d〕%d号", now.Y, w.id)
	ref, err := w.issue(ctx, letters.KindRevocationDecision, letters.RevocationDecisionData{
		Issue:          letters.Issue{Issuer: activities.CreditOfficeIssuer, Regulation: f.Regulation, Number: number, Date: now.Time(domain.Shanghai)},
		EnterpriseName: f.EnterpriseName, USCC: f.USCC, DecisionNo: f.DecisionNo, RepairDecisionNo: w.p.DecisionNo,
		Reason: reason,
	}, map[string]any{"reason": reason, "banned_until": bannedUntil})
	if err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(ctx, acts.RecordFraudBan, activities.FraudBanInput{
		RepairID: w.id, PenaltyID: f.PenaltyID, USCC: f.USCC, Reason: reason, RevokedOn: now, BannedUntil: bannedUntil,
		LetterID: ref.ID, Actor: req.Actor,
	}).Get(ctx, nil); err != nil {
		return err
	}
	republish, err := w.republish(ctx, now, reason)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("经查，你单位在信用修复中%s。市信用办已撤销准予信用修复决定（%s），恢复公示相关行政处罚信息，%s前不予受理该信息的信用修复申请。",
		reason, w.p.DecisionNo, bannedUntil)
	if err := w.notify(ctx, false, "revoked", "repair_revoked", "信用修复决定已撤销", body); err != nil {
		return err
	}
	if err := w.notify(ctx, true, "revoked", "repair_revoked", "信用修复决定已因失信撤销",
		fmt.Sprintf("%s的信用修复（%s）因%s被撤销，原行政处罚信息恢复公示。", f.EnterpriseName, w.p.DecisionNo, reason)); err != nil {
		return err
	}
	return w.record(ctx, "repair.revoked", req.RepairActor, map[string]any{"reason": reason, "banned_until": bannedUntil,
		"letter_id": ref.ID, "republish": republish}, nil, "")
}

// republish puts the record back on its channels after a fraud revocation (RepublishWorkflow, which outlives this
// run) until the end of its publication period: the original end, or under a rule set where fraud restarts the
// publication (samr-2025) the full period again from today. A period already over republishes nothing.
func (w *repair) republish(ctx workflow.Context, now domain.Date, reason string) (map[string]any, error) {
	f := w.f
	until := f.PublicationEnds
	if f.FraudRestartsPublication && f.MaxPublishMonths > 0 {
		until = now.AddMonths(f.MaxPublishMonths)
	}
	if !f.Published || !until.After(now) {
		return map[string]any{"republished": false, "publication_ends": until}, nil
	}
	due, err := w.deadline(ctx, now, f.Deadlines.Publication)
	if err != nil {
		return nil, err
	}
	in := RepublishParams{PenaltyID: f.PenaltyID, RepairID: w.id, RevokedOn: now, PublishDue: due, Until: until,
		Reason: fmt.Sprintf("撤销信用修复决定（%s）：%s", w.p.DecisionNo, reason)}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: RepublishWorkflowID(f.PenaltyID, w.id), TaskQueue: TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	})
	var started workflow.Execution
	err = workflow.ExecuteChildWorkflow(cctx, RepublishWorkflow, in).GetChildWorkflowExecution().Get(ctx, &started)
	var already *temporal.ChildWorkflowExecutionAlreadyStartedError
	if err != nil && !errors.As(err, &already) {
		return nil, err
	}
	return map[string]any{"republished": true, "publish_due": due, "publication_ends": until,
		"workflow": RepublishWorkflowID(f.PenaltyID, w.id)}, nil
}

func (w *repair) validateReopen(ctx workflow.Context, req RepairReopen) error {
	if w.reopening {
		return invalid("本申请正在重新办理")
	}
	if !statusIn(w.p.Status, domain.RepairRefused, domain.RepairNotAccepted) {
		return invalid("只有不予受理或者不予修复的申请可以重新办理；" + w.stateText())
	}
	if strings.TrimSpace(req.Ref) == "" && strings.TrimSpace(req.Reason) == "" {
		return badValue("reason_required", "请说明重新办理的依据（如异议处理结果）")
	}
	return nil
}

// reopen puts a refused case back to verification, and a not-accepted one back to acceptance, with fresh deadlines
// and a new round (its tasks and letters are new ones).
func (w *repair) reopen(ctx workflow.Context, req RepairReopen) error {
	f := w.f
	// The enterprise may have applied anew meanwhile: one open case per record.
	w.reopening = true
	var open int64
	err := workflow.ExecuteActivity(ctx, acts.OpenRepairOf, f.PenaltyID).Get(ctx, &open)
	w.reopening = false
	if err != nil {
		return err
	}
	if open != 0 && open != w.id {
		return invalid(fmt.Sprintf("该处罚信息已有新的信用修复申请（案件%d）正在办理，不能重新办理本申请", open))
	}
	if err := w.validateReopen(ctx, req); err != nil {
		return err
	}
	now := today(ctx)
	from := w.p.Status
	w.p.Round++
	w.p.DecidedOn, w.p.DecidedInTime, w.p.Approved, w.p.DecisionNo, w.p.DecisionReason = domain.Date{}, nil, nil, "", ""
	w.p.Extended, w.p.RectificationDue, w.p.RectificationMissed, w.p.RectificationSubmitted = false, domain.Date{}, false, false
	w.p.WarningInterviewOn, w.p.Overdue = domain.Date{}, false
	details := map[string]any{"ref": req.Ref, "reason": strings.TrimSpace(req.Reason), "from": from, "round": w.p.Round}
	if from == domain.RepairNotAccepted {
		w.p.SupplementRequested = false
		w.beginForward()
		if err := w.record(ctx, "repair.reopened", req.RepairActor, details, nil, ""); err != nil {
			return err
		}
		return w.finishForward(ctx, "repair.forwarded", RepairActor{})
	}
	w.p.Status, w.p.Holder, w.p.AcceptedOn, w.p.DecisionDue = domain.RepairVerifying, domain.HolderDepartment, now, domain.Date{}
	due, err := w.due(ctx, dueDecision, now, f.Deadlines.Decision, 0)
	if err != nil {
		return err
	}
	w.p.DecisionDue = due
	details["decision_due"] = due
	if err := w.openTask(ctx, w.decisionTask(), fmt.Sprintf("重新核实并作出信用修复决定（%s，%s）", f.EnterpriseName, f.DecisionNo),
		domain.RoleDepartment, due); err != nil {
		return err
	}
	if err := w.notify(ctx, true, "reopened", "repair_reopened", "信用修复申请重新办理",
		fmt.Sprintf("%s的信用修复申请（%s）经异议处理重新办理，请于%s前重新作出决定。", f.EnterpriseName, f.DecisionNo, due)); err != nil {
		return err
	}
	return w.record(ctx, "repair.reopened", req.RepairActor, details, nil, "")
}
