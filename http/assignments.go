package httpapi

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// Case assignment within a department (issue 15): an officer claims a case, the department's lead assigns or
// reassigns it; the inbox lists the caller's cases first, then the unassigned ones.

var errOnlyLeadReassigns = newError(domain.KindConflict, "assigned_to_other", "该案件已由其他承办人办理，只有部门负责人可以改派")

// assignmentOrder ranks a task for a department officer: own cases, then unassigned, then colleagues'.
func assignmentOrder(t storage.Task, userID int64) int {
	switch {
	case t.AssignedTo.Valid && t.AssignedTo.Int64 == userID:
		return 0
	case !t.AssignedTo.Valid:
		return 1
	}
	return 2
}

func assigneeLabel(t storage.Task, userID int64) string {
	switch {
	case !t.AssignedTo.Valid:
		return "未指派"
	case t.AssignedTo.Int64 == userID:
		return "我"
	}
	return t.AssignedLogin.String
}

// assignCase claims a case ({"user_id"} absent or the caller's own) or assigns it to a colleague (lead only).
func (s *Server) assignCase(c *fiber.Ctx) error {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if len(c.Body()) > 0 {
		if err := bindJSON(c, &in); err != nil {
			return err
		}
	}
	p := principalOf(c)
	kind := c.Params("kind")
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	dept, err := s.db.CaseDepartment(c.UserContext(), kind, id)
	if err != nil {
		return err
	}
	if dept != p.DepartmentID.String {
		return errNotFound // another department's case: the caller must not learn it exists
	}
	to := p.User
	if in.UserID != 0 && in.UserID != p.ID {
		if !p.IsLead {
			return newError(domain.KindForbidden, "lead_only", "只有部门负责人可以把案件指派给其他承办人")
		}
		u, err := s.db.UserByID(c.UserContext(), in.UserID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (u.Role != domain.RoleDepartment || u.DepartmentID.String != dept || u.Disabled)) {
			return invalidField("user_id", "invalid_assignee", "只能指派给本部门在用的承办人")
		}
		if err != nil {
			return err
		}
		to = u
	}
	a, err := s.db.AssignCase(c.UserContext(), kind, strconv.FormatInt(id, 10), dept, to, p.IsLead, s.auditBy(c))
	if errors.Is(err, storage.ErrAssignedToOther) {
		return errOnlyLeadReassigns
	}
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// sharedStepLabels name the history steps every kind of case has.
var sharedStepLabels = map[string]string{
	"case.assign":   "承办人认领或指派",
	"case.reassign": "改派承办人",
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
	var in struct {
		Message string `json:"message"`
	}
	if len(c.Body()) > 0 {
		if err := bindJSON(c, &in); err != nil {
			return err
		}
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
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"case_kind": kind, "case_id": id, "department_id": dept, "steps": steps})
}

// urgeHomeSection shows a department the credit office's urges.
func (s *Server) urgeHomeSection(c *fiber.Ctx, p *principal) ([]homeSection, error) {
	if p.Role != domain.RoleDepartment {
		return nil, nil
	}
	ns, err := s.db.NotificationsFor(c.UserContext(), "", p.DepartmentID.String, 20)
	if err != nil {
		return nil, err
	}
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
