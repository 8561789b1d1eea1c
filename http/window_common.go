package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// What the window's repair applications and objections share: the signed paper commitment and the scans, and the
// printable receipt.

// windowRecordOf is a record of the enterprise the window names, with the enterprise and the record's department.
type windowRecordOf struct {
	P          storage.Penalty
	Enterprise storage.Enterprise
	Department storage.Department
}

// windowPenalty loads a record of the enterprise the window names (404 for anyone else's).
func (s *Server) windowPenalty(c *fiber.Ctx, rawUSCC string, penaltyID int64) (windowRecordOf, error) {
	ctx := c.UserContext()
	uscc, err := domain.NormalizeUSCC(rawUSCC)
	if err != nil {
		return windowRecordOf{}, errNotFound
	}
	onBehalf := *principalOf(c)
	onBehalf.USCC.String, onBehalf.USCC.Valid = uscc, true
	var w windowRecordOf
	if w.P, err = s.ownPenalty(ctx, &onBehalf, penaltyID); err != nil {
		return w, err
	}
	if w.Enterprise, err = s.db.GetEnterprise(ctx, uscc); err != nil {
		return w, err
	}
	w.Department, err = s.db.GetDepartment(ctx, w.P.DepartmentID)
	return w, err
}

// windowProblem sets the status of a refused window form and gives its message and the field it concerns.
func windowProblem(c *fiber.Ctx, problem *Error) (msg, field string) {
	if problem == nil {
		return "", ""
	}
	c.Status(statusOf(problem))
	field, _ = problem.Details["field"].(string)
	return refused(c, problem).Message, field
}

// takeAtWindow files what the window takes on an enterprise's behalf. It needs the confirmation that the paper
// commitment (doc names it) is signed and that commitment's scan (the upload "commitment"); it stores every scan
// under the enterprise, files the case with their ids, and answers 303 to receipt followed by the case's id. A
// refusal goes to fail, and the scans of a refused filing are discarded.
func (s *Server) takeAtWindow(c *fiber.Ctx, form *multipartForm, doc, receipt string, fail func(error) error,
	file func(attachmentIDs []int64) (int64, error)) error {
	commitment, others := form.files("commitment")
	if form.value("commitment_signed") != "1" {
		return fail(invalidField("commitment_signed", "commitment_required", "请确认企业已在纸质"+doc+"上签字盖章"))
	}
	if len(commitment) == 0 {
		return fail(invalidField("commitment", "window_commitment_required", "请上传企业签章的纸质"+doc+"扫描件"))
	}
	stored, err := s.storeUploads(c, append(commitment, others...))
	if err != nil {
		return fail(err)
	}
	ids := make([]int64, 0, len(stored))
	for _, a := range stored {
		ids = append(ids, a.ID)
	}
	id, err := file(ids)
	if err != nil {
		s.discardIfRefused(c, stored, err)
		return fail(err)
	}
	return c.Redirect(receipt+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

// windowReceipt is the printable 受理回执 of a case taken at the window.
type windowReceipt struct {
	Heading, What, Subject                    string // the receipt's title, what was filed, what it concerns
	EnterpriseName, USCC                      string
	DecisionNo, DepartmentName, ApplicationNo string
	Due, StatusLabel, CaseURL                 string
	Files                                     []string
	ReceivedAt                                time.Time
}

func (s *Server) renderWindowReceipt(c *fiber.Ctx, r windowReceipt, files []attachmentJSON) error {
	has, err := s.db.HasAccount(c.UserContext(), r.USCC)
	if err != nil {
		return err
	}
	for _, a := range files {
		r.Files = append(r.Files, a.Filename)
	}
	return s.page(c, "window_receipt", pageData{Title: r.Heading + " " + r.ApplicationNo, Data: map[string]any{
		"Heading": r.Heading, "What": r.What, "Subject": r.Subject, "EnterpriseName": r.EnterpriseName, "USCC": r.USCC,
		"DecisionNo": r.DecisionNo, "DepartmentName": r.DepartmentName, "ApplicationNo": r.ApplicationNo, "Due": r.Due,
		"Files": r.Files, "ReceivedAt": r.ReceivedAt.In(domain.Shanghai).Format("2006-01-02 15:04"), "HasAccount": has,
		"StatusLabel": r.StatusLabel, "CaseURL": r.CaseURL}})
}
