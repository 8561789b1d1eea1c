package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

func init() {
	modules = append(modules, (*Server).mountPenalties)
	homeSources = append(homeSources, (*Server).penaltyHomeSections)
	menus[storage.RoleDepartment] = append(menus[storage.RoleDepartment],
		menuItem{"/penalties", "处罚信息"}, menuItem{"/penalties/new", "登记处罚"}, menuItem{"/penalties/import", "批量导入"})
	menus[storage.RoleCreditOffice] = append(menus[storage.RoleCreditOffice], menuItem{"/penalties", "处罚信息"})
	menus[storage.RoleEnterprise] = append(menus[storage.RoleEnterprise], menuItem{"/penalties", "我的信用记录"})
}

// penaltyViewers are the roles that see penalties at all; which ones each sees is canSeePenalty's business.
var penaltyViewers = []storage.Role{storage.RoleEnterprise, storage.RoleDepartment, storage.RoleCreditOffice, storage.RoleAdmin}

// mountPenalties mounts the penalty and import routes together, so the fixed paths (new, import, imports) are
// matched before /penalties/:id.
func (s *Server) mountPenalties(app *fiber.App, api fiber.Router) {
	dept := s.allow(storage.RoleDepartment)
	viewers := s.allow(penaltyViewers...)
	importViewers := s.allow(storage.RoleDepartment, storage.RoleCreditOffice, storage.RoleAdmin)

	api.Post("/penalties/import", dept, s.importPenalties)
	api.Get("/penalties/imports", importViewers, s.listImports)
	api.Get("/penalties/imports/:id", importViewers, s.getImport)
	api.Post("/penalties", dept, s.registerPenalty)
	api.Get("/penalties", viewers, s.listPenalties)
	api.Get("/penalties/:id", viewers, s.getPenalty)
	api.Post("/penalties/:id/delivery", dept, s.recordDelivery)
	api.Post("/penalties/:id/revocation", dept, s.recordRevocation)

	app.Get("/penalties", viewers, s.penaltiesPage)
	app.Get("/penalties/new", dept, s.penaltyNewPage)
	app.Post("/penalties", dept, s.penaltyNewSubmit)
	app.Get("/penalties/import", dept, s.importPage)
	app.Post("/penalties/import", dept, s.importUpload)
	app.Get("/penalties/imports/:id", importViewers, s.importResultPage)
	app.Get("/penalties/:id", viewers, s.penaltyPage)
	app.Post("/penalties/:id/delivery", dept, s.penaltyDeliverySubmit)
	app.Post("/penalties/:id/revocation", dept, s.penaltyRevocationSubmit)
}

// yuanField accepts an amount as a JSON number (5000.5) or string ("5000.50"), keeping its exact text.
type yuanField string

func (y *yuanField) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*y = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*y = yuanField(s)
		return nil
	}
	*y = yuanField(b)
	return nil
}

// penaltyInput is a penalty as the API, the form and the CSV import receive it.
type penaltyInput struct {
	DecisionNo     string    `json:"decision_no"`
	USCC           string    `json:"uscc"`
	EnterpriseName string    `json:"enterprise_name"`
	DecidedOn      string    `json:"decided_on"`
	PenaltyTypes   []string  `json:"penalty_types"`
	FineAmountYuan yuanField `json:"fine_amount_yuan"`
	Class          string    `json:"class"`
	DurationMonths int       `json:"duration_months"`
	Facts          string    `json:"facts"`
	LegalBasis     string    `json:"legal_basis"`
}

// registrar validates penalties of one department against the rule sets and the calendar in force; it is built
// once per request, so an import of thousands of rows reads them once.
type registrar struct {
	dept  storage.Department
	sets  []domain.RuleSet
	cal   *domain.Calendar
	today domain.Date
	actor string
}

func (s *Server) newRegistrar(ctx context.Context, p *principal) (*registrar, error) {
	dept, err := s.db.GetDepartment(ctx, p.DepartmentID.String)
	if err != nil {
		return nil, err
	}
	sets, err := s.db.ListRuleSets(ctx)
	if err != nil {
		return nil, err
	}
	cal, err := s.db.LoadCalendar(ctx)
	if err != nil {
		return nil, err
	}
	return &registrar{dept: dept, sets: sets, cal: cal, today: domain.Today(), actor: p.Login}, nil
}

const (
	maxDecisionNoLen = 100
	maxNameLen       = 200
	maxTextLen       = 10000
)

// validate checks one penalty and computes its class and periods with the rule set in force on its decision date;
// it returns the record to store, or the first problem as a 422.
func (r *registrar) validate(in penaltyInput) (storage.Penalty, storage.Enterprise, *Error) {
	var zero storage.Penalty
	no := strings.TrimSpace(in.DecisionNo)
	switch {
	case no == "":
		return zero, storage.Enterprise{}, invalidField("decision_no", "missing_decision_no", "请填写行政处罚决定书文号")
	case utf8.RuneCountInString(no) > maxDecisionNoLen:
		return zero, storage.Enterprise{}, invalidField("decision_no", "invalid_decision_no", "行政处罚决定书文号过长")
	}
	uscc, err := domain.NormalizeUSCC(in.USCC)
	if err != nil {
		return zero, storage.Enterprise{}, invalidField("uscc", "invalid_uscc", err.Error())
	}
	name := strings.TrimSpace(in.EnterpriseName)
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
		return zero, storage.Enterprise{}, invalidField("enterprise_name", "invalid_enterprise_name", "请填写企业名称（不超过200字）")
	}
	// Whatever a letter will print must be printable now: a character the font lacks is refused, never printed blank.
	for _, f := range []struct{ field, label, value string }{
		{"decision_no", "决定书文号", no}, {"enterprise_name", "企业名称", name},
		{"facts", "违法事实", in.Facts}, {"legal_basis", "处罚依据", in.LegalBasis},
	} {
		if err := letters.CheckPrintable(f.label, f.value); err != nil {
			var coded codedError
			if errors.As(err, &coded) {
				return zero, storage.Enterprise{}, invalidField(f.field, coded.ErrorCode(), coded.Error())
			}
			return zero, storage.Enterprise{}, newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
		}
	}
	decided, err := domain.ParseDate(strings.TrimSpace(in.DecidedOn))
	if err != nil {
		return zero, storage.Enterprise{}, invalidField("decided_on", "invalid_date", "处罚决定日期 decided_on 应为YYYY-MM-DD格式的真实日期")
	}
	if decided.After(r.today) {
		return zero, storage.Enterprise{}, invalidField("decided_on", "decided_on_in_future",
			fmt.Sprintf("处罚决定日期%s晚于今天（%s）", decided, r.today))
	}
	if len(in.PenaltyTypes) == 0 {
		return zero, storage.Enterprise{}, invalidField("penalty_types", "missing_penalty_types", "请至少选择一种处罚种类")
	}
	var types []domain.PenaltyType
	for _, t := range in.PenaltyTypes {
		pt := domain.PenaltyType(strings.TrimSpace(t))
		if !pt.Valid() {
			return zero, storage.Enterprise{}, invalidField("penalty_types", "unknown_penalty_type",
				fmt.Sprintf("未知的处罚种类“%s”", t)).With(map[string]any{"field": "penalty_types", "value": t})
		}
		types = append(types, pt)
	}
	fen, perr := parseAmount(string(in.FineAmountYuan))
	if perr != nil {
		return zero, storage.Enterprise{}, perr
	}
	class := domain.Class(strings.TrimSpace(in.Class))
	if class != "" && !class.Valid() {
		return zero, storage.Enterprise{}, invalidField("class", "invalid_class", "失信等级 class 应为 minor、general 或 serious")
	}
	if in.DurationMonths < 0 || in.DurationMonths > 1200 {
		return zero, storage.Enterprise{}, invalidField("duration_months", "invalid_duration", "处罚期限 duration_months 应为0到1200之间的月数")
	}
	if utf8.RuneCountInString(in.Facts) > maxTextLen || utf8.RuneCountInString(in.LegalBasis) > maxTextLen {
		return zero, storage.Enterprise{}, invalidField("facts", "text_too_long", "违法事实或处罚依据过长（不超过10000字）")
	}
	rs, err := domain.SelectRuleSet(r.sets, r.dept.Jurisdiction, r.dept.Sector, decided)
	if err != nil {
		var coded codedError
		if errors.As(err, &coded) {
			return zero, storage.Enterprise{}, invalidField("decided_on", coded.ErrorCode(), coded.Error())
		}
		return zero, storage.Enterprise{}, newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
	}
	pub, err := domain.ComputePublication(rs, domain.PenaltyInput{
		Types: types, FineFen: fen, Class: class, DurationMonths: in.DurationMonths, DecidedOn: decided, Sector: r.dept.Sector,
	})
	if err != nil {
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return zero, storage.Enterprise{}, invalidField(ie.Field, ie.Code, ie.Message)
		}
		return zero, storage.Enterprise{}, newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
	}
	publishDue, _ := r.cal.AddWorkdays(decided, rs.Deadlines.Publication)
	deliveryDue, _ := r.cal.AddWorkdays(decided, rs.Deadlines.Delivery)
	typeNames := make([]string, len(types))
	for i, t := range types {
		typeNames[i] = string(t)
	}
	p := storage.Penalty{
		DepartmentID: r.dept.ID, DecisionNo: no, USCC: uscc, EnterpriseName: name, DecidedOn: decided,
		PenaltyTypes: typeNames, FineAmountYuan: fmt.Sprintf("%d.%02d", fen/100, fen%100),
		Class: string(pub.Class), ClassGiven: class != "", DurationMonths: in.DurationMonths,
		Facts: strings.TrimSpace(in.Facts), LegalBasis: strings.TrimSpace(in.LegalBasis), RuleSet: pub.RuleSetID,
		Published: pub.Published, PublishDue: publishDue, DeliveryDue: deliveryDue,
		RepairEligibleFrom: pub.RepairEligibleFrom, PublicationEnds: pub.PublicationEnds, CreatedBy: r.actor,
	}
	return p, storage.Enterprise{USCC: uscc, Name: name}, nil
}

// parseAmount reads fine_amount_yuan: not negative, at most two decimals.
func parseAmount(s string) (int64, *Error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, invalidField("fine_amount_yuan", "invalid_amount", "罚款金额不能为负数")
	}
	fen, err := ParseYuan(s)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return 0, e
		}
		return 0, invalidField("fine_amount_yuan", "invalid_amount", "罚款金额格式不正确")
	}
	return fen, nil
}

var errDuplicateDecision = newError(fiber.StatusConflict, "duplicate_decision_no", "本部门已登记过该行政处罚决定书文号，不能重复登记")

// register stores a valid penalty and starts its lifecycle; a duplicate decision number is a 409 (and makes sure
// the earlier record's lifecycle runs, in case an earlier attempt stopped between storing and starting).
func (s *Server) register(c *fiber.Ctx, in penaltyInput) (storage.Penalty, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	r, err := s.newRegistrar(ctx, p)
	if err != nil {
		return storage.Penalty{}, err
	}
	pen, ent, verr := r.validate(in)
	if verr != nil {
		return storage.Penalty{}, verr
	}
	audit := storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "penalty.register", CaseKind: "penalty"}
	id, err := s.db.RegisterPenalty(ctx, pen, ent, audit, func(id int64) any {
		return map[string]any{"decision_no": pen.DecisionNo, "uscc": pen.USCC, "class": pen.Class, "rule_set": pen.RuleSet,
			"publish_due": pen.PublishDue, "repair_eligible_from": pen.RepairEligibleFrom, "publication_ends": pen.PublicationEnds}
	})
	if errors.Is(err, storage.ErrConflict) {
		if prev, perr := s.db.PenaltyByDecisionNo(ctx, pen.DepartmentID, pen.DecisionNo); perr == nil && !prev.LifecycleStartedAt.Valid {
			if err := s.startLifecycle(ctx, prev.ID); err != nil {
				s.log.Warn("restart of an unstarted penalty lifecycle failed", "penalty", prev.ID, "err", err)
			}
		}
		return storage.Penalty{}, errDuplicateDecision.With(map[string]any{"field": "decision_no", "decision_no": pen.DecisionNo})
	}
	if err != nil {
		return storage.Penalty{}, err
	}
	if err := s.startLifecycle(ctx, id); err != nil {
		return storage.Penalty{}, err
	}
	s.awaitLetters(ctx, id)
	return s.db.GetPenalty(ctx, id)
}

// startLifecycle starts penalty-<id> (a second start is harmless) and records that it runs.
func (s *Server) startLifecycle(ctx context.Context, id int64) error {
	if s.temporal == nil {
		return newError(fiber.StatusServiceUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, workflows.PenaltyStartOptions(id), workflows.PenaltyWorkflow,
		workflows.PenaltyParams{PenaltyID: id})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start penalty lifecycle %d: %w", id, err)
	}
	_, err = s.db.MarkLifecyclesStarted(ctx, []int64{id})
	return err
}

// lettersWait bounds how long registration waits for the two letters; the record is stored and its lifecycle
// runs either way, so a slow worker only means the letters show on the next read.
const lettersWait = 10 * time.Second

// awaitLetters waits until the workflow has issued the repair notice and the delivery receipt.
func (s *Server) awaitLetters(ctx context.Context, id int64) {
	wctx, cancel := context.WithTimeout(ctx, lettersWait)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.PenaltyWorkflowID(id), UpdateName: workflows.PenaltyLettersUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var st workflows.PenaltyState
		err = h.Get(wctx, &st)
	}
	if err != nil {
		s.log.Warn("registration answered before the letters were issued", "penalty", id, "err", err)
	}
}

// updatePenalty sends a validated human step to the penalty's workflow; refusals become 409 or 422.
func (s *Server) updatePenalty(ctx context.Context, id int64, name string, arg any) error {
	var st workflows.PenaltyState
	return s.sendUpdate(ctx, workflows.PenaltyWorkflowID(id), name, arg, &st, "该处罚信息的办理流程已结束或尚未启动")
}

// canSeePenalty: the credit office and admins see every record, a department its own, an enterprise its own.
func canSeePenalty(p *principal, pen storage.Penalty) bool {
	return canSeeCase(p, pen.DepartmentID, pen.USCC)
}

// visiblePenalty loads the :id penalty, or 404 when it does not exist or the caller must not know it does.
func (s *Server) visiblePenalty(c *fiber.Ctx) (storage.Penalty, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return storage.Penalty{}, errNotFound
	}
	pen, err := s.db.GetPenalty(c.UserContext(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Penalty{}, errNotFound
	}
	if err != nil {
		return storage.Penalty{}, err
	}
	if !canSeePenalty(principalOf(c), pen) {
		return storage.Penalty{}, errNotFound
	}
	return pen, nil
}

type deliveryJSON struct {
	Method            string      `json:"method"`
	DeliveredOn       domain.Date `json:"delivered_on"`
	SignedBy          string      `json:"signed_by,omitempty"`
	Witness           string      `json:"witness,omitempty"`
	ElectronicConsent bool        `json:"electronic_consent"`
	RecordedBy        string      `json:"recorded_by,omitempty"`
}

type revocationJSON struct {
	DecidedOn domain.Date `json:"decided_on"`
	Reason    string      `json:"reason"`
}

type publicationJSON struct {
	ChannelID   string       `json:"channel_id"`
	ChannelName string       `json:"channel_name"`
	Status      string       `json:"status"`
	DueOn       *domain.Date `json:"due_on"`
	PublishedAt *time.Time   `json:"published_at"`
	WithdrawnAt *time.Time   `json:"withdrawn_at"`
}

// penaltyJSON is a penalty as the API shows it; lists leave out letters, publications and the withdrawal.
type penaltyJSON struct {
	ID                 int64                     `json:"id"`
	DepartmentID       string                    `json:"department_id"`
	DecisionNo         string                    `json:"decision_no"`
	USCC               string                    `json:"uscc"`
	EnterpriseName     string                    `json:"enterprise_name"`
	DecidedOn          domain.Date               `json:"decided_on"`
	PenaltyTypes       []string                  `json:"penalty_types"`
	FineAmountYuan     json.RawMessage           `json:"fine_amount_yuan"`
	Class              string                    `json:"class"`
	ClassGiven         bool                      `json:"class_given"`
	DurationMonths     int                       `json:"duration_months"`
	Facts              string                    `json:"facts"`
	LegalBasis         string                    `json:"legal_basis"`
	RuleSet            string                    `json:"rule_set"`
	Published          bool                      `json:"published"`
	PublishDue         domain.Date               `json:"publish_due"`
	DeliveryDue        domain.Date               `json:"delivery_due"`
	RepairEligibleFrom domain.Date               `json:"repair_eligible_from"`
	PublicationEnds    domain.Date               `json:"publication_ends"`
	Status             string                    `json:"status"`
	Delivery           *deliveryJSON             `json:"delivery"`
	Revocation         *revocationJSON           `json:"revocation"`
	ImportID           *int64                    `json:"import_id,omitempty"`
	CreatedAt          time.Time                 `json:"created_at"`
	Letters            *[]letterJSON             `json:"letters,omitempty"`
	Publications       *[]publicationJSON        `json:"publications,omitempty"`
	Withdrawal         **storage.WithdrawalOrder `json:"withdrawal,omitempty"`
}

func toPenaltyJSON(p storage.Penalty) penaltyJSON {
	pj := penaltyJSON{
		ID: p.ID, DepartmentID: p.DepartmentID, DecisionNo: p.DecisionNo, USCC: p.USCC, EnterpriseName: p.EnterpriseName,
		DecidedOn: p.DecidedOn, PenaltyTypes: p.PenaltyTypes, FineAmountYuan: json.RawMessage(p.FineAmountYuan),
		Class: p.Class, ClassGiven: p.ClassGiven, DurationMonths: p.DurationMonths, Facts: p.Facts, LegalBasis: p.LegalBasis,
		RuleSet: p.RuleSet, Published: p.Published, PublishDue: p.PublishDue, DeliveryDue: p.DeliveryDue,
		RepairEligibleFrom: p.RepairEligibleFrom, PublicationEnds: p.PublicationEnds, Status: p.Status, CreatedAt: p.CreatedAt,
	}
	if pj.PenaltyTypes == nil {
		pj.PenaltyTypes = []string{}
	}
	if p.FineAmountYuan == "" {
		pj.FineAmountYuan = json.RawMessage("0")
	}
	if p.DeliveredOn != nil {
		pj.Delivery = &deliveryJSON{Method: p.DeliveryMethod.String, DeliveredOn: *p.DeliveredOn, SignedBy: p.DeliverySignedBy.String,
			Witness: p.DeliveryWitness.String, ElectronicConsent: p.DeliveryConsent, RecordedBy: p.DeliveryRecordedBy.String}
	}
	if p.RevokedOn != nil {
		pj.Revocation = &revocationJSON{DecidedOn: *p.RevokedOn, Reason: p.RevocationReason.String}
	}
	if p.ImportID.Valid {
		pj.ImportID = &p.ImportID.Int64
	}
	return pj
}

// penaltyDetail is a penalty with its letters, publications and current withdrawal order.
func (s *Server) penaltyDetail(ctx context.Context, p storage.Penalty) (penaltyJSON, error) {
	pj := toPenaltyJSON(p)
	ls, err := s.db.LettersOf(ctx, "penalty", strconv.FormatInt(p.ID, 10))
	if err != nil {
		return pj, err
	}
	lj := s.lettersJSON(ls)
	pj.Letters = &lj
	pubs, err := s.db.PublicationsOf(ctx, p.ID)
	if err != nil {
		return pj, err
	}
	pl := make([]publicationJSON, 0, len(pubs))
	for _, pb := range pubs {
		x := publicationJSON{ChannelID: pb.ChannelID, ChannelName: pb.ChannelName, Status: pb.Status, DueOn: pb.DueOn}
		if pb.PublishedAt.Valid {
			x.PublishedAt = &pb.PublishedAt.Time
		}
		if pb.WithdrawnAt.Valid {
			x.WithdrawnAt = &pb.WithdrawnAt.Time
		}
		pl = append(pl, x)
	}
	pj.Publications = &pl
	wd, err := s.db.CurrentWithdrawal(ctx, p.ID)
	if err != nil {
		return pj, err
	}
	pj.Withdrawal = &wd
	return pj, nil
}

func (s *Server) registerPenalty(c *fiber.Ctx) error {
	var in penaltyInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	pen, err := s.register(c, in)
	if err != nil {
		return err
	}
	pj, err := s.penaltyDetail(c.UserContext(), pen)
	if err != nil {
		return err
	}
	c.Location("/api/v1/penalties/" + strconv.FormatInt(pen.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(pj)
}

func (s *Server) getPenalty(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	pj, err := s.penaltyDetail(c.UserContext(), pen)
	if err != nil {
		return err
	}
	return c.JSON(pj)
}

// penaltyFilter reads the list filters and scopes them to what the caller may see: an enterprise only its own
// records, a department only its own; asking for someone else's gives an empty list, not an error that would
// confirm they exist.
func penaltyFilter(c *fiber.Ctx, p *principal) (storage.PenaltyFilter, bool, error) {
	f := storage.PenaltyFilter{
		USCC: strings.ToUpper(strings.TrimSpace(c.Query("uscc"))), Status: strings.TrimSpace(c.Query("status")),
		DepartmentID: strings.TrimSpace(c.Query("department")), Overdue: strings.TrimSpace(c.Query("overdue")),
		Today: domain.Today(),
	}
	if f.Status != "" && storage.PenaltyStatusRank(f.Status) < 0 {
		return f, false, invalidField("status", "invalid_status", "status 取值无效，应为 "+strings.Join(storage.PenaltyStatuses, "、")+" 之一")
	}
	if f.Overdue != "" && f.Overdue != "delivery" && f.Overdue != "publication" {
		return f, false, invalidField("overdue", "invalid_overdue", "overdue 应为 delivery（逾期未送达）或 publication（逾期未公示）")
	}
	return f, scopeToPrincipal(p, &f.USCC, &f.DepartmentID), nil
}

func (s *Server) listPenalties(c *fiber.Ctx) error {
	limit, cursor, err := listParams(c)
	if err != nil {
		return err
	}
	f, visible, err := penaltyFilter(c, principalOf(c))
	if err != nil {
		return err
	}
	out := page[penaltyJSON]{Items: []penaltyJSON{}}
	if !visible {
		return c.JSON(out)
	}
	if cursor != "" {
		raw, err := decodeCursor(cursor)
		if err != nil {
			return err
		}
		if f.AfterID, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return invalidField("cursor", "invalid_cursor", "分页游标无效")
		}
	}
	f.Limit = limit + 1
	ps, err := s.db.ListPenalties(c.UserContext(), f)
	if err != nil {
		return err
	}
	for i, p := range ps {
		if i == limit {
			out.NextCursor = encodeCursor(strconv.FormatInt(ps[i-1].ID, 10))
			break
		}
		out.Items = append(out.Items, toPenaltyJSON(p))
	}
	return c.JSON(out)
}

type deliveryBody struct {
	Method            string `json:"method"`
	DeliveredOn       string `json:"delivered_on"`
	SignedBy          string `json:"signed_by"`
	Witness           string `json:"witness"`
	ElectronicConsent bool   `json:"electronic_consent"`
}

func (b deliveryBody) request(p *principal) (workflows.DeliveryRequest, error) {
	on, err := domain.ParseDate(strings.TrimSpace(b.DeliveredOn))
	if err != nil {
		return workflows.DeliveryRequest{}, invalidField("delivered_on", "invalid_date", "送达日期 delivered_on 应为YYYY-MM-DD格式的真实日期")
	}
	if utf8.RuneCountInString(b.SignedBy) > maxNameLen || utf8.RuneCountInString(b.Witness) > maxNameLen {
		return workflows.DeliveryRequest{}, invalidField("signed_by", "text_too_long", "签收人或见证人姓名过长")
	}
	return workflows.DeliveryRequest{Method: strings.TrimSpace(b.Method), DeliveredOn: on, SignedBy: b.SignedBy,
		Witness: b.Witness, ElectronicConsent: b.ElectronicConsent, Actor: p.Login, Role: string(p.Role)}, nil
}

func (s *Server) recordDelivery(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	var b deliveryBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	req, err := b.request(principalOf(c))
	if err != nil {
		return err
	}
	if err := s.updatePenalty(c.UserContext(), pen.ID, workflows.PenaltyDeliveryUpdate, req); err != nil {
		return err
	}
	return s.answerPenalty(c, pen.ID)
}

type revocationBody struct {
	Reason    string `json:"reason"`
	DecidedOn string `json:"decided_on"`
}

func (b revocationBody) request(p *principal) (workflows.RevocationRequest, error) {
	req := workflows.RevocationRequest{Reason: strings.TrimSpace(b.Reason), Actor: p.Login, Role: string(p.Role)}
	if utf8.RuneCountInString(req.Reason) > maxTextLen {
		return req, invalidField("reason", "text_too_long", "撤销原因过长")
	}
	if d := strings.TrimSpace(b.DecidedOn); d != "" {
		on, err := domain.ParseDate(d)
		if err != nil {
			return req, invalidField("decided_on", "invalid_date", "撤销日期 decided_on 应为YYYY-MM-DD格式的真实日期")
		}
		req.DecidedOn = on
	}
	return req, nil
}

func (s *Server) recordRevocation(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	var b revocationBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	req, err := b.request(principalOf(c))
	if err != nil {
		return err
	}
	if err := s.updatePenalty(c.UserContext(), pen.ID, workflows.PenaltyRevocationUpdate, req); err != nil {
		return err
	}
	return s.answerPenalty(c, pen.ID)
}

func (s *Server) answerPenalty(c *fiber.Ctx, id int64) error {
	pen, err := s.db.GetPenalty(c.UserContext(), id)
	if err != nil {
		return err
	}
	pj, err := s.penaltyDetail(c.UserContext(), pen)
	if err != nil {
		return err
	}
	return c.JSON(pj)
}

// Pages.

// penaltyRow is a penalty as the pages list it.
type penaltyRow struct {
	storage.Penalty
	DepartmentName string
	ClassLabel     string
	StatusLabel    string
	TypesLabel     string
	DeliveryLate   bool
	Countdown      string
}

func classLabel(c string) string { return domain.Class(c).Label() }

func typesLabel(ts []string) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = domain.PenaltyType(t).Label()
	}
	return strings.Join(out, "、")
}

// countdown says, for an enterprise, how long until it may apply and until the record comes down.
func countdown(p storage.Penalty, today domain.Date) string {
	switch p.Status {
	case storage.PenaltyWithdrawn, storage.PenaltyRevoked:
		return "已撤下"
	case storage.PenaltyWithdrawing:
		return "撤下中"
	}
	if !p.Published {
		return "不公示"
	}
	end := fmt.Sprintf("距公示期满还有%d天", today.DaysUntil(p.PublicationEnds))
	if d := today.DaysUntil(p.RepairEligibleFrom); d > 0 && p.RepairEligibleFrom.Before(p.PublicationEnds) {
		return fmt.Sprintf("还有%d天可申请修复；%s", d, end)
	}
	if p.RepairEligibleFrom.Before(p.PublicationEnds) {
		return "现可申请信用修复；" + end
	}
	return end
}

func (s *Server) penaltyRows(ctx context.Context, ps []storage.Penalty) ([]penaltyRow, error) {
	depts, err := s.db.ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range depts {
		names[d.ID] = d.Name
	}
	today := domain.Today()
	rows := make([]penaltyRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, penaltyRow{Penalty: p, DepartmentName: names[p.DepartmentID], ClassLabel: classLabel(p.Class),
			StatusLabel: storage.PenaltyStatusLabel(p.Status), TypesLabel: typesLabel(p.PenaltyTypes),
			DeliveryLate: p.DeliveredOn == nil && p.DeliveryDue.Before(today) && p.Status != storage.PenaltyWithdrawn && p.Status != storage.PenaltyRevoked,
			Countdown:    countdown(p, today)})
	}
	return rows, nil
}

func (s *Server) penaltiesPage(c *fiber.Ctx) error {
	p := principalOf(c)
	f, visible, err := penaltyFilter(c, p)
	if err != nil {
		return err
	}
	if before := c.Query("before"); before != "" {
		f.BeforeID, _ = strconv.ParseInt(before, 10, 64)
	}
	f.Newest, f.Limit = true, 100
	var ps []storage.Penalty
	if visible {
		if ps, err = s.db.ListPenalties(c.UserContext(), f); err != nil {
			return err
		}
	}
	rows, err := s.penaltyRows(c.UserContext(), ps)
	if err != nil {
		return err
	}
	depts, err := s.db.ListDepartments(c.UserContext())
	if err != nil {
		return err
	}
	next := ""
	if len(ps) == f.Limit {
		next = strconv.FormatInt(ps[len(ps)-1].ID, 10)
	}
	title := "处罚信息"
	if p.Role == storage.RoleEnterprise {
		title = "我的信用记录"
	}
	return s.page(c, "penalties", pageData{Title: title, Data: map[string]any{
		"Title": title, "Rows": rows, "Filter": f, "Statuses": statusOptions(), "Departments": depts, "Next": next,
		"IsOffice": p.Role == storage.RoleCreditOffice || p.Role == storage.RoleAdmin, "IsDept": p.Role == storage.RoleDepartment,
		"IsEnterprise": p.Role == storage.RoleEnterprise,
	}})
}

type option struct{ Value, Label string }

func statusOptions() []option {
	out := make([]option, 0, len(storage.PenaltyStatuses))
	for _, st := range storage.PenaltyStatuses {
		out = append(out, option{st, storage.PenaltyStatusLabel(st)})
	}
	return out
}

func penaltyTypeOptions() []option {
	out := make([]option, 0, len(domain.PenaltyTypes))
	for _, t := range domain.PenaltyTypes {
		out = append(out, option{string(t), t.Label()})
	}
	return out
}

func (s *Server) penaltyNewPage(c *fiber.Ctx) error {
	return s.renderPenaltyForm(c, penaltyInput{DecidedOn: domain.Today().String()}, nil)
}

func (s *Server) renderPenaltyForm(c *fiber.Ctx, in penaltyInput, problem *Error) error {
	d := map[string]any{"In": in, "Types": penaltyTypeOptions(), "Selected": map[string]bool{}}
	for _, t := range in.PenaltyTypes {
		d["Selected"].(map[string]bool)[t] = true
	}
	if problem != nil {
		d["Problem"] = problem.Message
		c.Status(problem.Status)
	}
	return s.page(c, "penalty_new", pageData{Title: "登记行政处罚", Data: d})
}

func (s *Server) penaltyNewSubmit(c *fiber.Ctx) error {
	in := penaltyInput{
		DecisionNo: c.FormValue("decision_no"), USCC: c.FormValue("uscc"), EnterpriseName: c.FormValue("enterprise_name"),
		DecidedOn: c.FormValue("decided_on"), FineAmountYuan: yuanField(c.FormValue("fine_amount_yuan")),
		Class: c.FormValue("class"), Facts: c.FormValue("facts"), LegalBasis: c.FormValue("legal_basis"),
	}
	if form, err := c.MultipartForm(); err == nil {
		in.PenaltyTypes = form.Value["penalty_types"]
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if string(k) == "penalty_types" {
				in.PenaltyTypes = append(in.PenaltyTypes, string(v))
			}
		})
	}
	if m := strings.TrimSpace(c.FormValue("duration_months")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			return s.renderPenaltyForm(c, in, invalidField("duration_months", "invalid_duration", "处罚期限应为整数月数"))
		}
		in.DurationMonths = n
	}
	pen, err := s.register(c, in)
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderPenaltyForm(c, in, e)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/penalties/"+strconv.FormatInt(pen.ID, 10), fiber.StatusSeeOther)
}

// timelineRow is one audit entry on the case page.
type timelineRow struct {
	At     string
	Actor  string
	Action string
	Detail string
}

var penaltyActionLabels = map[string]string{
	"penalty.register":                    "登记行政处罚信息",
	"penalty.notice_issued":               "出具信用修复告知书和送达回证（两书同送）",
	"penalty.delivery":                    "登记送达",
	"penalty.delivery_overdue":            "逾期未登记送达，已提请信用办督办",
	"penalty.published":                   "已在各公示渠道公示",
	"penalty.publication_failed":          "公示未完成",
	"penalty.eligible":                    "已告知企业可以申请信用修复",
	"penalty.withdrawing":                 "启动撤下公示（一件通用）",
	"penalty.withdrawn":                   "已在全部公示渠道撤下",
	"penalty.ended":                       "记录期限届满（未公示）",
	"penalty.revocation":                  "登记处罚决定被撤销或变更",
	"penalty.withdraw_request_superseded": "收到其他撤下申请（记录已在撤下中）",
}

func timelineDetail(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range []string{"method", "delivered_on", "signed_by", "witness", "cause", "reason", "decided_on", "publish_due", "repair_eligible_from", "delivery_due"} {
		if v, ok := m[k]; ok && v != nil && v != "" {
			val := fmt.Sprint(v)
			switch k {
			case "method":
				val = deliveryMethodLabel(val)
			case "cause":
				val = workflows.CauseLabel(val)
			}
			parts = append(parts, fieldLabel(k)+"："+val)
		}
	}
	return strings.Join(parts, "；")
}

func fieldLabel(k string) string {
	switch k {
	case "method":
		return "送达方式"
	case "delivered_on":
		return "送达日期"
	case "signed_by":
		return "签收人"
	case "witness":
		return "见证人"
	case "cause":
		return "原因"
	case "reason":
		return "说明"
	case "decided_on":
		return "日期"
	case "publish_due":
		return "公示期限"
	case "repair_eligible_from":
		return "可申请修复日期"
	case "delivery_due":
		return "送达期限"
	}
	return k
}

func deliveryMethodLabel(m string) string {
	switch m {
	case workflows.DeliveryInPerson:
		return "直接送达"
	case workflows.DeliveryPost:
		return "邮寄送达"
	case workflows.DeliveryElectronic:
		return "电子送达"
	case workflows.DeliveryRefused:
		return "留置送达（拒收）"
	}
	return m
}

func publicationStatusLabel(st string) string {
	switch st {
	case "pending":
		return "待公示"
	case "sent":
		return "已推送"
	case "published":
		return "已公示"
	case "overdue":
		return "逾期未公示"
	case "failed":
		return "推送失败"
	case "withdrawn":
		return "已撤下"
	}
	return st
}

func (s *Server) penaltyPage(c *fiber.Ctx) error {
	return s.renderPenaltyPage(c, "", nil)
}

func (s *Server) renderPenaltyPage(c *fiber.Ctx, flash string, problem *Error) error {
	ctx := c.UserContext()
	p := principalOf(c)
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	detail, err := s.penaltyDetail(ctx, pen)
	if err != nil {
		return err
	}
	rows, err := s.penaltyRows(ctx, []storage.Penalty{pen})
	if err != nil {
		return err
	}
	entries, err := s.db.AuditOf(ctx, "penalty", strconv.FormatInt(pen.ID, 10))
	if err != nil {
		return err
	}
	var timeline []timelineRow
	for _, e := range entries {
		label := penaltyActionLabels[e.Action]
		if label == "" {
			label = e.Action
		}
		actor := e.Actor
		if actor == "system" {
			actor = "系统"
		}
		timeline = append(timeline, timelineRow{At: e.At.In(shanghai).Format("2006-01-02 15:04"), Actor: actor, Action: label, Detail: timelineDetail(e.Details)})
	}
	type pubRow struct{ Name, Status, Published, Withdrawn string }
	var pubs []pubRow
	for _, pb := range *detail.Publications {
		r := pubRow{Name: pb.ChannelName, Status: publicationStatusLabel(pb.Status)}
		if pb.PublishedAt != nil {
			r.Published = pb.PublishedAt.In(shanghai).Format("2006-01-02 15:04")
		}
		if pb.WithdrawnAt != nil {
			r.Withdrawn = pb.WithdrawnAt.In(shanghai).Format("2006-01-02 15:04")
		}
		pubs = append(pubs, r)
	}
	open := pen.Status != storage.PenaltyWithdrawn && pen.Status != storage.PenaltyRevoked
	d := map[string]any{
		"P": rows[0], "Letters": *detail.Letters, "Timeline": timeline, "Publications": pubs,
		"CanDeliver":  p.Role == storage.RoleDepartment && pen.DeliveredOn == nil && open && pen.RevokedOn == nil,
		"CanRevoke":   p.Role == storage.RoleDepartment && open && pen.RevokedOn == nil,
		"Today":       domain.Today().String(),
		"MethodLabel": deliveryMethodLabel(pen.DeliveryMethod.String),
		"Flagged":     pen.FlaggedObjection,
		// The enterprise objects to its own record; a department may file on its behalf.
		"CanObject": open && (p.Role == storage.RoleEnterprise || p.Role == storage.RoleDepartment),
	}
	if wd := *detail.Withdrawal; wd != nil {
		d["Withdrawal"] = wd
		d["WithdrawalCause"] = workflows.CauseLabel(wd.Cause)
	}
	if problem != nil {
		d["Problem"] = problem.Message
		c.Status(problem.Status)
	}
	return s.page(c, "penalty", pageData{Title: "行政处罚 " + pen.DecisionNo, Flash: flash, Data: d})
}

func (s *Server) penaltyDeliverySubmit(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	b := deliveryBody{Method: c.FormValue("method"), DeliveredOn: c.FormValue("delivered_on"), SignedBy: c.FormValue("signed_by"),
		Witness: c.FormValue("witness"), ElectronicConsent: c.FormValue("electronic_consent") != ""}
	req, err := b.request(principalOf(c))
	if err == nil {
		err = s.updatePenalty(c.UserContext(), pen.ID, workflows.PenaltyDeliveryUpdate, req)
	}
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderPenaltyPage(c, "", e)
	}
	if err != nil {
		return err
	}
	return s.renderPenaltyPage(c, "已登记送达。", nil)
}

func (s *Server) penaltyRevocationSubmit(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return err
	}
	b := revocationBody{Reason: c.FormValue("reason"), DecidedOn: c.FormValue("decided_on")}
	req, err := b.request(principalOf(c))
	if err == nil {
		err = s.updatePenalty(c.UserContext(), pen.ID, workflows.PenaltyRevocationUpdate, req)
	}
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return s.renderPenaltyPage(c, "", e)
	}
	if err != nil {
		return err
	}
	return s.renderPenaltyPage(c, "已登记处罚决定撤销，正在各公示渠道撤下该信息。", nil)
}

// penaltyHomeSections: an enterprise sees its records and their notifications; the credit office the overdue
// deliveries and publications.
func (s *Server) penaltyHomeSections(c *fiber.Ctx, p *principal) ([]homeSection, error) {
	ctx := c.UserContext()
	switch p.Role {
	case storage.RoleEnterprise:
		ps, err := s.db.ListPenalties(ctx, storage.PenaltyFilter{USCC: p.USCC.String, Newest: true, Limit: 50})
		if err != nil {
			return nil, err
		}
		rows, err := s.penaltyRows(ctx, ps)
		if err != nil {
			return nil, err
		}
		rec := homeSection{Title: "我的信用记录", Headers: []string{"决定书文号", "认定部门", "类别", "公示渠道", "可申请修复", "公示截止", "状态"},
			Empty: "暂无行政处罚信用记录。", Linked: true}
		for _, r := range rows {
			channels, err := s.channelSummary(ctx, r.Penalty)
			if err != nil {
				return nil, err
			}
			eligible := r.RepairEligibleFrom.String()
			if !r.Published {
				eligible = "—"
			}
			rec.Rows = append(rec.Rows, homeRow{Cells: []string{r.DecisionNo, r.DepartmentName, r.ClassLabel + "失信",
				channels, eligible, r.PublicationEnds.String(), r.StatusLabel + "（" + r.Countdown + "）"},
				Href: "/penalties/" + strconv.FormatInt(r.ID, 10)})
		}
		ns, err := s.db.NotificationsFor(ctx, p.USCC.String, "", 20)
		if err != nil {
			return nil, err
		}
		note := homeSection{Title: "信用记录通知", Headers: []string{"时间", "通知", "内容"}, Empty: "暂无通知。", Linked: true}
		for _, n := range ns {
			if n.CaseKind != "penalty" {
				continue
			}
			note.Rows = append(note.Rows, homeRow{Cells: []string{n.CreatedAt.In(shanghai).Format("2006-01-02 15:04"), n.Title, n.Body},
				Href: caseHref(n.CaseKind, n.CaseID)})
		}
		return []homeSection{rec, note}, nil
	case storage.RoleCreditOffice:
		var secs []homeSection
		for _, o := range []struct{ kind, title, empty string }{
			{"delivery", "逾期未送达的处罚决定", "没有逾期未送达的处罚决定。"},
			{"publication", "逾期未公示的处罚信息", "没有逾期未公示的处罚信息。"},
		} {
			ps, err := s.db.ListPenalties(ctx, storage.PenaltyFilter{Overdue: o.kind, Today: domain.Today(), Limit: 20})
			if err != nil {
				return nil, err
			}
			rows, err := s.penaltyRows(ctx, ps)
			if err != nil {
				return nil, err
			}
			sec := homeSection{Title: o.title, Headers: []string{"决定书文号", "认定部门", "企业", "期限", "状态"}, Empty: o.empty, Linked: true}
			for _, r := range rows {
				due := r.DeliveryDue
				if o.kind == "publication" {
					due = r.PublishDue
				}
				sec.Rows = append(sec.Rows, homeRow{Cells: []string{r.DecisionNo, r.DepartmentName, r.EnterpriseName, due.String(), r.StatusLabel},
					Href: "/penalties/" + strconv.FormatInt(r.ID, 10), Alert: true})
			}
			secs = append(secs, sec)
		}
		return secs, nil
	}
	return nil, nil
}

// channelSummary says where a record stands on its channels, in one line.
func (s *Server) channelSummary(ctx context.Context, p storage.Penalty) (string, error) {
	if !p.Published {
		return "不公示", nil
	}
	pubs, err := s.db.PublicationsOf(ctx, p.ID)
	if err != nil {
		return "", err
	}
	if len(pubs) == 0 {
		return "待公示", nil
	}
	var b bytes.Buffer
	for i, pb := range pubs {
		if i > 0 {
			b.WriteString("；")
		}
		b.WriteString(pb.ChannelName + "：" + publicationStatusLabel(pb.Status))
	}
	return b.String(), nil
}
