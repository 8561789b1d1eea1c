package contract

import (
	"xinyong/domain"
)

// TaskInput opens a task for a principal: a department (DepartmentID), a channel operator (ChannelID),
// an enterprise (USCC) or the credit office (none of them).
type TaskInput struct {
	CaseKind     domain.CaseKind
	CaseID       string
	Step         string
	Title        string
	AssigneeRole domain.Role
	DepartmentID string
	ChannelID    string
	USCC         string
	DueOn        *domain.Date
}

// OpenTasksInput opens several tasks at once (a publication's operators' tasks, one a channel).
type OpenTasksInput struct {
	Tasks []TaskInput
}

// CloseTaskInput names a task to close.
type CloseTaskInput struct {
	CaseKind     domain.CaseKind
	CaseID, Step string
	// Status is done (default) or cancelled.
	Status domain.TaskStatus
}

// EscalateInput names a task whose deadline passed and the credit-office task that chases it.
type EscalateInput struct {
	CaseKind     domain.CaseKind
	CaseID, Step string
	// Title is the credit office's task, e.g. "认定部门逾期未受理".
	Title string
	DueOn *domain.Date
}

// RescheduleTaskInput moves an open task's due date (a provisional deadline counted again).
type RescheduleTaskInput struct {
	CaseKind     domain.CaseKind
	CaseID, Step string
	DueOn        domain.Date
}

// NotifyInput is a message to an enterprise or a department; Key makes it happen once.
type NotifyInput struct {
	Key          string
	USCC         string
	DepartmentID string
	Kind         string
	Title        string
	Body         string
	CaseKind     domain.CaseKind
	CaseID       string
}

// AuditInput is a state change a workflow made; Key makes it recorded once.
type AuditInput struct {
	Key      string
	Actor    string
	Role     string
	Action   string
	CaseKind domain.CaseKind
	CaseID   string
	Details  map[string]any
}
