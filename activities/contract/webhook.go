package contract

import (
	"xinyong/domain"
)

// RecordPayload is the record a channel shows.
type RecordPayload struct {
	PenaltyID      int64  `json:"penalty_id"`
	DecisionNo     string `json:"decision_no"`
	USCC           string `json:"uscc"`
	EnterpriseName string `json:"enterprise_name"`
	Department     string `json:"department"`
	DecidedOn      string `json:"decided_on"`
}

// WithdrawalPayload is the body of a withdrawal notification.
type WithdrawalPayload struct {
	Event         string                 `json:"event"`
	WithdrawalID  int64                  `json:"withdrawal_id"`
	Record        RecordPayload          `json:"record"`
	Cause         domain.WithdrawalCause `json:"cause"`
	CauseDecision string                 `json:"cause_decision,omitempty"`
	LetterID      int64                  `json:"letter_id,omitempty"`
	VerifyURL     string                 `json:"verify_url,omitempty"`
	DueOn         string                 `json:"due_on"`
}

// PublicationPayload is the body of a publication request.
type PublicationPayload struct {
	Event           string        `json:"event"`
	Record          RecordPayload `json:"record"`
	Class           string        `json:"class"`
	PenaltyTypes    []string      `json:"penalty_types"`
	PublicationEnds string        `json:"publication_ends"`
	DueOn           string        `json:"due_on,omitempty"`
}
