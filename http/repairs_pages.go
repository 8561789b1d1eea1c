package httpapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// The pages of repair cases: the enterprise's self-check, application and case tracking; the department's inbox
// and case page with its actions; the credit office's queue (overdue first) with filters and numbers.

func repairStatusOptions() []option { return labelledOptions(domain.RepairStatuses) }

// repairRow is a case as the pages list it.
type repairRow struct {
	storage.Repair
	StatusLabel string
	HolderLabel string
	DueLabel    string
	Waiting     string
}

func dueLabel(r storage.Repair) string {
	switch r.Status {
	case domain.RepairPendingAcceptance:
		return "受理期限 " + r.AcceptanceDue.String()
	case domain.RepairVerifying, domain.RepairRectifying:
		s := "决定期限 " + r.DecisionDue.String()
		if r.Status == domain.RepairRectifying {
			s += "（整改期限 " + r.RectificationDue.String() + "）"
		}
		return s
	case domain.RepairSupplementRequested:
		if !r.SupplementDue.IsZero() {
			return "补正期限 " + r.SupplementDue.String()
		}
		return "待企业补正"
	}
	return "—"
}

func waitingLabel(r storage.Repair) string {
	var w []string
	if r.WaitingTraining {
		w = append(w, "等待信用修复培训证明")
	}
	if r.WaitingCreditReport {
		w = append(w, "等待信用报告")
	}
	return strings.Join(w, "、")
}

func toRepairRows(rs []storage.Repair) []repairRow {
	rows := make([]repairRow, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, repairRow{Repair: r, StatusLabel: domain.RepairStatus(r.Status).Label(),
			HolderLabel: domain.Holder(r.Holder).Label(), DueLabel: dueLabel(r), Waiting: waitingLabel(r)})
	}
	return rows
}

// statsView is the credit office's numbers as a page shows them.
type statsView struct {
	storage.RepairStats
	Rows       []option
	InTimeText string
}

func toStatsView(st storage.RepairStats) statsView {
	v := statsView{RepairStats: st, InTimeText: "—"}
	for _, s := range domain.RepairStatuses {
		if n := st.ByStatus[string(s)]; n > 0 {
			v.Rows = append(v.Rows, option{s.Label(), strconv.Itoa(n)})
		}
	}
	if st.Decided > 0 {
		v.InTimeText = fmt.Sprintf("%.1f%%（%d/%d）", st.InTimeShare*100, st.DecidedInTime, st.Decided)
	}
	return v
}

func (s *Server) repairsPage(c *fiber.Ctx) error {
	p := principalOf(c)
	ctx := c.UserContext()
	f, visible, err := repairFilter(c, p)
	if err != nil {
		return err
	}
	f.Limit = 200
	var rs []storage.Repair
	if visible {
		if rs, err = s.db.ListRepairs(ctx, f); err != nil {
			return err
		}
	}
	data := map[string]any{"Rows": toRepairRows(rs), "Filter": f, "Statuses": repairStatusOptions(),
		"IsEnterprise": p.Role == domain.RoleEnterprise, "IsDept": p.Role == domain.RoleDepartment,
		"IsOffice":    p.Role == domain.RoleCreditOffice || p.Role == domain.RoleAdmin,
		"OverdueOnly": f.OverdueOnly, "OpenOnly": f.Open}
	title := "信用修复"
	switch p.Role {
	case domain.RoleEnterprise:
		title = "我的信用修复"
		ps, err := s.db.ListPenalties(ctx, storage.PenaltyFilter{USCC: p.USCC.String, Newest: true, Limit: 200})
		if err != nil {
			return err
		}
		var records []map[string]any
		for _, pen := range ps {
			records = append(records, map[string]any{"ID": pen.ID, "DecisionNo": pen.DecisionNo, "DecidedOn": pen.DecidedOn,
				"ClassLabel": domain.Class(pen.Class).Label(), "EligibleFrom": pen.RepairEligibleFrom,
				"StatusLabel": domain.PenaltyStatus(pen.Status).Label()})
		}
		data["Records"] = records
	case domain.RoleDepartment:
		title = "信用修复受理"
		st, err := s.db.RepairStatistics(ctx, p.DepartmentID.String)
		if err != nil {
			return err
		}
		data["Stats"] = toStatsView(st)
	default:
		title = "信用修复案件（一窗受理）"
		st, err := s.db.RepairStatistics(ctx, f.DepartmentID)
		if err != nil {
			return err
		}
		data["Stats"] = toStatsView(st)
		depts, err := s.db.ListDepartments(ctx)
		if err != nil {
			return err
		}
		data["Departments"] = depts
	}
	data["Title"] = title
	return s.page(c, "repairs", pageData{Title: title, Data: data})
}

// Self-check and application.

func (s *Server) selfCheckPage(c *fiber.Ctx) error {
	id, _ := strconv.ParseInt(c.Query("penalty_id"), 10, 64)
	return s.renderSelfCheck(c, id, nil, "")
}

func (s *Server) renderSelfCheck(c *fiber.Ctx, penaltyID int64, problem *Error, statement string) error {
	p := principalOf(c)
	pen, err := s.ownPenalty(c.UserContext(), p, penaltyID)
	if err != nil {
		return err
	}
	e, err := s.eligibility(c.UserContext(), pen, domain.Today())
	if err != nil {
		return err
	}
	ent, err := s.db.GetEnterprise(c.UserContext(), pen.USCC)
	if err != nil {
		return err
	}
	dept, err := s.db.GetDepartment(c.UserContext(), pen.DepartmentID)
	if err != nil {
		return err
	}
	if problem != nil {
		c.Status(statusOf(problem))
	}
	msg := ""
	if problem != nil {
		msg = refused(c, problem).Message
	}
	ruleSetName := s.ruleSetName(c.UserContext(), e.RuleSet)
	return s.page(c, "selfcheck", pageData{Title: "信用修复自查", Data: map[string]any{
		"RuleSetName": ruleSetName,
		"P":           pen, "E": e, "Enterprise": ent, "Department": dept, "Problem": msg, "Statement": statement,
		"Refusal": e.refusal, "MaxMB": maxAttachmentBytes >> 20, "Pledges": letters.Pledges(letters.KindCommitment),
	}})
}

// applyRepairPage takes the application form: the commitment, a statement, materials and an optional credit
// report, uploaded with it.
func (s *Server) applyRepairPage(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	penaltyID, _ := strconv.ParseInt(form.value("penalty_id"), 10, 64)
	statement := form.value("statement")
	fail := func(err error) error {
		return showOnForm(err, func(e *Error) error { return s.renderSelfCheck(c, penaltyID, e, statement) })
	}
	pen, err := s.ownPenalty(c.UserContext(), principalOf(c), penaltyID)
	if err != nil {
		return err
	}
	// Judge eligibility before storing anything.
	e, err := s.eligibility(c.UserContext(), pen, domain.Today())
	if err != nil {
		return err
	}
	if e.refusal != nil {
		return fail(e.refusal)
	}
	if form.value("commitment_accepted") != "1" {
		return fail(invalidField("commitment_accepted", "commitment_required", "申请信用修复须阅读并签署信用承诺书"))
	}
	reports, materials := form.files("credit_report")
	stored, err := s.storeUploads(c, append(materials, reports...))
	if err != nil {
		return fail(err)
	}
	in := repairApplication{PenaltyID: penaltyID, CommitmentAccepted: true, Statement: statement}
	for i, a := range stored {
		if i < len(materials) {
			in.AttachmentIDs = append(in.AttachmentIDs, a.ID)
		} else {
			in.CreditReportAttachmentID = a.ID
		}
	}
	r, err := s.apply(c, in)
	if err != nil {
		s.discardIfRefused(c, stored, err)
		return fail(err)
	}
	return s.seeOther(c, "/repairs/"+strconv.FormatInt(r.ID, 10), "信用修复申请已提交")
}

// Case page.

type repairHistoryRow struct{ At, Actor, Step, Detail string }

// repairActionView is an action form the page offers.
type repairActionView struct {
	Path, Label string
}

// actionsFor lists the steps the caller may take on the case now (the workflow still judges each).
func actionsFor(p *principal, r storage.Repair) map[string]bool {
	can := map[string]bool{}
	open := func(statuses ...domain.RepairStatus) bool {
		for _, st := range statuses {
			if r.Status == st {
				return true
			}
		}
		return false
	}
	switch p.Role {
	case domain.RoleDepartment:
		if open(domain.RepairPendingAcceptance) {
			can["accept"], can["reject"] = true, true
			can["request-supplement"] = !r.SupplementRequested
		}
		if open(domain.RepairVerifying, domain.RepairRectifying) {
			can["decide"] = true
			can["extend"] = !r.Extended
			can["rectification-deadline"] = r.Status == domain.RepairVerifying && r.RectificationDue.IsZero()
			can["warning-interview"] = r.RectificationMissed && r.WarningInterviewOn.IsZero()
		}
	case domain.RoleEnterprise:
		can["supplement"] = open(domain.RepairSupplementRequested, domain.RepairRectifying)
		can["withdraw"] = open(domain.RepairWaitingConditions, domain.RepairPendingAcceptance, domain.RepairSupplementRequested,
			domain.RepairVerifying, domain.RepairRectifying)
		can["attach-condition"] = r.WaitingTraining || r.WaitingCreditReport
	case domain.RoleCreditOffice:
		can["revoke"] = r.Status == domain.RepairClosed
		can["reopen"] = open(domain.RepairRefused, domain.RepairNotAccepted)
	}
	return can
}

func (s *Server) repairPage(c *fiber.Ctx) error {
	r, err := s.visibleRepair(c)
	if err != nil {
		return err
	}
	return s.renderRepairPage(c, r, "", nil)
}

func (s *Server) renderRepairPage(c *fiber.Ctx, r storage.Repair, flash string, problem *Error) error {
	ctx := c.UserContext()
	j, err := s.repairDetail(ctx, r)
	if err != nil {
		return err
	}
	var hist []repairHistoryRow
	names := s.actorNames(ctx)
	for _, h := range *j.History {
		hist = append(hist, repairHistoryRow{At: h.At.In(shanghai).Format("2006-01-02 15:04"), Actor: names.name(h.Actor, h.Role),
			Step: h.Label, Detail: historyDetail(h.Details)})
	}
	msg := ""
	if problem != nil {
		msg = refused(c, problem).Message
		c.Status(statusOf(problem))
	}
	decision := ""
	if r.Approved != nil {
		decision = "不予信用修复"
		if *r.Approved {
			decision = "准予信用修复"
		}
		decision += fmt.Sprintf("（%s，%s）", r.DecisionNo, r.DecidedOn)
		if r.DecisionReason != "" {
			decision += "：" + r.DecisionReason
		}
	} else if r.Status == domain.RepairNotAccepted {
		decision = "不予受理：" + r.DecisionReason
	}
	var materials []attachmentJSON
	for _, a := range *j.Attachments {
		a.Purpose = purposeLabel(a.Purpose)
		materials = append(materials, a)
	}
	var wd *caseWithdrawalJSON
	if j.Withdrawal != nil {
		wd = *j.Withdrawal
	}
	assignment, err := s.assignmentView(c, "repair", r.ID, r.DepartmentID)
	if err != nil {
		return err
	}
	ruleSetName := s.ruleSetName(c.UserContext(), r.RuleSet)
	return s.page(c, "repair", pageData{Title: "信用修复申请 " + workflows.RepairApplicationNo(r.ID, r.AppliedOn), Flash: flash, Data: map[string]any{
		"Assignment": assignment, "RuleSetName": ruleSetName,
		"R": r, "J": j, "Prov": j.Deadlines.Provisional, "Row": toRepairRows([]storage.Repair{r})[0], "History": hist, "Letters": *j.Letters,
		"Attachments": materials, "Withdrawal": wd, "DecisionText": decision, "Can": actionsFor(principalOf(c), r), "Problem": msg,
		"Today": domain.Today().String(), "ApplicationNo": workflows.RepairApplicationNo(r.ID, r.AppliedOn),
		"MaxMB": maxAttachmentBytes >> 20,
	}})
}

func purposeLabel(p string) string {
	switch p {
	case "application":
		return "申请材料"
	case "supplement":
		return "补正材料"
	case "rectification":
		return "整改材料"
	case "credit_report":
		return "信用报告"
	}
	return p
}

// historyDetail prints a step's details briefly.
func historyDetail(raw json.RawMessage) string {
	return detailText(raw, "，", []detailField{
		{"reason", "理由"}, {"items", "补正事项"}, {"requirements", "整改要求"}, {"acceptance_due", "受理期限"},
		{"decision_due", "决定期限"}, {"original_due", "原期限"}, {"due_on", "期限"}, {"held_on", "约谈日期"},
		{"decision_no", "文号"}, {"banned_until", "不予修复至"}, {"waiting_for", "等待"}, {"ref", "依据"},
		{"statement", "说明"},
	},
		func(_ string, v any) (string, bool) {
			if list, ok := v.([]any); ok {
				ss := mapOf(list, func(it any) string { return fmt.Sprint(it) })
				return strings.Join(ss, "；"), len(ss) > 0
			}
			return fmt.Sprint(v), true
		})
}

// repairStepPage takes a step from the case page's forms.
func (s *Server) repairStepPage(c *fiber.Ctx) error {
	r, err := s.visibleRepair(c)
	if err != nil {
		return err
	}
	a, ok := findRepairAction(c.Params("action"))
	if !ok {
		return errNotFound
	}
	var b stepBody
	var files []formUpload
	value := c.FormValue
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		form, err := parseMultipart(c)
		if err != nil {
			return err
		}
		value = func(k string, _ ...string) string { return form.value(k) }
		files = form.Files
	}
	jsonText := func(v string) json.RawMessage {
		raw, _ := json.Marshal(v)
		return raw
	}
	b.Reason, b.DueOn, b.HeldOn, b.Notes = value("reason"), value("due_on"), value("held_on"), value("notes")
	b.Place, b.Interviewee, b.IntervieweeRole, b.Undertakings = value("place"), value("interviewee"), value("interviewee_role"), value("undertakings")
	b.Items, b.Requirements, b.Interviewers = jsonText(value("items")), jsonText(value("requirements")), jsonText(strings.ReplaceAll(value("interviewers"), "、", "\n"))
	b.Statement, b.Kind, b.Ref = value("statement"), value("kind"), value("ref")
	b.LetterID, _ = strconv.ParseInt(value("letter_id"), 10, 64)
	switch value("approved") {
	case "1":
		t := true
		b.Approved = &t
	case "0":
		f := false
		b.Approved = &f
	}
	fail := func(err error) error {
		return showOnForm(err, func(e *Error) error { return s.renderRepairPage(c, r, "", e) })
	}
	if principalOf(c).Role != a.role {
		return errForbidden
	}
	var stored []storage.Attachment
	if len(files) > 0 {
		stored, err = s.storeUploads(c, files)
		if err != nil {
			return fail(err)
		}
		for _, at := range stored {
			if a.path == "attach-condition" {
				b.AttachmentID = at.ID
			} else {
				b.AttachmentIDs = append(b.AttachmentIDs, at.ID)
			}
		}
	}
	if err := s.runRepairStep(c, a, r, b); err != nil {
		s.discardIfRefused(c, stored, err)
		return fail(err)
	}
	return s.seeOther(c, "/repairs/"+strconv.FormatInt(r.ID, 10), "已办理："+a.label)
}

// Home page.

func (s *Server) repairHomeSections(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	ctx := c.UserContext()
	switch p.Role {
	case domain.RoleEnterprise:
		sec := withRows(homeSection{Title: "信用修复申请", Headers: []string{"案件", "处罚决定书", "状态", "办理方", "期限"},
			Empty: "暂无信用修复申请。可在“信用修复”中自查并申请。", Linked: true}, toRepairRows(h.repairs), func(r repairRow) homeRow {
			return homeRow{Cells: []string{strconv.FormatInt(r.ID, 10), r.DecisionNoOfPenalty, r.StatusLabel, r.HolderLabel,
				r.DueLabel}, Href: "/repairs/" + strconv.FormatInt(r.ID, 10), Alert: r.Overdue}
		})
		return []homeSection{sec}, nil
	case domain.RoleCreditOffice:
		_, st, at, err := s.homeCounts.get(ctx, s.db)
		secs := countsSection("信用修复办理情况", []string{"在办案件", "逾期案件", "已决定", "按期决定率"}, "/repairs?open=1",
			st.Overdue > 0, strconv.Itoa(st.Open), strconv.Itoa(st.Overdue), strconv.Itoa(st.Decided), toStatsView(st).InTimeText)
		secs[0].Note = homeCountsNote(at)
		return secs, err
	}
	return nil, nil
}
