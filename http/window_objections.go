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

// windowPenalty loads a record of the enterprise the window names (404 for anyone else's).
func (s *Server) windowPenalty(c *fiber.Ctx, rawUSCC string, penaltyID int64) (storage.Penalty, string, error) {
	uscc, err := domain.NormalizeUSCC(rawUSCC)
	if err != nil {
		return storage.Penalty{}, "", errNotFound
	}
	onBehalf := *principalOf(c)
	onBehalf.USCC.String, onBehalf.USCC.Valid = uscc, true
	pen, err := s.ownPenalty(c.UserContext(), &onBehalf, penaltyID)
	return pen, uscc, err
}

func (s *Server) renderWindowObjection(c *fiber.Ctx, in objectionFiling, problem *Error) error {
	ctx := c.UserContext()
	pen, uscc, err := s.windowPenalty(c, in.USCC, in.PenaltyID)
	if err != nil {
		return err
	}
	ent, err := s.db.GetEnterprise(ctx, uscc)
	if err != nil {
		return err
	}
	dept, err := s.db.GetDepartment(ctx, pen.DepartmentID)
	if err != nil {
		return err
	}
	var grounds []groundsOption
	for _, g := range domain.AllObjectionGrounds {
		grounds = append(grounds, groundsOption{Value: string(g), Label: g.Label()})
	}
	msg, field := "", ""
	if problem != nil {
		c.Status(statusOf(problem))
		msg = refused(c, problem).Message
		field, _ = problem.Details["field"].(string)
	}
	return s.page(c, "window_objection", pageData{Title: "窗口代为登记异议申请", Data: map[string]any{
		"P": pen, "Enterprise": ent, "Department": dept, "In": in, "Grounds": grounds, "Problem": msg, "Field": field,
		"StatusLabel": domain.PenaltyStatus(pen.Status).Label(), "MaxMB": maxAttachmentBytes >> 20,
		"Pledges": letters.Pledges(letters.KindObjectionCommitment)}})
}

// windowObjectionSubmit stores the scans under the enterprise and files the objection on its behalf, then shows
// the receipt (redirect after POST).
func (s *Server) windowObjectionSubmit(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	in := objectionFiling{USCC: c.Query("uscc"), Grounds: form.value("grounds"), Statement: form.value("statement"),
		CommitmentAccepted: form.value("commitment_signed") == "1"}
	in.PenaltyID, _ = strconv.ParseInt(form.value("penalty_id"), 10, 64)
	in.RepairID, _ = strconv.ParseInt(strings.TrimSpace(form.value("repair_id")), 10, 64)
	fail := func(err error) error {
		if e, ok := pageProblem(err); ok && e.Kind != domain.KindNotFound {
			return s.renderWindowObjection(c, in, e)
		}
		return err
	}
	// The record must be the named enterprise's before anything is stored.
	if _, _, err := s.windowPenalty(c, in.USCC, in.PenaltyID); err != nil {
		return err
	}
	var commitment, evidence []formUpload
	for _, f := range form.Files {
		if f.Field == "commitment" {
			commitment = append(commitment, f)
		} else {
			evidence = append(evidence, f)
		}
	}
	if !in.CommitmentAccepted {
		return fail(invalidField("commitment_signed", "commitment_required", "请确认企业已在纸质异议申诉信用承诺书上签字盖章"))
	}
	if len(commitment) == 0 {
		return fail(invalidField("commitment", "window_commitment_required", "请上传企业签章的纸质异议申诉信用承诺书扫描件"))
	}
	stored, err := s.storeUploads(c, append(commitment, evidence...))
	if err != nil {
		return fail(err)
	}
	for _, a := range stored {
		in.AttachmentIDs = append(in.AttachmentIDs, a.ID)
	}
	o, err := s.file(c, in)
	if err != nil {
		s.discardIfRefused(c, stored, err)
		return fail(err)
	}
	return c.Redirect("/window/receipts/objections/"+strconv.FormatInt(o.ID, 10), fiber.StatusSeeOther)
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
	has, err := s.db.HasAccount(c.UserContext(), o.USCC)
	if err != nil {
		return err
	}
	no := workflows.ObjectionApplicationNo(o.ID, o.FiledOn)
	var files []string
	if j.Attachments != nil {
		for _, a := range *j.Attachments {
			files = append(files, a.Filename)
		}
	}
	due := ""
	if !o.VerifyDue.IsZero() {
		due = o.DepartmentName + "于" + o.VerifyDue.String() + "前核实并答复"
	}
	return s.page(c, "window_receipt", pageData{Title: "异议申请受理回执 " + no, Data: map[string]any{
		"Heading": "异议申请受理回执", "What": "异议申请", "Subject": "异议的信息", "EnterpriseName": o.EnterpriseName, "USCC": o.USCC,
		"DecisionNo": o.DecisionNo, "DepartmentName": o.DepartmentName, "ApplicationNo": no, "Due": due, "Files": files,
		"ReceivedAt": o.CommitmentAcceptedAt.In(shanghai).Format("2006-01-02 15:04"), "HasAccount": has,
		"StatusLabel": domain.ObjectionStatus(o.Status).Label(), "CaseURL": "/objections/" + strconv.FormatInt(o.ID, 10)}})
}
