package domain

// WithdrawalStatus is where a withdrawal order (一件通用) stands: ordered, its letter issued and channels notified,
// every channel confirmed.
type WithdrawalStatus string

// Withdrawal statuses.
const (
	WithdrawalPending    WithdrawalStatus = "pending"
	WithdrawalInProgress WithdrawalStatus = "in_progress"
	WithdrawalCompleted  WithdrawalStatus = "completed"
)

// WithdrawalStatuses are every order status, in the order of the procedure.
var WithdrawalStatuses = []WithdrawalStatus{WithdrawalPending, WithdrawalInProgress, WithdrawalCompleted}

// Label is the Chinese name of the order's status.
func (s WithdrawalStatus) Label() string {
	switch s {
	case WithdrawalPending:
		return "待办理"
	case WithdrawalInProgress:
		return "撤下中"
	case WithdrawalCompleted:
		return "已全部撤下"
	}
	return string(s)
}

// WithdrawalCause is why a record comes down from every channel (API values).
type WithdrawalCause string

// Withdrawal causes.
const (
	CauseRepair     WithdrawalCause = "repair"
	CauseExpiry     WithdrawalCause = "expiry"
	CauseObjection  WithdrawalCause = "objection"
	CauseRevocation WithdrawalCause = "revocation"
	// CauseBankruptcyShield: a court-approved reorganization or settlement shields the record for now (issue 14).
	CauseBankruptcyShield WithdrawalCause = "bankruptcy_shield"
)

// WithdrawalCauses lists every cause.
var WithdrawalCauses = []WithdrawalCause{CauseRepair, CauseExpiry, CauseObjection, CauseRevocation, CauseBankruptcyShield}

// Label is the Chinese name of the cause, "" for an unknown one (letters show a default instead).
func (c WithdrawalCause) Label() string {
	switch c {
	case CauseRepair:
		return "信用修复"
	case CauseExpiry:
		return "公示期满"
	case CauseObjection:
		return "异议处理"
	case CauseRevocation:
		return "原决定被撤销或者变更"
	case CauseBankruptcyShield:
		return "破产重整（和解）暂时屏蔽"
	}
	return ""
}

// ChannelStatus is where one channel stands in a withdrawal order or an objection's channel action (API.md).
type ChannelStatus string

// Channel statuses; only an objection's channel action is ever cancelled.
const (
	ChannelPending   ChannelStatus = "pending"
	ChannelSent      ChannelStatus = "sent"
	ChannelConfirmed ChannelStatus = "confirmed"
	ChannelOverdue   ChannelStatus = "overdue"
	ChannelFailed    ChannelStatus = "failed"
	ChannelCancelled ChannelStatus = "cancelled"
)

// Label is the Chinese name of the channel's status.
func (s ChannelStatus) Label() string {
	switch s {
	case ChannelPending:
		return "待通知"
	case ChannelSent:
		return "已通知，待确认"
	case ChannelConfirmed:
		return "已确认撤下"
	case ChannelOverdue:
		return "逾期未确认"
	case ChannelFailed:
		return "通知失败"
	case ChannelCancelled:
		return "已取消"
	}
	return string(s)
}

// PublicationStatus is where a record's publication (双公示) stands on one channel (publications.status).
type PublicationStatus string

// Publication statuses: a publication is sent to the channel, confirmed published, and withdrawn at the end.
const (
	PublicationPending   PublicationStatus = "pending"
	PublicationSent      PublicationStatus = "sent"
	PublicationPublished PublicationStatus = "published"
	PublicationOverdue   PublicationStatus = "overdue"
	PublicationFailed    PublicationStatus = "failed"
	PublicationWithdrawn PublicationStatus = "withdrawn"
)

// Label is the Chinese name of the publication's status.
func (s PublicationStatus) Label() string {
	switch s {
	case PublicationPending:
		return "待公示"
	case PublicationSent:
		return "已推送"
	case PublicationPublished:
		return "已公示"
	case PublicationOverdue:
		return "逾期未公示"
	case PublicationFailed:
		return "推送失败"
	case PublicationWithdrawn:
		return "已撤下"
	}
	return string(s)
}

// ChannelKind is how a publishing channel is reached: a webhook channel's system is called over HTTPS; a manual
// channel's operator confirms on the platform.
type ChannelKind string

// Channel kinds.
const (
	ChannelWebhook ChannelKind = "webhook"
	ChannelManual  ChannelKind = "manual"
)

// Label is the Chinese name of the kind.
func (k ChannelKind) Label() string {
	switch k {
	case ChannelWebhook:
		return "系统对接"
	case ChannelManual:
		return "人工确认"
	}
	return string(k)
}
