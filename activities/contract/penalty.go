package contract

import (
	"xinyong/domain"
)

// PenaltyFacts is what the penalty workflow needs to know about its record: read once at its start and kept in its
// history, so the workflow never reads the database itself.
type PenaltyFacts struct {
	PenaltyID         int64
	DepartmentID      string
	DepartmentName    string
	DepartmentContact string
	DecisionNo        string
	DecidedOn         domain.Date
	USCC              string
	EnterpriseName    string
	EnterpriseAddress string
	Class             domain.Class
	Published         bool
	RuleSet           string
	// Regulation is the rule set's regulation as letters cite it (empty in histories recorded before it existed).
	Regulation  string
	PublishDue  domain.Date
	DeliveryDue domain.Date
	// RepairEligibleFrom and PublicationEnds are the periods recorded at registration.
	RepairEligibleFrom domain.Date
	PublicationEnds    domain.Date
	// MinPublishMonths and MaxPublishMonths are the class's periods under the recorded rule set, for the notice.
	MinPublishMonths int
	MaxPublishMonths int
	// AutoEnds marks a record that stops by itself with no application (samr low fines).
	AutoEnds             bool
	RepairableEarly      bool
	RequiresTraining     bool
	RequiresCreditReport bool
	NoNewSamePenalty     bool
	// Reasons explain the class and periods in Chinese (from domain.ComputePublication).
	Reasons []string
	// Channels are the names of the channels the record is published on (empty when it is not published).
	Channels []string
	// AcceptWorkdays, DecideWorkdays and RevocationWithdrawalWorkdays are the rule set's deadlines the notice and
	// the workflow need.
	AcceptWorkdays               int
	DecideWorkdays               int
	RevocationWithdrawalWorkdays int
	// DeliveryWorkdays and PublicationWorkdays count DeliveryDue and PublishDue from the decision (zero in
	// histories recorded before they existed).
	DeliveryWorkdays    int
	PublicationWorkdays int
	// ApplyOnline and ApplyWindow say where the enterprise applies (一网通办, 一窗受理).
	ApplyOnline string
	ApplyWindow string
}

// ApplyWindow is the single service window (一窗受理) printed on repair notices.
const ApplyWindow = "市政务服务中心社会信用窗口（市信用办）"

// PenaltyStepInput is a step of a penalty's lifecycle: the status it reached ("" to keep it) and what to audit.
type PenaltyStepInput struct {
	PenaltyID int64
	Status    domain.PenaltyStatus
	// Action is the audit action (penalty.notice_issued, penalty.published, ...); one per penalty, so it also keys
	// the audit entry and a retried step writes nothing twice.
	Action  string
	Actor   string
	Role    string
	Details map[string]any
}

// RecordDeliveryInput is a delivery the workflow accepted.
type RecordDeliveryInput struct {
	PenaltyID   int64
	Method      domain.DeliveryMethod
	DeliveredOn domain.Date
	SignedBy    string
	Witness     string
	Consent     bool
	Actor       string
	Role        string
}

// RecordRevocationInput is a revocation of the decision the workflow accepted.
type RecordRevocationInput struct {
	PenaltyID int64
	DecidedOn domain.Date
	Reason    string
	Actor     string
	Role      string
}

// PublicationPeriods are a record's periods after its publication date became known (SAMR Order 45 art. 13:
// periods run from the publication date); Changed is false when nothing moved.
type PublicationPeriods struct {
	PublishedOn        domain.Date
	RepairEligibleFrom domain.Date
	PublicationEnds    domain.Date
	Changed            bool
}
