package workflows

import "strconv"

// Workflow IDs are business keys, so a repeated start of the same case is harmless.

// PenaltyWorkflowID is the lifecycle of one penalty record.
func PenaltyWorkflowID(penaltyID int64) string { return "penalty-" + strconv.FormatInt(penaltyID, 10) }

// PublishWorkflowID is the 双公示 publication of one penalty record on its channels.
func PublishWorkflowID(penaltyID int64) string { return "publish-" + strconv.FormatInt(penaltyID, 10) }

// WithdrawalWorkflowID is one withdrawal order (一件通用); the order id is unique per record and cause.
func WithdrawalWorkflowID(withdrawalID int64) string {
	return "withdrawal-" + strconv.FormatInt(withdrawalID, 10)
}

// ImportWorkflowID is the background start of the lifecycles of one CSV import.
func ImportWorkflowID(importID int64) string { return "import-" + strconv.FormatInt(importID, 10) }

// RepairWorkflowID is one credit-repair case.
func RepairWorkflowID(repairID int64) string { return "repair-" + strconv.FormatInt(repairID, 10) }

// ObjectionWorkflowID is one objection case.
func ObjectionWorkflowID(objectionID int64) string {
	return "objection-" + strconv.FormatInt(objectionID, 10)
}

// TrainingWorkflowID is one training session.
func TrainingWorkflowID(trainingID int64) string {
	return "training-" + strconv.FormatInt(trainingID, 10)
}
