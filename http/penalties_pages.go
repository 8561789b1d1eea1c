package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// The penalty pages: the list, registration and import forms, a record with its delivery and revocation.

// Pages.

// penaltyRow is a penalty as the pages list it.
type penaltyRow struct {
	storage.Penalty // with its DepartmentName
	ClassLabel      string
	StatusLabel     string
	TypesLabel      string
	DeliveryLate    bool
	Countdown       string
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
	case domain.PenaltyWithdrawn, domain.PenaltyRevoked:
		return "已撤下"
	case domain.PenaltyWithdrawing:
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
	var unnamed []string // the lists read their departments' names with the records
	for _, p := range ps {
		if p.DepartmentName == "" {
			unnamed = append(unnamed, p.DepartmentID)
		}
	}
	names, err := s.db.DepartmentNames(ctx, unnamed)
	if err != nil {
		return nil, err
	}
	today := domain.Today()
	rows := make([]penaltyRow, 0, len(ps))
	for _, p := range ps {
		if p.DepartmentName == "" {
			p.DepartmentName = names[p.DepartmentID]
		}
		rows = append(rows, penaltyRow{Penalty: p, ClassLabel: classLabel(p.Class),
			StatusLabel: domain.PenaltyStatus(p.Status).Label(), TypesLabel: typesLabel(p.PenaltyTypes),
			DeliveryLate: p.DeliveredOn == nil && p.DeliveryDue.Before(today) && p.Status != domain.PenaltyWithdrawn && p.Status != domain.PenaltyRevoked,
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
	f.Newest, f.Limit, f.Named = true, 100, true
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
	if p.Role == domain.RoleEnterprise {
		title = "我的信用记录"
	}
	return s.page(c, "penalties", pageData{Title: title, Data: map[string]any{
		"Title": title, "Rows": rows, "Filter": f, "Statuses": statusOptions(), "Departments": depts, "Next": next,
		"IsOffice": p.Role == domain.RoleCreditOffice || p.Role == domain.RoleAdmin, "IsDept": p.Role == domain.RoleDepartment,
		"IsEnterprise": p.Role == domain.RoleEnterprise,
	}})
}

func statusOptions() []option { return labelledOptions(domain.PenaltyStatuses) }

func penaltyTypeOptions() []option { return labelledOptions(domain.PenaltyTypes) }

func (s *Server) penaltyNewPage(c *fiber.Ctx) error {
	in := penaltyInput{DecidedOn: domain.Today().String()}
	if u := strings.TrimSpace(c.Query("uscc")); u != "" {
		if e, err := s.db.GetEnterprise(c.UserContext(), u); err == nil {
			in.USCC, in.EnterpriseName = e.USCC, e.Name
		}
	}
	return s.renderPenaltyForm(c, in, nil)
}

func (s *Server) renderPenaltyForm(c *fiber.Ctx, in penaltyInput, problem *Error) error {
	d := map[string]any{"In": in, "Types": penaltyTypeOptions(), "Selected": map[string]bool{},
		"Fields": regulatedFieldOptions(), "Discretions": discretionOptions()}
	for _, t := range in.PenaltyTypes {
		d["Selected"].(map[string]bool)[t] = true
	}
	if uscc, err := domain.NormalizeUSCC(in.USCC); err == nil {
		if e, err := s.db.GetEnterprise(c.UserContext(), uscc); err == nil {
			d["Registered"] = e
			d["NameDiffers"] = in.EnterpriseName != "" && strings.TrimSpace(in.EnterpriseName) != e.Name
		}
	}
	if problem != nil {
		d["Problem"] = refused(c, problem).Message
		c.Status(statusOf(problem))
	}
	return s.page(c, "penalty_new", pageData{Title: "登记行政处罚", Data: d})
}

// penaltyFormProblems are the mistakes of the registration form that need no rule set, all at once: each is shown
// next to its field (the rules' own checks follow when these pass).
func penaltyFormProblems(in penaltyInput) *Error {
	var list []map[string]string
	add := func(field, message string) {
		list = append(list, map[string]string{"field": field, "message": message})
	}
	if strings.TrimSpace(in.DecisionNo) == "" {
		add("decision_no", "请填写行政处罚决定书文号")
	}
	if _, err := domain.NormalizeUSCC(in.USCC); err != nil {
		add("uscc", err.Error())
	}
	if strings.TrimSpace(in.EnterpriseName) == "" {
		add("enterprise_name", "请填写企业名称")
	}
	if _, err := domain.ParseDate(strings.TrimSpace(in.DecidedOn)); err != nil {
		add("decided_on", "请填写处罚决定日期")
	}
	if len(in.PenaltyTypes) == 0 {
		add("penalty_types", "请至少选择一种处罚种类")
	}
	if _, err := parseAmount(string(in.FineAmountYuan)); err != nil {
		add("fine_amount_yuan", err.Message)
	}
	if len(list) == 0 {
		return nil
	}
	msg := list[0]["message"]
	if len(list) > 1 {
		msg = fmt.Sprintf("表单有%d处需要修改，请按各栏下方的提示修改后重新提交", len(list))
	}
	return newError(domain.KindInvalid, "invalid_form", msg).With(map[string]any{"errors": list})
}

func (s *Server) penaltyNewSubmit(c *fiber.Ctx) error {
	in := penaltyInput{
		DecisionNo: c.FormValue("decision_no"), USCC: c.FormValue("uscc"), EnterpriseName: c.FormValue("enterprise_name"),
		DecidedOn: c.FormValue("decided_on"), FineAmountYuan: yuanField(c.FormValue("fine_amount_yuan")),
		Class: c.FormValue("class"), Facts: c.FormValue("facts"), LegalBasis: c.FormValue("legal_basis"),
		lawInput: lawInputFromForm(c),
	}
	in.PenaltyTypes = formValues(c, "penalty_types")
	if m := strings.TrimSpace(c.FormValue("duration_months")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			return s.renderPenaltyForm(c, in, invalidField("duration_months", "invalid_duration", "处罚期限应为整数月数"))
		}
		in.DurationMonths = n
	}
	if e := penaltyFormProblems(in); e != nil {
		return s.renderPenaltyForm(c, in, e)
	}
	// The registry keeps its name; a decision that names the enterprise otherwise is registered only when the
	// department confirms that the decision says so.
	if uscc, err := domain.NormalizeUSCC(in.USCC); err == nil && c.FormValue("confirm_enterprise_name") != "1" {
		if ent, err := s.db.GetEnterprise(c.UserContext(), uscc); err == nil && ent.Name != strings.TrimSpace(in.EnterpriseName) {
			return s.renderPenaltyForm(c, in, invalidField("enterprise_name", "enterprise_name_differs",
				fmt.Sprintf("企业名称与企业登记名称“%s”不一致：请核对；确与行政处罚决定书一致的，请勾选确认后重新提交", ent.Name)))
		}
	}
	pen, err := s.register(c, in)
	if e, ok := pageProblem(err); ok {
		return s.renderPenaltyForm(c, in, e)
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, "/penalties/"+strconv.FormatInt(pen.ID, 10), "已登记行政处罚信息，并已出具信用修复告知书和送达回证")
}

// enterpriseLookup answers the registration form's lookup: up to 8 enterprises of the registry whose code or name
// contains q, with their registered name and legal representative.
func (s *Server) enterpriseLookup(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	if utf8.RuneCountInString(q) < 2 || utf8.RuneCountInString(q) > 200 {
		return c.JSON(fiber.Map{"items": []storage.Enterprise{}})
	}
	if u, err := domain.NormalizeUSCC(q); err == nil {
		q = u
	}
	es, err := s.db.SearchEnterprises(c.UserContext(), q, "", 8)
	if err != nil {
		return err
	}
	if es == nil {
		es = []storage.Enterprise{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": es})
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
	"penalty.deadlines_recomputed":        "节假日安排公布，暂定期限已重新计算",
	"penalty.periods_from_publication":    "公示期限自公示之日起重新计算",
	"penalty.publication_failed":          "公示未完成",
	"penalty.eligible":                    "已告知企业可以申请信用修复",
	"penalty.withdrawing":                 "启动撤下公示（一件通用）",
	"penalty.withdrawn":                   "已在全部公示渠道撤下",
	"penalty.ended":                       "记录期限届满（未公示）",
	"penalty.revocation":                  "登记处罚决定被撤销或变更",
	"penalty.withdraw_request_superseded": "收到其他撤下申请（记录已在撤下中）",
	"penalty.corrected":                   "异议成立，更正处罚信息",
	"penalty.republished":                 "恢复公示",
	"penalty.republished_after_fraud":     "因失信撤销修复决定，恢复公示",
	"publication.confirmed":               "公示渠道确认已公示",
}

func timelineDetail(raw json.RawMessage) string {
	return detailText(raw, "；", []detailField{
		{"method", "送达方式"}, {"delivered_on", "送达日期"}, {"signed_by", "签收人"}, {"witness", "见证人"}, {"cause", "原因"},
		{"reason", "说明"}, {"decided_on", "日期"}, {"publish_due", "公示期限"}, {"repair_eligible_from", "可申请修复日期"},
		{"delivery_due", "送达期限"},
	}, func(k string, v any) (string, bool) {
		val := fmt.Sprint(v)
		switch k {
		case "method":
			val = deliveryMethodLabel(val)
		case "cause":
			val = domain.WithdrawalCause(val).Label()
		}
		return val, true
	})
}

func deliveryMethodLabel(m string) string {
	switch domain.DeliveryMethod(m) {
	case domain.DeliveryInPerson:
		return "直接送达"
	case domain.DeliveryPost:
		return "邮寄送达"
	case domain.DeliveryElectronic:
		return "电子送达"
	case domain.DeliveryRefused:
		return "留置送达（拒收）"
	}
	return m
}

func publicationStatusLabel(st string) string { return domain.PublicationStatus(st).Label() }

func (s *Server) penaltyPage(c *fiber.Ctx) error {
	return s.renderPenaltyPage(c, "", nil)
}

func (s *Server) renderPenaltyPage(c *fiber.Ctx, flash string, problem *Error) error {
	ctx := c.UserContext()
	p := principalOf(c)
	pen, detail, err := withView(c, s.visiblePenalty, s.penaltyDetail)
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
	names := s.actorNames(ctx)
	for _, e := range entries {
		label := penaltyActionLabels[e.Action]
		if label == "" {
			label = "其他处理" // an action without a label yet: never its code
		}
		actor := names.name(e.Actor, string(e.Role))
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
	open := pen.Status != domain.PenaltyWithdrawn && pen.Status != domain.PenaltyRevoked
	d := map[string]any{
		"P": rows[0], "Letters": *detail.Letters, "Timeline": timeline, "Publications": pubs,
		"CanDeliver":  p.Role == domain.RoleDepartment && pen.DeliveredOn == nil && open && pen.RevokedOn == nil,
		"CanRevoke":   p.Role == domain.RoleDepartment && open && pen.RevokedOn == nil,
		"Today":       domain.Today().String(),
		"MethodLabel": deliveryMethodLabel(pen.DeliveryMethod.String),
		"Flagged":     pen.FlaggedObjection,
		"Prov":        detail.Provisional,
		// The enterprise objects to its own record; a department may file on its behalf.
		"CanObject": open && (p.Role == domain.RoleEnterprise || p.Role == domain.RoleDepartment),
	}
	if err := s.addLawFacts(ctx, p, pen, d); err != nil {
		return err
	}
	if wd := *detail.Withdrawal; wd != nil {
		d["Withdrawal"] = wd
		d["WithdrawalCause"] = domain.WithdrawalCause(wd.Cause).Label()
	}
	if problem != nil {
		d["Problem"] = refused(c, problem).Message
		c.Status(statusOf(problem))
	}
	if d["Assignment"], err = s.assignmentView(c, "penalty", pen.ID, pen.DepartmentID); err != nil {
		return err
	}
	return s.page(c, "penalty", pageData{Title: "行政处罚 " + pen.DecisionNo, Flash: flash, Data: d})
}

// penaltyStepPage takes the named step from the record's page and shows the page again, with the step's
// outcome or the caller's mistake.
func penaltyStepPage(name string) func(*Server, *fiber.Ctx) error {
	a := penaltyActions[name]
	return func(s *Server, c *fiber.Ctx) error {
		if _, err := s.penaltyStep(c, a, true); err != nil {
			return showOnForm(err, func(e *Error) error { return s.renderPenaltyPage(c, "", e) })
		}
		return s.seeOther(c, "/penalties/"+c.Params("id"), a.done)
	}
}

// penaltyHomeSections: an enterprise sees its records and their notifications; the credit office the overdue
// deliveries and publications.
func (s *Server) penaltyHomeSections(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	ctx := c.UserContext()
	switch p.Role {
	case domain.RoleEnterprise:
		rows, err := s.penaltyRows(ctx, h.penalties)
		if err != nil {
			return nil, err
		}
		pubs := h.publications
		rec := homeSection{Title: "我的信用记录", Headers: []string{"决定书文号", "认定部门", "类别", "公示渠道", "可申请修复", "公示截止", "状态"},
			Empty: "暂无行政处罚信用记录。", Linked: true}
		for _, r := range rows {
			channels := channelSummary(r.Penalty, pubs[r.ID])
			eligible := r.RepairEligibleFrom.String()
			if !r.Published {
				eligible = "—"
			}
			rec.Rows = append(rec.Rows, homeRow{Cells: []string{r.DecisionNo, r.DepartmentName, r.ClassLabel + "失信",
				channels, eligible, r.PublicationEnds.String(), r.StatusLabel + "（" + r.Countdown + "）"},
				Href: "/penalties/" + strconv.FormatInt(r.ID, 10)})
		}
		return []homeSection{rec, noticeSection(h, "penalty", "信用记录通知", "暂无通知。", 20, 20)}, nil
	case domain.RoleCreditOffice:
		var secs []homeSection
		for _, o := range []struct {
			kind, title, empty string
			records            []storage.Penalty
		}{
			{"delivery", "逾期未送达的处罚决定", "没有逾期未送达的处罚决定。", h.lateDeliveries},
			{"publication", "逾期未公示的处罚信息", "没有逾期未公示的处罚信息。", h.latePublications},
		} {
			rows, err := s.penaltyRows(ctx, o.records)
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
func channelSummary(p storage.Penalty, pubs []storage.Publication) string {
	if !p.Published {
		return "不公示"
	}
	if len(pubs) == 0 {
		return "待公示"
	}
	var b bytes.Buffer
	for i, pb := range pubs {
		if i > 0 {
			b.WriteString("；")
		}
		b.WriteString(pb.ChannelName + "：" + publicationStatusLabel(pb.Status))
	}
	return b.String()
}
