package contract

import (
	"encoding/json"
	"time"

	"xinyong/domain"
)

// ObjectionMarkText is how channels label a record while an objection to it is handled.
const ObjectionMarkText = "异议处理中"

// ObjectionChannelFacts is a channel that shows the record when the objection comes in.
type ObjectionChannelFacts struct {
	ChannelID        string
	Name             string
	Kind             domain.ChannelKind
	DeadlineWorkdays int
}

// ObjectionFacts is what the objection workflow needs to know about its case: read once at its start and kept in
// its history, so the workflow never reads the database itself.
type ObjectionFacts struct {
	ObjectionID          int64
	PenaltyID            int64
	RepairID             int64
	Grounds              domain.ObjectionGrounds
	Statement            string
	FiledOn              domain.Date
	FiledBy              string
	FiledByRole          string
	CommitmentAcceptedAt time.Time
	CommitmentRemoteAddr string
	AttachmentIDs        []int64
	USCC                 string
	EnterpriseName       string
	LegalRepresentative  string
	DepartmentID         string
	DepartmentName       string
	DepartmentContact    string
	DecisionNo           string
	DecidedOn            domain.Date
	PenaltyStatus        domain.PenaltyStatus
	// RuleSet is the rule set in force on the filing date; Deadlines come from it.
	RuleSet   string
	Deadlines domain.Deadlines
	// Channels show the record now (none for an objection to a refused repair, which marks nothing).
	Channels []ObjectionChannelFacts
	// RepairDecisionNo and RepairStatus describe the refused repair case (against_refusal only).
	RepairDecisionNo string
	RepairStatus     domain.RepairStatus
}

// ObjectionStepInput is a step of an objection: the case's progress after it and what to audit. Seq is the
// workflow's step number: it keys the audit entry (so a retry writes nothing twice) and orders the row's writes.
type ObjectionStepInput struct {
	ObjectionID int64
	Seq         int64
	Action      string
	Actor       string
	Role        string
	Progress    ObjectionProgress
	Details     map[string]any
}

// OpenObjectionChannelsInput asks channels to do an action for an objection by their due dates.
type OpenObjectionChannelsInput struct {
	ObjectionID int64
	Action      domain.ObjectionAction
	Channels    []ObjectionChannelDue
}

// ObjectionChannelRow is one channel action as recorded.
type ObjectionChannelRow struct {
	ChannelID   string
	Name        string
	Kind        domain.ChannelKind
	Action      domain.ObjectionAction
	Status      domain.ChannelStatus
	DueOn       domain.Date
	ConfirmedAt time.Time
	Reference   string
}

// ObjectionChannelInput names one channel action of an objection.
type ObjectionChannelInput struct {
	ObjectionID int64
	ChannelID   string
	Action      domain.ObjectionAction
}

// ObjectionChannelConfirmation is a channel's confirmation of an action as recorded.
type ObjectionChannelConfirmation struct {
	ChannelID   string
	Action      domain.ObjectionAction
	Status      domain.ChannelStatus
	ConfirmedAt time.Time
	Reference   string
	ConfirmedBy string
	Attempts    int
}

// CorrectedRecordPayload is the record as corrected, with what changed.
type CorrectedRecordPayload struct {
	Version         int             `json:"version"`
	DecisionNo      string          `json:"decision_no"`
	EnterpriseName  string          `json:"enterprise_name"`
	DecidedOn       string          `json:"decided_on"`
	PenaltyTypes    []string        `json:"penalty_types"`
	FineAmountYuan  string          `json:"fine_amount_yuan"`
	Facts           string          `json:"facts"`
	LegalBasis      string          `json:"legal_basis"`
	Class           string          `json:"class"`
	PublicationEnds string          `json:"publication_ends"`
	Changes         json.RawMessage `json:"changes,omitempty"`
}

// ObjectionPayload is the body of an objection call to a channel.
type ObjectionPayload struct {
	Event       string                  `json:"event"`
	Action      domain.ObjectionAction  `json:"action"`
	ObjectionID int64                   `json:"objection_id"`
	Record      RecordPayload           `json:"record"`
	Mark        string                  `json:"mark,omitempty"`
	Outcome     domain.ObjectionOutcome `json:"outcome,omitempty"`
	Corrected   *CorrectedRecordPayload `json:"corrected,omitempty"`
	DueOn       string                  `json:"due_on"`
}

// ConfirmObjectionChannelInput is an operator's confirmation that the channel did what an objection asked.
type ConfirmObjectionChannelInput struct {
	ObjectionID int64
	ChannelID   string
	Action      domain.ObjectionAction
	Reference   string
	// By is the operator's login.
	By string
}

// CorrectPenaltyInput is a correction an objection decided.
type CorrectPenaltyInput struct {
	ObjectionID int64
	PenaltyID   int64
	Correction  domain.PenaltyCorrection
	Reason      string
	// By is the department user who decided it.
	By string
}

// ErrDuplicateDecisionNo is the error type of a correction to a decision number the department already uses.
const ErrDuplicateDecisionNo = "duplicate_decision_no"

// ObjectionWithdrawalInput names the record a withdrawn objection takes down.
type ObjectionWithdrawalInput struct {
	ObjectionID int64
	PenaltyID   int64
}

// ObjectionWithdrawalResult is the withdrawal of a record after an objection (WithdrawalID 0 when the record ended
// without an order, e.g. it was never published).
type ObjectionWithdrawalResult struct {
	Done          bool
	WithdrawalID  int64
	Cause         domain.WithdrawalCause
	Status        domain.WithdrawalStatus
	PenaltyStatus domain.PenaltyStatus
}

// ErrObjectionWithdrawalPending is the error type AwaitObjectionWithdrawal fails with while the record is still
// shown somewhere; the activity's retry policy is the poll.
const ErrObjectionWithdrawalPending = "objection_withdrawal_pending"

// ObjectionProgress is what the objection workflow knows about its case and hands to RecordObjectionStep at every
// step; it is workflow state, so its JSON names are part of recorded histories. ObjectionProgress is its
// row (same fields, converted directly).
type ObjectionProgress struct {
	Status             domain.ObjectionStatus  `json:"status"`
	Holder             domain.Holder           `json:"holder"`
	MarkDue            domain.Date             `json:"mark_due"`
	MarkedOn           domain.Date             `json:"marked_on"`
	ForwardDue         domain.Date             `json:"forward_due"`
	ForwardedOn        domain.Date             `json:"forwarded_on"`
	VerifyDue          domain.Date             `json:"verify_due"`
	OriginalVerifyDue  domain.Date             `json:"original_verify_due"`
	Extended           bool                    `json:"extended"`
	ExtendedOn         domain.Date             `json:"extended_on"`
	ExtensionReason    string                  `json:"extension_reason"`
	Overdue            bool                    `json:"overdue"`
	Outcome            domain.ObjectionOutcome `json:"outcome"`
	OutcomeReason      string                  `json:"outcome_reason"`
	Corrections        json.RawMessage         `json:"corrections"`
	ResolvedOn         domain.Date             `json:"resolved_on"`
	ResolvedBy         string                  `json:"resolved_by"`
	ResolvedInTime     *bool                   `json:"resolved_in_time"`
	ResultNo           string                  `json:"result_no"`
	PenaltyVersion     int                     `json:"penalty_version"`
	CommitmentLetterID int64                   `json:"commitment_letter_id"`
	ExtensionLetterID  int64                   `json:"extension_letter_id"`
	ResultLetterID     int64                   `json:"result_letter_id"`
	WithdrawalID       int64                   `json:"withdrawal_id"`
	RepairReopened     bool                    `json:"repair_reopened"`
}

// ObjectionChannelDue is a channel to ask and the date its answer is due.
type ObjectionChannelDue struct {
	ChannelID string
	DueOn     domain.Date
}
