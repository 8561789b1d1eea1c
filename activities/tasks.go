package activities

import (
	"context"

	"xinyong/domain"
	"xinyong/storage"
)

// OpenTask creates a task once per case and step.
func (a *Activities) OpenTask(ctx context.Context, in TaskInput) error {
	return a.DB.OpenTask(ctx, taskRow(in))
}

// OpenTasks creates several tasks, each once per case and step, in one transaction.
func (a *Activities) OpenTasks(ctx context.Context, in OpenTasksInput) error {
	ts := make([]storage.Task, len(in.Tasks))
	for i, t := range in.Tasks {
		ts[i] = taskRow(t)
	}
	return a.DB.OpenTaskBatch(ctx, ts)
}

func taskRow(in TaskInput) storage.Task {
	t := storage.Task{
		CaseKind: string(in.CaseKind), CaseID: in.CaseID, Step: in.Step, Title: in.Title, AssigneeRole: in.AssigneeRole,
		DepartmentID: nullString(in.DepartmentID), ChannelID: nullString(in.ChannelID), USCC: nullString(in.USCC),
	}
	if in.DueOn != nil {
		t.DueOn.Time, t.DueOn.Valid = in.DueOn.Time(domain.Shanghai), true
	}
	return t
}

// CloseTask closes a task; closing it twice changes nothing.
func (a *Activities) CloseTask(ctx context.Context, in CloseTaskInput) error {
	if in.Status == "" {
		in.Status = domain.TaskDone
	}
	return a.DB.CloseTask(ctx, in.CaseKind, in.CaseID, in.Step, in.Status)
}

// Escalate marks the task overdue and opens a credit-office task for it (once).
func (a *Activities) Escalate(ctx context.Context, in EscalateInput) error {
	if err := a.DB.MarkTaskOverdue(ctx, in.CaseKind, in.CaseID, in.Step); err != nil {
		return err
	}
	return a.OpenTask(ctx, TaskInput{
		CaseKind: in.CaseKind, CaseID: in.CaseID, Step: "escalation:" + in.Step, Title: in.Title,
		AssigneeRole: domain.RoleCreditOffice, DueOn: in.DueOn,
	})
}

// Notify records a notification once per key.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	return a.DB.Notify(ctx, storage.Notification{
		USCC: nullString(in.USCC), DepartmentID: nullString(in.DepartmentID), Kind: in.Kind, Title: in.Title, Body: in.Body,
		CaseKind: string(in.CaseKind), CaseID: in.CaseID, DedupKey: nullString(in.Key),
	})
}

// Audit appends to the audit log once per key.
func (a *Activities) Audit(ctx context.Context, in AuditInput) error {
	if in.Actor == "" {
		in.Actor, in.Role = "system", "system"
	}
	e := storage.AuditEntry{Actor: in.Actor, Role: in.Role, Action: in.Action, CaseKind: string(in.CaseKind), CaseID: in.CaseID}
	if in.Key != "" {
		e.DedupKey = &in.Key
	}
	return a.DB.Audit(ctx, e, in.Details)
}

// RescheduleTask moves an open task's due date; a closed or missing task is left alone.
func (a *Activities) RescheduleTask(ctx context.Context, in RescheduleTaskInput) error {
	return a.DB.RescheduleTask(ctx, string(in.CaseKind), in.CaseID, in.Step, in.DueOn)
}
