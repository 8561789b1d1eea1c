package contract

import (
	"time"

	"xinyong/domain"
)

// CreditOfficeIssuer is the issuer printed on 告知函 (一件通用 letters come from the credit office).
const CreditOfficeIssuer = "市信用办"

// CreditOfficeLetterName is the credit office's name as letters are signed with it, and CreditOfficeCodeWord
// its 机关代字, which starts its document numbers.
const (
	CreditOfficeLetterName = "镇江市社会信用体系建设领导小组办公室"
	CreditOfficeCodeWord   = "镇信用办"
)

// CreditOfficeContact is printed on 告知函 for channels' questions.
const CreditOfficeContact = "市信用办信用修复窗口（市政务服务中心社会信用窗口）"

// WithdrawalInput orders a record's withdrawal from every channel for a cause.
type WithdrawalInput struct {
	PenaltyID int64
	// Cause is repair, expiry, objection or revocation.
	Cause domain.WithdrawalCause
	// CauseRef names the case behind the order, e.g. "repair-12", "objection-3" or the revocation reason.
	CauseRef string
	// CauseDecision is the Chinese text naming the decision behind it, printed in the 告知函.
	CauseDecision string
	// OrderedOn is the order's date (workflow time); zero means today.
	OrderedOn domain.Date
}

// WithdrawalChannelFacts is one addressed channel as the workflow knows it.
type WithdrawalChannelFacts struct {
	ChannelID   string
	Name        string
	Kind        domain.ChannelKind
	DueOn       domain.Date
	Provisional bool `json:",omitempty"`
	Status      domain.ChannelStatus
	ConfirmedAt time.Time
	Reference   string `json:",omitempty"`
}

// WithdrawalFacts is what the withdrawal workflow needs: the order, its record and its channels, read once.
type WithdrawalFacts struct {
	// Regulation is what the 告知函 cites for the record's rule set (domain.RuleSet.WithdrawalRegulation); empty
	// in histories recorded before it existed, when the letter cites 《信用修复管理办法》.
	Regulation     string `json:",omitempty"`
	ID             int64
	PenaltyID      int64
	Cause          domain.WithdrawalCause
	CauseRef       string
	CauseDecision  string
	Status         domain.WithdrawalStatus
	OrderedOn      domain.Date
	LetterID       int64
	DepartmentID   string
	DepartmentName string
	DecisionNo     string
	DecidedOn      domain.Date
	USCC           string
	EnterpriseName string
	Channels       []WithdrawalChannelFacts
}

// WithdrawalLetterInput records an order's 告知函.
type WithdrawalLetterInput struct {
	WithdrawalID int64
	LetterID     int64
}

// WithdrawalChannelInput names one channel of an order.
type WithdrawalChannelInput struct {
	WithdrawalID int64
	ChannelID    string
}

// ChannelConfirmation is a channel's confirmation as recorded.
type ChannelConfirmation struct {
	ChannelID   string
	ConfirmedAt time.Time
	Reference   string
	ConfirmedBy string
	Attempts    int
}

// ConfirmChannelInput is an operator's confirmation that the channel withdrew the record.
type ConfirmChannelInput struct {
	WithdrawalID int64
	ChannelID    string
	Reference    string
	// By is the operator's login.
	By string
}

// WithdrawalOutcome is a completed order.
type WithdrawalOutcome struct {
	WithdrawalID int64
	CompletedAt  time.Time
}

// ErrNotWebhook is the error type of a call to a channel that was switched to manual confirmation meanwhile: the
// workflow then waits for its operator instead.
const ErrNotWebhook = "channel_not_webhook"

// CreatePublicationsInput names the record to publish and its due date.
type CreatePublicationsInput struct {
	PenaltyID int64
	DueOn     domain.Date
}

// PublicationChannel is one channel a record is to be published on, as the publish workflow knows it.
type PublicationChannel struct {
	ChannelID string
	Name      string
	Kind      domain.ChannelKind
	Status    string
	// Blocked: the record was ordered withdrawn; it is not (re)published there.
	Blocked bool
}

// PublishFacts is what the publish workflow needs: the record and its channels.
type PublishFacts struct {
	PenaltyID      int64
	DecisionNo     string
	EnterpriseName string
	DepartmentID   string
	Published      bool
	Channels       []PublicationChannel
}

// PublicationResult says how a publication ended: published, or not sent because the record was withdrawn.
type PublicationResult struct {
	ChannelID string
	Published bool
	Withdrawn bool
}

// PublicationChannelInput names one publication.
type PublicationChannelInput struct {
	PenaltyID int64
	ChannelID string
}

// ConfirmPublicationInput is a manual channel operator's confirmation that the record is shown.
type ConfirmPublicationInput struct {
	PenaltyID int64
	ChannelID string
	Reference string
	By        string
}

// RepublishInput is the explicit new decision that puts a withdrawn record back.
type RepublishInput struct {
	PenaltyID int64
	Reason    string
	// Key makes the republication happen once (e.g. the workflow id and run).
	Key string
}
