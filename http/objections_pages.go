package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

// The objection pages: the list, the filing form and a case with its steps.

// Pages.

type objectionRow struct {
	ID                                               int64
	DecisionNo, EnterpriseName, USCC, DepartmentName string
	GroundsLabel, StatusLabel, FiledOn, Due, Outcome string
	Overdue                                          bool
}

func toObjectionRows(os []storage.Objection) []objectionRow {
	rows := make([]objectionRow, 0, len(os))
	for _, o := range os {
		r := objectionRow{ID: o.ID, DecisionNo: o.DecisionNo, EnterpriseName: o.EnterpriseName, USCC: o.USCC,
			DepartmentName: o.DepartmentName, GroundsLabel: domain.ObjectionGrounds(o.Grounds).Label(),
			StatusLabel: domain.ObjectionStatus(o.Status).Label(), FiledOn: o.FiledOn.String(), Overdue: o.Overdue}
		if o.Status == domain.ObjectionVerifying || o.Status == domain.ObjectionSubmitted {
			r.Due = o.VerifyDue.String()
		}
		if o.Outcome != "" {
			r.Outcome = domain.ObjectionOutcome(o.Outcome).Label()
		}
		rows = append(rows, r)
	}
	return rows
}

func (s *Server) objectionsPage(c *fiber.Ctx) error {
	p := principalOf(c)
	ctx := c.UserContext()
	f, visible, err := objectionFilter(c, p)
	if err != nil {
		return err
	}
	var os []storage.Objection
	if visible {
		f.Limit = 200
		f.Brief = true // the page shows its rows only (toObjectionRows)
		if os, err = s.db.ListObjections(ctx, f); err != nil {
			return err
		}
	}
	data := map[string]any{"Rows": toObjectionRows(os), "IsEnterprise": p.Role == domain.RoleEnterprise,
		"IsDept": p.Role == domain.RoleDepartment, "Filter": f, "OpenOnly": f.Open, "OverdueOnly": f.OverdueOnly}
	title := "异议处理"
	switch p.Role {
	case domain.RoleEnterprise:
		title = "异议申诉"
		ps, err := s.db.ListPenalties(ctx, storage.PenaltyFilter{USCC: p.USCC.String, Newest: true, Limit: 100})
		if err != nil {
			return err
		}
		type record struct {
			ID                                 int64
			DecisionNo, DecidedOn, StatusLabel string
			Marked                             bool
		}
		var recs []record
		for _, pen := range ps {
			recs = append(recs, record{ID: pen.ID, DecisionNo: pen.DecisionNo, DecidedOn: pen.DecidedOn.String(),
				StatusLabel: domain.PenaltyStatus(pen.Status).Label(), Marked: pen.FlaggedObjection})
		}
		data["Records"] = recs
	case domain.RoleDepartment:
		title = "异议核实"
	}
	data["Title"] = title
	data["Statuses"] = labelledOptions(domain.ObjectionStatuses)
	return s.page(c, "objections", pageData{Title: title, Data: data})
}

func (s *Server) objectionNewPage(c *fiber.Ctx) error {
	id, _ := strconv.ParseInt(c.Query("penalty_id"), 10, 64)
	repairID, _ := strconv.ParseInt(c.Query("repair_id"), 10, 64)
	in := objectionFiling{PenaltyID: id, RepairID: repairID}
	if repairID > 0 {
		in.Grounds = string(domain.GroundsAgainstRefusal)
	}
	return s.renderObjectionForm(c, in, nil)
}

func (s *Server) renderObjectionForm(c *fiber.Ctx, in objectionFiling, problem *Error) error {
	p := principalOf(c)
	ctx := c.UserContext()
	pf := storage.PenaltyFilter{Newest: true, Limit: 200}
	if p.Role == domain.RoleEnterprise {
		pf.USCC = p.USCC.String
	} else {
		pf.DepartmentID = p.DepartmentID.String
	}
	ps, err := s.db.ListPenalties(ctx, pf)
	if err != nil {
		return err
	}
	grounds := labelledOptions(domain.AllObjectionGrounds)
	msg := ""
	if problem != nil {
		c.Status(statusOf(problem))
		msg = refused(c, problem).Message
	}
	return s.page(c, "objection_new", pageData{Title: "提出异议", Data: map[string]any{
		"Records": ps, "In": in, "Grounds": grounds, "Problem": msg, "OnBehalf": p.Role == domain.RoleDepartment,
		"MaxMB": maxAttachmentBytes >> 20, "Pledges": letters.Pledges(letters.KindObjectionCommitment),
	}})
}

// objectionFilingForm reads an objection filing from its form (the enterprise's or the window's); commitment names
// the box that signs the commitment.
func objectionFilingForm(form *multipartForm, commitment string) objectionFiling {
	in := objectionFiling{Grounds: form.value("grounds"), Statement: form.value("statement"),
		CommitmentAccepted: form.value(commitment) == "1"}
	in.PenaltyID, _ = strconv.ParseInt(form.value("penalty_id"), 10, 64)
	in.RepairID, _ = strconv.ParseInt(strings.TrimSpace(form.value("repair_id")), 10, 64)
	return in
}

// objectionNewSubmit takes the filing form: the record, the grounds, a statement, the commitment and evidence
// uploaded with it (stored only once everything else is found in order).
func (s *Server) objectionNewSubmit(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	in := objectionFilingForm(form, "commitment_accepted")
	fail := func(err error) error {
		return showOnForm(err, func(e *Error) error { return s.renderObjectionForm(c, in, e) })
	}
	check := in
	if _, _, err := s.checkFiling(c, &check); err != nil {
		return fail(err)
	}
	stored, err := s.storeUploads(c, form.Files)
	if err != nil {
		return fail(err)
	}
	for _, a := range stored {
		in.AttachmentIDs = append(in.AttachmentIDs, a.ID)
	}
	o, err := s.file(c, in)
	if err != nil {
		s.discardIfRefused(c, stored, err)
		return fail(err)
	}
	return s.seeOther(c, "/objections/"+strconv.FormatInt(o.ID, 10), "异议申请已提交")
}

type objectionHistoryRow struct{ At, Actor, Step string }

type objectionChannelRow struct {
	objectionChannelJSON
	CanConfirm bool
}

func (s *Server) objectionPage(c *fiber.Ctx) error {
	o, cs, err := s.visibleObjection(c)
	if err != nil {
		return err
	}
	return s.renderObjectionPage(c, o, cs, "", nil)
}

func (s *Server) renderObjectionPage(c *fiber.Ctx, o storage.Objection, cs []storage.ObjectionChannel, flash string, problem *Error) error {
	p := principalOf(c)
	j, err := s.objectionDetailFor(c.UserContext(), p, o, cs)
	if err != nil {
		return err
	}
	var hist []objectionHistoryRow
	names := s.actorNames(c.UserContext())
	for _, h := range *j.History {
		hist = append(hist, objectionHistoryRow{At: h.At.In(domain.Shanghai).Format("2006-01-02 15:04"), Actor: names.name(h.Actor, h.Role),
			Step: h.Label})
	}
	var chans []objectionChannelRow
	for _, ch := range *j.Channels {
		row := objectionChannelRow{objectionChannelJSON: ch}
		row.CanConfirm = p.Role == domain.RoleChannelOperator && p.ChannelID.String == ch.ChannelID && ch.Kind == string(domain.ChannelManual) &&
			ch.Status != string(domain.ChannelConfirmed) && ch.Status != "cancelled"
		chans = append(chans, row)
	}
	canAnswer := p.Role == domain.RoleDepartment && o.Status == domain.ObjectionVerifying
	msg := ""
	if problem != nil {
		c.Status(statusOf(problem))
		msg = refused(c, problem).Message
	}
	late := o.ResolvedInTime != nil && !*o.ResolvedInTime
	assignment, err := s.assignmentView(c, "objection", o.ID, o.DepartmentID)
	if err != nil {
		return err
	}
	return s.page(c, "objection", pageData{Title: "异议申请 " + workflows.ObjectionApplicationNo(o.ID, o.FiledOn), Flash: flash, Data: map[string]any{
		"Assignment": assignment, "RuleSetName": s.ruleSetName(c.UserContext(), o.RuleSet),
		"O": j, "ApplicationNo": workflows.ObjectionApplicationNo(o.ID, o.FiledOn), "History": hist, "Channels": chans, "CanResolve": canAnswer, "CanExtend": canAnswer && !o.Extended,
		"MarksRecord": o.MarksRecord(), "Problem": msg, "Correctable": correctableFields, "Late": late, "PenaltyTypes": penaltyTypeOptions(), "TypesLabel": typesLabel,
		"Letters": *j.Letters, "Attachments": *j.Attachments, "Versions": j.Record.Versions, "Withdrawal": *j.Withdrawal,
	}})
}

// pageStep runs a step from a form and shows the case again, with the refusal if there was one.
func (s *Server) pageStep(c *fiber.Ctx, step func(o storage.Objection, cs []storage.ObjectionChannel) error, done string) error {
	o, cs, err := s.visibleObjection(c)
	if err != nil {
		return err
	}
	if err := step(o, cs); err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderObjectionPage(c, o, cs, "", e)
		}
		return err
	}
	return s.seeOther(c, "/objections/"+strconv.FormatInt(o.ID, 10), done)
}

func (s *Server) objectionResolveSubmit(c *fiber.Ctx) error {
	return s.pageStep(c, func(o storage.Objection, _ []storage.ObjectionChannel) error {
		b := resolutionBody{Outcome: c.FormValue("outcome"), Reason: c.FormValue("reason")}
		corr := map[string]any{}
		for _, k := range correctableFields {
			if k == "penalty_types" {
				// Checkboxes: every ticked type (the decision's full list after the correction).
				var types []string
				c.Request().PostArgs().VisitAll(func(key, val []byte) {
					if string(key) == "correct_penalty_types" && strings.TrimSpace(string(val)) != "" {
						types = append(types, strings.TrimSpace(string(val)))
					}
				})
				if len(types) > 0 {
					corr[k] = types
				}
				continue
			}
			v := strings.TrimSpace(c.FormValue("correct_" + k))
			if v == "" {
				continue
			}
			{
				corr[k] = v
			}
		}
		if len(corr) > 0 {
			raw, err := json.Marshal(corr)
			if err != nil {
				return err
			}
			b.Corrections = raw
		}
		return s.resolve(c, o, nil, b)
	}, "已提交异议处理结果，将通知申请人并同步各公示渠道")
}

func (s *Server) objectionExtendSubmit(c *fiber.Ctx) error {
	return s.pageStep(c, func(o storage.Objection, _ []storage.ObjectionChannel) error {
		return s.extend(c, o, nil, extensionBody{Reason: c.FormValue("reason"), DueOn: c.FormValue("due_on")})
	}, "已延长核实期限，并向申请人出具延期告知书")
}

func (s *Server) objectionConfirmSubmit(c *fiber.Ctx) error {
	return s.pageStep(c, func(o storage.Objection, cs []storage.ObjectionChannel) error {
		return s.confirmChannel(c, o, cs, objectionConfirmBody{Action: c.FormValue("action"), Reference: c.FormValue("reference")})
	}, "已确认")
}

// Home sections.

// objectionHomeRow is a case as a row of a home section, linked to its page and flagged when overdue.
func objectionHomeRow(cells func(objectionRow) []string) func(storage.Objection) homeRow {
	return func(o storage.Objection) homeRow {
		r := toObjectionRows([]storage.Objection{o})[0]
		return homeRow{Cells: cells(r), Href: "/objections/" + strconv.FormatInt(r.ID, 10), Alert: r.Overdue}
	}
}

// objectionNotices is the enterprise's inbox of its objections: accepted and forwarded to the department, the
// period extended, answered (the notifications the objection workflow stores).
func objectionNotices(h *homeData) homeSection {
	return noticeSection(h, "objection", "异议通知", "暂无异议通知。", 50, 10)
}

func (s *Server) objectionHomeSections(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	ctx := c.UserContext()
	switch p.Role {
	case domain.RoleEnterprise:
		sec := withRows(homeSection{Title: "异议申请", Headers: []string{"案件", "处罚决定书", "异议理由", "状态", "答复期限"},
			Empty: "暂无异议申请。公示信息有误的，可在“异议申诉”中提出。", Linked: true}, h.objections,
			objectionHomeRow(func(r objectionRow) []string {
				return []string{strconv.FormatInt(r.ID, 10), r.DecisionNo, r.GroundsLabel, r.StatusLabel, r.Due}
			}))
		return []homeSection{sec, objectionNotices(h)}, nil
	case domain.RoleDepartment:
		sec := withRows(homeSection{Title: "待核实的异议", Headers: []string{"案件", "企业", "处罚决定书", "异议理由", "答复期限"},
			Empty: "暂无待核实的异议。", Linked: true}, h.objections, objectionHomeRow(func(r objectionRow) []string {
			return []string{strconv.FormatInt(r.ID, 10), r.EnterpriseName, r.DecisionNo, r.GroundsLabel, r.Due}
		}))
		return []homeSection{sec}, nil
	case domain.RoleCreditOffice:
		st, _, at, err := s.homeCounts.get(ctx, s.db)
		secs := countsSection("异议处理情况", []string{"在办异议", "逾期异议", "已办结"}, "/objections?open=1", st.Overdue > 0,
			strconv.Itoa(st.Open), strconv.Itoa(st.Overdue), strconv.Itoa(st.Closed))
		secs[0].Note = homeCountsNote(at)
		return secs, err
	}
	return nil, nil
}
