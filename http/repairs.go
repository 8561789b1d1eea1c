package httpapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// Repair cases (信用修复): eligibility and self-check, the application with its commitment and materials, every
// step of the department, the enterprise and the credit office, and the case views. Handlers parse and authorize;
// each step is an update of repair-<id>, which decides and answers; the answer is the case as stored.

// repairViewers are the roles that see repair cases at all; which ones each sees is visibleRepair's business.
var repairViewers = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAdmin}

// caseMaxText bounds the free text of a repair or objection step (a statement, a reason); repairMaxItems the
// items of a list in a repair step.
const (
	caseMaxText    = 2000
	repairMaxItems = 50
)

// createRepair starts repair-<id> with a new application and waits until the workflow has stored and taken it in
// (update-with-start of the ready update, so the start and its answer are one call); the workflow's re-check
// refusals become 409 or 422.
func (s *Server) createRepair(ctx context.Context, app activities.RepairApplication) error {
	return s.cases.create(ctx, repairCases, app.RepairID, workflows.RepairParams{RepairID: app.RepairID, Application: &app},
		&workflows.RepairState{})
}

// Visibility.

// visibleRepair loads the :id case, or 404 when it does not exist or the caller must not know it does: the credit
// office and admins see every case, a department the cases of its records, an enterprise its own.
func (s *Server) visibleRepair(c *fiber.Ctx) (storage.Repair, error) {
	p := principalOf(c)
	return loadVisible(c, s.db.GetRepair, func(r storage.Repair) (bool, error) { return canSeeCase(p, r.DepartmentID, r.USCC), nil })
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
	kind := domain.KindInvalid
	if r.Conflict {
		kind = domain.KindConflict
	}
	return newError(kind, r.Code, r.Message).With(r.Details)
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
	return s.penaltyFor(ctx, id, func(pen storage.Penalty) bool { return pen.USCC == p.USCC.String })
}

func (s *Server) getEligibility(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	pen, err := s.ownPenalty(c.UserContext(), principalOf(c), id)
	return answerJSON(c, pen, err, func(ctx context.Context, pen storage.Penalty) (eligibilityJSON, error) {
		return s.eligibility(ctx, pen, domain.Today())
	})
}

// Application.

// repairApplication is the body of POST /api/v1/repairs.
type repairApplication struct {
	PenaltyID int64 `json:"penalty_id"`
	// ListingID applies for the removal of a list entry instead (issue 14).
	ListingID                int64   `json:"listing_id"`
	CommitmentAccepted       bool    `json:"commitment_accepted"`
	Statement                string  `json:"statement"`
	AttachmentIDs            []int64 `json:"attachment_ids"`
	CreditReportAttachmentID int64   `json:"credit_report_attachment_id"`
	// USCC names the enterprise when the credit office registers a walk-in application (一窗受理).
	USCC string `json:"uscc"`
}

// checkOwnAttachments refuses ids that are not uploads of the enterprise (422, naming them).
func (s *Server) checkOwnAttachments(ctx context.Context, p *principal, field string, ids []int64) ([]int64, error) {
	return checkAttachmentIDs(ids, field, maxUploadFiles*2, "附件过多",
		func(uniq []int64) ([]int64, error) { return s.db.AttachmentsOfEnterprise(ctx, p.USCC.String, uniq) },
		"附件不存在或不属于本企业")
}

// apply validates and stores an application, starts its workflow and waits until it is taken in.
func (s *Server) apply(c *fiber.Ctx, in repairApplication) (storage.Repair, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	listing := in.ListingID != 0
	if listing {
		if in.PenaltyID != 0 {
			return storage.Repair{}, invalidField("listing_id", "ambiguous_record", "penalty_id 与 listing_id 只能填写一个")
		}
		in.PenaltyID = in.ListingID
	}
	if in.PenaltyID <= 0 {
		return storage.Repair{}, invalidField("penalty_id", "penalty_id_required", "请指定申请修复的处罚信息（penalty_id）或者申请移出的名单信息（listing_id）")
	}
	p, err := s.applicant(p, in.USCC, in.AttachmentIDs)
	if err != nil {
		return storage.Repair{}, err
	}
	pen, err := s.ownPenalty(ctx, p, in.PenaltyID)
	if err != nil {
		return storage.Repair{}, err
	}
	if listing && !storage.IsListing(pen.RecordKind) {
		return storage.Repair{}, errNotFound
	}
	if !in.CommitmentAccepted {
		return storage.Repair{}, invalidField("commitment_accepted", "commitment_required", "申请信用修复须阅读并签署信用承诺书")
	}
	statement := strings.TrimSpace(in.Statement)
	if utf8.RuneCountInString(statement) > caseMaxText {
		return storage.Repair{}, invalidField("statement", "text_too_long", fmt.Sprintf("申请说明不能超过%d字", caseMaxText))
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
	if err := s.cases.available(); err != nil {
		return storage.Repair{}, err
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
	return createJSON(c, s.apply, s.repairDetail, func(r storage.Repair) string { return "/api/v1/repairs/" + idKey(r.ID) })
}

// Case views.

// repairDeadlinesJSON are the due dates of the case's steps (null when not set).
type repairDeadlinesJSON struct {
	Acceptance    domain.Date `json:"acceptance"`
	Decision      domain.Date `json:"decision"`
	Overall       domain.Date `json:"overall"`
	Supplement    domain.Date `json:"supplement"`
	Rectification domain.Date `json:"rectification"`
	// Provisional marks the deadlines counted over days whose holiday notice is not loaded yet (暂定), by name.
	Provisional map[string]bool `json:"provisional"`
}

type repairDecisionJSON struct {
	Approved  bool        `json:"approved"`
	DecidedOn domain.Date `json:"decided_on"`
	Number    string      `json:"number"`
	Reason    string      `json:"reason"`
	InTime    *bool       `json:"in_time"`
}

type fraudBanJSON struct {
	Reason      string      `json:"reason"`
	RevokedOn   domain.Date `json:"revoked_on"`
	BannedUntil domain.Date `json:"banned_until"`
	// RecordID is the fraud record published for it (a refusal for fraud), when there is one.
	RecordID *int64 `json:"record_id,omitempty"`
}

// repairJSON is a case as the API shows it; lists leave out the history, letters, materials and withdrawal.
type repairJSON struct {
	ID                       int64                `json:"id"`
	PenaltyID                int64                `json:"penalty_id"`
	DecisionNo               string               `json:"decision_no"`
	USCC                     string               `json:"uscc"`
	EnterpriseName           string               `json:"enterprise_name"`
	DepartmentID             string               `json:"department_id"`
	DepartmentName           string               `json:"department_name"`
	Status                   string               `json:"status"`
	StatusLabel              string               `json:"status_label"`
	Holder                   string               `json:"holder"`
	HolderLabel              string               `json:"holder_label"`
	Round                    int                  `json:"round"`
	RuleSet                  string               `json:"rule_set"`
	AppliedOn                domain.Date          `json:"applied_on"`
	ReceivedOn               domain.Date          `json:"received_on"`
	AcceptedOn               domain.Date          `json:"accepted_on"`
	Statement                string               `json:"statement"`
	WaitingFor               []string             `json:"waiting_for"`
	Deadlines                repairDeadlinesJSON  `json:"deadlines"`
	Overdue                  bool                 `json:"overdue"`
	Extended                 bool                 `json:"extended"`
	Commitment               commitmentJSON       `json:"commitment"`
	TrainingLetterID         *int64               `json:"training_letter_id"`
	CreditReportAttachmentID *int64               `json:"credit_report_attachment_id"`
	Decision                 *repairDecisionJSON  `json:"decision"`
	FraudBan                 *fraudBanJSON        `json:"fraud_ban,omitempty"`
	CreatedAt                time.Time            `json:"created_at"`
	UpdatedAt                time.Time            `json:"updated_at"`
	History                  *[]historyJSON       `json:"history,omitempty"`
	Letters                  *[]letterJSON        `json:"letters,omitempty"`
	Attachments              *[]attachmentJSON    `json:"attachments,omitempty"`
	Withdrawal               **caseWithdrawalJSON `json:"withdrawal,omitempty"`
	// LookupCode is the case's 查询码 for the public status lookup (/status), on its receipt and detail.
	LookupCode string `json:"lookup_code,omitempty"`
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
		DepartmentID: r.DepartmentID, DepartmentName: r.DepartmentName, Status: string(r.Status), StatusLabel: domain.RepairStatus(r.Status).Label(),
		Holder: string(r.Holder), HolderLabel: domain.Holder(r.Holder).Label(), Round: r.Round, RuleSet: r.RuleSet,
		AppliedOn: r.AppliedOn, ReceivedOn: r.ReceivedOn, AcceptedOn: r.AcceptedOn, Statement: r.Statement,
		WaitingFor: []string{}, Overdue: r.Overdue, Extended: r.Extended, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Deadlines: repairDeadlinesJSON{Acceptance: r.AcceptanceDue, Decision: r.DecisionDue, Overall: r.OverallDue,
			Supplement: r.SupplementDue, Rectification: r.RectificationDue, Provisional: provisionalDeadlines(r.Provisional)},
		TrainingLetterID: idPtr(r.TrainingLetterID), CreditReportAttachmentID: idPtr(r.CreditReportAttachmentID),
	}
	if r.WaitingTraining {
		j.WaitingFor = append(j.WaitingFor, workflows.ConditionTrainingCertificate)
	}
	if r.WaitingCreditReport {
		j.WaitingFor = append(j.WaitingFor, workflows.ConditionCreditReport)
	}
	j.Commitment = commitmentJSON{AcceptedBy: r.ApplicantLogin, AcceptedAt: r.CommitmentAcceptedAt,
		RemoteAddr: r.CommitmentRemoteAddr, LetterID: idPtr(r.CommitmentLetterID)}
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
	"repair.overall_overdue":            "逾期未办结（自一窗受理之日起的整体期限），已报市信用办督办",
	"repair.deadlines_recomputed":       "节假日安排公布，暂定期限已重新计算",
	"repair.reopened":                   "经异议处理重新办理",
	"repair.revoked":                    "市信用办因失信撤销信用修复",
}

func repairStepLabel(action string) string { return labelOr(repairStepLabels, action) }

// repairDetail is a case with its history, letters, materials, withdrawal and fraud ban.
func (s *Server) repairDetail(ctx context.Context, r storage.Repair) (repairJSON, error) {
	j := toRepairJSON(r)
	var err error
	if j.History, err = s.caseHistory(ctx, "repair", r.ID, repairStepLabel); err != nil {
		return j, err
	}
	if j.LookupCode, err = s.lookupCodeOf(ctx, "repair", r.ID); err != nil {
		return j, err
	}
	ls, err := s.db.LettersOf(ctx, "repair", strconv.FormatInt(r.ID, 10))
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
	j.Attachments = attachmentsJSON(as)
	withdraws := r.Status == domain.RepairApproved || r.Status == domain.RepairClosed || r.Status == domain.RepairRevoked
	j.Withdrawal, err = s.caseWithdrawal(ctx, r.WithdrawalID, withdraws,
		func() (storage.CaseWithdrawal, error) { return s.db.WithdrawalAfterRepair(ctx, r.PenaltyID, r.ID) })
	if err != nil {
		return j, err
	}
	if r.Status == domain.RepairRevoked || r.Status == domain.RepairRefused {
		ban, err := s.db.FraudBanOfRepair(ctx, r.ID)
		if err != nil {
			return j, err
		}
		if ban != nil {
			j.FraudBan = &fraudBanJSON{Reason: ban.Reason, RevokedOn: ban.RevokedOn, BannedUntil: ban.BannedUntil}
			if ban.RecordID.Valid {
				j.FraudBan.RecordID = &ban.RecordID.Int64
			}
		}
	}
	return j, nil
}

func (s *Server) getRepair(c *fiber.Ctx) error {
	r, err := s.visibleRepair(c)
	return answerJSON(c, r, err, s.repairDetail)
}

// repairFilter reads the list filters, scoped to what p may see.
func repairFilter(c *fiber.Ctx, p *principal) (storage.RepairFilter, bool, error) {
	cf, visible, err := readCaseFilter(c, p, domain.RepairStatuses)
	return storage.RepairFilter{CaseFilter: cf}, visible, err
}

func (s *Server) listRepairs(c *fiber.Ctx) error {
	return listPage(c, s.repairLister, repairKey, viewOf(toRepairJSON))
}

func repairKey(r storage.Repair) string { return overdueKey(r.Overdue, r.ID) }

// repairLister reads the filters of the repair list once and answers its pages (the list and its export).
func (s *Server) repairLister(c *fiber.Ctx) (fetcher[storage.Repair], error) {
	f, visible, err := repairFilter(c, principalOf(c))
	return filtered(c, f, visible, err, byCase(func(f *storage.RepairFilter) *storage.CaseFilter { return &f.CaseFilter }),
		s.db.ListRepairs)
}

func (s *Server) repairStats(c *fiber.Ctx) error {
	p := principalOf(c)
	dept := strings.TrimSpace(c.Query("department"))
	if p.Role == domain.RoleDepartment {
		dept = p.DepartmentID.String
	}
	st, err := s.db.RepairStatistics(c.UserContext(), dept)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
