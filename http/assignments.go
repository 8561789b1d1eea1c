package httpapi

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// Case assignment within a department (issue 15): an officer claims a case, the department's lead assigns or
// reassigns it; the inbox lists the caller's cases first, then the unassigned ones.

var errOnlyLeadReassigns = newError(domain.KindConflict, "assigned_to_other", "该案件已由其他承办人办理，只有部门负责人可以改派")

func assigneeLabel(t storage.Task, userID int64) string {
	switch {
	case !t.AssignedTo.Valid:
		return "未指派"
	case t.AssignedTo.Int64 == userID:
		return "我"
	}
	return t.AssignedLogin.String
}

// departmentCase is the case of the path (kind, id) when it is the caller's department's; another department's
// case, or none, is 404.
func (s *Server) departmentCase(c *fiber.Ctx) (kind string, id int64, dept string, err error) {
	kind = c.Params("kind")
	id, err = strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", 0, "", errNotFound
	}
	dept, err = s.db.CaseDepartment(c.UserContext(), kind, id)
	if err != nil {
		return "", 0, "", err
	}
	if dept != principalOf(c).DepartmentID.String {
		return "", 0, "", errNotFound
	}
	return kind, id, dept, nil
}

// unassignCase returns a case to the department's unassigned cases: its officer releases it, or the lead takes
// it from whoever has it.
func (s *Server) unassignCase(c *fiber.Ctx) error {
	if err := s.unassign(c); err != nil {
		return err
	}
	return c.JSON(unassignedJSON{CaseKind: c.Params("kind"), CaseID: c.Params("id"), Assigned: false})
}

func (s *Server) unassign(c *fiber.Ctx) error {
	kind, id, _, err := s.departmentCase(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	err = s.db.UnassignCase(c.UserContext(), kind, strconv.FormatInt(id, 10), p.ID, p.IsLead, s.auditBy(c))
	switch {
	case errors.Is(err, storage.ErrNotAssigned):
		return newError(domain.KindConflict, "not_assigned", "该案件尚未指派承办人")
	case errors.Is(err, storage.ErrNotYours):
		return newError(domain.KindForbidden, "lead_only", "只有承办人本人或部门负责人可以取消指派")
	}
	return err
}

// assignCase claims a case ({"user_id"} absent or the caller's own) or assigns it to a colleague (lead only).
func (s *Server) assignCase(c *fiber.Ctx) error {
	var in assignInput
	if err := bindOptionalJSON(c, &in); err != nil {
		return err
	}
	a, err := s.assign(c, in.UserID)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) assignTo(c *fiber.Ctx, userID int64) error {
	_, err := s.assign(c, userID)
	return err
}

func (s *Server) assign(c *fiber.Ctx, userID int64) (storage.Assignment, error) {
	p := principalOf(c)
	kind, id, dept, err := s.departmentCase(c) // another department's case is 404: the caller must not learn it exists
	if err != nil {
		return storage.Assignment{}, err
	}
	to := p.User
	if userID != 0 && userID != p.ID {
		if !p.IsLead {
			return storage.Assignment{}, newError(domain.KindForbidden, "lead_only", "只有部门负责人可以把案件指派给其他承办人")
		}
		u, err := s.db.UserByID(c.UserContext(), userID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (u.Role != domain.RoleDepartment || u.DepartmentID.String != dept || u.Disabled)) {
			return storage.Assignment{}, invalidField("user_id", "invalid_assignee", "只能指派给本部门在用的承办人")
		}
		if err != nil {
			return storage.Assignment{}, err
		}
		to = u
	}
	a, err := s.db.AssignCase(c.UserContext(), kind, strconv.FormatInt(id, 10), dept, to, p.IsLead, s.auditBy(c))
	if errors.Is(err, storage.ErrAssignedToOther) {
		return storage.Assignment{}, errOnlyLeadReassigns
	}
	return a, err
}

// sharedStepLabels name the history steps every kind of case has.
var sharedStepLabels = map[string]string{
	"case.assign":   "承办人认领或指派",
	"case.reassign": "改派承办人",
	"case.unassign": "取消指派承办人",
	"case.urge":     "督办催办",
}

// oneItemPerCaseStep folds the per-channel escalations of one case and step (a penalty late on five channels is
// five credit-office tasks, one per channel) into one inbox item: the first of them, with the number of channels.
func oneItemPerCaseStep(ts []storage.Task) ([]storage.Task, map[int64]int) {
	first := map[string]int64{}
	channels := map[int64]int{}
	out := ts[:0:0]
	for _, t := range ts {
		family, ok := channelEscalationFamily(t.Step)
		if !ok {
			out = append(out, t)
			continue
		}
		key := t.CaseKind + "/" + t.CaseID + "/" + family
		if id, seen := first[key]; seen {
			channels[id]++
			continue
		}
		first[key] = t.ID
		channels[t.ID] = 1
		out = append(out, t)
	}
	return out, channels
}

// channelEscalationFamily is the step of an escalation without its channel ("escalation:publish:gsxt" is of
// "escalation:publish"); ok is false for any other step.
func channelEscalationFamily(step string) (string, bool) {
	rest, ok := strings.CutPrefix(step, "escalation:")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return "", false
	}
	return "escalation:" + rest[:i], true
}

// urgeCase lets the credit office urge (督办) the department on a case's overdue step.
func (s *Server) urgeCase(c *fiber.Ctx) error {
	var in urgeInput
	if err := bindOptionalJSON(c, &in); err != nil {
		return err
	}
	msg, err := plainText("message", "督办意见", in.Message, false, 500)
	if err != nil {
		return err
	}
	kind := c.Params("kind")
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	dept, err := s.db.CaseDepartment(c.UserContext(), kind, id)
	if err != nil {
		return err
	}
	steps, err := s.db.UrgeCase(c.UserContext(), kind, strconv.FormatInt(id, 10), dept, msg, s.auditBy(c))
	if errors.Is(err, storage.ErrNothingToUrge) {
		return newError(domain.KindConflict, "nothing_to_urge", "该案件没有认定部门逾期未办的步骤，无需督办")
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(urgedJSON{CaseKind: kind, CaseID: id, DepartmentID: dept, Steps: steps})
}

// urgeHomeSection shows a department the credit office's urges.
func (s *Server) urgeHomeSection(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	if p.Role != domain.RoleDepartment {
		return nil, nil
	}
	ns := h.notifications
	sec := homeSection{Title: "督办通知", Headers: []string{"时间", "通知", "内容"}, Empty: "暂无督办通知。", Linked: true}
	for _, n := range ns {
		if n.Kind == "urge" {
			sec.Rows = append(sec.Rows, homeRow{Cells: []string{n.CreatedAt.In(shanghai).Format("2006-01-02 15:04"), n.Title, n.Body},
				Href: caseHref(n.CaseKind, n.CaseID), Alert: true})
		}
	}
	if len(sec.Rows) == 0 {
		return nil, nil
	}
	return []homeSection{sec}, nil
}

// taskHref is the page where the viewer acts on a task: a publication is the channel queue for its operator, and
// the penalty's page for the credit office that follows up a late channel (it may not open the queue).
func taskHref(t storage.Task, role domain.Role) string {
	if t.CaseKind == "publication" && role != domain.RoleChannelOperator {
		return caseHref("penalty", t.CaseID)
	}
	return caseHref(t.CaseKind, t.CaseID)
}

// assignmentView is the assignment block of a case page: who handles the case and, for its department, the
// buttons to claim, release, assign or unassign it. Enterprises and operators get nil (nothing shown).
type assignmentView struct {
	Kind, ID   string
	Assignee   string // display name, empty when unassigned
	Mine       bool
	Notice     string // the refusal of the last assignment form
	CSRF       string
	Actions    bool // the caller is an officer of the case's department
	IsLead     bool
	Colleagues []storage.User
}

func (s *Server) assignmentView(c *fiber.Ctx, kind string, id int64, dept string) (*assignmentView, error) {
	p := principalOf(c)
	switch p.Role {
	case domain.RoleDepartment, domain.RoleCreditOffice, domain.RoleAdmin:
	default:
		return nil, nil
	}
	if p.Role == domain.RoleDepartment && p.DepartmentID.String != dept {
		return nil, nil
	}
	v := &assignmentView{Kind: kind, ID: strconv.FormatInt(id, 10), Actions: p.Role == domain.RoleDepartment, IsLead: p.IsLead,
		Notice: assignmentNotices[c.Query("assignment")]}
	if p.viaSession {
		v.CSRF = p.session.CSRFToken
	}
	a, err := s.db.CaseAssignment(c.UserContext(), kind, v.ID)
	switch {
	case err == nil:
		v.Assignee, v.Mine = a.DisplayName, a.UserID == p.ID
	case !errors.Is(err, storage.ErrNotFound):
		return nil, err
	}
	if v.Actions && p.IsLead {
		us, err := s.db.ListUsers(c.UserContext())
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.Role == domain.RoleDepartment && u.DepartmentID.String == dept && !u.Disabled {
				v.Colleagues = append(v.Colleagues, u)
			}
		}
	}
	return v, nil
}

// caseAssignmentPaths are the case pages the assignment forms return to.
var caseAssignmentPaths = map[string]string{"penalty": "/penalties/", "repair": "/repairs/", "objection": "/objections/"}

// assignmentNotices are the refusals a case page shows after an assignment form, by code (the redirect carries the
// code, never a text, so a link cannot make the page say anything else).
var assignmentNotices = map[string]string{
	"lead_only":         "只有部门负责人可以指派给其他承办人或取消他人的指派",
	"assigned_to_other": errOnlyLeadReassigns.Message,
	"invalid_assignee":  "只能指派给本部门在用的承办人",
	"not_assigned":      "该案件尚未指派承办人",
}

// assignCasePage and unassignCasePage are the case pages' forms: they take the step and go back to the case page
// (redirect after POST), with the refusal as the page's notice.
func (s *Server) assignCasePage(c *fiber.Ctx) error {
	return s.assignmentForm(c, func() error {
		to, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
		return s.assignTo(c, to)
	})
}

func (s *Server) unassignCasePage(c *fiber.Ctx) error {
	return s.assignmentForm(c, func() error { return s.unassign(c) })
}

func (s *Server) assignmentForm(c *fiber.Ctx, step func() error) error {
	back, ok := caseAssignmentPaths[c.Params("kind")]
	if !ok {
		return errNotFound
	}
	if err := step(); err != nil {
		if e, ok := pageProblem(err); ok {
			if _, known := assignmentNotices[e.Code]; known {
				return c.Redirect(back+c.Params("id")+"?assignment="+url.QueryEscape(e.Code), fiber.StatusSeeOther)
			}
		}
		return err
	}
	return c.Redirect(back+c.Params("id"), fiber.StatusSeeOther)
}

// assignInput is POST /api/v1/cases/{kind}/{id}/assign: the officer to assign (none: the caller).
type assignInput struct {
	UserID int64 `json:"user_id"`
}

// unassignedJSON answers an unassignment.
type unassignedJSON struct {
	CaseKind string `json:"case_kind"`
	CaseID   string `json:"case_id"`
	Assigned bool   `json:"assigned"`
}

// urgeInput is POST /api/v1/cases/{kind}/{id}/urge: the credit office's 督办意见.
type urgeInput struct {
	Message string `json:"message"`
}

// urgedJSON answers an urge: the overdue steps it concerned.
type urgedJSON struct {
	CaseKind     string   `json:"case_kind"`
	CaseID       int64    `json:"case_id"`
	DepartmentID string   `json:"department_id"`
	Steps        []string `json:"steps"`
}
