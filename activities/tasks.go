package activities

import (
	"context"

	"xinyong/domain"
	"xinyong/storage"
)

// TaskInput opens a task for a principal: a department (DepartmentID), a channel operator (ChannelID),
// an enterprise (USCC) or the credit office (none of them).
type TaskInput struct {
	CaseKind     string
	CaseID       string
	Step         string
	Title        string
	AssigneeRole storage.Role
	DepartmentID string
	ChannelID    string
	USCC         string
	DueOn        *domain.Date
}

// OpenTask creates a task once per case and step.
func (a *Activities) OpenTask(ctx context.Context, in TaskInput) error {
	t := storage.Task{
		CaseKind: in.CaseKind, CaseID: in.CaseID, Step: in.Step, Title: in.Title, AssigneeRole: in.AssigneeRole,
		DepartmentID: nullString(in.DepartmentID), ChannelID: nullString(in.ChannelID), USCC: nullString(in.USCC),
	}
	if in.DueOn != nil {
		t.DueOn.Time, t.DueOn.Valid = in.DueOn.Time(domain.Shanghai), true
	}
	return a.DB.OpenTask(ctx, t)
}

// CloseTaskInput names a task to close.
type CloseTaskInput struct {
	CaseKind, CaseID, Step string
	// Status is done (default) or cancelled.
	Status string
}

// CloseTask closes a task; closing it twice changes nothing.
func (a *Activities) CloseTask(ctx context.Context, in CloseTaskInput) error {
	if in.Status == "" {
		in.Status = "done"
	}
	return a.DB.CloseTask(ctx, in.CaseKind, in.CaseID, in.Step, in.Status)
}

// EscalateInput names a task whose deadline passed and the credit-office task that chases it.
type EscalateInput struct {
	CaseKind, CaseID, Step string
	// Title is the credit office's task, e.g. "认定部门逾期未受理".
	Title string
	DueOn *domain.Date
}

// Escalate marks the task overdue and opens a credit-office task for it (once).
func (a *Activities) Escalate(ctx context.Context, in EscalateInput) error {
	if err := a.DB.MarkTaskOverdue(ctx, in.CaseKind, in.CaseID, in.Step); err != nil {
		return err
	}
	return a.OpenTask(ctx, TaskInput{
		CaseKind: in.CaseKind, CaseID: in.CaseID, Step: "escalation:" + in.Step, Title: in.Title,
		AssigneeRole: storage.RoleCreditOffice, DueOn: in.DueOn,
	})
}

// NotifyInput is a message to an enterprise or a department; Key makes it happen once.
type NotifyInput struct {
	Key          string
	USCC         string
	DepartmentID string
	Kind         string
	Title        string
	Body         string
	CaseKind     string
	CaseID       string
}

// Notify records a notification once per key.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	return a.DB.Notify(ctx, storage.Notification{
		USCC: nullString(in.USCC), DepartmentID: nullString(in.DepartmentID), Kind: in.Kind, Title: in.Title, Body: in.Body,
		CaseKind: in.CaseKind, CaseID: in.CaseID, DedupKey: nullString(in.Key),
	})
}

// AuditInput is a state change a workflow made; Key makes it recorded once.
type AuditInput struct {
	Key      string
	Actor    string
	Role     string
	Action   string
	CaseKind string
	CaseID   string
	Details  map[string]any
}

// Audit appends to the audit log once per key.
func (a *Activities) Audit(ctx context.Context, in AuditInput) error {
	if in.Actor == "" {
		in.Actor, in.Role = "system", "system"
	}
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: in.Action, CaseKind: in.CaseKind, CaseID: in.CaseID}
	if in.Key != "" {
		e.DedupKey = &in.Key
	}
	return a.DB.Audit(ctx, e, in.Details)
}
