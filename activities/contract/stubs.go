package contract

import (
	"context"

	"xinyong/domain"
)

// One method per activity of *activities.Activities, with the same signature; see Activities.

const notRun = "contract.Activities only names activities; the worker runs *activities.Activities"

func (*Activities) AnnounceTraining(ctx context.Context, in AnnounceTrainingInput) error {
	panic(notRun)
}

func (*Activities) Audit(ctx context.Context, in AuditInput) error { panic(notRun) }

func (*Activities) AwaitObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	panic(notRun)
}

func (*Activities) AwaitRepairWithdrawal(ctx context.Context, in AwaitRepairWithdrawalInput) (RepairWithdrawalResult, error) {
	panic(notRun)
}

func (*Activities) AwaitWithdrawalCompleted(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	panic(notRun)
}

func (*Activities) CancelObjectionChannel(ctx context.Context, in ObjectionChannelInput) error {
	panic(notRun)
}

func (*Activities) CheckObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	panic(notRun)
}

func (*Activities) ClearObjectionMarks(ctx context.Context, objectionID int64) error { panic(notRun) }

func (*Activities) CloseTask(ctx context.Context, in CloseTaskInput) error { panic(notRun) }

func (*Activities) CompleteWithdrawal(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	panic(notRun)
}

func (*Activities) ConfirmObjectionChannel(ctx context.Context, in ConfirmObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	panic(notRun)
}

func (*Activities) ConfirmPublication(ctx context.Context, in ConfirmPublicationInput) (PublicationResult, error) {
	panic(notRun)
}

func (*Activities) ConfirmWithdrawalChannel(ctx context.Context, in ConfirmChannelInput) (ChannelConfirmation, error) {
	panic(notRun)
}

func (*Activities) CorrectPenalty(ctx context.Context, in CorrectPenaltyInput) (int, error) {
	panic(notRun)
}

func (*Activities) CreateObjectionCase(ctx context.Context, in ObjectionFiling) error { panic(notRun) }

func (*Activities) CreatePublications(ctx context.Context, in CreatePublicationsInput) (PublishFacts, error) {
	panic(notRun)
}

func (*Activities) CreateRepairCase(ctx context.Context, in RepairApplication) error { panic(notRun) }

func (*Activities) Deadline(ctx context.Context, in DeadlineInput) (DeadlineResult, error) {
	panic(notRun)
}

func (*Activities) EnterpriseNames(ctx context.Context, usccs []string) (map[string]string, error) {
	panic(notRun)
}

func (*Activities) Escalate(ctx context.Context, in EscalateInput) error { panic(notRun) }

func (*Activities) RescheduleTask(ctx context.Context, in RescheduleTaskInput) error { panic(notRun) }

func (*Activities) FindOrphanCases(ctx context.Context, in FindOrphansInput) (FindOrphansResult, error) {
	panic(notRun)
}

func (*Activities) FindTrainingCertificate(ctx context.Context, uscc string) (int64, error) {
	panic(notRun)
}

func (*Activities) FindWaitingRepairs(ctx context.Context, uscc string) ([]int64, error) {
	panic(notRun)
}

func (*Activities) FinishImport(ctx context.Context, importID int64) error { panic(notRun) }

func (*Activities) IssueLetter(ctx context.Context, in IssueLetterInput) (LetterRef, error) {
	panic(notRun)
}

func (*Activities) LoadObjectionFacts(ctx context.Context, objectionID int64) (ObjectionFacts, error) {
	panic(notRun)
}

func (*Activities) LoadPenaltyFacts(ctx context.Context, penaltyID int64) (PenaltyFacts, error) {
	panic(notRun)
}

func (*Activities) LoadRepairFacts(ctx context.Context, repairID int64) (RepairFacts, error) {
	panic(notRun)
}

func (*Activities) LoadWithdrawal(ctx context.Context, id int64) (WithdrawalFacts, error) {
	panic(notRun)
}

func (*Activities) MarkObjectionChannelOverdue(ctx context.Context, in ObjectionChannelInput) error {
	panic(notRun)
}

func (*Activities) MarkObjectionChannelSent(ctx context.Context, in ObjectionChannelInput) error {
	panic(notRun)
}

func (*Activities) MarkPublicationOverdue(ctx context.Context, in PublicationChannelInput) error {
	panic(notRun)
}

func (*Activities) MarkWithdrawalChannelOverdue(ctx context.Context, in WithdrawalChannelInput) error {
	panic(notRun)
}

func (*Activities) MarkWithdrawalChannelSent(ctx context.Context, in WithdrawalChannelInput) error {
	panic(notRun)
}

func (*Activities) NextImportBatch(ctx context.Context, in NextImportBatchInput) ([]ImportStart, error) {
	panic(notRun)
}

func (*Activities) Notify(ctx context.Context, in NotifyInput) error { panic(notRun) }

func (*Activities) NotifyObjectionChannel(ctx context.Context, in ObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	panic(notRun)
}

func (*Activities) NotifyWithdrawalChannel(ctx context.Context, in WithdrawalChannelInput) (ChannelConfirmation, error) {
	panic(notRun)
}

func (*Activities) OpenObjectionChannels(ctx context.Context, in OpenObjectionChannelsInput) ([]ObjectionChannelRow, error) {
	panic(notRun)
}

func (*Activities) OpenRepairOf(ctx context.Context, penaltyID int64) (int64, error) { panic(notRun) }

func (*Activities) OpenTask(ctx context.Context, in TaskInput) error { panic(notRun) }

func (*Activities) OrderWithdrawal(ctx context.Context, in WithdrawalInput) (int64, error) {
	panic(notRun)
}

func (*Activities) PenaltyStep(ctx context.Context, in PenaltyStepInput) error { panic(notRun) }

func (*Activities) PublishToChannel(ctx context.Context, in PublicationChannelInput) (PublicationResult, error) {
	panic(notRun)
}

func (*Activities) RecordDelivery(ctx context.Context, in RecordDeliveryInput) error { panic(notRun) }

func (*Activities) RecordFraudBan(ctx context.Context, in FraudBanInput) error { panic(notRun) }

func (*Activities) RecordObjectionStep(ctx context.Context, in ObjectionStepInput) error {
	panic(notRun)
}

func (*Activities) RecordRepairStep(ctx context.Context, in RepairStepInput) error { panic(notRun) }

func (*Activities) RecordRevocation(ctx context.Context, in RecordRevocationInput) error {
	panic(notRun)
}

func (*Activities) RecordTrainingCertificate(ctx context.Context, in TrainingCertificateInput) error {
	panic(notRun)
}

func (*Activities) RecordTrainingPlan(ctx context.Context, in TrainingPlanInput) error { panic(notRun) }

func (*Activities) RecordWithdrawalLetter(ctx context.Context, in WithdrawalLetterInput) error {
	panic(notRun)
}

func (*Activities) RemindTrainingEnrollees(ctx context.Context, in RemindTrainingInput) error {
	panic(notRun)
}

func (*Activities) RepairEligibilityFacts(ctx context.Context, in RepairEligibilityInput) (domain.RepairEligibilityFacts, error) {
	panic(notRun)
}

func (*Activities) Republish(ctx context.Context, in RepublishInput) error { panic(notRun) }

func (*Activities) RestorePenaltyPublished(ctx context.Context, in RestorePublishedInput) error {
	panic(notRun)
}

func (*Activities) RuleSetFor(ctx context.Context, q RuleSetQuery) (domain.RuleSet, error) {
	panic(notRun)
}

func (*Activities) SaveTrainingEnrollments(ctx context.Context, in SaveEnrollmentsInput) error {
	panic(notRun)
}

func (*Activities) SaveTrainingRectification(ctx context.Context, in TrainingRectificationInput) error {
	panic(notRun)
}

func (*Activities) StartLifecycles(ctx context.Context, in StartLifecyclesInput) error { panic(notRun) }

func (*Activities) TrainingStep(ctx context.Context, in TrainingStepInput) error { panic(notRun) }
