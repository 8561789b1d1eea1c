package httpapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Withdrawal orders (一件通用): the order view and list, a manual channel operator's confirmation (of a withdrawal,
// and of a publication), the order page, the operator's queue and the home sections. Confirmations are Temporal
// updates of the order's (or the publication's) workflow: the handler checks who may confirm what, the workflow
// records it.
//
// A confirmation of a channel that is already confirmed answers 200 with the order as it stands: the first
// confirmation (its time and reference) stays on record, and a repeated click or retried call is harmless.

// maxReference bounds a confirmation's reference (the channel's own record of the withdrawal).
const maxReference = 200

type recordJSON struct {
	PenaltyID      int64  `json:"penalty_id"`
	DecisionNo     string `json:"decision_no"`
	USCC           string `json:"uscc"`
	EnterpriseName string `json:"enterprise_name"`
	DepartmentID   string `json:"department_id"`
	Department     string `json:"department"`
	DecidedOn      string `json:"decided_on"`
}

type withdrawalLetterJSON struct {
	ID         int64  `json:"id"`
	URL        string `json:"url"`
	VerifyCode string `json:"verify_code"`
	VerifyURL  string `json:"verify_url"`
	SHA256     string `json:"sha256"`
}

type withdrawalChannelJSON struct {
	ChannelID   string `json:"channel_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Overdue     bool   `json:"overdue"`
	Attempts    int    `json:"attempts"`
	DueOn       string `json:"due_on"`
	// Provisional: due_on is 暂定 (counted again when its year's holiday notice is loaded).
	Provisional bool       `json:"provisional"`
	SentAt      *time.Time `json:"sent_at"`
	ConfirmedAt *time.Time `json:"confirmed_at"`
	Reference   string     `json:"reference,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

type withdrawalJSON struct {
	ID            int64                   `json:"id"`
	PenaltyID     int64                   `json:"penalty_id"`
	Cause         string                  `json:"cause"`
	CauseLabel    string                  `json:"cause_label"`
	CauseRef      string                  `json:"cause_ref"`
	CauseDecision string                  `json:"cause_decision"`
	Status        string                  `json:"status"`
	StatusLabel   string                  `json:"status_label"`
	OrderedOn     string                  `json:"ordered_on"`
	CreatedAt     time.Time               `json:"created_at"`
	CompletedAt   *time.Time              `json:"completed_at"`
	Record        recordJSON              `json:"record"`
	Letter        *withdrawalLetterJSON   `json:"letter"`
	Channels      []withdrawalChannelJSON `json:"channels"`
}

// optTime is v when ok (a NULL time column otherwise), for JSON nulls.
func optTime(v time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	return &v
}

// channelOverdue: marked overdue by the workflow, or past its due date unconfirmed (the view does not wait for
// the timer to be seen).
func channelOverdue(wc storage.WithdrawalChannel, today domain.Date) bool {
	if wc.Status == domain.ChannelConfirmed {
		return false
	}
	return wc.Status == domain.ChannelOverdue || wc.DueOn.Before(today)
}

func (s *Server) toWithdrawalJSON(ctx context.Context, p *principal, w storage.Withdrawal, cs []storage.WithdrawalChannel) (withdrawalJSON, error) {
	today := domain.Today()
	out := withdrawalJSON{
		ID: w.ID, PenaltyID: w.PenaltyID, Cause: string(w.Cause), CauseLabel: domain.WithdrawalCause(w.Cause).Label(), CauseRef: w.CauseRef,
		CauseDecision: w.CauseDecision, Status: string(w.Status), StatusLabel: domain.WithdrawalStatus(w.Status).Label(),
		OrderedOn: w.OrderedOn.String(), CreatedAt: w.CreatedAt,
		CompletedAt: optTime(w.CompletedAt.Time, w.CompletedAt.Valid),
		Record: recordJSON{PenaltyID: w.PenaltyID, DecisionNo: w.DecisionNo, USCC: w.USCC, EnterpriseName: w.EnterpriseName,
			DepartmentID: w.DepartmentID, Department: w.DepartmentName, DecidedOn: w.DecidedOn.String()},
		Channels: []withdrawalChannelJSON{},
	}
	if w.LetterID.Valid {
		l, err := s.db.GetLetter(ctx, w.LetterID.Int64)
		if err != nil {
			return out, err
		}
		lj := s.toLetterJSON(l)
		out.Letter = &withdrawalLetterJSON{ID: lj.ID, URL: lj.URL, VerifyCode: lj.VerifyCode, VerifyURL: lj.VerifyURL, SHA256: lj.SHA256}
	}
	admin := isChannelAdmin(p)
	for _, wc := range cs {
		cj := withdrawalChannelJSON{ChannelID: wc.ChannelID, Name: wc.Name, Kind: string(wc.Kind), Status: string(wc.Status),
			StatusLabel: domain.ChannelStatus(wc.Status).LabelForWithdrawal(domain.ChannelKind(wc.Kind), wc.Attempts),
			Overdue:     channelOverdue(wc, today), Attempts: wc.Attempts,
			DueOn: wc.DueOn.String(), Provisional: wc.Provisional, SentAt: optTime(wc.SentAt.Time, wc.SentAt.Valid),
			ConfirmedAt: optTime(wc.ConfirmedAt.Time, wc.ConfirmedAt.Valid)}
		if admin || (p.Role == domain.RoleChannelOperator && p.ChannelID.String == wc.ChannelID) {
			cj.Reference, cj.LastError = wc.Reference, wc.LastError
		}
		out.Channels = append(out.Channels, cj)
	}
	return out, nil
}

// canSeeWithdrawal: the credit office and admins see every order, a department its own records', an enterprise
// its own, a channel operator the orders addressed to its channel.
func canSeeWithdrawal(p *principal, w storage.Withdrawal, cs []storage.WithdrawalChannel) bool {
	return canSeeChannelCase(p, w.DepartmentID, w.USCC, cs, func(c storage.WithdrawalChannel) string { return c.ChannelID })
}

// visibleWithdrawal loads the :id order and its channels, or 404 when it does not exist or the caller must not
// know it does.
func (s *Server) visibleWithdrawal(c *fiber.Ctx) (storage.Withdrawal, []storage.WithdrawalChannel, error) {
	return loadWithChannels(c, s.db.GetWithdrawal, s.db.WithdrawalChannels, canSeeWithdrawal)
}

func (s *Server) getWithdrawal(c *fiber.Ctx) error {
	w, cs, err := s.visibleWithdrawal(c)
	if err != nil {
		return err
	}
	return s.answerWithdrawal(c, w, cs)
}

func (s *Server) answerWithdrawal(c *fiber.Ctx, w storage.Withdrawal, cs []storage.WithdrawalChannel) error {
	return answerJSON(c, w, nil, func(ctx context.Context, w storage.Withdrawal) (withdrawalJSON, error) {
		return s.toWithdrawalJSON(ctx, principalOf(c), w, cs)
	})
}

type withdrawalSummaryJSON struct {
	ID                int64      `json:"id"`
	PenaltyID         int64      `json:"penalty_id"`
	Cause             string     `json:"cause"`
	CauseRef          string     `json:"cause_ref"`
	Status            string     `json:"status"`
	OrderedOn         string     `json:"ordered_on"`
	CompletedAt       *time.Time `json:"completed_at"`
	Record            recordJSON `json:"record"`
	ChannelsTotal     int        `json:"channels_total"`
	ChannelsConfirmed int        `json:"channels_confirmed"`
	ChannelsOverdue   int        `json:"channels_overdue"`
	NextDue           *string    `json:"next_due"`
}

// withdrawalScope narrows a list to what the principal may see.
func withdrawalScope(p *principal, f *storage.WithdrawalFilter) bool {
	switch p.Role {
	case domain.RoleCreditOffice, domain.RoleAdmin:
	case domain.RoleDepartment:
		f.DepartmentID = p.DepartmentID.String
	case domain.RoleEnterprise:
		f.USCC = p.USCC.String
	case domain.RoleChannelOperator:
		f.ChannelID = p.ChannelID.String
	default:
		return false
	}
	return true
}

func (s *Server) listWithdrawals(c *fiber.Ctx) error {
	return listPage(c, s.withdrawalLister, withdrawalKey, viewOf(toWithdrawalSummaryJSON))
}

func withdrawalKey(w storage.Withdrawal) string { return idKey(w.ID) }

// withdrawalLister reads the filters of the withdrawal list once and answers its pages (the list and its export).
func (s *Server) withdrawalLister(c *fiber.Ctx) (fetcher[storage.Withdrawal], error) {
	f := storage.WithdrawalFilter{Status: c.Query("status")}
	if f.Status == "all" { // as the page names "every status"
		f.Status = ""
	}
	switch domain.WithdrawalStatus(f.Status) {
	case "", domain.WithdrawalPending, domain.WithdrawalInProgress, domain.WithdrawalCompleted:
	default:
		return nil, invalidField("status", "invalid_status", "状态须为 pending、in_progress 或 completed")
	}
	if v := c.Query("penalty_id"); v != "" {
		var err error
		if f.PenaltyID, err = strconv.ParseInt(v, 10, 64); err != nil || f.PenaltyID <= 0 {
			return nil, invalidField("penalty_id", "invalid_penalty_id", "penalty_id 须为正整数")
		}
	}
	return filtered(c, f, withdrawalScope(principalOf(c), &f), nil,
		byID(func(f *storage.WithdrawalFilter) (*int64, *int) { return &f.AfterID, &f.Limit }), s.db.ListWithdrawals)
}

func toWithdrawalSummaryJSON(w storage.Withdrawal) withdrawalSummaryJSON {
	sj := withdrawalSummaryJSON{ID: w.ID, PenaltyID: w.PenaltyID, Cause: string(w.Cause), CauseRef: w.CauseRef, Status: string(w.Status),
		OrderedOn: w.OrderedOn.String(), CompletedAt: optTime(w.CompletedAt.Time, w.CompletedAt.Valid),
		Record: recordJSON{PenaltyID: w.PenaltyID, DecisionNo: w.DecisionNo, USCC: w.USCC, EnterpriseName: w.EnterpriseName,
			DepartmentID: w.DepartmentID, Department: w.DepartmentName, DecidedOn: w.DecidedOn.String()},
		ChannelsTotal: w.Channels, ChannelsConfirmed: w.Confirmed, ChannelsOverdue: w.Overdue}
	if w.NextDue != nil {
		d := w.NextDue.String()
		sj.NextDue = &d
	}
	return sj
}

// confirmInput is a confirmation's body.
type confirmInput struct {
	Reference string `json:"reference"`
}

func checkReference(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len([]rune(ref)) > maxReference {
		return "", invalidField("reference", "invalid_reference", "请填写撤下凭据（渠道的办理编号或说明，不超过200字）")
	}
	return ref, nil
}

// confirmWithdrawal checks and sends an operator's confirmation of a channel; it answers the order as it stands.
func (s *Server) confirmWithdrawal(c *fiber.Ctx, reference string, parsed bool) (storage.Withdrawal, []storage.WithdrawalChannel, error) {
	w, cs, err := s.visibleWithdrawal(c)
	if err != nil {
		return w, cs, err
	}
	p := principalOf(c)
	chID := c.Params("channel_id")
	if p.Role != domain.RoleChannelOperator {
		return w, cs, newError(domain.KindForbidden, "forbidden", "只有该渠道的操作员可以确认撤下")
	}
	if p.ChannelID.String != chID {
		return w, cs, errNotFound
	}
	var wc *storage.WithdrawalChannel
	for i := range cs {
		if cs[i].ChannelID == chID {
			wc = &cs[i]
		}
	}
	if wc == nil {
		return w, cs, errNotFound
	}
	if !parsed {
		var in confirmInput
		if err := bindJSON(c, &in); err != nil {
			return w, cs, err
		}
		reference = in.Reference
	}
	ref, err := checkReference(reference)
	if err != nil {
		return w, cs, err
	}
	// Whether the channel confirms by hand is the order's business (a channel's kind may have changed since it
	// was ordered): the workflow refuses a webhook channel's confirmation.
	if wc.Status == domain.ChannelConfirmed {
		c.Set("X-Already-Confirmed", "true")
		return w, cs, nil
	}
	var st workflows.WithdrawalOrderState
	if err := s.cases.update(c.UserContext(), withdrawalCases, w.ID, workflows.WithdrawalConfirmUpdate,
		workflows.ConfirmChannelRequest{ChannelID: chID, Reference: ref, By: p.Login}, &st); err != nil {
		return w, cs, err
	}
	ctx := c.UserContext()
	if w, err = s.db.GetWithdrawal(ctx, w.ID); err != nil {
		return w, cs, err
	}
	cs, err = s.db.WithdrawalChannels(ctx, w.ID)
	return w, cs, err
}

func (s *Server) confirmWithdrawalChannel(c *fiber.Ctx) error {
	w, cs, err := s.confirmWithdrawal(c, "", false)
	if err != nil {
		return err
	}
	return s.answerWithdrawal(c, w, cs)
}

// confirmedPublicationJSON answers a publication's confirmation.
type confirmedPublicationJSON struct {
	PenaltyID   int64      `json:"penalty_id"`
	ChannelID   string     `json:"channel_id"`
	ChannelName string     `json:"channel_name"`
	Status      string     `json:"status"`
	PublishedAt *time.Time `json:"published_at"`
}

// confirmPublicationStep checks and sends an operator's confirmation that a record is shown on its channel.
func (s *Server) confirmPublicationStep(c *fiber.Ctx, reference string, parsed bool) (storage.PublicationTarget, error) {
	ctx := c.UserContext()
	p := principalOf(c)
	id, err := pathID(c)
	if err != nil {
		return storage.PublicationTarget{}, err
	}
	chID := c.Params("channel_id")
	pen, err := s.db.GetPenalty(ctx, id)
	if err != nil {
		return storage.PublicationTarget{}, err
	}
	if p.Role != domain.RoleChannelOperator {
		if canSeePenalty(p, pen) {
			return storage.PublicationTarget{}, newError(domain.KindForbidden, "forbidden", "只有该渠道的操作员可以确认公示")
		}
		return storage.PublicationTarget{}, errNotFound
	}
	if p.ChannelID.String != chID {
		return storage.PublicationTarget{}, errNotFound
	}
	t, err := s.db.PublicationTargetOf(ctx, id, chID)
	if err != nil {
		return t, err
	}
	if !parsed {
		var in confirmInput
		if err := bindJSON(c, &in); err != nil {
			return t, err
		}
		reference = in.Reference
	}
	ref, err := checkReference(reference)
	if err != nil {
		return t, err
	}
	switch {
	case t.Blocked:
		return t, newError(domain.KindConflict, "record_withdrawn", "该处罚信息已撤下公示，不得重新公示")
	case t.Status == "published":
		c.Set("X-Already-Confirmed", "true")
		return t, nil
	}
	var st workflows.PublicationState
	req := workflows.ConfirmChannelRequest{ChannelID: chID, Reference: ref, By: p.Login}
	err = s.cases.update(ctx, publicationCases, id, workflows.PublishConfirmUpdate, req, &st)
	if errors.Is(err, publicationCases.closed) {
		// No publish workflow: lifecycles started since issue 17 publish the record themselves. A lifecycle that
		// does not (it published through a publish workflow that has ended) does not know the update; the answer
		// stays that the publication has ended.
		ierr := s.cases.update(ctx, inlinePublicationCases, id, workflows.PublishConfirmUpdate, req, &st)
		var coded *Error
		if ierr == nil || errors.As(ierr, &coded) {
			err = ierr
		}
	}
	if err != nil {
		return t, err
	}
	return s.db.PublicationTargetOf(ctx, id, chID)
}

func (s *Server) confirmPublication(c *fiber.Ctx) error {
	t, err := s.confirmPublicationStep(c, "", false)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	return c.JSON(confirmedPublicationJSON{PenaltyID: id, ChannelID: t.ChannelID, ChannelName: t.Name, Status: t.Status,
		PublishedAt: optTime(t.PublishedAt.Time, t.PublishedAt.Valid)})
}

// Pages.

type withdrawalRow struct {
	storage.Withdrawal
	CauseLabel  string
	StatusLabel string
	Alert       bool
}

// openOrdersFirst sorts orders with an overdue channel first, then by the nearest due date.
func openOrdersFirst(ws []storage.Withdrawal) {
	today := domain.Today()
	late := func(w storage.Withdrawal) bool {
		return w.Overdue > 0 || (w.NextDue != nil && w.NextDue.Before(today))
	}
	sort.SliceStable(ws, func(i, j int) bool {
		if late(ws[i]) != late(ws[j]) {
			return late(ws[i])
		}
		a, b := "9999", "9999"
		if ws[i].NextDue != nil {
			a = ws[i].NextDue.String()
		}
		if ws[j].NextDue != nil {
			b = ws[j].NextDue.String()
		}
		return a < b
	})
}

func (s *Server) withdrawalsPage(c *fiber.Ctx) error {
	status := c.Query("status", string(domain.WithdrawalInProgress))
	f := storage.WithdrawalFilter{Status: status, Limit: 200}
	if status == "all" {
		f.Status = ""
	}
	ws, err := s.db.ListWithdrawals(c.UserContext(), f)
	if err != nil {
		return err
	}
	if status != string(domain.WithdrawalCompleted) {
		openOrdersFirst(ws)
	}
	today := domain.Today()
	var rows []withdrawalRow
	for _, w := range ws {
		rows = append(rows, withdrawalRow{Withdrawal: w, CauseLabel: domain.WithdrawalCause(w.Cause).Label(),
			StatusLabel: domain.WithdrawalStatus(w.Status).Label(),
			Alert:       w.Status != domain.WithdrawalCompleted && (w.Overdue > 0 || (w.NextDue != nil && w.NextDue.Before(today)))})
	}
	return s.page(c, "withdrawals", pageData{Title: "撤下公示", Data: map[string]any{"Rows": rows, "Status": status}})
}

type withdrawalChannelRow struct {
	storage.WithdrawalChannel
	StatusLabel string
	KindLabel   string
	Overdue     bool
	Confirmed   string
	Mine        bool
}

func (s *Server) withdrawalPage(c *fiber.Ctx) error {
	return s.renderWithdrawalPage(c, "", nil)
}

func (s *Server) renderWithdrawalPage(c *fiber.Ctx, flash string, problem *Error) error {
	w, cs, err := s.visibleWithdrawal(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	ctx := c.UserContext()
	var letter *letterJSON
	if w.LetterID.Valid {
		l, err := s.db.GetLetter(ctx, w.LetterID.Int64)
		if err != nil {
			return err
		}
		lj := s.toLetterJSON(l)
		letter = &lj
	}
	today := domain.Today()
	var rows []withdrawalChannelRow
	var mine *withdrawalChannelRow
	for _, wc := range cs {
		r := withdrawalChannelRow{WithdrawalChannel: wc,
			StatusLabel: domain.ChannelStatus(wc.Status).LabelForWithdrawal(domain.ChannelKind(wc.Kind), wc.Attempts),
			KindLabel:   domain.ChannelKind(wc.Kind).Label(), Overdue: channelOverdue(wc, today),
			Mine: p.Role == domain.RoleChannelOperator && p.ChannelID.String == wc.ChannelID}
		if wc.ConfirmedAt.Valid {
			r.Confirmed = wc.ConfirmedAt.Time.In(shanghai).Format("2006-01-02 15:04")
		}
		if !isChannelAdmin(p) && !r.Mine {
			r.LastError, r.Reference = "", ""
		}
		rows = append(rows, r)
		if r.Mine {
			mine = &rows[len(rows)-1]
		}
	}
	canConfirm := mine != nil && mine.Kind == domain.ChannelManual && mine.Status != domain.ChannelConfirmed
	if problem != nil {
		c.Status(statusOf(problem))
	}
	return s.page(c, "withdrawal", pageData{Title: "撤下公示 " + w.DecisionNo, Flash: flash, Data: map[string]any{
		"W": w, "CauseLabel": domain.WithdrawalCause(w.Cause).Label(), "StatusLabel": domain.WithdrawalStatus(w.Status).Label(),
		"Letter": letter, "Channels": rows, "CanConfirm": canConfirm, "Mine": mine, "Problem": problemText(c, problem),
		"Completed": w.CompletedAt.Valid, "CompletedAt": w.CompletedAt.Time.In(shanghai).Format("2006-01-02 15:04"),
	}})
}

func (s *Server) withdrawalConfirmSubmit(c *fiber.Ctx) error {
	_, _, err := s.confirmWithdrawal(c, c.FormValue("reference"), true)
	if err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderWithdrawalPage(c, "", e)
		}
		return err
	}
	return s.seeOther(c, "/withdrawals/"+c.Params("id"), "已确认本渠道撤下该信息。")
}

func (s *Server) publicationConfirmSubmit(c *fiber.Ctx) error {
	_, err := s.confirmPublicationStep(c, c.FormValue("reference"), true)
	if err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderQueue(c, "", e)
		}
		return err
	}
	return s.seeOther(c, "/channels/queue", "已确认公示。")
}

func (s *Server) channelsQueuePage(c *fiber.Ctx) error { return s.renderQueue(c, "", nil) }

type publicationQueueRow struct {
	storage.PublicationQueueItem
	Overdue bool
}

// renderQueue is a channel operator's queue: the orders to withdraw and the records to publish.
func (s *Server) renderQueue(c *fiber.Ctx, flash string, problem *Error) error {
	ctx := c.UserContext()
	p := principalOf(c)
	if p.Role != domain.RoleChannelOperator {
		return errForbidden
	}
	ch, err := s.db.GetChannel(ctx, p.ChannelID.String)
	if err != nil {
		return err
	}
	ws, err := s.db.ChannelQueue(ctx, ch.ID, 200)
	if err != nil {
		return err
	}
	pubs, err := s.db.PublicationQueue(ctx, ch.ID, 200)
	if err != nil {
		return err
	}
	today := domain.Today()
	var prows []publicationQueueRow
	for _, q := range pubs {
		prows = append(prows, publicationQueueRow{PublicationQueueItem: q, Overdue: q.Status == "overdue" || (q.DueOn != nil && q.DueOn.Before(today))})
	}
	type wrow struct {
		storage.ChannelQueueItem
		CauseLabel, StatusLabel string
		Overdue                 bool
	}
	var wrows []wrow
	for _, q := range ws {
		wrows = append(wrows, wrow{ChannelQueueItem: q, CauseLabel: domain.WithdrawalCause(q.Cause).Label(),
			StatusLabel: domain.ChannelStatus(q.Status).Label(), Overdue: channelOverdue(q.WithdrawalChannel, today)})
	}
	if problem != nil {
		c.Status(statusOf(problem))
	}
	return s.page(c, "channels_queue", pageData{Title: "渠道待办", Flash: flash, Data: map[string]any{
		"Channel": ch, "Withdrawals": wrows, "Publications": prows, "Problem": problemText(c, problem),
	}})
}

// withdrawalHomeSections: a channel operator's orders to confirm, an enterprise's records channel by channel,
// the credit office's open orders (overdue first).
func (s *Server) withdrawalHomeSections(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	ctx := c.UserContext()
	today := domain.Today()
	switch p.Role {
	case domain.RoleChannelOperator:
		qs, err := s.db.ChannelQueue(ctx, p.ChannelID.String, 50)
		if err != nil {
			return nil, err
		}
		sec := withRows(homeSection{Title: "待确认撤下", Headers: []string{"决定书文号", "企业", "撤下原因", "办结期限", "状态"},
			Empty: "暂无待确认撤下的记录。", Linked: true}, qs, func(q storage.ChannelQueueItem) homeRow {
			late := channelOverdue(q.WithdrawalChannel, today)
			st := domain.ChannelStatus(q.Status).Label()
			if late {
				st = "已逾期"
			}
			return homeRow{Cells: []string{q.DecisionNo, q.EnterpriseName, domain.WithdrawalCause(q.Cause).Label(), q.DueOn.String(), st},
				Href: "/withdrawals/" + strconv.FormatInt(q.WithdrawalID, 10), Alert: late}
		})
		return []homeSection{sec}, nil
	case domain.RoleEnterprise:
		sec := withRows(homeSection{Title: "撤下公示进度（逐个渠道）", Headers: []string{"决定书文号", "撤下原因", "公示渠道", "情况", "撤下时间"},
			Empty: "暂无撤下公示的记录。", Linked: true}, h.channels, func(wc storage.EnterpriseChannelState) homeRow {
			state, at := "仍在公示，正在撤下", ""
			if wc.Status == domain.ChannelConfirmed {
				state, at = "已撤下", wc.ConfirmedAt.Time.In(shanghai).Format("2006-01-02 15:04")
			}
			return homeRow{Cells: []string{wc.DecisionNo, wc.Cause.Label(), wc.ChannelName, state, at},
				Href: "/withdrawals/" + strconv.FormatInt(wc.WithdrawalID, 10)}
		})
		return []homeSection{sec}, nil
	case domain.RoleCreditOffice:
		ws := append(slices.Clip(h.withdrawals), h.pendingWithdrawals...)
		openOrdersFirst(ws)
		sec := homeSection{Title: "撤下公示跟踪（逾期优先）", Headers: []string{"决定书文号", "企业", "撤下原因", "已确认渠道", "最近期限", "状态"},
			Empty: "没有办理中的撤下公示。", Linked: true}
		for _, w := range ws {
			late := w.Overdue > 0 || (w.NextDue != nil && w.NextDue.Before(today))
			next := ""
			if w.NextDue != nil {
				next = w.NextDue.String()
			}
			st := domain.WithdrawalStatus(w.Status).Label()
			if late {
				st = "有渠道逾期"
			}
			sec.Rows = append(sec.Rows, homeRow{Cells: []string{w.DecisionNo, w.EnterpriseName, domain.WithdrawalCause(w.Cause).Label(),
				fmt.Sprintf("%d/%d", w.Confirmed, w.Channels), next, st}, Href: "/withdrawals/" + strconv.FormatInt(w.ID, 10), Alert: late})
		}
		return []homeSection{sec}, nil
	}
	return nil, nil
}
