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
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// penaltyViewers are the roles that see penalties at all; which ones each sees is canSeePenalty's business.
var penaltyViewers = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAdmin}

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
	lawInput
	// National are the national 双公示 items the platform keeps and exports but does not decide by.
	National penaltyNationalInput `json:"national"`
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
	dept, sets, err := s.departmentRules(ctx, p.DepartmentID.String)
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
		if e := printable(f.field, f.label, f.value); e != nil {
			return zero, storage.Enterprise{}, e
		}
	}
	decided, err := domain.ParseDate(strings.TrimSpace(in.DecidedOn))
	if err != nil {
		return zero, storage.Enterprise{}, invalidField("decided_on", "invalid_date", "处罚决定日期应为YYYY-MM-DD格式的真实日期")
	}
	if decided.After(r.today) {
		return zero, storage.Enterprise{}, invalidField("decided_on", "decided_on_in_future",
			fmt.Sprintf("处罚决定日期%s晚于今天（%s）", decided, r.today))
	}
	if len(in.PenaltyTypes) == 0 {
		return zero, storage.Enterprise{}, invalidField("penalty_types", "missing_penalty_types", "请至少选择一种处罚种类")
	}
	// A type named twice is one type; more entries than there are types can only be an abuse of the list.
	if len(in.PenaltyTypes) > 4*len(domain.PenaltyTypes) {
		return zero, storage.Enterprise{}, invalidField("penalty_types", "too_many_penalty_types",
			fmt.Sprintf("处罚种类最多%d种，请勿重复填写", len(domain.PenaltyTypes)))
	}
	var types []domain.PenaltyType
	for _, t := range in.PenaltyTypes {
		pt := domain.PenaltyType(strings.TrimSpace(t))
		if !pt.Valid() {
			return zero, storage.Enterprise{}, invalidField("penalty_types", "unknown_penalty_type",
				fmt.Sprintf("未知的处罚种类“%s”", t)).With(map[string]any{"field": "penalty_types", "value": t})
		}
		if !slices.Contains(types, pt) {
			types = append(types, pt)
		}
	}
	fen, perr := parseAmount(string(in.FineAmountYuan))
	if perr != nil {
		return zero, storage.Enterprise{}, perr
	}
	class := domain.Class(strings.TrimSpace(in.Class))
	if class != "" && !class.Valid() {
		return zero, storage.Enterprise{}, invalidField("class", "invalid_class", "失信类别应为轻微、一般或严重")
	}
	if in.DurationMonths < 0 || in.DurationMonths > 1200 {
		return zero, storage.Enterprise{}, invalidField("duration_months", "invalid_duration", "处罚期限应为0到1200之间的月数")
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
		return zero, storage.Enterprise{}, newError(domain.KindInternal, "internal", "服务器内部错误，请稍后重试")
	}
	law, lerr := in.lawInput.parse()
	if lerr != nil {
		return zero, storage.Enterprise{}, lerr
	}
	nat, nerr := in.National.parse()
	if nerr != nil {
		return zero, storage.Enterprise{}, nerr
	}
	pin := domain.PenaltyInput{
		Types: types, FineFen: fen, Class: class, DurationMonths: in.DurationMonths, DecidedOn: decided, Sector: r.dept.Sector,
	}
	law.apply(&pin)
	pub, err := domain.ComputePublication(rs, pin)
	if err != nil {
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return zero, storage.Enterprise{}, invalidField(ie.Field, ie.Code, ie.Message)
		}
		return zero, storage.Enterprise{}, newError(domain.KindInternal, "internal", "服务器内部错误，请稍后重试")
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
		PenaltyLaw: law.stored(), National: nat,
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

var errDuplicateDecision = newError(domain.KindConflict, "duplicate_decision_no", "本部门已登记过该行政处罚决定书文号，不能重复登记")

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
	// One call starts the lifecycle and waits for its letters (update-with-start): the update rides on the
	// workflow's first task instead of costing a task of its own.
	started, err := s.cases.startReady(ctx, penaltyCreation, id, workflows.NewPenaltyParams(id), &workflows.PenaltyState{})
	if err != nil {
		return storage.Penalty{}, err
	}
	if started {
		if _, err := s.db.MarkLifecyclesStarted(ctx, []int64{id}); err != nil {
			return storage.Penalty{}, err
		}
	}
	return s.db.GetPenalty(ctx, id)
}

// startLifecycle starts penalty-<id> (a second start is harmless) and records that it runs.
func (s *Server) startLifecycle(ctx context.Context, id int64) error {
	if err := s.cases.start(ctx, penaltyCases, id, workflows.NewPenaltyParams(id)); err != nil {
		return err
	}
	_, err := s.db.MarkLifecyclesStarted(ctx, []int64{id})
	return err
}

// penaltyFor loads the id record when allowed says the caller may act on it, and answers 404 otherwise.
func (s *Server) penaltyFor(ctx context.Context, id int64, allowed func(storage.Penalty) bool) (storage.Penalty, error) {
	if id <= 0 {
		return storage.Penalty{}, errNotFound
	}
	pen, err := s.db.GetPenalty(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !allowed(pen)) {
		return storage.Penalty{}, errNotFound
	}
	return pen, err
}

// updatePenalty sends a validated human step to the penalty's workflow.
func (s *Server) updatePenalty(ctx context.Context, id int64, name string, arg any) error {
	return s.cases.update(ctx, penaltyCases, id, name, arg, &workflows.PenaltyState{})
}

// canSeePenalty: the credit office and admins see every record, a department its own, an enterprise its own.
func canSeePenalty(p *principal, pen storage.Penalty) bool {
	return canSeeCase(p, pen.DepartmentID, pen.USCC)
}

// visiblePenalty loads the :id penalty, or 404 when it does not exist or the caller must not know it does.
func (s *Server) visiblePenalty(c *fiber.Ctx) (storage.Penalty, error) {
	return loadVisible(c, s.db.GetPenalty, func(p storage.Penalty) (bool, error) { return canSeePenalty(principalOf(c), p), nil })
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
	ID                 int64           `json:"id"`
	DepartmentID       string          `json:"department_id"`
	DecisionNo         string          `json:"decision_no"`
	USCC               string          `json:"uscc"`
	EnterpriseName     string          `json:"enterprise_name"`
	DecidedOn          domain.Date     `json:"decided_on"`
	PenaltyTypes       []string        `json:"penalty_types"`
	FineAmountYuan     json.RawMessage `json:"fine_amount_yuan"`
	Class              string          `json:"class"`
	ClassGiven         bool            `json:"class_given"`
	DurationMonths     int             `json:"duration_months"`
	Facts              string          `json:"facts"`
	LegalBasis         string          `json:"legal_basis"`
	RuleSet            string          `json:"rule_set"`
	Published          bool            `json:"published"`
	PublishDue         domain.Date     `json:"publish_due"`
	DeliveryDue        domain.Date     `json:"delivery_due"`
	RepairEligibleFrom domain.Date     `json:"repair_eligible_from"`
	PublicationEnds    domain.Date     `json:"publication_ends"`
	// Provisional marks delivery_due and publish_due (as delivery, publish) when they are 暂定 (detail only).
	Provisional  map[string]bool           `json:"provisional,omitempty"`
	Status       string                    `json:"status"`
	Delivery     *deliveryJSON             `json:"delivery"`
	Revocation   *revocationJSON           `json:"revocation"`
	ImportID     *int64                    `json:"import_id,omitempty"`
	CreatedAt    time.Time                 `json:"created_at"`
	Letters      *[]letterJSON             `json:"letters,omitempty"`
	Publications *[]publicationJSON        `json:"publications,omitempty"`
	Withdrawal   **storage.WithdrawalOrder `json:"withdrawal,omitempty"`
	penaltyLawJSON
	// RecordKind is penalty, or the kind of a record of another procedure (fraud_record, abnormal_list,
	// serious_list); RestsOn the record it rests on.
	RecordKind string `json:"record_kind"`
	RestsOn    *int64 `json:"rests_on,omitempty"`
	// National are the national 双公示 items given at registration or import (absent when none was).
	National *storage.PenaltyNational `json:"national,omitempty"`
}

func toPenaltyJSON(p storage.Penalty) penaltyJSON {
	pj := penaltyJSON{
		ID: p.ID, DepartmentID: p.DepartmentID, DecisionNo: p.DecisionNo, USCC: p.USCC, EnterpriseName: p.EnterpriseName,
		DecidedOn: p.DecidedOn, PenaltyTypes: p.PenaltyTypes, FineAmountYuan: json.RawMessage(p.FineAmountYuan),
		Class: p.Class, ClassGiven: p.ClassGiven, DurationMonths: p.DurationMonths, Facts: p.Facts, LegalBasis: p.LegalBasis,
		RuleSet: p.RuleSet, Published: p.Published, PublishDue: p.PublishDue, DeliveryDue: p.DeliveryDue,
		RepairEligibleFrom: p.RepairEligibleFrom, PublicationEnds: p.PublicationEnds, Status: string(p.Status), CreatedAt: p.CreatedAt,
		penaltyLawJSON: toPenaltyLawJSON(p.PenaltyLaw),
		RecordKind:     p.RecordKind,
	}
	if !p.National.IsZero() {
		n := p.National
		pj.National = &n
	}
	if p.RestsOn.Valid {
		pj.RestsOn = &p.RestsOn.Int64
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
	var err error
	if pj.Letters, err = s.caseLetters(ctx, "penalty", p.ID); err != nil {
		return pj, err
	}
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
	prov, err := s.db.ProvisionalDeadlines(ctx, "penalty", strconv.FormatInt(p.ID, 10))
	if err != nil {
		return pj, err
	}
	pj.Provisional = provisionalDeadlines(slices.Sorted(maps.Keys(prov)))
	return pj, nil
}

func (s *Server) registerPenalty(c *fiber.Ctx) error {
	return createJSON(c, s.register, s.penaltyDetail, func(p storage.Penalty) string { return "/api/v1/penalties/" + idKey(p.ID) })
}

func (s *Server) getPenalty(c *fiber.Ctx) error {
	pen, err := s.visiblePenalty(c)
	return answerJSON(c, pen, err, s.penaltyDetail)
}

// penaltyFilter reads the list filters and scopes them to what the caller may see: an enterprise only its own
// records, a department only its own; asking for someone else's gives an empty list, not an error that would
// confirm they exist.
func penaltyFilter(c *fiber.Ctx, p *principal) (storage.PenaltyFilter, bool, error) {
	f := storage.PenaltyFilter{
		USCC: strings.ToUpper(strings.TrimSpace(c.Query("uscc"))), Status: strings.TrimSpace(c.Query("status")),
		DepartmentID: strings.TrimSpace(c.Query("department")), Overdue: strings.TrimSpace(c.Query("overdue")),
	}
	if f.Status != "" && domain.PenaltyStatus(f.Status).Rank() < 0 {
		return f, false, invalidField("status", "invalid_status", "status 取值无效，应为 "+strings.Join(stringsOf(domain.PenaltyStatuses), "、")+" 之一")
	}
	if f.Overdue != "" && f.Overdue != "delivery" && f.Overdue != "publication" {
		return f, false, invalidField("overdue", "invalid_overdue", "overdue 应为 delivery（逾期未送达）或 publication（逾期未公示）")
	}
	return f, scopeToPrincipal(p, &f.USCC, &f.DepartmentID), nil
}

func (s *Server) listPenalties(c *fiber.Ctx) error {
	return listPage(c, s.penaltyLister, penaltyKey, viewOf(toPenaltyJSON))
}

func penaltyKey(p storage.Penalty) string { return idKey(p.ID) }

// penaltyLister reads the filters of the penalty list once and answers its pages (the list and its export).
func (s *Server) penaltyLister(c *fiber.Ctx) (fetcher[storage.Penalty], error) {
	f, visible, err := penaltyFilter(c, principalOf(c))
	return filtered(c, f, visible, err, byID(func(f *storage.PenaltyFilter) (*int64, *int) { return &f.AfterID, &f.Limit }),
		s.db.ListPenalties)
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
	return workflows.DeliveryRequest{Method: domain.DeliveryMethod(strings.TrimSpace(b.Method)), DeliveredOn: on, SignedBy: b.SignedBy,
		Witness: b.Witness, ElectronicConsent: b.ElectronicConsent, Actor: p.Login, Role: string(p.Role)}, nil
}

// penaltyAction is a step the department takes on a record; the API reads its body from JSON and the page from
// a form, and both send the same update to the record's workflow.
type penaltyAction struct {
	update string
	read   func(c *fiber.Ctx, form bool) (any, error)
	done   string // what the page says when the step is taken
}

var penaltyActions = map[string]penaltyAction{
	"delivery": {update: workflows.PenaltyDeliveryUpdate, done: "已登记送达。",
		read: func(c *fiber.Ctx, form bool) (any, error) {
			var b deliveryBody
			if form {
				b = deliveryBody{Method: c.FormValue("method"), DeliveredOn: c.FormValue("delivered_on"),
					SignedBy: c.FormValue("signed_by"), Witness: c.FormValue("witness"),
					ElectronicConsent: c.FormValue("electronic_consent") != ""}
			} else if err := bindJSON(c, &b); err != nil {
				return nil, err
			}
			return b.request(principalOf(c))
		}},
	"revocation": {update: workflows.PenaltyRevocationUpdate, done: "已登记处罚决定撤销，正在各公示渠道撤下该信息。",
		read: func(c *fiber.Ctx, form bool) (any, error) {
			var b revocationBody
			if form {
				b = revocationBody{Reason: c.FormValue("reason"), DecidedOn: c.FormValue("decided_on")}
			} else if err := bindJSON(c, &b); err != nil {
				return nil, err
			}
			return b.request(principalOf(c))
		}},
}

// penaltyStep takes the named step on the :id record (from the API or from the page's form).
func (s *Server) penaltyStep(c *fiber.Ctx, a penaltyAction, form bool) (storage.Penalty, error) {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return pen, err
	}
	req, err := a.read(c, form)
	if err != nil {
		return pen, err
	}
	return pen, s.updatePenalty(c.UserContext(), pen.ID, a.update, req)
}

// penaltyStepAPI answers POST /api/v1/penalties/:id/<name> with the record after the step.
func penaltyStepAPI(name string) func(*Server, *fiber.Ctx) error {
	a := penaltyActions[name]
	return func(s *Server, c *fiber.Ctx) error {
		pen, err := s.penaltyStep(c, a, false)
		if err != nil {
			return err
		}
		return s.answerPenalty(c, pen.ID)
	}
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
	on, err := optionalDate("decided_on", "撤销日期 decided_on ", b.DecidedOn)
	req.DecidedOn = on
	return req, err
}

func (s *Server) answerPenalty(c *fiber.Ctx, id int64) error {
	pen, err := s.db.GetPenalty(c.UserContext(), id)
	return answerJSON(c, pen, err, s.penaltyDetail)
}
