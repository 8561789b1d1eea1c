package contract

import (
	"time"

	"xinyong/domain"
)

// AbnormalRemovalDecisionWorkdays is the decision deadline of a removal from the business-abnormality list
// (Order 107 art. 12: 2 working days from acceptance).
const AbnormalRemovalDecisionWorkdays = 2

// RepairFacts is what the repair workflow needs to know about its case: read once at its start (or when a later
// run resumes a case) and kept in its history, so the workflow never reads the database itself.
type RepairFacts struct {
	RepairID            int64
	PenaltyID           int64
	USCC                string
	EnterpriseName      string
	LegalRepresentative string
	DepartmentID        string
	DepartmentName      string
	DepartmentContact   string
	DecisionNo          string
	DecidedOn           domain.Date
	Class               domain.Class
	Published           bool
	PublicationEnds     domain.Date
	// Channels are the names of the channels that publish the record (for the approval letter).
	Channels []string
	// RuleSet is the rule set in force on the application date; Deadlines and the requirements come from it.
	RuleSet string
	// Regulation is the rule set's regulation as letters cite it (empty in histories recorded before it existed).
	Regulation               string
	Deadlines                domain.Deadlines
	RequiresTraining         bool
	RequiresCreditReport     bool
	FraudBanMonths           int
	FraudRestartsPublication bool
	// MaxPublishMonths is the class's longest publication (a publication restarted after fraud lasts that long).
	MaxPublishMonths     int
	AppliedOn            domain.Date
	Statement            string
	ApplicantLogin       string
	CommitmentAcceptedAt time.Time
	CommitmentRemoteAddr string
	// TrainingLetterID is the enterprise's newest training certificate, issued before the case started (0: none).
	TrainingLetterID int64
	// RecordKind is the kind of the record repaired (domain.RecordKind*): a listing's removal is a repair of it.
	RecordKind string `json:",omitempty"`
	// Seq and Progress are the case as last recorded, for a run that resumes it.
	Seq      int64
	Progress RepairProgress
}

// RepairStepInput is a step of a repair case: the case's progress after it, the materials it brought, and what to
// audit. Seq is the workflow's step number: it keys the audit entry (so a retry writes nothing twice) and orders
// the row's writes (so a late one never overwrites a newer one).
type RepairStepInput struct {
	RepairID    int64
	Seq         int64
	Action      string
	Actor       string
	Role        string
	Progress    RepairProgress
	Attachments []int64
	Purpose     string
	Details     map[string]any
}

// AwaitRepairWithdrawalInput names the record of an approved repair.
type AwaitRepairWithdrawalInput struct {
	RepairID  int64
	PenaltyID int64
}

// RepairWithdrawalResult is the completed withdrawal of a repaired record (WithdrawalID 0 when the record ended
// without an order, e.g. it was never published).
type RepairWithdrawalResult struct {
	WithdrawalID int64
	Cause        domain.WithdrawalCause
}

// ErrWithdrawalPending is the error type AwaitRepairWithdrawal fails with while the record is still shown somewhere;
// the activity's retry policy is the poll.
const ErrWithdrawalPending = "withdrawal_pending"

// FraudBanInput records that a repair was revoked for fraud and bars repairing the record until BannedUntil.
type FraudBanInput struct {
	RepairID    int64
	PenaltyID   int64
	USCC        string
	Reason      string
	RevokedOn   domain.Date
	BannedUntil domain.Date
	LetterID    int64
	Actor       string
}

// RestorePublishedInput puts a republished record's status back to published.
type RestorePublishedInput struct {
	PenaltyID int64
	RepairID  int64
	Reason    string
}

// RepairProgress is what the repair workflow knows about its case and hands to RecordRepairStep at every step; it is
// workflow state, so its JSON names are part of recorded histories. RepairProgress is its row (same fields,
// converted directly).
type RepairProgress struct {
	Status                   domain.RepairStatus `json:"status"`
	Holder                   domain.Holder       `json:"holder"`
	Round                    int                 `json:"round"`
	WaitingTraining          bool                `json:"waiting_training"`
	WaitingCreditReport      bool                `json:"waiting_credit_report"`
	ReceivedOn               domain.Date         `json:"received_on"`
	AcceptanceDue            domain.Date         `json:"acceptance_due"`
	AcceptedOn               domain.Date         `json:"accepted_on"`
	DecisionDue              domain.Date         `json:"decision_due"`
	OverallDue               domain.Date         `json:"overall_due"`
	SupplementDue            domain.Date         `json:"supplement_due"`
	RectificationDue         domain.Date         `json:"rectification_due"`
	RectificationSubmitted   bool                `json:"rectification_submitted"`
	RectificationMissed      bool                `json:"rectification_missed"`
	WarningInterviewOn       domain.Date         `json:"warning_interview_on"`
	Extended                 bool                `json:"extended"`
	SupplementRequested      bool                `json:"supplement_requested"`
	Overdue                  bool                `json:"overdue"`
	DecidedOn                domain.Date         `json:"decided_on"`
	DecidedInTime            *bool               `json:"decided_in_time"`
	Approved                 *bool               `json:"approved"`
	DecisionNo               string              `json:"decision_no"`
	DecisionReason           string              `json:"decision_reason"`
	CommitmentLetterID       int64               `json:"commitment_letter_id"`
	TrainingLetterID         int64               `json:"training_letter_id"`
	CreditReportAttachmentID int64               `json:"credit_report_attachment_id"`
	WithdrawalID             int64               `json:"withdrawal_id"`
	// Provisional names the deadlines counted over days not yet known (acceptance_due, decision_due, overall_due):
	// shown as 暂定 and counted again when the holiday notice is loaded.
	Provisional domain.DeadlineNames `json:"provisional_deadlines,omitempty"`
}
