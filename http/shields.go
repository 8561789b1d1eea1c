package httpapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Bankruptcy shielding (破产重整/和解, issue 14): the enterprise (or its administrator, through the enterprise's
// account) applies with the court's ruling as an upload; the department that published the records decides and,
// later, restores them. The workflow (workflows/shield.go) decides; this file parses and authorizes.

var shieldCases = caseWorkflow{name: "shield", id: workflows.ShieldWorkflowID, options: workflows.ShieldStartOptions,
	workflow: workflows.ShieldWorkflowType, ready: workflows.ShieldReadyUpdate, readyWait: 10 * time.Second,
	closed: caseClosed("该屏蔽申请的办理流程已结束")}

// shieldInput is the body of POST /api/v1/bankruptcy-shields.
type shieldInput struct {
	DepartmentID       string `json:"department_id"`
	Procedure          string `json:"procedure"` // reorganization (重整) or settlement (和解)
	RulingNo           string `json:"ruling_no"`
	RulingAttachmentID int64  `json:"ruling_attachment_id"`
	ApplicantRole      string `json:"applicant_role"` // enterprise (default) or administrator
	AdministratorName  string `json:"administrator_name"`
}

// shieldJSON is a shielding case as the API shows it.
type shieldJSON struct {
	storage.Shield
	StatusLabel string       `json:"status_label"`
	Letters     []letterJSON `json:"letters"`
}

func shieldStatusLabel(s string) string {
	switch s {
	case storage.ShieldPending:
		return "待决定"
	case storage.ShieldShielded:
		return "已暂时屏蔽"
	case storage.ShieldRefused:
		return "不予屏蔽"
	case storage.ShieldRestored:
		return "已恢复公示"
	}
	return s
}

func (s *Server) shieldDetail(ctx context.Context, sh storage.Shield) (shieldJSON, error) {
	ls, err := s.db.LettersOf(ctx, "shield", strconv.FormatInt(sh.ID, 10))
	if err != nil {
		return shieldJSON{}, err
	}
	return shieldJSON{Shield: sh, StatusLabel: shieldStatusLabel(sh.Status), Letters: s.lettersJSON(ls)}, nil
}

func (s *Server) applyShield(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := principalOf(c)
	var in shieldInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	sh := storage.Shield{USCC: p.USCC.String, Applicant: p.Login, AppliedOn: domain.Today()}
	switch sh.Procedure = strings.TrimSpace(in.Procedure); sh.Procedure {
	case "reorganization", "settlement":
	default:
		return invalidField("procedure", "invalid_procedure", "procedure 应为 reorganization（重整）或 settlement（和解）")
	}
	switch sh.ApplicantRole = strings.TrimSpace(in.ApplicantRole); sh.ApplicantRole {
	case "":
		sh.ApplicantRole = "enterprise"
	case "enterprise", "administrator":
	default:
		return invalidField("applicant_role", "invalid_applicant_role", "applicant_role 应为 enterprise（企业）或 administrator（管理人）")
	}
	var err error
	if sh.AdministratorName, err = printableText("administrator_name", "管理人名称", in.AdministratorName, 200); err != nil {
		return err
	}
	if sh.ApplicantRole == "administrator" && sh.AdministratorName == "" {
		return invalidField("administrator_name", "administrator_name_required", "管理人申请的，请填写管理人名称")
	}
	if sh.RulingNo, err = printableText("ruling_no", "法院裁定书文号", in.RulingNo, 200); err != nil {
		return err
	}
	if sh.RulingNo == "" {
		return invalidField("ruling_no", "ruling_no_required", "请填写人民法院批准重整计划（认可和解协议）的裁定书文号")
	}
	if in.RulingAttachmentID <= 0 {
		return invalidField("ruling_attachment_id", "ruling_required", "请上传人民法院的裁定书（ruling_attachment_id）")
	}
	if _, err := s.checkOwnAttachments(ctx, p, "ruling_attachment_id", []int64{in.RulingAttachmentID}); err != nil {
		return err
	}
	sh.RulingAttachmentID = in.RulingAttachmentID
	dept, sets, err := s.departmentRules(ctx, strings.TrimSpace(in.DepartmentID))
	if errors.Is(err, storage.ErrNotFound) {
		return invalidField("department_id", "invalid_department", "department_id 不是已登记的认定部门")
	}
	if err != nil {
		return err
	}
	sh.DepartmentID = dept.ID
	rs, err := domain.ProcedureRuleSet(sets, dept.Jurisdiction, dept.Sector, sh.AppliedOn)
	if err != nil {
		return err
	}
	sh.RuleSet = rs.ID
	recs, err := s.db.ShieldableRecords(ctx, sh.USCC, dept.ID)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return newError(domain.KindConflict, "nothing_to_shield", "该部门没有正在公示的你单位失信信息，无需屏蔽")
	}
	if err := s.cases.available(); err != nil {
		return err
	}
	id, err := s.db.InsertShield(ctx, sh)
	if err != nil {
		return err
	}
	if err := s.cases.start(ctx, shieldCases, id, id); err != nil {
		return err
	}
	s.cases.awaitReady(ctx, shieldCases, id, &workflows.ShieldState{})
	got, err := s.db.GetShield(ctx, id)
	return answerCreated(c, "/api/v1/bankruptcy-shields/"+strconv.FormatInt(id, 10), got, err, s.shieldDetail)
}

func (s *Server) visibleShield(c *fiber.Ctx) (storage.Shield, error) {
	p := principalOf(c)
	return loadVisible(c, s.db.GetShield, func(sh storage.Shield) (bool, error) {
		return canSeeCase(p, sh.DepartmentID, sh.USCC), nil
	})
}

func (s *Server) getShield(c *fiber.Ctx) error {
	sh, err := s.visibleShield(c)
	return answerJSON(c, sh, err, s.shieldDetail)
}

// shieldDecisionInput is POST /api/v1/bankruptcy-shields/{id}/decide.
type shieldDecisionInput struct {
	Approved *bool  `json:"approved"`
	Reason   string `json:"reason"`
}

// shieldRestoreInput is POST /api/v1/bankruptcy-shields/{id}/restore: the court's ruling that ended the procedure.
type shieldRestoreInput struct {
	RulingNo string `json:"ruling_no"`
	Reason   string `json:"reason"`
}

// shieldStep sends a department's step, read from a body of type B, to the case's workflow and answers the case.
func shieldStep[B any](s *Server, c *fiber.Ctx, name string, arg func(b B) (any, error)) error {
	sh, err := s.visibleShield(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	if p.Role != domain.RoleDepartment || p.DepartmentID.String != sh.DepartmentID {
		return errForbidden
	}
	var b B
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	a, err := arg(b)
	if err != nil {
		return err
	}
	if err := s.cases.update(c.UserContext(), shieldCases, sh.ID, name, a, &workflows.ShieldState{}); err != nil {
		return err
	}
	sh, err = s.db.GetShield(c.UserContext(), sh.ID)
	return answerJSON(c, sh, err, s.shieldDetail)
}

func (s *Server) decideShield(c *fiber.Ctx) error {
	return shieldStep(s, c, workflows.ShieldDecideUpdate, func(b shieldDecisionInput) (any, error) {
		if b.Approved == nil {
			return nil, invalidField("approved", "approved_required", "请说明是否屏蔽（approved 为 true 或 false）")
		}
		reason, err := printableText("reason", "决定理由", b.Reason, 2000)
		if err != nil {
			return nil, err
		}
		return workflows.ShieldDecision{Approved: *b.Approved, Reason: reason, Actor: principalOf(c).Login}, nil
	})
}

func (s *Server) restoreShield(c *fiber.Ctx) error {
	return shieldStep(s, c, workflows.ShieldRestoreUpdate, func(b shieldRestoreInput) (any, error) {
		ruling, err := printableText("ruling_no", "终止执行裁定书文号", b.RulingNo, 200)
		if err != nil {
			return nil, err
		}
		reason, err := printableText("reason", "说明", b.Reason, 2000)
		if err != nil {
			return nil, err
		}
		return workflows.ShieldRestore{RulingNo: ruling, Reason: reason, Actor: principalOf(c).Login}, nil
	})
}

func (s *Server) shieldPage(c *fiber.Ctx) error {
	j, err := viewed(c, s.visibleShield, s.shieldDetail)
	if err != nil {
		return err
	}
	return s.page(c, "shield", pageData{Title: "破产重整（和解）信息屏蔽", Data: j})
}
