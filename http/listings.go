package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// List entries (issue 14): the business-abnormality list (经营异常名录) and the serious-dishonesty list (严重失信主体
// 名单). A department registers an entry with its own number; the entry is a record of its own, published on every
// channel by its record workflow (workflows/records.go); its removal is a repair application with listing_id.

// recordCases are the workflows of records of other procedures (workflows.RecordWorkflow), under the penalty
// workflow's ID.
var recordCases = caseWorkflow{name: "record", id: workflows.PenaltyWorkflowID,
	options: func(id int64) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: workflows.PenaltyWorkflowID(id), TaskQueue: workflows.TaskQueue}
	},
	workflow: workflows.RecordWorkflowType, ready: workflows.RecordReadyUpdate, readyWait: 10 * time.Second,
	closed: caseClosed("该名单信息的办理流程已结束或尚未启动")}

// listingInput is the body of POST /api/v1/listings.
type listingInput struct {
	Kind           string `json:"kind"` // abnormal or serious
	Number         string `json:"number"`
	USCC           string `json:"uscc"`
	EnterpriseName string `json:"enterprise_name"`
	ListedOn       string `json:"listed_on"`
	Cause          string `json:"cause"` // abnormal: annual_report, disclosure, false_info, address
	Facts          string `json:"facts"`
	PenaltyID      int64  `json:"penalty_id"` // serious: the penalty it rests on (optional)
}

// Periods of a serious listing (Order 36 arts. 10-14): removal may be asked after a year, it ends by itself at three.
const (
	seriousListingMinMonths = 12
	seriousListingMaxMonths = 36
)

// listingJSON is a list entry as the API shows it.
type listingJSON struct {
	ID             int64       `json:"id"`
	Kind           string      `json:"kind"`
	KindLabel      string      `json:"kind_label"`
	Number         string      `json:"number"`
	DepartmentID   string      `json:"department_id"`
	USCC           string      `json:"uscc"`
	EnterpriseName string      `json:"enterprise_name"`
	ListedOn       domain.Date `json:"listed_on"`
	Cause          string      `json:"cause,omitempty"`
	CauseLabel     string      `json:"cause_label,omitempty"`
	Facts          string      `json:"facts"`
	PenaltyID      *int64      `json:"penalty_id,omitempty"`
	Status         string      `json:"status"`
	StatusLabel    string      `json:"status_label"`
	// RemovalFrom is the first day a removal may be asked; EndsOn the day it ends by itself (null: never).
	RemovalFrom  domain.Date        `json:"removal_from"`
	EndsOn       *domain.Date       `json:"ends_on"`
	Letters      *[]letterJSON      `json:"letters,omitempty"`
	Publications *[]publicationJSON `json:"publications,omitempty"`
	Withdrawal   any                `json:"withdrawal,omitempty"`
	// Provisional marks publish_due (as publish) when it is 暂定: counted over days whose notice is not loaded yet.
	Provisional map[string]bool `json:"provisional,omitempty"`
}

func toListingJSON(p storage.Penalty) listingJSON {
	kind := "abnormal"
	if p.RecordKind == storage.RecordSeriousList {
		kind = "serious"
	}
	j := listingJSON{ID: p.ID, Kind: kind, KindLabel: storage.RecordKindLabel(p.RecordKind), Number: p.DecisionNo,
		DepartmentID: p.DepartmentID, USCC: p.USCC, EnterpriseName: p.EnterpriseName, ListedOn: p.DecidedOn,
		Cause: p.ListingCause, CauseLabel: storage.AbnormalCauses[p.ListingCause], Facts: p.Facts, Status: string(p.Status),
		StatusLabel: listingStatusLabel(p.Status), RemovalFrom: p.RepairEligibleFrom}
	if p.RestsOn.Valid {
		j.PenaltyID = &p.RestsOn.Int64
	}
	if p.PublicationEnds != storage.NoEnd {
		ends := p.PublicationEnds
		j.EndsOn = &ends
	}
	return j
}

func listingStatusLabel(status domain.PenaltyStatus) string {
	switch status {
	case domain.PenaltyWithdrawing:
		return "正在移出"
	case domain.PenaltyWithdrawn:
		return "已移出"
	}
	return "列入中"
}

func (s *Server) listingDetail(ctx context.Context, p storage.Penalty) (listingJSON, error) {
	j := toListingJSON(p)
	pj, err := s.penaltyDetail(ctx, p)
	if err != nil {
		return j, err
	}
	j.Letters, j.Publications, j.Provisional = pj.Letters, pj.Publications, pj.Provisional
	if pj.Withdrawal != nil && *pj.Withdrawal != nil {
		j.Withdrawal = *pj.Withdrawal
	}
	return j, nil
}

// validateListing checks an entry and computes its dates; it answers the entry to store or a 422.
func (s *Server) validateListing(ctx context.Context, p *principal, in listingInput) (storage.Listing, error) {
	var l storage.Listing
	switch strings.TrimSpace(in.Kind) {
	case "abnormal":
		l.Kind = storage.RecordAbnormalList
	case "serious":
		l.Kind = storage.RecordSeriousList
	default:
		return l, invalidField("kind", "invalid_kind", "kind 应为 abnormal（经营异常名录）或 serious（严重失信主体名单）")
	}
	l.Number = strings.TrimSpace(in.Number)
	if l.Number == "" || utf8.RuneCountInString(l.Number) > maxDecisionNoLen {
		return l, invalidField("number", "invalid_number", "请填写列入决定书文号（不超过100字）")
	}
	uscc, err := domain.NormalizeUSCC(in.USCC)
	if err != nil {
		return l, invalidField("uscc", "invalid_uscc", err.Error())
	}
	ent, err := s.db.GetEnterprise(ctx, uscc)
	if errors.Is(err, storage.ErrNotFound) {
		return l, invalidField("uscc", "unknown_enterprise", "平台尚无该企业的信息，请先登记其行政处罚或者企业信息")
	}
	if err != nil {
		return l, err
	}
	l.USCC, l.EnterpriseName = uscc, ent.Name
	if name := strings.TrimSpace(in.EnterpriseName); name != "" && name != ent.Name {
		return l, invalidField("enterprise_name", "enterprise_name_mismatch", fmt.Sprintf("企业名称与统一社会信用代码不符（平台登记为%s）", ent.Name))
	}
	on, err := domain.ParseDate(strings.TrimSpace(in.ListedOn))
	if err != nil {
		return l, invalidField("listed_on", "invalid_listed_on", "列入日期格式应为 YYYY-MM-DD")
	}
	today := domain.Today()
	if on.After(today) {
		return l, invalidField("listed_on", "invalid_listed_on", fmt.Sprintf("列入日期%s晚于今天", on))
	}
	l.ListedOn = on
	if l.Facts, err = printableText("facts", "列入事实", in.Facts, maxTextLen); err != nil {
		return l, err
	}
	dept, sets, err := s.departmentRules(ctx, p.DepartmentID.String)
	if err != nil {
		return l, err
	}
	rs, err := domain.ProcedureRuleSet(sets, dept.Jurisdiction, dept.Sector, on)
	if err != nil {
		return l, invalidField("listed_on", "no_rule_set", fmt.Sprintf("%s没有适用的规则集", on))
	}
	l.RuleSet, l.DepartmentID, l.CreatedBy = rs.ID, dept.ID, p.Login
	cal, err := s.db.LoadCalendar(ctx)
	if err != nil {
		return l, err
	}
	// Kept with its origin: a provisional due date is counted again when its year's notice is loaded.
	l.PublishDueCounted = domain.CaseDeadline{Name: "publish_due", From: today, Workdays: rs.Deadlines.Publication}.Count(cal)
	l.PublishDue = l.PublishDueCounted.Due
	switch l.Kind {
	case storage.RecordAbnormalList:
		l.Cause = strings.TrimSpace(in.Cause)
		if _, ok := storage.AbnormalCauses[l.Cause]; !ok {
			return l, invalidField("cause", "invalid_cause", "cause 应为 annual_report（未按期公示年度报告）、disclosure（未按责令期限公示信息）、false_info（公示信息弄虚作假）或 address（住所无法联系）")
		}
		if in.PenaltyID != 0 {
			return l, invalidField("penalty_id", "invalid_penalty_id", "经营异常名录不依据行政处罚列入，请勿填写 penalty_id")
		}
		// No minimum period, no end by itself: removed once the cause is corrected (Order 107 arts. 6, 12).
		l.EligibleFrom, l.Ends = on, storage.NoEnd
	case storage.RecordSeriousList:
		if in.PenaltyID != 0 {
			pen, err := s.db.GetPenalty(ctx, in.PenaltyID)
			if err != nil || pen.DepartmentID != dept.ID || pen.USCC != uscc || pen.RecordKind != storage.RecordPenalty {
				return l, invalidField("penalty_id", "invalid_penalty_id", "penalty_id 应为本部门对该企业作出的行政处罚")
			}
			l.RestsOn = pen.ID
		}
		l.Cause = ""
		l.EligibleFrom, l.Ends = on.AddMonths(seriousListingMinMonths), on.AddMonths(seriousListingMaxMonths)
		if !l.Ends.After(today) {
			return l, invalidField("listed_on", "listing_ended", fmt.Sprintf("自%s列入已满三年，名单信息已于%s到期移出", on, l.Ends))
		}
	}
	return l, nil
}

func (s *Server) registerListing(c *fiber.Ctx) error {
	return createJSON(c, s.createListing, s.listingDetail, func(p storage.Penalty) string { return "/api/v1/listings/" + idKey(p.ID) })
}

// createListing stores a list entry and starts its record workflow (which issues and publishes it); it answers the
// entry once its notice is issued.
func (s *Server) createListing(c *fiber.Ctx, in listingInput) (storage.Penalty, error) {
	ctx := c.UserContext()
	l, err := s.validateListing(ctx, principalOf(c), in)
	if err != nil {
		return storage.Penalty{}, err
	}
	if err := s.cases.available(); err != nil {
		return storage.Penalty{}, err
	}
	id, err := s.db.InsertListing(ctx, l)
	if errors.Is(err, storage.ErrConflict) {
		return storage.Penalty{}, newError(domain.KindConflict, "duplicate_number", "本部门已登记该文号的名单信息").With(map[string]any{"field": "number"})
	}
	if err != nil {
		return storage.Penalty{}, err
	}
	dept, err := s.db.GetDepartment(ctx, l.DepartmentID)
	if err != nil {
		return storage.Penalty{}, err
	}
	lc := activities.ListingLifecycle{RecordID: id, Kind: l.Kind, Number: l.Number, USCC: l.USCC, EnterpriseName: l.EnterpriseName,
		DepartmentID: l.DepartmentID, DepartmentName: dept.Name, DepartmentContact: dept.Contact, ListedOn: l.ListedOn, Facts: l.Facts,
		PublishDue: l.PublishDue, EligibleFrom: l.EligibleFrom, Ends: l.Ends, RestsOn: l.RestsOn, RegisteredAt: time.Now()}
	if l.RestsOn != 0 {
		if pen, err := s.db.GetPenalty(ctx, l.RestsOn); err == nil {
			lc.RestsOnDecisionNo = pen.DecisionNo
		}
	}
	params := workflows.ListingRecordParams(lc)
	if err := s.cases.start(ctx, recordCases, id, params); err != nil {
		return storage.Penalty{}, err
	}
	// Started: the reconciler need not look at it again (one it finds unmarked and not running, it starts).
	if _, err := s.db.MarkLifecyclesStarted(ctx, []int64{id}); err != nil {
		return storage.Penalty{}, err
	}
	if params.Notice != nil {
		s.cases.awaitReady(ctx, recordCases, id, &workflows.RecordState{})
	}
	return s.db.GetPenalty(ctx, id)
}

func (s *Server) listingFilter(c *fiber.Ctx) (storage.ListingFilter, bool, error) {
	f := storage.ListingFilter{USCC: strings.ToUpper(strings.TrimSpace(c.Query("uscc"))),
		DepartmentID: strings.TrimSpace(c.Query("department"))}
	switch strings.TrimSpace(c.Query("kind")) {
	case "":
	case "abnormal":
		f.Kind = storage.RecordAbnormalList
	case "serious":
		f.Kind = storage.RecordSeriousList
	default:
		return f, false, invalidField("kind", "invalid_kind", "kind 应为 abnormal 或 serious")
	}
	return f, scopeToPrincipal(principalOf(c), &f.USCC, &f.DepartmentID), nil
}

func (s *Server) listListings(c *fiber.Ctx) error {
	f, ok, err := s.listingFilter(c)
	if err != nil {
		return err
	}
	out := struct {
		Items []listingJSON `json:"items"`
	}{Items: []listingJSON{}}
	if !ok {
		return c.JSON(out)
	}
	ps, err := s.db.ListListings(c.UserContext(), f)
	if err != nil {
		return err
	}
	for _, p := range ps {
		out.Items = append(out.Items, toListingJSON(p))
	}
	return c.JSON(out)
}

// visibleListing loads the :id entry, or 404 (also for a record that is not a list entry).
func (s *Server) visibleListing(c *fiber.Ctx) (storage.Penalty, error) {
	pen, err := s.visiblePenalty(c)
	if err != nil {
		return pen, err
	}
	if !storage.IsListing(pen.RecordKind) {
		return pen, errNotFound
	}
	return pen, nil
}

func (s *Server) getListing(c *fiber.Ctx) error {
	pen, err := s.visibleListing(c)
	return answerJSON(c, pen, err, s.listingDetail)
}

func (s *Server) listingsPage(c *fiber.Ctx) error {
	f, ok, err := s.listingFilter(c)
	if err != nil {
		return err
	}
	var rows []listingJSON
	if ok {
		ps, err := s.db.ListListings(c.UserContext(), f)
		if err != nil {
			return err
		}
		for _, p := range ps {
			rows = append(rows, toListingJSON(p))
		}
	}
	return s.page(c, "listings", pageData{Title: "名单信息", Data: map[string]any{"Rows": rows,
		"Enterprise": principalOf(c).Role == domain.RoleEnterprise}})
}

func (s *Server) listingPage(c *fiber.Ctx) error {
	j, err := viewed(c, s.visibleListing, s.listingDetail)
	if err != nil {
		return err
	}
	return s.page(c, "listing", pageData{Title: j.KindLabel + " " + j.Number, Data: map[string]any{"L": j,
		"Enterprise": principalOf(c).Role == domain.RoleEnterprise}})
}
