package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// The pages of the credit office's single window (一窗受理, issue 15): find the enterprise, take its repair
// application on its behalf with the scanned signed commitment and materials, and print the receipt. The
// application goes through the same path as the API (apply), so it then runs exactly like an online one.

// windowPage finds enterprises by code or name.
func (s *Server) windowPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	var found []storage.Enterprise
	if q != "" {
		if code, err := domain.NormalizeUSCC(q); err == nil {
			q = code
		}
		var err error
		if found, err = s.db.SearchEnterprises(c.UserContext(), q, "", 50); err != nil {
			return err
		}
	}
	return s.page(c, "window", pageData{Title: "一窗受理", Data: map[string]any{"Q": q, "Found": found, "Searched": q != ""}})
}

// windowRecord is a record of the enterprise as the window lists it.
type windowRecord struct {
	storage.Penalty
	ClassLabel, StatusLabel string
	Eligible                bool
	Verdict                 string
	// Objectable: the record is still published, so the enterprise may object to it at the window.
	Objectable   bool
	OpenRepairID int64
}

// windowEnterprisePage shows the enterprise, whether it has an account, and its records with what the window may
// take for each.
func (s *Server) windowEnterprisePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	uscc, err := domain.NormalizeUSCC(c.Params("uscc"))
	if err != nil {
		return errNotFound
	}
	ent, err := s.db.GetEnterprise(ctx, uscc)
	if err != nil {
		return err
	}
	has, err := s.db.HasAccount(ctx, uscc)
	if err != nil {
		return err
	}
	ps, err := s.db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: 200})
	if err != nil {
		return err
	}
	today := domain.Today()
	rows := make([]windowRecord, 0, len(ps))
	for _, pen := range ps {
		e, err := s.eligibility(ctx, pen, today)
		if err != nil {
			return err
		}
		row := windowRecord{Penalty: pen, ClassLabel: domain.Class(pen.Class).Label(), StatusLabel: domain.PenaltyStatus(pen.Status).Label(),
			Eligible: e.Eligible, Verdict: "可以申请"}
		switch pen.Status {
		case domain.PenaltyWithdrawing, domain.PenaltyWithdrawn, domain.PenaltyRevoked:
		default:
			row.Objectable = true
		}
		if e.refusal != nil {
			row.Verdict = e.refusal.Message
		}
		if e.OpenRepairID != nil {
			row.OpenRepairID = *e.OpenRepairID
		}
		rows = append(rows, row)
	}
	return s.page(c, "window_enterprise", pageData{Title: "一窗受理：" + ent.Name, Data: map[string]any{
		"E": ent, "HasAccount": has, "Records": rows}})
}

// windowRepairPage is the application form for one record of the enterprise.
func (s *Server) windowRepairPage(c *fiber.Ctx) error {
	id, _ := strconv.ParseInt(c.Query("penalty_id"), 10, 64)
	return s.renderWindowRepair(c, c.Query("uscc"), id, nil, "")
}

func (s *Server) renderWindowRepair(c *fiber.Ctx, rawUSCC string, penaltyID int64, problem *Error, statement string) error {
	ctx := c.UserContext()
	w, err := s.windowPenalty(c, rawUSCC, penaltyID)
	if err != nil {
		return err
	}
	e, err := s.eligibility(ctx, w.P, domain.Today())
	if err != nil {
		return err
	}
	msg, field := windowProblem(c, problem)
	verdict := ""
	if e.refusal != nil {
		verdict = e.refusal.Message
	}
	return s.page(c, "window_repair", pageData{Title: "窗口代为登记信用修复申请", Data: map[string]any{
		"P": w.P, "E": e, "RuleSetName": s.ruleSetName(ctx, e.RuleSet), "Verdict": verdict, "Enterprise": w.Enterprise, "Department": w.Department, "Problem": msg, "Field": field,
		"Statement": statement, "MaxMB": maxAttachmentBytes >> 20, "Pledges": letters.Pledges(letters.KindCommitment)}})
}

// windowRepairSubmit stores the scans under the enterprise and files the application on its behalf, then shows
// the receipt (redirect after POST).
func (s *Server) windowRepairSubmit(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	rawUSCC := c.Query("uscc")
	penaltyID, _ := strconv.ParseInt(form.value("penalty_id"), 10, 64)
	statement := form.value("statement")
	fail := func(err error) error {
		return showOnForm(err, func(e *Error) error { return s.renderWindowRepair(c, rawUSCC, penaltyID, e, statement) })
	}
	// The record must be the named enterprise's before anything is stored.
	w, err := s.windowPenalty(c, rawUSCC, penaltyID)
	if err != nil {
		return err
	}
	return s.takeAtWindow(c, form, "信用承诺书", "/window/receipts/repairs/", fail, func(ids []int64) (int64, error) {
		r, err := s.apply(c, repairApplication{PenaltyID: penaltyID, USCC: w.Enterprise.USCC, CommitmentAccepted: true, Statement: statement,
			AttachmentIDs: ids})
		return r.ID, err
	})
}

// windowReceiptPage is the printable receipt of an application taken at the window (受理回执).
func (s *Server) windowReceiptPage(c *fiber.Ctx) error {
	r, err := s.visibleRepair(c)
	if err != nil {
		return err
	}
	j, err := s.repairDetail(c.UserContext(), r)
	if err != nil {
		return err
	}
	due := ""
	if !r.AcceptanceDue.IsZero() {
		due = r.DepartmentName + "于" + r.AcceptanceDue.String() + "前决定是否受理"
	}
	return s.renderWindowReceipt(c, windowReceipt{Heading: "信用修复申请受理回执", What: "信用修复申请", Subject: "修复的信息",
		EnterpriseName: r.EnterpriseName, USCC: r.USCC, DecisionNo: r.DecisionNoOfPenalty, DepartmentName: r.DepartmentName,
		ApplicationNo: workflows.RepairApplicationNo(r.ID, r.AppliedOn), Due: due, StatusLabel: domain.RepairStatus(r.Status).Label(),
		CaseURL: "/repairs/" + strconv.FormatInt(r.ID, 10), ReceivedAt: r.CommitmentAcceptedAt}, *j.Attachments)
}
