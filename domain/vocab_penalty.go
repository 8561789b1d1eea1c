package domain

// PenaltyStatus is where a penalty's lifecycle stands (penalties.status, the penalty workflow's state).
type PenaltyStatus string

// The statuses of a penalty's lifecycle, in the order it reaches them; withdrawn and revoked both end it.
const (
	PenaltyRegistered   PenaltyStatus = "registered"
	PenaltyNoticeIssued PenaltyStatus = "notice_issued"
	PenaltyDelivered    PenaltyStatus = "delivered"
	PenaltyPublished    PenaltyStatus = "published"
	PenaltyEligible     PenaltyStatus = "eligible"
	PenaltyWithdrawing  PenaltyStatus = "withdrawing"
	PenaltyWithdrawn    PenaltyStatus = "withdrawn"
	PenaltyRevoked      PenaltyStatus = "revoked"
)

// PenaltyStatuses lists the statuses in lifecycle order.
var PenaltyStatuses = []PenaltyStatus{PenaltyRegistered, PenaltyNoticeIssued, PenaltyDelivered, PenaltyPublished,
	PenaltyEligible, PenaltyWithdrawing, PenaltyWithdrawn, PenaltyRevoked}

// Rank orders statuses: a status is only ever replaced by a later one, so steps that finish out of order
// (publication confirmed before delivery is recorded) and retried writes never move a record backwards. An unknown
// status ranks -1.
func (s PenaltyStatus) Rank() int {
	switch s {
	case PenaltyRevoked:
		return 7 // a revoked decision outranks a plain withdrawal: it says why the record came down
	case PenaltyWithdrawn:
		return 6
	}
	for i, v := range PenaltyStatuses {
		if v == s {
			return i
		}
	}
	return -1
}

// Label is the Chinese name of the status.
func (s PenaltyStatus) Label() string {
	switch s {
	case PenaltyRegistered:
		return "已登记"
	case PenaltyNoticeIssued:
		return "已出具告知书"
	case PenaltyDelivered:
		return "已送达"
	case PenaltyPublished:
		return "公示中"
	case PenaltyEligible:
		return "可申请修复"
	case PenaltyWithdrawing:
		return "撤下公示中"
	case PenaltyWithdrawn:
		return "已撤下公示"
	case PenaltyRevoked:
		return "决定已撤销"
	}
	return string(s)
}

// DeliveryMethod is how a decision and its repair notice were delivered (API values).
type DeliveryMethod string

// Delivery methods under the Administrative Penalty Law and the Civil Procedure Law.
const (
	DeliveryInPerson   DeliveryMethod = "in_person"
	DeliveryPost       DeliveryMethod = "post"
	DeliveryElectronic DeliveryMethod = "electronic"
	DeliveryRefused    DeliveryMethod = "refused"
)

// DeliveryMethods lists every delivery method.
var DeliveryMethods = []DeliveryMethod{DeliveryInPerson, DeliveryPost, DeliveryElectronic, DeliveryRefused}

// Label is the Chinese name of the delivery method, "" for an unknown one (letters show a default instead).
func (m DeliveryMethod) Label() string {
	switch m {
	case DeliveryInPerson:
		return "直接送达"
	case DeliveryPost:
		return "邮寄送达"
	case DeliveryElectronic:
		return "电子送达"
	case DeliveryRefused:
		return "留置送达"
	}
	return ""
}
