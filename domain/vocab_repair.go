package domain

// RepairStatus is where a repair case (repair-<id>) stands.
type RepairStatus string

// The statuses of a repair case.
const (
	RepairSubmitted           RepairStatus = "submitted"            // received at the single window, not yet forwarded
	RepairWaitingConditions   RepairStatus = "waiting_conditions"   // waits for a training certificate or a credit report
	RepairPendingAcceptance   RepairStatus = "pending_acceptance"   // in the department's inbox: accept, ask once, or refuse
	RepairSupplementRequested RepairStatus = "supplement_requested" // the enterprise supplements what is missing
	RepairVerifying           RepairStatus = "verifying"            // accepted: the department verifies and decides
	RepairRectifying          RepairStatus = "rectifying"           // the department set a rectification deadline
	RepairNotAccepted         RepairStatus = "not_accepted"         // 不予受理
	RepairRefused             RepairStatus = "refused"              // 不予信用修复
	RepairApproved            RepairStatus = "approved"             // 准予信用修复: the record is being withdrawn everywhere
	RepairClosed              RepairStatus = "closed"               // approved and withdrawn everywhere
	RepairCancelled           RepairStatus = "cancelled"            // withdrawn by the applicant before the decision
	RepairRevoked             RepairStatus = "revoked"              // the repair was revoked for fraud
)

// RepairStatuses lists every status in procedure order.
var RepairStatuses = []RepairStatus{RepairSubmitted, RepairWaitingConditions, RepairPendingAcceptance,
	RepairSupplementRequested, RepairVerifying, RepairRectifying, RepairNotAccepted, RepairRefused, RepairApproved,
	RepairClosed, RepairCancelled, RepairRevoked}

// RepairOpenStatuses are the statuses of a case still in progress (one per record at a time).
var RepairOpenStatuses = []RepairStatus{RepairSubmitted, RepairWaitingConditions, RepairPendingAcceptance,
	RepairSupplementRequested, RepairVerifying, RepairRectifying, RepairApproved}

// Label is the Chinese name of the status.
func (s RepairStatus) Label() string {
	switch s {
	case RepairSubmitted:
		return "已提交"
	case RepairWaitingConditions:
		return "等待修复条件"
	case RepairPendingAcceptance:
		return "待受理"
	case RepairSupplementRequested:
		return "待补正"
	case RepairVerifying:
		return "核实中"
	case RepairRectifying:
		return "整改中"
	case RepairNotAccepted:
		return "不予受理"
	case RepairRefused:
		return "不予修复"
	case RepairApproved:
		return "准予修复，撤下公示中"
	case RepairClosed:
		return "已办结"
	case RepairCancelled:
		return "申请人已撤回"
	case RepairRevoked:
		return "修复已撤销（失信）"
	}
	return string(s)
}

// Holder is who must act next on a repair or objection case ("" once nobody has to).
type Holder string

// The holders of a case.
const (
	HolderNone         Holder = ""
	HolderCreditOffice Holder = "credit_office"
	HolderDepartment   Holder = "department"
	HolderEnterprise   Holder = "enterprise"
	HolderChannels     Holder = "channels"
)

// Label is the Chinese name of the holder, "—" when nobody holds the case.
func (h Holder) Label() string {
	switch h {
	case HolderCreditOffice:
		return "市信用办"
	case HolderDepartment:
		return "认定部门"
	case HolderEnterprise:
		return "申请企业"
	case HolderChannels:
		return "公示渠道"
	}
	return "—"
}
