package contract

import (
	"fmt"

	"xinyong/domain"
)

// FraudRecordInput is the fraud record a repair case publishes when the department refuses for fraud.
type FraudRecordInput struct {
	RepairID        int64
	RestsOn         int64
	DepartmentID    string
	Number          string
	USCC            string
	EnterpriseName  string
	FoundOn         domain.Date
	PublishDue      domain.Date
	PublicationEnds domain.Date
	Facts           string
	RuleSet         string
	Actor           string
}

// ShieldCase is a bankruptcy shielding case as the workflow knows it (storage.Shield's fields).
type ShieldCase struct {
	ID                 int64        `json:"id"`
	USCC               string       `json:"uscc"`
	DepartmentID       string       `json:"department_id"`
	Procedure          string       `json:"procedure"`
	RulingNo           string       `json:"ruling_no"`
	RulingAttachmentID int64        `json:"ruling_attachment_id"`
	Applicant          string       `json:"applicant"`
	ApplicantRole      string       `json:"applicant_role"`
	AdministratorName  string       `json:"administrator_name"`
	RuleSet            string       `json:"rule_set"`
	AppliedOn          domain.Date  `json:"applied_on"`
	DecisionDue        *domain.Date `json:"decision_due"`
	Status             string       `json:"status"`
	DecidedOn          *domain.Date `json:"decided_on"`
	DecisionNo         string       `json:"decision_no"`
	DecisionReason     string       `json:"decision_reason"`
	RecordIDs          []int64      `json:"record_ids"`
	RestoredOn         *domain.Date `json:"restored_on"`
	RestoreRulingNo    string       `json:"restore_ruling_no"`
}

// ShieldFacts is what the shielding workflow needs, read once: the case, the enterprise, the department, the
// deadline and the records it covers.
type ShieldFacts struct {
	Shield         ShieldCase
	EnterpriseName string
	DepartmentName string
	Workdays       int
	Channels       []string
	Records        []ShieldRecord
}

// ShieldRecord is one record a shield covers.
type ShieldRecord struct {
	ID    int64
	Title string // e.g. 行政处罚（镇环罚〔2026〕15号）
}

// ShieldStepInput is a step of a shielding case: its row as the workflow knows it and the audit entry.
type ShieldStepInput struct {
	Shield  ShieldCase
	Action  string
	Actor   string
	Seq     int
	Details map[string]any
}

// ShieldDecisionNo is the number of a department's shield letter.
func ShieldDecisionNo(departmentName, kind string, on domain.Date, id int64) string {
	return fmt.Sprintf("%s%s〔%d〕%d号", departmentName, kind, on.Y, id)
}
