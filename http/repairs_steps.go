package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// The steps of a repair case: one action table serves the API (repairStepAPI) and the pages (repairStepPage).

// Steps.

// repairAction is a step of a case: its path, who takes it, its update, and how its body becomes the update's
// argument (from JSON for the API, from a form for the pages).
type repairAction struct {
	path   string
	role   domain.Role
	update string
	label  string
	parse  func(s *Server, c *fiber.Ctx, r storage.Repair, b stepBody) (any, error)
}

// stepBody is every field a step may carry; the API reads it from JSON, the pages from a form.
type stepBody struct {
	Reason          string          `json:"reason"`
	Items           json.RawMessage `json:"items"`
	DueOn           string          `json:"due_on"`
	Requirements    json.RawMessage `json:"requirements"`
	HeldOn          string          `json:"held_on"`
	Notes           string          `json:"notes"`
	Place           string          `json:"place"`
	Interviewee     string          `json:"interviewee"`
	IntervieweeRole string          `json:"interviewee_role"`
	Interviewers    json.RawMessage `json:"interviewers"`
	Undertakings    string          `json:"undertakings"`
	Approved        *bool           `json:"approved"`
	Fraud           bool            `json:"fraud"`
	AttachmentIDs   []int64         `json:"attachment_ids"`
	Statement       string          `json:"statement"`
	Kind            string          `json:"kind"`
	LetterID        int64           `json:"letter_id"`
	AttachmentID    int64           `json:"attachment_id"`
	Ref             string          `json:"ref"`
}

func actorOf(c *fiber.Ctx) workflows.RepairActor {
	p := principalOf(c)
	return workflows.RepairActor{Actor: p.Login, Role: string(p.Role)}
}

// textList reads a list given as a JSON array of strings or as one string (one item per line or ；).
func textList(field, label string, raw json.RawMessage) ([]string, error) {
	var items []string
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &items); err != nil {
			var one string
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, invalidField(field, "invalid_type", label+"应为字符串数组或字符串")
			}
			items = splitItems(one)
		}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		v, err := printableText(field, label, it, 200)
		if err != nil {
			return nil, err
		}
		if v != "" {
			out = append(out, v)
		}
	}
	if len(out) > repairMaxItems {
		return nil, invalidField(field, "too_many_items", fmt.Sprintf("%s不能超过%d项", label, repairMaxItems))
	}
	return out, nil
}

// splitItems splits a text into items: one per line, or separated by ；.
func splitItems(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '；' || r == ';' })
}

func optionalDate(field, label, v string) (domain.Date, error) {
	d, e := dateField(field, label, v)
	if e != nil {
		return d, e
	}
	return d, nil
}

// dateField reads an optional date (YYYY-MM-DD; blank is the zero date); an invalid one is a 422 on field whose
// message begins with label.
func dateField(field, label, v string) (domain.Date, *Error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		return domain.Date{}, invalidField(field, "invalid_date", label+"应为YYYY-MM-DD格式的真实日期")
	}
	return d, nil
}

func reasonStep(field, label string) func(*Server, *fiber.Ctx, storage.Repair, stepBody) (any, error) {
	return func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
		reason, err := printableText(field, label, b.Reason, caseMaxText)
		if err != nil {
			return nil, err
		}
		return workflows.RepairReason{Reason: reason, RepairActor: actorOf(c)}, nil
	}
}

// repairActions are the steps of API.md, with the updates they send.
var repairActions = []repairAction{
	{path: "accept", role: domain.RoleDepartment, update: workflows.RepairAcceptUpdate, label: "受理",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, _ stepBody) (any, error) { return actorOf(c), nil }},
	{path: "request-supplement", role: domain.RoleDepartment, update: workflows.RepairRequestSupplementUpdate, label: "一次性告知补正",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			items, ierr := textList("items", "补正事项", b.Items)
			due, derr := optionalDate("due_on", "补正期限", b.DueOn)
			if err := cmp.Or(ierr, derr); err != nil { // the items' mistake first
				return nil, err
			}
			return workflows.RepairSupplementItems{Items: items, DueOn: due, RepairActor: actorOf(c)}, nil
		}},
	{path: "reject", role: domain.RoleDepartment, update: workflows.RepairRejectUpdate, label: "不予受理",
		parse: reasonStep("reason", "不予受理理由")},
	{path: "extend", role: domain.RoleDepartment, update: workflows.RepairExtendUpdate, label: "延长核实期限",
		parse: reasonStep("reason", "延期理由")},
	{path: "rectification-deadline", role: domain.RoleDepartment, update: workflows.RepairRectificationUpdate, label: "设定整改期限",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			due, derr := optionalDate("due_on", "整改期限", b.DueOn)
			reqs, rerr := textList("requirements", "整改要求", b.Requirements)
			if err := cmp.Or(derr, rerr); err != nil { // the deadline's mistake first
				return nil, err
			}
			return workflows.RepairRectification{DueOn: due, Requirements: reqs, RepairActor: actorOf(c)}, nil
		}},
	{path: "warning-interview", role: domain.RoleDepartment, update: workflows.RepairWarningInterviewUpdate, label: "登记警示约谈",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			held, err := optionalDate("held_on", "约谈日期", b.HeldOn)
			if err != nil {
				return nil, err
			}
			req := workflows.RepairWarningInterview{HeldOn: held, RepairActor: actorOf(c)}
			for _, f := range []struct {
				field, label string
				in           string
				out          *string
				max          int
			}{
				{"notes", "约谈内容", b.Notes, &req.Notes, caseMaxText},
				{"place", "约谈地点", b.Place, &req.Place, 200},
				{"interviewee", "被约谈人", b.Interviewee, &req.Interviewee, 200},
				{"interviewee_role", "被约谈人职务", b.IntervieweeRole, &req.IntervieweeRole, 200},
				{"undertakings", "整改承诺", b.Undertakings, &req.Undertakings, caseMaxText},
			} {
				v, err := printableText(f.field, f.label, f.in, f.max)
				if err != nil {
					return nil, err
				}
				*f.out = v
			}
			if req.Interviewers, err = textList("interviewers", "约谈人", b.Interviewers); err != nil {
				return nil, err
			}
			return req, nil
		}},
	{path: "decide", role: domain.RoleDepartment, update: workflows.RepairDecideUpdate, label: "作出决定",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			if b.Approved == nil {
				return nil, invalidField("approved", "approved_required", "请说明是否准予信用修复（approved 为 true 或 false）")
			}
			reason, err := printableText("reason", "决定理由", b.Reason, caseMaxText)
			if err != nil {
				return nil, err
			}
			if b.Fraud && *b.Approved {
				return nil, invalidField("fraud", "fraud_requires_refusal", "认定弄虚作假的，应当作出不予信用修复决定（approved 为 false）")
			}
			return workflows.RepairDecision{Approved: *b.Approved, Reason: reason, Fraud: b.Fraud, RepairActor: actorOf(c)}, nil
		}},
	{path: "supplement", role: domain.RoleEnterprise, update: workflows.RepairSupplementUpdate, label: "提交补正或整改材料",
		parse: func(s *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			ids, err := s.checkOwnAttachments(c.UserContext(), principalOf(c), "attachment_ids", b.AttachmentIDs)
			if err != nil {
				return nil, err
			}
			statement := strings.TrimSpace(b.Statement)
			if utf8.RuneCountInString(statement) > caseMaxText {
				return nil, invalidField("statement", "text_too_long", fmt.Sprintf("说明不能超过%d字", caseMaxText))
			}
			return workflows.RepairSupplement{AttachmentIDs: ids, Statement: statement, RepairActor: actorOf(c)}, nil
		}},
	{path: "withdraw", role: domain.RoleEnterprise, update: workflows.RepairWithdrawUpdate, label: "撤回申请",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			reason := strings.TrimSpace(b.Reason)
			if utf8.RuneCountInString(reason) > caseMaxText {
				return nil, invalidField("reason", "text_too_long", "撤回理由过长")
			}
			return workflows.RepairReason{Reason: reason, RepairActor: actorOf(c)}, nil
		}},
	{path: "attach-condition", role: domain.RoleEnterprise, update: workflows.RepairAttachConditionUpdate, label: "补充修复条件",
		parse: func(s *Server, c *fiber.Ctx, r storage.Repair, b stepBody) (any, error) {
			req := workflows.RepairCondition{Kind: strings.TrimSpace(b.Kind), RepairActor: actorOf(c)}
			switch req.Kind {
			case workflows.ConditionTrainingCertificate:
				l, err := s.db.GetLetter(c.UserContext(), b.LetterID)
				if err != nil || l.Kind != string(letters.KindTrainingCertificate) || l.USCC.String != r.USCC {
					return nil, invalidField("letter_id", "invalid_certificate", "letter_id 不是本企业的信用修复培训证明")
				}
				req.LetterID = l.ID
			case workflows.ConditionCreditReport:
				if _, err := s.checkOwnAttachments(c.UserContext(), principalOf(c), "attachment_id", []int64{b.AttachmentID}); err != nil {
					return nil, err
				}
				req.AttachmentID = b.AttachmentID
			default:
				return nil, invalidField("kind", "invalid_condition_kind", "kind 应为 training_certificate（培训证明）或 credit_report（信用报告）")
			}
			return req, nil
		}},
	{path: "revoke", role: domain.RoleCreditOffice, update: workflows.RepairRevokeUpdate, label: "因失信撤销信用修复",
		parse: reasonStep("reason", "撤销理由")},
	{path: "reopen", role: domain.RoleCreditOffice, update: workflows.RepairReopenUpdate, label: "重新办理",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			reason, err := printableText("reason", "重新办理的依据", b.Reason, caseMaxText)
			if err != nil {
				return nil, err
			}
			ref, err := printableText("ref", "依据编号", b.Ref, 200)
			if err != nil {
				return nil, err
			}
			return workflows.RepairReopen{Ref: ref, Reason: reason, RepairActor: actorOf(c)}, nil
		}},
}

func findRepairAction(path string) (repairAction, bool) {
	for _, a := range repairActions {
		if a.path == path {
			return a, true
		}
	}
	return repairAction{}, false
}

// runRepairStep authorizes a step on a visible case and sends it; the caller answers.
func (s *Server) runRepairStep(c *fiber.Ctx, a repairAction, r storage.Repair, b stepBody) error {
	p := principalOf(c)
	if p.Role != a.role {
		return errForbidden
	}
	arg, err := a.parse(s, c, r, b)
	if err != nil {
		return err
	}
	// Update-with-start: an ended case (refused long ago, closed) is resumed by a new run that handles the step.
	return s.cases.updateWithStart(c.UserContext(), repairCases, r.ID, workflows.RepairParams{RepairID: r.ID}, a.update, arg,
		&workflows.RepairState{})
}

// repairStepAPI answers POST /api/v1/repairs/:id/<path> with the case after the step.
func repairStepAPI(path string) func(s *Server, c *fiber.Ctx) error {
	a, ok := findRepairAction(path)
	if !ok {
		panic("no repair action " + path)
	}
	return func(s *Server, c *fiber.Ctx) error {
		r, err := s.visibleRepair(c)
		if err != nil {
			return err
		}
		var b stepBody
		if len(strings.TrimSpace(string(c.Body()))) > 0 {
			if err := bindJSON(c, &b); err != nil {
				return err
			}
		}
		if err := s.runRepairStep(c, a, r, b); err != nil {
			return err
		}
		r, err = s.db.GetRepair(c.UserContext(), r.ID)
		return answerJSON(c, r, err, s.repairDetail)
	}
}
