package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// Repair cases (信用修复): eligibility and self-check, the application with its commitment and materials, every
// step of the department, the enterprise and the credit office, and the case views. Handlers parse and authorize;
// each step is an update of repair-<id>, which decides and answers; the answer is the case as stored.

func init() {
	modules = append(modules, (*Server).mountRepairs)
	homeSources = append(homeSources, (*Server).repairHomeSections)
	menus[storage.RoleEnterprise] = append(menus[storage.RoleEnterprise], menuItem{"/repairs", "信用修复"})
	menus[storage.RoleDepartment] = append(menus[storage.RoleDepartment], menuItem{"/repairs", "信用修复受理"})
	menus[storage.RoleCreditOffice] = append(menus[storage.RoleCreditOffice], menuItem{"/repairs", "信用修复"})
}

// repairViewers are the roles that see repair cases at all; which ones each sees is canSeeRepair's business.
var repairViewers = []storage.Role{storage.RoleEnterprise, storage.RoleDepartment, storage.RoleCreditOffice, storage.RoleAdmin}

const (
	repairMaxText  = 2000
	repairMaxItems = 50
	// repairCreateWait bounds how long the application waits for its workflow to store it; past it the answer is 503
	// (the case is still created).
	repairCreateWait = 30 * time.Second
)

func (s *Server) mountRepairs(app *fiber.App, api fiber.Router) {
	ent := s.allow(storage.RoleEnterprise)
	viewers := s.allow(repairViewers...)

	api.Get("/penalties/:id/eligibility", ent, s.getEligibility)
	api.Post("/repairs", ent, s.applyRepair)
	api.Get("/repairs", viewers, s.listRepairs)
	api.Get("/repairs/stats", s.allow(storage.RoleCreditOffice, storage.RoleDepartment, storage.RoleAdmin), s.repairStats)
	api.Get("/repairs/:id", viewers, s.getRepair)
	for _, a := range repairActions {
		api.Post("/repairs/:id/"+a.path, s.allow(a.role), s.repairStepAPI(a))
	}

	app.Get("/repairs", viewers, s.repairsPage)
	app.Get("/repairs/new", ent, s.selfCheckPage)
	app.Post("/repairs", ent, s.applyRepairPage)
	app.Get("/repairs/:id", viewers, s.repairPage)
	app.Post("/repairs/:id/:action", s.allow(storage.RoleEnterprise, storage.RoleDepartment, storage.RoleCreditOffice), s.repairStepPage)
}

// Workflow calls.

// createRepair starts repair-<id> with a new application and waits until the workflow has stored and taken it in
// (update-with-start of the ready update, so the start and its answer are one call); the workflow's re-check
// refusals become 409 or 422.
func (s *Server) createRepair(ctx context.Context, app activities.RepairApplication) error {
	wctx, cancel := context.WithTimeout(ctx, repairCreateWait)
	defer cancel()
	start := s.temporal.NewWithStartWorkflowOperation(workflows.RepairStartOptions(app.RepairID),
		workflows.RepairWorkflowType, workflows.RepairParams{RepairID: app.RepairID, Application: &app})
	h, err := s.temporal.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: workflows.RepairWorkflowID(app.RepairID),
			UpdateName: workflows.RepairReadyUpdate, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		var st workflows.RepairState
		err = h.Get(wctx, &st)
	}
	return stepError(err, "该信用修复申请未能登记，请重新提交", fmt.Sprintf("create repair %d", app.RepairID))
}

// updateRepair sends a step to the case's workflow with update-with-start: a running case gets the update, an
// ended one (refused long ago, closed) is resumed by a new run that handles it. Refusals become 409 or 422.
func (s *Server) updateRepair(ctx context.Context, id int64, name string, arg any) error {
	if s.temporal == nil {
		return newError(fiber.StatusServiceUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := s.temporal.NewWithStartWorkflowOperation(workflows.RepairStartOptions(id), workflows.RepairWorkflowType,
		workflows.RepairParams{RepairID: id})
	h, err := s.temporal.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: workflows.RepairWorkflowID(id), UpdateName: name,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		var st workflows.RepairState
		err = h.Get(wctx, &st)
	}
	if err == nil {
		return nil
	}
	return stepError(err, "该信用修复案件的办理流程已结束", fmt.Sprintf("repair %d %s", id, name))
}

// Visibility.

// canSeeRepair: the credit office and admins see every case, a department the cases of its records, an
// enterprise its own.
func canSeeRepair(p *principal, r storage.Repair) bool {
	return canSeeCase(p, r.DepartmentID, r.USCC)
}

// visibleRepair loads the :id case, or 404 when it does not exist or the caller must not know it does.
func (s *Server) visibleRepair(c *fiber.Ctx) (storage.Repair, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return storage.Repair{}, errNotFound
	}
	r, err := s.db.GetRepair(c.UserContext(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Repair{}, errNotFound
	}
	if err != nil {
		return storage.Repair{}, err
	}
	if !canSeeRepair(principalOf(c), r) {
		return storage.Repair{}, errNotFound
	}
	return r, nil
}

// Eligibility.

// requirementJSON is a condition of the rule set that the case waits for rather than refuses.
type requirementJSON struct {
	Required  bool   `json:"required"`
	Satisfied bool   `json:"satisfied"`
	LetterID  *int64 `json:"letter_id,omitempty"`
	Message   string `json:"message"`
}

func toRequirementJSON(r domain.RepairRequirement) requirementJSON {
	j := requirementJSON{Required: r.Required, Satisfied: r.Satisfied, Message: r.Message}
	if r.LetterID != 0 {
		j.LetterID = idPtr(r.LetterID)
	}
	return j
}

// eligibilityJSON answers "can I repair this record, and from when?".
type eligibilityJSON struct {
	PenaltyID    int64                     `json:"penalty_id"`
	DecisionNo   string                    `json:"decision_no"`
	Eligible     bool                      `json:"eligible"`
	EligibleFrom *domain.Date              `json:"eligible_from"`
	RuleSet      string                    `json:"rule_set"`
	Checks       []domain.EligibilityCheck `json:"checks"`
	Requirements struct {
		TrainingCertificate requirementJSON `json:"training_certificate"`
		CreditReport        requirementJSON `json:"credit_report"`
	} `json:"requirements"`
	// Missing lists, in words, what the enterprise still has to do or provide.
	Missing      []string `json:"missing"`
	Materials    []string `json:"materials"`
	OpenRepairID *int64   `json:"open_repair_id"`
	// refusal is the error an application would get now (nil when eligible).
	refusal *Error
}

// refusalError is the HTTP answer to a domain refusal.
func refusalError(r *domain.RepairRefusal) *Error {
	status := fiber.StatusUnprocessableEntity
	if r.Conflict {
		status = fiber.StatusConflict
	}
	return newError(status, r.Code, r.Message).With(r.Details)
}

// eligibility judges whether a record may be repaired today (domain.JudgeRepairEligibility on the facts storage
// gathers) and says what is missing.
func (s *Server) eligibility(ctx context.Context, pen storage.Penalty, today domain.Date) (eligibilityJSON, error) {
	e := eligibilityJSON{PenaltyID: pen.ID, DecisionNo: pen.DecisionNo, Materials: letters.DefaultRepairMaterials()}
	if e.Materials == nil {
		e.Materials = []string{}
	}
	facts, err := s.db.RepairEligibilityFacts(ctx, pen, today, 0)
	if err != nil {
		return e, err
	}
	v, err := domain.JudgeRepairEligibility(facts)
	if err != nil {
		return e, err
	}
	e.Eligible, e.EligibleFrom, e.RuleSet, e.Checks, e.Missing = v.Eligible, &v.EligibleFrom, v.RuleSet, v.Checks, v.Missing
	e.Requirements.TrainingCertificate = toRequirementJSON(v.Training)
	e.Requirements.CreditReport = toRequirementJSON(v.CreditReport)
	if v.OpenRepairID != 0 {
		e.OpenRepairID = idPtr(v.OpenRepairID)
	}
	if v.Refusal != nil {
		e.refusal = refusalError(v.Refusal)
	}
	return e, nil
}

// ownPenalty loads a record of the calling enterprise (404 for anyone else's).
func (s *Server) ownPenalty(ctx context.Context, p *principal, id int64) (storage.Penalty, error) {
	if id <= 0 {
		return storage.Penalty{}, errNotFound
	}
	pen, err := s.db.GetPenalty(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Penalty{}, errNotFound
	}
	if err != nil {
		return storage.Penalty{}, err
	}
	if pen.USCC != p.USCC.String {
		return storage.Penalty{}, errNotFound
	}
	return pen, nil
}

func (s *Server) getEligibility(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	pen, err := s.ownPenalty(c.UserContext(), principalOf(c), id)
	if err != nil {
		return err
	}
	e, err := s.eligibility(c.UserContext(), pen, domain.Today())
	if err != nil {
		return err
	}
	return c.JSON(e)
}

// Application.

// repairApplication is the body of POST /api/v1/repairs.
type repairApplication struct {
	PenaltyID                int64   `json:"penalty_id"`
	CommitmentAccepted       bool    `json:"commitment_accepted"`
	Statement                string  `json:"statement"`
	AttachmentIDs            []int64 `json:"attachment_ids"`
	CreditReportAttachmentID int64   `json:"credit_report_attachment_id"`
}

// checkOwnAttachments refuses ids that are not uploads of the enterprise (422, naming them).
func (s *Server) checkOwnAttachments(ctx context.Context, p *principal, field string, ids []int64) ([]int64, error) {
	seen := map[int64]bool{}
	var uniq []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) > maxUploadFiles*2 {
		return nil, invalidField(field, "too_many_attachments", "附件过多")
	}
	found, err := s.db.AttachmentsOfEnterprise(ctx, p.USCC.String, uniq)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range uniq {
		if !slices.Contains(found, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, newError(fiber.StatusUnprocessableEntity, "invalid_attachment", "附件不存在或不属于本企业").With(
			map[string]any{"field": field, "attachment_ids": missing})
	}
	return uniq, nil
}

// apply validates and stores an application, starts its workflow and waits until it is taken in.
func (s *Server) apply(c *fiber.Ctx, in repairApplication) (storage.Repair, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	if in.PenaltyID <= 0 {
		return storage.Repair{}, invalidField("penalty_id", "penalty_id_required", "请指定申请修复的处罚信息（penalty_id）")
	}
	pen, err := s.ownPenalty(ctx, p, in.PenaltyID)
	if err != nil {
		return storage.Repair{}, err
	}
	if !in.CommitmentAccepted {
		return storage.Repair{}, invalidField("commitment_accepted", "commitment_required", "申请信用修复须阅读并签署信用承诺书（commitment_accepted 为 true）")
	}
	statement := strings.TrimSpace(in.Statement)
	if utf8.RuneCountInString(statement) > repairMaxText {
		return storage.Repair{}, invalidField("statement", "text_too_long", fmt.Sprintf("申请说明不能超过%d字", repairMaxText))
	}
	ids, err := s.checkOwnAttachments(ctx, p, "attachment_ids", in.AttachmentIDs)
	if err != nil {
		return storage.Repair{}, err
	}
	if in.CreditReportAttachmentID != 0 {
		if _, err := s.checkOwnAttachments(ctx, p, "credit_report_attachment_id", []int64{in.CreditReportAttachmentID}); err != nil {
			return storage.Repair{}, err
		}
	}
	today := domain.Today()
	e, err := s.eligibility(ctx, pen, today)
	if err != nil {
		return storage.Repair{}, err
	}
	if e.refusal != nil {
		return storage.Repair{}, e.refusal
	}
	if s.temporal == nil {
		return storage.Repair{}, newError(fiber.StatusServiceUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")
	}
	// Workflow-first: the workflow writes the row under the reserved id, so the row never exists without it.
	id, err := s.db.ReserveRepairID(ctx)
	if err != nil {
		return storage.Repair{}, err
	}
	if err := s.createRepair(ctx, activities.RepairApplication{
		RepairID: id, PenaltyID: pen.ID, USCC: pen.USCC, DepartmentID: pen.DepartmentID, RuleSet: e.RuleSet, AppliedOn: today,
		Statement: statement, ApplicantLogin: p.Login, ApplicantRole: string(p.Role), CommitmentAcceptedAt: time.Now(),
		CommitmentRemoteAddr: c.IP(), AttachmentIDs: ids, CreditReportAttachmentID: in.CreditReportAttachmentID,
	}); err != nil {
		return storage.Repair{}, err
	}
	return s.db.GetRepair(ctx, id)
}

func (s *Server) applyRepair(c *fiber.Ctx) error {
	var in repairApplication
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.apply(c, in)
	if err != nil {
		return err
	}
	rj, err := s.repairDetail(c.UserContext(), r)
	if err != nil {
		return err
	}
	c.Location("/api/v1/repairs/" + strconv.FormatInt(r.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(rj)
}

// Case views.

// repairDeadlinesJSON are the due dates of the case's steps (null when not set).
type repairDeadlinesJSON struct {
	Acceptance    domain.Date `json:"acceptance"`
	Decision      domain.Date `json:"decision"`
	Overall       domain.Date `json:"overall"`
	Supplement    domain.Date `json:"supplement"`
	Rectification domain.Date `json:"rectification"`
}

type repairDecisionJSON struct {
	Approved  bool        `json:"approved"`
	DecidedOn domain.Date `json:"decided_on"`
	Number    string      `json:"number"`
	Reason    string      `json:"reason"`
	InTime    *bool       `json:"in_time"`
}

type repairHistoryJSON struct {
	Step    string          `json:"step"`
	Label   string          `json:"label"`
	Actor   string          `json:"actor"`
	Role    string          `json:"role"`
	At      time.Time       `json:"at"`
	Details json.RawMessage `json:"details"`
}

type repairWithdrawalJSON struct {
	ID     int64  `json:"id"`
	Cause  string `json:"cause"`
	Status string `json:"status"`
}

type fraudBanJSON struct {
	Reason      string      `json:"reason"`
	RevokedOn   domain.Date `json:"revoked_on"`
	BannedUntil domain.Date `json:"banned_until"`
}

// repairJSON is a case as the API shows it; lists leave out the history, letters, materials and withdrawal.
type repairJSON struct {
	ID             int64               `json:"id"`
	PenaltyID      int64               `json:"penalty_id"`
	DecisionNo     string              `json:"decision_no"`
	USCC           string              `json:"uscc"`
	EnterpriseName string              `json:"enterprise_name"`
	DepartmentID   string              `json:"department_id"`
	DepartmentName string              `json:"department_name"`
	Status         string              `json:"status"`
	StatusLabel    string              `json:"status_label"`
	Holder         string              `json:"holder"`
	HolderLabel    string              `json:"holder_label"`
	Round          int                 `json:"round"`
	RuleSet        string              `json:"rule_set"`
	AppliedOn      domain.Date         `json:"applied_on"`
	ReceivedOn     domain.Date         `json:"received_on"`
	AcceptedOn     domain.Date         `json:"accepted_on"`
	Statement      string              `json:"statement"`
	WaitingFor     []string            `json:"waiting_for"`
	Deadlines      repairDeadlinesJSON `json:"deadlines"`
	Overdue        bool                `json:"overdue"`
	Extended       bool                `json:"extended"`
	Commitment     struct {
		AcceptedBy string    `json:"accepted_by"`
		AcceptedAt time.Time `json:"accepted_at"`
		RemoteAddr string    `json:"remote_addr"`
		LetterID   *int64    `json:"letter_id"`
	} `json:"commitment"`
	TrainingLetterID         *int64                 `json:"training_letter_id"`
	CreditReportAttachmentID *int64                 `json:"credit_report_attachment_id"`
	Decision                 *repairDecisionJSON    `json:"decision"`
	FraudBan                 *fraudBanJSON          `json:"fraud_ban,omitempty"`
	CreatedAt                time.Time              `json:"created_at"`
	UpdatedAt                time.Time              `json:"updated_at"`
	History                  *[]repairHistoryJSON   `json:"history,omitempty"`
	Letters                  *[]letterJSON          `json:"letters,omitempty"`
	Attachments              *[]attachmentJSON      `json:"attachments,omitempty"`
	Withdrawal               **repairWithdrawalJSON `json:"withdrawal,omitempty"`
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func toRepairJSON(r storage.Repair) repairJSON {
	j := repairJSON{
		ID: r.ID, PenaltyID: r.PenaltyID, DecisionNo: r.DecisionNoOfPenalty, USCC: r.USCC, EnterpriseName: r.EnterpriseName,
		DepartmentID: r.DepartmentID, DepartmentName: r.DepartmentName, Status: r.Status, StatusLabel: storage.RepairStatusLabel(r.Status),
		Holder: r.Holder, HolderLabel: storage.RepairHolderLabel(r.Holder), Round: r.Round, RuleSet: r.RuleSet,
		AppliedOn: r.AppliedOn, ReceivedOn: r.ReceivedOn, AcceptedOn: r.AcceptedOn, Statement: r.Statement,
		WaitingFor: []string{}, Overdue: r.Overdue, Extended: r.Extended, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Deadlines: repairDeadlinesJSON{Acceptance: r.AcceptanceDue, Decision: r.DecisionDue, Overall: r.OverallDue,
			Supplement: r.SupplementDue, Rectification: r.RectificationDue},
		TrainingLetterID: idPtr(r.TrainingLetterID), CreditReportAttachmentID: idPtr(r.CreditReportAttachmentID),
	}
	if r.WaitingTraining {
		j.WaitingFor = append(j.WaitingFor, workflows.ConditionTrainingCertificate)
	}
	if r.WaitingCreditReport {
		j.WaitingFor = append(j.WaitingFor, workflows.ConditionCreditReport)
	}
	j.Commitment.AcceptedBy, j.Commitment.AcceptedAt = r.ApplicantLogin, r.CommitmentAcceptedAt
	j.Commitment.RemoteAddr, j.Commitment.LetterID = r.CommitmentRemoteAddr, idPtr(r.CommitmentLetterID)
	if r.Approved != nil {
		j.Decision = &repairDecisionJSON{Approved: *r.Approved, DecidedOn: r.DecidedOn, Number: r.DecisionNo,
			Reason: r.DecisionReason, InTime: r.DecidedInTime}
	}
	return j
}

// repairStepLabels name the steps of the history in Chinese.
var repairStepLabels = map[string]string{
	"repair.submitted":                  "企业提交信用修复申请并签署信用承诺书",
	"repair.received":                   "一窗受理：收到申请，出具信用承诺书",
	"repair.waiting_conditions":         "等待企业补充修复条件",
	"repair.training_certificate":       "收到信用修复培训证明",
	"repair.condition_attached":         "企业补充修复条件",
	"repair.conditions_met":             "修复条件齐备，转认定部门",
	"repair.forwarded":                  "转认定部门受理",
	"repair.forwarded_after_supplement": "补正后重新转认定部门受理",
	"repair.accepted":                   "认定部门受理",
	"repair.supplement_requested":       "认定部门一次性告知补正",
	"repair.supplemented":               "企业提交补正材料",
	"repair.not_accepted":               "认定部门不予受理",
	"repair.extended":                   "认定部门延长核实期限",
	"repair.rectification_deadline":     "认定部门设定整改期限",
	"repair.rectification_submitted":    "企业提交整改材料",
	"repair.rectification_missed":       "企业逾期未完成整改",
	"repair.warning_interview":          "认定部门警示约谈",
	"repair.approved":                   "认定部门准予信用修复",
	"repair.refused":                    "认定部门不予信用修复",
	"repair.withdrawal_requested":       "通知各公示渠道撤下公示（一件通用）",
	"repair.closed":                     "各渠道撤下公示，案件办结",
	"repair.cancelled":                  "企业撤回申请",
	"repair.overdue":                    "办理逾期，已报市信用办督办",
	"repair.reopened":                   "经异议处理重新办理",
	"repair.revoked":                    "市信用办因失信撤销信用修复",
}

func repairStepLabel(action string) string {
	if l, ok := repairStepLabels[action]; ok {
		return l
	}
	return action
}

// repairDetail is a case with its history, letters, materials, withdrawal and fraud ban.
func (s *Server) repairDetail(ctx context.Context, r storage.Repair) (repairJSON, error) {
	j := toRepairJSON(r)
	id := strconv.FormatInt(r.ID, 10)
	entries, err := s.db.AuditOf(ctx, "repair", id)
	if err != nil {
		return j, err
	}
	hist := make([]repairHistoryJSON, 0, len(entries))
	for _, e := range entries {
		hist = append(hist, repairHistoryJSON{Step: e.Action, Label: repairStepLabel(e.Action), Actor: e.Actor, Role: e.Role,
			At: e.At, Details: e.Details})
	}
	j.History = &hist
	ls, err := s.db.LettersOf(ctx, "repair", id)
	if err != nil {
		return j, err
	}
	// The training certificate the case relies on is one of its documents, though the training issued it.
	if r.TrainingLetterID != 0 {
		cert, err := s.db.GetLetter(ctx, r.TrainingLetterID)
		if err != nil {
			return j, err
		}
		ls = append(ls, cert)
	}
	lj := s.lettersJSON(ls)
	j.Letters = &lj
	as, err := s.db.AttachmentsOfRepair(ctx, r.ID)
	if err != nil {
		return j, err
	}
	aj := make([]attachmentJSON, 0, len(as))
	for _, a := range as {
		aj = append(aj, toAttachmentJSON(a))
	}
	j.Attachments = &aj
	var wd *repairWithdrawalJSON
	if r.WithdrawalID != 0 {
		w, err := s.db.GetWithdrawal(ctx, r.WithdrawalID)
		if err != nil {
			return j, err
		}
		wd = &repairWithdrawalJSON{ID: w.ID, Cause: w.Cause, Status: w.Status}
	} else if r.Status == storage.RepairApproved || r.Status == storage.RepairClosed || r.Status == storage.RepairRevoked {
		w, err := s.db.WithdrawalAfterRepair(ctx, r.PenaltyID, r.ID)
		if err != nil {
			return j, err
		}
		if w.WithdrawalID != 0 {
			wd = &repairWithdrawalJSON{ID: w.WithdrawalID, Cause: w.Cause, Status: w.Status}
		}
	}
	j.Withdrawal = &wd
	if r.Status == storage.RepairRevoked {
		ban, err := s.db.FraudBanOfRepair(ctx, r.ID)
		if err != nil {
			return j, err
		}
		if ban != nil {
			j.FraudBan = &fraudBanJSON{Reason: ban.Reason, RevokedOn: ban.RevokedOn, BannedUntil: ban.BannedUntil}
		}
	}
	return j, nil
}

func (s *Server) getRepair(c *fiber.Ctx) error {
	r, err := s.visibleRepair(c)
	if err != nil {
		return err
	}
	rj, err := s.repairDetail(c.UserContext(), r)
	if err != nil {
		return err
	}
	return c.JSON(rj)
}

// repairFilter reads the list filters and scopes them to what the caller may see: an enterprise its own cases, a
// department its own; asking for someone else's gives an empty list.
func repairFilter(c *fiber.Ctx, p *principal) (storage.RepairFilter, bool, error) {
	f := storage.RepairFilter{Status: strings.TrimSpace(c.Query("status")), DepartmentID: strings.TrimSpace(c.Query("department")),
		USCC: strings.ToUpper(strings.TrimSpace(c.Query("uscc")))}
	if f.Status != "" && !slices.Contains(storage.RepairStatuses, f.Status) {
		return f, false, invalidField("status", "invalid_status", "status 取值无效，应为 "+strings.Join(storage.RepairStatuses, "、")+" 之一")
	}
	if v := c.Query("penalty_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, false, invalidField("penalty_id", "invalid_penalty_id", "penalty_id 应为正整数")
		}
		f.PenaltyID = id
	}
	switch c.Query("overdue") {
	case "", "0", "false":
	case "1", "true":
		f.OverdueOnly = true
	default:
		return f, false, invalidField("overdue", "invalid_overdue", "overdue 应为 true 或 false")
	}
	switch c.Query("open") {
	case "", "0", "false":
	case "1", "true":
		f.Open = true
	default:
		return f, false, invalidField("open", "invalid_open", "open 应为 true 或 false")
	}
	return f, scopeToPrincipal(p, &f.USCC, &f.DepartmentID), nil
}

func (s *Server) listRepairs(c *fiber.Ctx) error {
	limit, cursor, err := listParams(c)
	if err != nil {
		return err
	}
	f, visible, err := repairFilter(c, principalOf(c))
	if err != nil {
		return err
	}
	out := page[repairJSON]{Items: []repairJSON{}}
	if !visible {
		return c.JSON(out)
	}
	if cursor != "" {
		if f.AfterOverdue, f.AfterID, err = decodeOverdueCursor(cursor); err != nil {
			return err
		}
	}
	f.Limit = limit + 1
	rs, err := s.db.ListRepairs(c.UserContext(), f)
	if err != nil {
		return err
	}
	for i, r := range rs {
		if i == limit {
			out.NextCursor = encodeOverdueCursor(rs[i-1].Overdue, rs[i-1].ID)
			break
		}
		out.Items = append(out.Items, toRepairJSON(r))
	}
	return c.JSON(out)
}

func (s *Server) repairStats(c *fiber.Ctx) error {
	p := principalOf(c)
	dept := strings.TrimSpace(c.Query("department"))
	if p.Role == storage.RoleDepartment {
		dept = p.DepartmentID.String
	}
	st, err := s.db.RepairStatistics(c.UserContext(), dept)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// Steps.

// repairAction is a step of a case: its path, who takes it, its update, and how its body becomes the update's
// argument (from JSON for the API, from a form for the pages).
type repairAction struct {
	path   string
	role   storage.Role
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

// printableText checks a text that letters print: trimmed, bounded, and printable.
func printableText(field, label, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > max {
		return "", invalidField(field, "text_too_long", fmt.Sprintf("%s不能超过%d字", label, max))
	}
	if err := letters.CheckPrintable(label, v); err != nil {
		var ue *letters.UnprintableError
		if errors.As(err, &ue) {
			return "", newError(fiber.StatusUnprocessableEntity, ue.ErrorCode(), ue.Error()).With(map[string]any{"field": field})
		}
		return "", err
	}
	return v, nil
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
		reason, err := printableText(field, label, b.Reason, repairMaxText)
		if err != nil {
			return nil, err
		}
		return workflows.RepairReason{Reason: reason, RepairActor: actorOf(c)}, nil
	}
}

// repairActions are the steps of API.md, with the updates they send.
var repairActions = []repairAction{
	{path: "accept", role: storage.RoleDepartment, update: workflows.RepairAcceptUpdate, label: "受理",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, _ stepBody) (any, error) { return actorOf(c), nil }},
	{path: "request-supplement", role: storage.RoleDepartment, update: workflows.RepairRequestSupplementUpdate, label: "一次性告知补正",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			items, err := textList("items", "补正事项", b.Items)
			if err != nil {
				return nil, err
			}
			due, err := optionalDate("due_on", "补正期限", b.DueOn)
			if err != nil {
				return nil, err
			}
			return workflows.RepairSupplementItems{Items: items, DueOn: due, RepairActor: actorOf(c)}, nil
		}},
	{path: "reject", role: storage.RoleDepartment, update: workflows.RepairRejectUpdate, label: "不予受理",
		parse: reasonStep("reason", "不予受理理由")},
	{path: "extend", role: storage.RoleDepartment, update: workflows.RepairExtendUpdate, label: "延长核实期限",
		parse: reasonStep("reason", "延期理由")},
	{path: "rectification-deadline", role: storage.RoleDepartment, update: workflows.RepairRectificationUpdate, label: "设定整改期限",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			due, err := optionalDate("due_on", "整改期限", b.DueOn)
			if err != nil {
				return nil, err
			}
			reqs, err := textList("requirements", "整改要求", b.Requirements)
			if err != nil {
				return nil, err
			}
			return workflows.RepairRectification{DueOn: due, Requirements: reqs, RepairActor: actorOf(c)}, nil
		}},
	{path: "warning-interview", role: storage.RoleDepartment, update: workflows.RepairWarningInterviewUpdate, label: "登记警示约谈",
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
				{"notes", "约谈内容", b.Notes, &req.Notes, repairMaxText},
				{"place", "约谈地点", b.Place, &req.Place, 200},
				{"interviewee", "被约谈人", b.Interviewee, &req.Interviewee, 200},
				{"interviewee_role", "被约谈人职务", b.IntervieweeRole, &req.IntervieweeRole, 200},
				{"undertakings", "整改承诺", b.Undertakings, &req.Undertakings, repairMaxText},
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
	{path: "decide", role: storage.RoleDepartment, update: workflows.RepairDecideUpdate, label: "作出决定",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			if b.Approved == nil {
				return nil, invalidField("approved", "approved_required", "请说明是否准予信用修复（approved 为 true 或 false）")
			}
			reason, err := printableText("reason", "决定理由", b.Reason, repairMaxText)
			if err != nil {
				return nil, err
			}
			return workflows.RepairDecision{Approved: *b.Approved, Reason: reason, RepairActor: actorOf(c)}, nil
		}},
	{path: "supplement", role: storage.RoleEnterprise, update: workflows.RepairSupplementUpdate, label: "提交补正或整改材料",
		parse: func(s *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			ids, err := s.checkOwnAttachments(c.UserContext(), principalOf(c), "attachment_ids", b.AttachmentIDs)
			if err != nil {
				return nil, err
			}
			statement := strings.TrimSpace(b.Statement)
			if utf8.RuneCountInString(statement) > repairMaxText {
				return nil, invalidField("statement", "text_too_long", fmt.Sprintf("说明不能超过%d字", repairMaxText))
			}
			return workflows.RepairSupplement{AttachmentIDs: ids, Statement: statement, RepairActor: actorOf(c)}, nil
		}},
	{path: "withdraw", role: storage.RoleEnterprise, update: workflows.RepairWithdrawUpdate, label: "撤回申请",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			reason := strings.TrimSpace(b.Reason)
			if utf8.RuneCountInString(reason) > repairMaxText {
				return nil, invalidField("reason", "text_too_long", "撤回理由过长")
			}
			return workflows.RepairReason{Reason: reason, RepairActor: actorOf(c)}, nil
		}},
	{path: "attach-condition", role: storage.RoleEnterprise, update: workflows.RepairAttachConditionUpdate, label: "补充修复条件",
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
	{path: "revoke", role: storage.RoleCreditOffice, update: workflows.RepairRevokeUpdate, label: "因失信撤销信用修复",
		parse: reasonStep("reason", "撤销理由")},
	{path: "reopen", role: storage.RoleCreditOffice, update: workflows.RepairReopenUpdate, label: "重新办理",
		parse: func(_ *Server, c *fiber.Ctx, _ storage.Repair, b stepBody) (any, error) {
			reason, err := printableText("reason", "重新办理的依据", b.Reason, repairMaxText)
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
	return s.updateRepair(c.UserContext(), r.ID, a.update, arg)
}

func (s *Server) repairStepAPI(a repairAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
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
		if err != nil {
			return err
		}
		rj, err := s.repairDetail(c.UserContext(), r)
		if err != nil {
			return err
		}
		return c.JSON(rj)
	}
}
