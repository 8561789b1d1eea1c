package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// Walk-in objections (一窗受理, issue 15): the credit office enters an objection on behalf of an enterprise that
// brings its signed paper 异议申诉信用承诺书 and its evidence; the objection is filed through the same path as the
// API (file), so it then runs exactly like an online one.

// windowObjectionPage is the objection form for one record of the enterprise.
func (s *Server) windowObjectionPage(c *fiber.Ctx) error {
	in := objectionFiling{USCC: c.Query("uscc")}
	in.PenaltyID, _ = strconv.ParseInt(c.Query("penalty_id"), 10, 64)
	in.RepairID, _ = strconv.ParseInt(c.Query("repair_id"), 10, 64)
	if in.RepairID > 0 {
		in.Grounds = string(domain.GroundsAgainstRefusal)
	}
	return s.renderWindowObjection(c, in, nil)
}

func (s *Server) renderWindowObjection(c *fiber.Ctx, in objectionFiling, problem *Error) error {
	w, err := s.windowPenalty(c, in.USCC, in.PenaltyID)
	if err != nil {
		return err
	}
	msg, field := windowProblem(c, problem)
	return s.page(c, "window_objection", pageData{Title: "窗口代为登记异议申请", Data: map[string]any{
		"P": w.P, "Enterprise": w.Enterprise, "Department": w.Department, "In": in, "Grounds": labelledOptions(domain.AllObjectionGrounds), "Problem": msg, "Field": field,
		"StatusLabel": domain.PenaltyStatus(w.P.Status).Label(), "MaxMB": maxAttachmentBytes >> 20,
		"Pledges": letters.Pledges(letters.KindObjectionCommitment)}})
}

// windowObjectionSubmit stores the scans under the enterprise and files the objection on its behalf, then shows
// the receipt (redirect after POST).
func (s *Server) windowObjectionSubmit(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	in := objectionFilingForm(form, "commitment_signed")
	in.USCC = c.Query("uscc")
	fail := func(err error) error {
		return showOnForm(err, func(e *Error) error { return s.renderWindowObjection(c, in, e) })
	}
	// The record must be the named enterprise's before anything is stored.
	if _, err := s.windowPenalty(c, in.USCC, in.PenaltyID); err != nil {
		return err
	}
	return s.takeAtWindow(c, form, "异议申诉信用承诺书", "/window/receipts/objections/", fail, func(ids []int64) (int64, error) {
		in.AttachmentIDs = ids
		o, err := s.file(c, in)
		return o.ID, err
	})
}

// windowObjectionReceiptPage is the printable receipt of an objection taken at the window (受理回执).
func (s *Server) windowObjectionReceiptPage(c *fiber.Ctx) error {
	o, cs, err := s.visibleObjection(c)
	if err != nil {
		return err
	}
	j, err := s.objectionDetail(c.UserContext(), o, cs)
	if err != nil {
		return err
	}
	due := ""
	if !o.VerifyDue.IsZero() {
		due = o.DepartmentName + "于" + o.VerifyDue.String() + "前核实并答复"
	}
	var files []attachmentJSON
	if j.Attachments != nil {
		files = *j.Attachments
	}
	return s.renderWindowReceipt(c, windowReceipt{Heading: "异议申请受理回执", What: "异议申请", Subject: "异议的信息",
		EnterpriseName: o.EnterpriseName, USCC: o.USCC, DecisionNo: o.DecisionNo, DepartmentName: o.DepartmentName,
		ApplicationNo: workflows.ObjectionApplicationNo(o.ID, o.FiledOn), Due: due, StatusLabel: domain.ObjectionStatus(o.Status).Label(),
		CaseURL: "/objections/" + strconv.FormatInt(o.ID, 10), ReceivedAt: o.CommitmentAcceptedAt}, files)
}
