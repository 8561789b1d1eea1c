package domain

// CaseKind is the kind of case a task, a notification, a letter or an audit entry belongs to; with the case's id
// it names the case (repair 12 is case kind repair, id "12", workflow repair-12).
type CaseKind string

// The kinds of case.
const (
	CasePenalty       CaseKind = "penalty"
	CasePublication   CaseKind = "publication"
	CaseRepair        CaseKind = "repair"
	CaseObjection     CaseKind = "objection"
	CaseWithdrawal    CaseKind = "withdrawal"
	CaseTraining      CaseKind = "training"
	CasePenaltyImport CaseKind = "penalty_import"
)

// Label is the Chinese name of the kind of case.
func (k CaseKind) Label() string {
	switch k {
	case CasePenalty:
		return "行政处罚信息"
	case CasePublication:
		return "信息公示"
	case CaseRepair:
		return "信用修复"
	case CaseObjection:
		return "异议申诉"
	case CaseWithdrawal:
		return "撤下公示"
	case CaseTraining:
		return "信用修复培训"
	case CasePenaltyImport:
		return "批量导入"
	}
	return string(k)
}

// TaskStatus is where a task in someone's inbox stands.
type TaskStatus string

// Task statuses: a task is open until its step is done or it is cancelled because the case moved on without it.
const (
	TaskOpen      TaskStatus = "open"
	TaskDone      TaskStatus = "done"
	TaskCancelled TaskStatus = "cancelled"
)

// Label is the Chinese name of the status.
func (s TaskStatus) Label() string {
	switch s {
	case TaskOpen:
		return "待办"
	case TaskDone:
		return "已办结"
	case TaskCancelled:
		return "已取消"
	}
	return string(s)
}
