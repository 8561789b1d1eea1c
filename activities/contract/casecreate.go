package contract

import (
	"time"

	"xinyong/domain"
)

// ErrRepairCaseOpen is the non-retryable error type of CreateRepairCase when another case of the record is open;
// its details are the open case's id.
const ErrRepairCaseOpen = "repair_case_open"

// RepairApplication is a repair application as the handler accepted it, for CreateRepairCase.
type RepairApplication struct {
	RepairID                 int64
	PenaltyID                int64
	USCC                     string
	DepartmentID             string
	RuleSet                  string
	AppliedOn                domain.Date
	Statement                string
	ApplicantLogin           string
	ApplicantRole            string
	CommitmentAcceptedAt     time.Time
	CommitmentRemoteAddr     string
	AttachmentIDs            []int64
	CreditReportAttachmentID int64
}

// RepairEligibilityInput names the record to judge, the case that judges it (not counted as another open case)
// and the day.
type RepairEligibilityInput struct {
	PenaltyID int64
	RepairID  int64
	Today     domain.Date
}

// ErrObjectionCaseOpen is the non-retryable error type of CreateObjectionCase when the applicant already has an
// open objection on the record; its details are the open case's id.
const ErrObjectionCaseOpen = "objection_open"

// ObjectionFiling is an objection as the handler accepted it, for CreateObjectionCase.
type ObjectionFiling struct {
	ObjectionID          int64
	PenaltyID            int64
	USCC                 string
	DepartmentID         string
	RepairID             int64
	Grounds              domain.ObjectionGrounds
	Statement            string
	RuleSet              string
	FiledOn              domain.Date
	FiledBy              string
	FiledByRole          string
	CommitmentAcceptedAt time.Time
	CommitmentRemoteAddr string
	AttachmentIDs        []int64
}
