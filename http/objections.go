package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Objections (异议处理): filing (by the enterprise, or by the recognizing department on its behalf), the case view and
// lists, the department's answer and extension, the channel operators' confirmations of marks and corrections, the
// record's earlier versions, and the pages. Handlers parse and authorize; every step is an update of objection-<id>,
// which decides and answers; the answer is the case as stored.

// objectionViewers are the roles that see objections at all; which ones each sees is canSeeObjection's business.
var objectionViewers = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice,
	domain.RoleAdmin, domain.RoleChannelOperator}

// objectionMaxAttachments bounds the evidence of one objection.
const objectionMaxAttachments = 20

// createObjection starts objection-<id> with a new filing and waits until the workflow has stored and taken it in
// (update-with-start of the ready update); its refusals become 409.
func (s *Server) createObjection(ctx context.Context, f activities.ObjectionFiling) error {
	return s.cases.create(ctx, objectionCases, f.ObjectionID, workflows.ObjectionParams{ObjectionID: f.ObjectionID, Filing: &f},
		&workflows.ObjectionState{})
}

// updateObjection sends a step to the case's workflow and waits for its answer.
func (s *Server) updateObjection(ctx context.Context, id int64, name string, arg any) error {
	return s.cases.update(ctx, objectionCases, id, name, arg, &workflows.ObjectionState{})
}

// Visibility.

// canSeeObjection: the credit office and admins see every case, a department the cases of its records, an
// enterprise its own, a channel operator the cases that asked its channel to do something.
func canSeeObjection(p *principal, o storage.Objection, cs []storage.ObjectionChannel) bool {
	return canSeeChannelCase(p, o.DepartmentID, o.USCC, cs, func(c storage.ObjectionChannel) string { return c.ChannelID })
}

// visibleObjection loads the :id case and its channel actions, or 404 when it does not exist or the caller must
// not know it does.
func (s *Server) visibleObjection(c *fiber.Ctx) (storage.Objection, []storage.ObjectionChannel, error) {
	return loadWithChannels(c, s.db.GetObjection, s.db.ObjectionChannels, canSeeObjection)
}

// Filing.

// objectionFiling is the body of POST /api/v1/objections.
type objectionFiling struct {
	PenaltyID          int64   `json:"penalty_id"`
	Grounds            string  `json:"grounds"`
	RepairID           int64   `json:"repair_id"`
	Statement          string  `json:"statement"`
	AttachmentIDs      []int64 `json:"attachment_ids"`
	CommitmentAccepted bool    `json:"commitment_accepted"`
	// USCC names the enterprise when the credit office registers a walk-in objection (一窗受理).
	USCC string `json:"uscc"`
}

// filablePenalty loads a record the caller may object to: an enterprise its own, a department its own records (on
// the enterprise's behalf); anyone else's is 404.
func (s *Server) filablePenalty(ctx context.Context, p *principal, id int64) (storage.Penalty, error) {
	return s.penaltyFor(ctx, id, func(pen storage.Penalty) bool {
		return (p.Role == domain.RoleEnterprise && pen.USCC == p.USCC.String) ||
			(p.Role == domain.RoleDepartment && pen.DepartmentID == p.DepartmentID.String) ||
			(p.Role == domain.RoleCreditOffice && p.USCC.Valid && pen.USCC == p.USCC.String)
	})
}

// checkEvidence refuses attachment ids the caller may not cite (422, naming them): an enterprise cites its own
// uploads, a department the uploads of its own users.
func (s *Server) checkEvidence(ctx context.Context, p *principal, ids []int64) ([]int64, error) {
	return checkAttachmentIDs(ids, "attachment_ids", objectionMaxAttachments, fmt.Sprintf("证明材料不能超过%d份", objectionMaxAttachments),
		func(uniq []int64) ([]int64, error) { return s.db.AttachmentsOwnedBy(ctx, p.ID, p.USCC.String, uniq) },
		"证明材料不存在或不是您上传的文件")
}

// checkFiling validates a filing without storing anything; it answers the record and the checked values.
func (s *Server) checkFiling(c *fiber.Ctx, in *objectionFiling) (storage.Penalty, []int64, error) {
	ctx := c.UserContext()
	if in.PenaltyID <= 0 {
		return storage.Penalty{}, nil, invalidField("penalty_id", "penalty_id_required", "请选择提出异议的处罚信息")
	}
	p, err := s.applicant(principalOf(c), in.USCC, in.AttachmentIDs)
	if err != nil {
		return storage.Penalty{}, nil, err
	}
	pen, err := s.filablePenalty(ctx, p, in.PenaltyID)
	if err != nil {
		return pen, nil, err
	}
	in.Grounds = strings.TrimSpace(in.Grounds)
	if !slices.Contains(domain.AllObjectionGrounds, domain.ObjectionGrounds(in.Grounds)) {
		return pen, nil, invalidField("grounds", "invalid_grounds",
			"请选择异议理由")
	}
	if domain.ObjectionGrounds(in.Grounds) == domain.GroundsAgainstRefusal {
		if in.RepairID <= 0 {
			return pen, nil, invalidField("repair_id", "repair_id_required", "对不予受理或者不予修复决定提出异议的，请填写信用修复案件编号")
		}
		r, err := s.db.GetRepair(ctx, in.RepairID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && r.PenaltyID != pen.ID) {
			return pen, nil, errNotFound
		}
		if err != nil {
			return pen, nil, err
		}
		if r.Status != domain.RepairRefused && r.Status != domain.RepairNotAccepted {
			return pen, nil, newError(domain.KindConflict, "repair_not_refused",
				"只能对不予受理或者不予信用修复的决定提出异议；该信用修复案件当前状态："+domain.RepairStatus(r.Status).Label()).With(
				map[string]any{"repair_id": r.ID, "status": r.Status})
		}
	} else {
		if in.RepairID != 0 {
			return pen, nil, invalidField("repair_id", "repair_id_not_allowed", "只有对不予修复决定提出异议（against_refusal）时才填写 repair_id")
		}
		switch pen.Status {
		case domain.PenaltyWithdrawing, domain.PenaltyWithdrawn, domain.PenaltyRevoked:
			return pen, nil, newError(domain.KindConflict, "record_withdrawn", "该处罚信息已撤下或正在撤下公示（或处罚决定已撤销），无需提出异议").With(
				map[string]any{"status": pen.Status})
		}
	}
	if !in.CommitmentAccepted {
		return pen, nil, invalidField("commitment_accepted", "commitment_required", "提出异议须阅读并签署异议申诉信用承诺书")
	}
	statement, err := printableText("statement", "异议说明", in.Statement, caseMaxText)
	if err != nil {
		return pen, nil, err
	}
	if statement == "" {
		return pen, nil, invalidField("statement", "statement_required", "请说明异议的事实和理由")
	}
	in.Statement = statement
	ids, err := s.checkEvidence(ctx, p, in.AttachmentIDs)
	if err != nil {
		return pen, nil, err
	}
	return pen, ids, nil
}

// file validates and stores an objection, starts its workflow and waits until it is taken in.
func (s *Server) file(c *fiber.Ctx, in objectionFiling) (storage.Objection, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	pen, ids, err := s.checkFiling(c, &in)
	if err != nil {
		return storage.Objection{}, err
	}
	if err := s.cases.available(); err != nil {
		return storage.Objection{}, err
	}
	dept, sets, err := s.departmentRules(ctx, pen.DepartmentID)
	if err != nil {
		return storage.Objection{}, err
	}
	today := domain.Today()
	rs, err := domain.ProcedureRuleSet(sets, dept.Jurisdiction, dept.Sector, today)
	if err != nil {
		return storage.Objection{}, fmt.Errorf("rule set for objection: %w", err)
	}
	open, err := s.db.OpenObjectionOf(ctx, pen.ID, pen.USCC, in.RepairID)
	if err != nil {
		return storage.Objection{}, err
	}
	if open != 0 {
		return storage.Objection{}, objectionOpenError(open)
	}
	// Workflow-first: the workflow writes the row under the reserved id, so the row never exists without it.
	id, err := s.db.ReserveObjectionID(ctx)
	if err != nil {
		return storage.Objection{}, err
	}
	if err := s.createObjection(ctx, activities.ObjectionFiling{
		ObjectionID: id, PenaltyID: pen.ID, USCC: pen.USCC, DepartmentID: pen.DepartmentID, RepairID: in.RepairID,
		Grounds: domain.ObjectionGrounds(in.Grounds), Statement: in.Statement, RuleSet: rs.ID, FiledOn: today, FiledBy: p.Login,
		FiledByRole: string(p.Role), CommitmentAcceptedAt: time.Now(), CommitmentRemoteAddr: c.IP(), AttachmentIDs: ids,
	}); err != nil {
		return storage.Objection{}, err
	}
	return s.db.GetObjection(ctx, id)
}

// objectionOpenError is the 409 of a filing while the applicant's objection on the record is still open.
func objectionOpenError(open int64) *Error {
	return newError(domain.KindConflict, "objection_open",
		fmt.Sprintf("您对该处罚信息已有正在办理的异议（案件%d），不能重复提出", open)).With(map[string]any{"objection_id": open})
}

func (s *Server) fileObjection(c *fiber.Ctx) error {
	return createJSON(c, s.file, func(ctx context.Context, o storage.Objection) (objectionJSON, error) {
		cs, err := s.db.ObjectionChannels(ctx, o.ID)
		if err != nil {
			return objectionJSON{}, err
		}
		return s.objectionDetail(ctx, o, cs)
	}, func(o storage.Objection) string { return "/api/v1/objections/" + idKey(o.ID) })
}

// Case views.

type objectionDeadlinesJSON struct {
	Mark           domain.Date `json:"mark"`
	Forward        domain.Date `json:"forward"`
	Verify         domain.Date `json:"verify"`
	OriginalVerify domain.Date `json:"original_verify"`
	// Provisional marks the deadlines that are 暂定 (mark, forward, verify; detail only).
	Provisional map[string]bool `json:"provisional,omitempty"`
}

type objectionChannelJSON struct {
	ChannelID   string      `json:"channel_id"`
	Name        string      `json:"name"`
	Kind        string      `json:"kind"`
	Action      string      `json:"action"`
	ActionLabel string      `json:"action_label"`
	Status      string      `json:"status"`
	StatusLabel string      `json:"status_label"`
	Overdue     bool        `json:"overdue"`
	DueOn       domain.Date `json:"due_on"`
	Attempts    int         `json:"attempts"`
	ConfirmedAt *time.Time  `json:"confirmed_at"`
	Reference   string      `json:"reference,omitempty"`
	LastError   string      `json:"last_error,omitempty"`
}

type objectionResolutionJSON struct {
	Outcome     string          `json:"outcome"`
	Label       string          `json:"label"`
	Reason      string          `json:"reason"`
	Corrections json.RawMessage `json:"corrections"`
	ResolvedOn  domain.Date     `json:"resolved_on"`
	ResolvedBy  string          `json:"resolved_by"`
	InTime      *bool           `json:"in_time"`
	Number      string          `json:"number"`
	// PenaltyVersion is the record's version after a correction (null otherwise).
	PenaltyVersion *int `json:"penalty_version"`
}

type objectionRecordJSON struct {
	// Marked: the record carries the "异议处理中" flag (on the platform's own views).
	Marked   bool                     `json:"marked"`
	Version  int                      `json:"version"`
	Channels []publicationMarkJSON    `json:"channels"`
	Versions []storage.PenaltyVersion `json:"versions"`
}

type publicationMarkJSON struct {
	ChannelID     string     `json:"channel_id"`
	Marked        bool       `json:"marked"`
	MarkedAt      *time.Time `json:"marked_at"`
	RecordVersion int        `json:"record_version"`
	CorrectedAt   *time.Time `json:"corrected_at"`
}

// objectionJSON is a case as the API shows it; lists leave out the history, letters, evidence, channels, record and
// withdrawal.
type objectionJSON struct {
	ID              int64                    `json:"id"`
	PenaltyID       int64                    `json:"penalty_id"`
	RepairID        *int64                   `json:"repair_id"`
	DecisionNo      string                   `json:"decision_no"`
	USCC            string                   `json:"uscc"`
	EnterpriseName  string                   `json:"enterprise_name"`
	DepartmentID    string                   `json:"department_id"`
	DepartmentName  string                   `json:"department_name"`
	Grounds         string                   `json:"grounds"`
	GroundsLabel    string                   `json:"grounds_label"`
	Statement       string                   `json:"statement"`
	RuleSet         string                   `json:"rule_set"`
	FiledOn         domain.Date              `json:"filed_on"`
	FiledBy         string                   `json:"filed_by"`
	FiledByRole     string                   `json:"filed_by_role"`
	Status          string                   `json:"status"`
	StatusLabel     string                   `json:"status_label"`
	Holder          string                   `json:"holder"`
	Outcome         *string                  `json:"outcome"`
	Deadlines       objectionDeadlinesJSON   `json:"deadlines"`
	MarkedOn        domain.Date              `json:"marked_on"`
	ForwardedOn     domain.Date              `json:"forwarded_on"`
	Overdue         bool                     `json:"overdue"`
	Extended        bool                     `json:"extended"`
	ExtendedOn      domain.Date              `json:"extended_on"`
	ExtensionReason string                   `json:"extension_reason,omitempty"`
	Resolution      *objectionResolutionJSON `json:"resolution"`
	RepairReopened  bool                     `json:"repair_reopened"`
	Commitment      commitmentJSON           `json:"commitment"`
	CreatedAt       time.Time                `json:"created_at"`
	UpdatedAt       time.Time                `json:"updated_at"`
	ClosedAt        *time.Time               `json:"closed_at"`
	History         *[]historyJSON           `json:"history,omitempty"`
	Letters         *[]letterJSON            `json:"letters,omitempty"`
	Attachments     *[]attachmentJSON        `json:"attachments,omitempty"`
	Channels        *[]objectionChannelJSON  `json:"channels,omitempty"`
	Record          *objectionRecordJSON     `json:"record,omitempty"`
	Withdrawal      **caseWithdrawalJSON     `json:"withdrawal,omitempty"`
	// LookupCode is the case's 查询码 for the public status lookup (/status), on its receipt and detail.
	LookupCode string `json:"lookup_code,omitempty"`
}

func nullableTime(t time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	return &t
}

func toObjectionJSON(o storage.Objection) objectionJSON {
	j := objectionJSON{
		ID: o.ID, PenaltyID: o.PenaltyID, RepairID: idPtr(o.RepairID), DecisionNo: o.DecisionNo, USCC: o.USCC,
		EnterpriseName: o.EnterpriseName, DepartmentID: o.DepartmentID, DepartmentName: o.DepartmentName,
		Grounds: string(o.Grounds), GroundsLabel: domain.ObjectionGrounds(o.Grounds).Label(), Statement: o.Statement, RuleSet: o.RuleSet,
		FiledOn: o.FiledOn, FiledBy: o.FiledBy, FiledByRole: o.FiledByRole, Status: string(o.Status),
		StatusLabel: domain.ObjectionStatus(o.Status).Label(), Holder: string(o.Holder),
		Deadlines: objectionDeadlinesJSON{Mark: o.MarkDue, Forward: o.ForwardDue, Verify: o.VerifyDue, OriginalVerify: o.OriginalVerifyDue},
		MarkedOn:  o.MarkedOn, ForwardedOn: o.ForwardedOn, Overdue: o.Overdue, Extended: o.Extended, ExtendedOn: o.ExtendedOn,
		ExtensionReason: o.ExtensionReason, RepairReopened: o.RepairReopened, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		ClosedAt: nullableTime(o.ClosedAt.Time, o.ClosedAt.Valid),
	}
	j.Commitment = commitmentJSON{AcceptedBy: o.FiledBy, AcceptedAt: o.CommitmentAcceptedAt,
		RemoteAddr: o.CommitmentRemoteAddr, LetterID: idPtr(o.CommitmentLetterID)}
	if o.Outcome != "" {
		outcome := string(o.Outcome)
		j.Outcome = &outcome
		r := &objectionResolutionJSON{Outcome: string(o.Outcome), Label: domain.ObjectionOutcome(o.Outcome).Label(), Reason: o.OutcomeReason,
			Corrections: o.Corrections, ResolvedOn: o.ResolvedOn, ResolvedBy: o.ResolvedBy, InTime: o.ResolvedInTime,
			Number: o.ResultNo}
		if len(r.Corrections) == 0 {
			r.Corrections = json.RawMessage("{}")
		}
		if o.PenaltyVersion != 0 {
			v := o.PenaltyVersion
			r.PenaltyVersion = &v
		}
		j.Resolution = r
	}
	return j
}

// objectionStepLabels name the steps of the history in Chinese.
var objectionStepLabels = map[string]string{
	"objection.submitted":                 "提出异议并签署异议申诉信用承诺书",
	"objection.received":                  "一窗受理：收到异议，出具异议申诉信用承诺书",
	"objection.forwarded":                 "转认定部门核实",
	"objection.marked":                    "各公示渠道已标注“异议处理中”",
	"objection.extended":                  "认定部门延长核实期限并告知申请人",
	"objection.overdue":                   "认定部门逾期未答复，已报市信用办督办",
	"objection.deadlines_recomputed":      "节假日安排公布，暂定期限已重新计算",
	"objection.resolved":                  "认定部门作出异议处理结果",
	"objection.withdrawal_requested":      "通知各公示渠道撤下公示（一件通用）",
	"objection.withdrawn":                 "各公示渠道已撤下该信息",
	"objection.repair_reopened":           "信用修复申请重新办理",
	"objection.propagated":                "各公示渠道已同步处理结果",
	"objection.closed":                    "异议办结",
	"objection.channel_mark_confirmed":    "公示渠道确认已标注“异议处理中”",
	"objection.channel_unmark_confirmed":  "公示渠道确认已撤除异议标注",
	"objection.channel_correct_confirmed": "公示渠道确认已更新为更正后的信息",
}

func objectionStepLabel(action string) string { return labelOr(objectionStepLabels, action) }

// channelJSONs shows a case's channel actions; references and errors only to the office and the channel's operator.
func channelJSONs(p *principal, cs []storage.ObjectionChannel, today domain.Date) []objectionChannelJSON {
	out := make([]objectionChannelJSON, 0, len(cs))
	admin := p.Role == domain.RoleCreditOffice || p.Role == domain.RoleAdmin
	for _, oc := range cs {
		cj := objectionChannelJSON{ChannelID: oc.ChannelID, Name: oc.Name, Kind: string(oc.Kind), Action: string(oc.Action),
			ActionLabel: domain.ObjectionAction(oc.Action).Label(), Status: string(oc.Status),
			StatusLabel: domain.ChannelStatus(oc.Status).LabelForObjection(domain.ObjectionAction(oc.Action)), DueOn: oc.DueOn, Attempts: oc.Attempts,
			ConfirmedAt: nullableTime(oc.ConfirmedAt.Time, oc.ConfirmedAt.Valid)}
		cj.Overdue = oc.Status == domain.ChannelOverdue ||
			(oc.Status != domain.ChannelConfirmed && oc.Status != "cancelled" && oc.DueOn.Before(today))
		if admin || (p.Role == domain.RoleChannelOperator && p.ChannelID.String == oc.ChannelID) {
			cj.Reference, cj.LastError = oc.Reference, oc.LastError
		}
		out = append(out, cj)
	}
	return out
}

// objectionDetail is a case with its history, letters, evidence, channels, record and withdrawal.
func (s *Server) objectionDetail(ctx context.Context, o storage.Objection, cs []storage.ObjectionChannel) (objectionJSON, error) {
	return s.objectionDetailFor(ctx, nil, o, cs)
}

func (s *Server) objectionDetailFor(ctx context.Context, p *principal, o storage.Objection, cs []storage.ObjectionChannel) (objectionJSON, error) {
	j := toObjectionJSON(o)
	prov, err := s.db.ProvisionalDeadlines(ctx, "objection", strconv.FormatInt(o.ID, 10))
	if err != nil {
		return j, err
	}
	j.Deadlines.Provisional = provisionalDeadlines(slices.Sorted(maps.Keys(prov)))
	if j.History, err = s.caseHistory(ctx, "objection", o.ID, objectionStepLabel); err != nil {
		return j, err
	}
	if j.LookupCode, err = s.lookupCodeOf(ctx, "objection", o.ID); err != nil {
		return j, err
	}
	if j.Letters, err = s.caseLetters(ctx, "objection", o.ID); err != nil {
		return j, err
	}
	as, err := s.db.AttachmentsOfObjection(ctx, o.ID)
	if err != nil {
		return j, err
	}
	j.Attachments = attachmentsJSON(as)
	if p == nil {
		p = &principal{User: storage.User{Role: domain.RoleEnterprise}}
	}
	chj := channelJSONs(p, cs, domain.Today())
	j.Channels = &chj
	for _, c := range chj {
		if c.Overdue {
			j.Overdue = true
		}
	}

	pen, err := s.db.GetPenalty(ctx, o.PenaltyID)
	if err != nil {
		return j, err
	}
	rec := &objectionRecordJSON{Marked: pen.FlaggedObjection, Channels: []publicationMarkJSON{}}
	if rec.Version, err = s.db.PenaltyVersion(ctx, o.PenaltyID); err != nil {
		return j, err
	}
	ms, err := s.db.PublicationMarksOf(ctx, o.PenaltyID)
	if err != nil {
		return j, err
	}
	for _, m := range ms {
		rec.Channels = append(rec.Channels, publicationMarkJSON{ChannelID: m.ChannelID, Marked: m.MarkedObjection,
			MarkedAt: nullableTime(m.MarkedAt.Time, m.MarkedAt.Valid), RecordVersion: m.RecordVersion,
			CorrectedAt: nullableTime(m.CorrectedAt.Time, m.CorrectedAt.Valid)})
	}
	if rec.Versions, err = s.db.PenaltyVersions(ctx, o.PenaltyID); err != nil {
		return j, err
	}
	if rec.Versions == nil {
		rec.Versions = []storage.PenaltyVersion{}
	}
	j.Record = rec

	j.Withdrawal, err = s.caseWithdrawal(ctx, o.WithdrawalID, o.Outcome == domain.OutcomeWithdrawn,
		func() (storage.CaseWithdrawal, error) { return s.db.WithdrawalAfterObjection(ctx, o.PenaltyID, o.ID) })
	if err != nil {
		return j, err
	}
	return j, nil
}

func (s *Server) getObjection(c *fiber.Ctx) error {
	o, cs, err := s.visibleObjection(c)
	if err != nil {
		return err
	}
	oj, err := s.objectionDetailFor(c.UserContext(), principalOf(c), o, cs)
	if err != nil {
		return err
	}
	return c.JSON(oj)
}

// objectionFilter reads the list filters, scoped to what p may see; a channel operator sees the cases that asked
// its channel.
func objectionFilter(c *fiber.Ctx, p *principal) (storage.ObjectionFilter, bool, error) {
	cf, visible, err := readCaseFilter(c, p, domain.ObjectionStatuses)
	f := storage.ObjectionFilter{CaseFilter: cf}
	if p.Role == domain.RoleChannelOperator {
		f.ChannelID = p.ChannelID.String
	}
	return f, visible, err
}

func (s *Server) listObjections(c *fiber.Ctx) error {
	return listPage(c, s.objectionLister, objectionKey, viewOf(toObjectionJSON))
}

func objectionKey(o storage.Objection) string { return overdueKey(o.Overdue, o.ID) }

// objectionLister reads the filters of the objection list once and answers its pages (the list and its export).
func (s *Server) objectionLister(c *fiber.Ctx) (fetcher[storage.Objection], error) {
	f, visible, err := objectionFilter(c, principalOf(c))
	return filtered(c, f, visible, err, byCase(func(f *storage.ObjectionFilter) *storage.CaseFilter { return &f.CaseFilter }),
		s.db.ListObjections)
}

// The department's steps.

// resolutionBody is the body of POST /api/v1/objections/{id}/resolve.
type resolutionBody struct {
	Outcome     string          `json:"outcome"`
	Reason      string          `json:"reason"`
	Corrections json.RawMessage `json:"corrections"`
}

// correctableFields are the fields an objection may correct; the others decide whose record it is and how long it
// is published, so a record wrong in them is withdrawn (or its decision revoked) and registered again.
var correctableFields = []string{"decision_no", "enterprise_name", "penalty_types", "fine_amount_yuan", "facts", "legal_basis"}

// parseCorrections checks a correction against the record: known fields only, values that registration would
// accept, and no change of the record's class or periods. It answers only what changes.
func (s *Server) parseCorrections(ctx context.Context, p *principal, pen storage.Penalty, raw json.RawMessage) (*domain.PenaltyCorrection, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, invalidField("corrections", "invalid_corrections", "更正内容 corrections 应为对象，如 {\"fine_amount_yuan\": \"30000\"}")
	}
	if len(fields) == 0 {
		return nil, nil
	}
	in := penaltyInput{DecisionNo: pen.DecisionNo, USCC: pen.USCC, EnterpriseName: pen.EnterpriseName,
		DecidedOn: pen.DecidedOn.String(), PenaltyTypes: []string(pen.PenaltyTypes), FineAmountYuan: yuanField(pen.FineAmountYuan),
		DurationMonths: pen.DurationMonths, Facts: pen.Facts, LegalBasis: pen.LegalBasis, lawInput: lawInputOf(pen.PenaltyLaw)}
	if pen.ClassGiven {
		in.Class = pen.Class
	}
	text := func(k string, dst *string) error {
		if err := json.Unmarshal(fields[k], dst); err != nil {
			return invalidField("corrections."+k, "invalid_type", "更正内容 "+k+" 应为字符串")
		}
		return nil
	}
	for k := range fields {
		var err error
		switch k {
		case "decision_no":
			err = text(k, &in.DecisionNo)
		case "enterprise_name":
			err = text(k, &in.EnterpriseName)
		case "facts":
			err = text(k, &in.Facts)
		case "legal_basis":
			err = text(k, &in.LegalBasis)
		case "penalty_types":
			if jerr := json.Unmarshal(fields[k], &in.PenaltyTypes); jerr != nil {
				err = invalidField("corrections."+k, "invalid_type", "更正后的处罚种类格式不正确")
			}
		case "fine_amount_yuan":
			if jerr := json.Unmarshal(fields[k], &in.FineAmountYuan); jerr != nil {
				err = invalidField("corrections."+k, "invalid_type", "更正后的罚款金额格式不正确")
			}
		case "decided_on", "uscc", "class", "duration_months":
			err = newError(domain.KindInvalid, "correction_not_allowed",
				"处罚决定日期、统一社会信用代码、失信类别和处罚期限决定信息的主体和公示期限，不能通过异议更正；应删除该信息或登记撤销原决定后重新登记").With(
				map[string]any{"field": "corrections." + k, "correctable": correctableFields})
		default:
			err = newError(domain.KindInvalid, "unknown_correction_field", "未知的更正字段“"+k+"”").With(
				map[string]any{"field": "corrections." + k, "correctable": correctableFields})
		}
		if err != nil {
			return nil, err
		}
	}
	reg, err := s.newRegistrar(ctx, p)
	if err != nil {
		return nil, err
	}
	next, _, verr := reg.validate(in)
	if verr != nil {
		if d, ok := verr.Details["field"].(string); ok {
			verr = verr.With(map[string]any{"field": "corrections." + d})
		}
		return nil, verr
	}
	if next.Class != pen.Class || next.Published != pen.Published || next.RepairEligibleFrom != pen.RepairEligibleFrom ||
		next.PublicationEnds != pen.PublicationEnds {
		return nil, newError(domain.KindInvalid, "correction_changes_periods",
			fmt.Sprintf("更正后失信类别或公示期限将发生变化（%s失信，公示至%s），不能通过异议更正；应删除该信息或登记撤销原决定后重新登记",
				domain.Class(next.Class).Label(), next.PublicationEnds)).With(map[string]any{"field": "corrections",
			"class": next.Class, "publication_ends": next.PublicationEnds})
	}
	var out domain.PenaltyCorrection
	if _, ok := fields["decision_no"]; ok && next.DecisionNo != pen.DecisionNo {
		other, err := s.db.PenaltyByDecisionNo(ctx, pen.DepartmentID, next.DecisionNo)
		switch {
		case err == nil && other.ID != pen.ID:
			return nil, errDuplicateDecision.With(map[string]any{"field": "corrections.decision_no"})
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
		out.DecisionNo = &next.DecisionNo
	}
	if _, ok := fields["enterprise_name"]; ok && next.EnterpriseName != pen.EnterpriseName {
		out.EnterpriseName = &next.EnterpriseName
	}
	if _, ok := fields["penalty_types"]; ok && !slices.Equal([]string(next.PenaltyTypes), []string(pen.PenaltyTypes)) {
		out.PenaltyTypes = []string(next.PenaltyTypes)
	}
	if _, ok := fields["fine_amount_yuan"]; ok && next.FineAmountYuan != pen.FineAmountYuan {
		out.FineAmountYuan = &next.FineAmountYuan
	}
	if _, ok := fields["facts"]; ok && next.Facts != pen.Facts {
		out.Facts = &next.Facts
	}
	if _, ok := fields["legal_basis"]; ok && next.LegalBasis != pen.LegalBasis {
		out.LegalBasis = &next.LegalBasis
	}
	if out.Empty() {
		return nil, invalidField("corrections", "corrections_unchanged", "更正内容与原信息相同，没有需要更正的内容")
	}
	return &out, nil
}

func (s *Server) actorOfObjection(c *fiber.Ctx) workflows.ObjectionActor {
	p := principalOf(c)
	return workflows.ObjectionActor{Actor: p.Login, Role: string(p.Role)}
}

// resolve checks and sends the department's answer.
func (s *Server) resolve(c *fiber.Ctx, o storage.Objection, _ []storage.ObjectionChannel, b resolutionBody) error {
	ctx := c.UserContext()
	outcome := domain.ObjectionOutcome(strings.TrimSpace(b.Outcome))
	switch outcome {
	case domain.OutcomeCorrected, domain.OutcomeWithdrawn, domain.OutcomeUpheld:
	default:
		return invalidField("outcome", "invalid_outcome", "处理结果应为更正、删除并终止公示或维持")
	}
	reason, err := printableText("reason", "核查意见", b.Reason, caseMaxText)
	if err != nil {
		return err
	}
	if reason == "" {
		return invalidField("reason", "reason_required", "请填写核查意见和理由")
	}
	var corr *domain.PenaltyCorrection
	if o.MarksRecord() && outcome == domain.OutcomeCorrected {
		pen, err := s.db.GetPenalty(ctx, o.PenaltyID)
		if err != nil {
			return err
		}
		if corr, err = s.parseCorrections(ctx, principalOf(c), pen, b.Corrections); err != nil {
			return err
		}
		if corr == nil {
			return invalidField("corrections", "corrections_required", "处理结果为更正的，请填写更正后的内容")
		}
	} else if len(b.Corrections) > 0 && string(b.Corrections) != "null" && string(b.Corrections) != "{}" {
		return invalidField("corrections", "corrections_not_allowed", "只有对公示信息的异议处理结果为更正时才能填写更正内容")
	}
	return s.updateObjection(ctx, o.ID, workflows.ObjectionResolveUpdate, workflows.ObjectionResolution{
		Outcome: domain.ObjectionOutcome(outcome), Reason: reason, Corrections: corr, ObjectionActor: s.actorOfObjection(c)})
}

// objectionStepAPI answers a step on the :id case (resolve, extend, confirmChannel, shared with the pages) with
// the case after it.
func objectionStepAPI[B any](step func(*Server, *fiber.Ctx, storage.Objection, []storage.ObjectionChannel, B) error) func(*Server, *fiber.Ctx) error {
	return func(s *Server, c *fiber.Ctx) error {
		o, cs, err := s.visibleObjection(c)
		if err != nil {
			return err
		}
		var b B
		if err := bindJSON(c, &b); err != nil {
			return err
		}
		if err := step(s, c, o, cs, b); err != nil {
			return err
		}
		return s.answerObjection(c, o.ID)
	}
}

func (s *Server) answerObjection(c *fiber.Ctx, id int64) error {
	ctx := c.UserContext()
	o, err := s.db.GetObjection(ctx, id)
	if err != nil {
		return err
	}
	cs, err := s.db.ObjectionChannels(ctx, id)
	return answerJSON(c, o, err, func(ctx context.Context, o storage.Objection) (objectionJSON, error) {
		return s.objectionDetailFor(ctx, principalOf(c), o, cs)
	})
}

// extensionBody is the body of POST /api/v1/objections/{id}/extend.
type extensionBody struct {
	Reason string `json:"reason"`
	// DueOn is the new deadline the department states (optional; at most the rule set's maximum extension).
	DueOn string `json:"due_on"`
}

func (s *Server) extend(c *fiber.Ctx, o storage.Objection, _ []storage.ObjectionChannel, b extensionBody) error {
	reason, err := printableText("reason", "延期理由", b.Reason, caseMaxText)
	if err != nil {
		return err
	}
	if reason == "" {
		return invalidField("reason", "reason_required", "请说明延长核实期限的理由（将告知申请人）")
	}
	var due domain.Date
	if d := strings.TrimSpace(b.DueOn); d != "" {
		if due, err = domain.ParseDate(d); err != nil {
			return invalidField("due_on", "invalid_date", "延长后的核实期限应为YYYY-MM-DD格式的真实日期")
		}
	}
	return s.updateObjection(c.UserContext(), o.ID, workflows.ObjectionExtendUpdate, workflows.ObjectionExtension{
		Reason: reason, DueOn: due, ObjectionActor: s.actorOfObjection(c)})
}

// Channel operators' confirmations.

// objectionConfirmBody is the body of a channel operator's confirmation.
type objectionConfirmBody struct {
	Action    string `json:"action"`
	Reference string `json:"reference"`
}

// confirmChannel checks and sends an operator's confirmation that its channel marked, unmarked or updated the record.
func (s *Server) confirmChannel(c *fiber.Ctx, o storage.Objection, cs []storage.ObjectionChannel, b objectionConfirmBody) error {
	p := principalOf(c)
	chID := c.Params("channel_id")
	if p.Role != domain.RoleChannelOperator {
		return newError(domain.KindForbidden, "forbidden", "只有该渠道的操作员可以确认")
	}
	if p.ChannelID.String != chID {
		return errNotFound
	}
	action := domain.ObjectionAction(strings.TrimSpace(b.Action))
	switch action {
	case "", domain.ObjectionMark, domain.ObjectionUnmark, domain.ObjectionCorrect:
	default:
		return invalidField("action", "invalid_action", "确认事项应为标注异议、撤除标注或更正信息")
	}
	ref := strings.TrimSpace(b.Reference)
	if ref == "" || len([]rune(ref)) > 200 {
		return invalidField("reference", "invalid_reference", "请填写办理凭据（渠道的办理编号或说明，不超过200字）")
	}
	var mine []storage.ObjectionChannel
	for _, oc := range cs {
		if oc.ChannelID == chID && (action == "" || oc.Action == action) {
			mine = append(mine, oc)
		}
	}
	if len(mine) == 0 {
		return errNotFound
	}
	if mine[0].Kind != domain.ChannelManual {
		return newError(domain.KindConflict, "not_manual_channel", "系统对接渠道由渠道系统自动确认，无需人工确认")
	}
	pending := false
	for _, oc := range mine {
		if oc.Status != domain.ChannelConfirmed && oc.Status != "cancelled" {
			pending = true
		}
	}
	if !pending {
		c.Set("X-Already-Confirmed", "true")
		return nil
	}
	return s.updateObjection(c.UserContext(), o.ID, workflows.ObjectionConfirmChannelUpdate, workflows.ObjectionChannelConfirm{
		ChannelID: chID, Action: domain.ObjectionAction(action), Reference: ref, By: p.Login})
}

// The record's versions.

type penaltyVersionsJSON struct {
	PenaltyID int64                    `json:"penalty_id"`
	Version   int                      `json:"version"`
	Marked    bool                     `json:"marked"`
	Versions  []storage.PenaltyVersion `json:"versions"`
}

// getPenaltyVersions answers a record's current version and the earlier ones corrections replaced.
func (s *Server) getPenaltyVersions(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v, err := s.db.PenaltyVersion(ctx, pen.ID)
	if err != nil {
		return err
	}
	vs, err := s.db.PenaltyVersions(ctx, pen.ID)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []storage.PenaltyVersion{}
	}
	return c.JSON(penaltyVersionsJSON{PenaltyID: pen.ID, Version: v, Marked: pen.FlaggedObjection, Versions: vs})
}
