package contract

import (
	"context"

	"xinyong/domain"
)

// Implementation is what runs the activities: *activities.Activities implements it (checked where it is declared),
// and the worker registers it bound to Activities (Bind), so the set of activities is exactly the methods below.
// Adding an activity: its input and result types in this package, a line here, its delegating method below, and
// its implementation in package activities.
type Implementation interface {
	RestartPublicationPeriod(ctx context.Context, in RestartPeriodInput) error
	AwaitInboundResult(ctx context.Context, in InboundCase) (InboundResult, error)
	SendInboundResult(ctx context.Context, in InboundResult) error
	AnnounceTraining(ctx context.Context, in AnnounceTrainingInput) error
	Audit(ctx context.Context, in AuditInput) error
	AwaitObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error)
	AwaitRepairWithdrawal(ctx context.Context, in AwaitRepairWithdrawalInput) (RepairWithdrawalResult, error)
	AwaitWithdrawalCompleted(ctx context.Context, id int64) (WithdrawalOutcome, error)
	CancelObjectionChannel(ctx context.Context, in ObjectionChannelInput) error
	CheckObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error)
	ClearObjectionMarks(ctx context.Context, objectionID int64) error
	CloseTask(ctx context.Context, in CloseTaskInput) error
	CompleteWithdrawal(ctx context.Context, id int64) (WithdrawalOutcome, error)
	ConfirmObjectionChannel(ctx context.Context, in ConfirmObjectionChannelInput) (ObjectionChannelConfirmation, error)
	ConfirmPublication(ctx context.Context, in ConfirmPublicationInput) (PublicationResult, error)
	ConfirmWithdrawalChannel(ctx context.Context, in ConfirmChannelInput) (ChannelConfirmation, error)
	CorrectPenalty(ctx context.Context, in CorrectPenaltyInput) (int, error)
	CreateFraudRecord(ctx context.Context, in FraudRecordInput) (int64, error)
	CreateObjectionCase(ctx context.Context, in ObjectionFiling) error
	CreatePublications(ctx context.Context, in CreatePublicationsInput) (PublishFacts, error)
	CreateRepairCase(ctx context.Context, in RepairApplication) error
	Deadline(ctx context.Context, in DeadlineInput) (DeadlineResult, error)
	CountDeadlines(ctx context.Context, in CountDeadlinesInput) ([]domain.CaseDeadline, error)
	CountPeriodsFromPublication(ctx context.Context, penaltyID int64) (PublicationPeriods, error)
	RecountDeadlines(ctx context.Context, in RecountDeadlinesInput) (RecountResult, error)
	EnterpriseNames(ctx context.Context, usccs []string) (map[string]string, error)
	Escalate(ctx context.Context, in EscalateInput) error
	FindOrphanCases(ctx context.Context, in FindOrphansInput) (FindOrphansResult, error)
	FindTrainingCertificate(ctx context.Context, uscc string) (int64, error)
	FindWaitingRepairs(ctx context.Context, uscc string) ([]int64, error)
	FinishImport(ctx context.Context, importID int64) error
	IssueLetter(ctx context.Context, in IssueLetterInput) (LetterRef, error)
	LoadObjectionFacts(ctx context.Context, objectionID int64) (ObjectionFacts, error)
	LoadPenaltyFacts(ctx context.Context, penaltyID int64) (PenaltyFacts, error)
	LoadRepairFacts(ctx context.Context, repairID int64) (RepairFacts, error)
	LoadShieldFacts(ctx context.Context, id int64) (ShieldFacts, error)
	LoadWithdrawal(ctx context.Context, id int64) (WithdrawalFacts, error)
	MarkObjectionChannelOverdue(ctx context.Context, in ObjectionChannelInput) error
	MarkObjectionChannelSent(ctx context.Context, in ObjectionChannelInput) error
	MarkPublicationOverdue(ctx context.Context, in PublicationChannelInput) error
	MarkWithdrawalChannelOverdue(ctx context.Context, in WithdrawalChannelInput) error
	MarkWithdrawalChannelSent(ctx context.Context, in WithdrawalChannelInput) error
	NextImportBatch(ctx context.Context, in NextImportBatchInput) ([]ImportStart, error)
	Notify(ctx context.Context, in NotifyInput) error
	NotifyObjectionChannel(ctx context.Context, in ObjectionChannelInput) (ObjectionChannelConfirmation, error)
	NotifyWithdrawalChannel(ctx context.Context, in WithdrawalChannelInput) (ChannelConfirmation, error)
	OpenObjectionChannels(ctx context.Context, in OpenObjectionChannelsInput) ([]ObjectionChannelRow, error)
	OpenRepairOf(ctx context.Context, penaltyID int64) (int64, error)
	OpenTask(ctx context.Context, in TaskInput) error
	OpenTasks(ctx context.Context, in OpenTasksInput) error
	OrderWithdrawal(ctx context.Context, in WithdrawalInput) (int64, error)
	PenaltyStep(ctx context.Context, in PenaltyStepInput) error
	PublishToChannel(ctx context.Context, in PublicationChannelInput) (PublicationResult, error)
	RecordDelivery(ctx context.Context, in RecordDeliveryInput) error
	RecordFraudBan(ctx context.Context, in FraudBanInput) error
	RecordObjectionStep(ctx context.Context, in ObjectionStepInput) error
	RecordRepairStep(ctx context.Context, in RepairStepInput) error
	RecordRevocation(ctx context.Context, in RecordRevocationInput) error
	RecordShieldStep(ctx context.Context, in ShieldStepInput) error
	RecordTrainingCertificate(ctx context.Context, in TrainingCertificateInput) error
	RecordTrainingPlan(ctx context.Context, in TrainingPlanInput) error
	RecordWithdrawalLetter(ctx context.Context, in WithdrawalLetterInput) error
	RemindTrainingEnrollees(ctx context.Context, in RemindTrainingInput) error
	RepairEligibilityFacts(ctx context.Context, in RepairEligibilityInput) (domain.RepairEligibilityFacts, error)
	Republish(ctx context.Context, in RepublishInput) error
	RescheduleTask(ctx context.Context, in RescheduleTaskInput) error
	RestorePenaltyPublished(ctx context.Context, in RestorePublishedInput) error
	RuleSetFor(ctx context.Context, q RuleSetQuery) (domain.RuleSet, error)
	SaveTrainingEnrollments(ctx context.Context, in SaveEnrollmentsInput) error
	SaveTrainingRectification(ctx context.Context, in TrainingRectificationInput) error
	StartLifecycles(ctx context.Context, in StartLifecyclesInput) error
	TrainingStep(ctx context.Context, in TrainingStepInput) error
}

// Bind makes the activities the worker registers (worker.RegisterActivity(contract.Bind(impl))): each method of
// Activities runs the implementation's method of the same name.
func Bind(impl Implementation) *Activities { return &Activities{impl: impl} }

func (a *Activities) AnnounceTraining(ctx context.Context, in AnnounceTrainingInput) error {
	return a.impl.AnnounceTraining(ctx, in)
}

func (a *Activities) Audit(ctx context.Context, in AuditInput) error { return a.impl.Audit(ctx, in) }

func (a *Activities) AwaitObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	return a.impl.AwaitObjectionWithdrawal(ctx, in)
}

func (a *Activities) AwaitRepairWithdrawal(ctx context.Context, in AwaitRepairWithdrawalInput) (RepairWithdrawalResult, error) {
	return a.impl.AwaitRepairWithdrawal(ctx, in)
}

func (a *Activities) AwaitWithdrawalCompleted(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	return a.impl.AwaitWithdrawalCompleted(ctx, id)
}

func (a *Activities) CancelObjectionChannel(ctx context.Context, in ObjectionChannelInput) error {
	return a.impl.CancelObjectionChannel(ctx, in)
}

func (a *Activities) CheckObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	return a.impl.CheckObjectionWithdrawal(ctx, in)
}

func (a *Activities) ClearObjectionMarks(ctx context.Context, objectionID int64) error {
	return a.impl.ClearObjectionMarks(ctx, objectionID)
}

func (a *Activities) CloseTask(ctx context.Context, in CloseTaskInput) error {
	return a.impl.CloseTask(ctx, in)
}

func (a *Activities) CompleteWithdrawal(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	return a.impl.CompleteWithdrawal(ctx, id)
}

func (a *Activities) ConfirmObjectionChannel(ctx context.Context, in ConfirmObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	return a.impl.ConfirmObjectionChannel(ctx, in)
}

func (a *Activities) ConfirmPublication(ctx context.Context, in ConfirmPublicationInput) (PublicationResult, error) {
	return a.impl.ConfirmPublication(ctx, in)
}

func (a *Activities) ConfirmWithdrawalChannel(ctx context.Context, in ConfirmChannelInput) (ChannelConfirmation, error) {
	return a.impl.ConfirmWithdrawalChannel(ctx, in)
}

func (a *Activities) CorrectPenalty(ctx context.Context, in CorrectPenaltyInput) (int, error) {
	return a.impl.CorrectPenalty(ctx, in)
}

func (a *Activities) CreateFraudRecord(ctx context.Context, in FraudRecordInput) (int64, error) {
	return a.impl.CreateFraudRecord(ctx, in)
}

func (a *Activities) CreateObjectionCase(ctx context.Context, in ObjectionFiling) error {
	return a.impl.CreateObjectionCase(ctx, in)
}

func (a *Activities) CreatePublications(ctx context.Context, in CreatePublicationsInput) (PublishFacts, error) {
	return a.impl.CreatePublications(ctx, in)
}

func (a *Activities) CreateRepairCase(ctx context.Context, in RepairApplication) error {
	return a.impl.CreateRepairCase(ctx, in)
}

func (a *Activities) Deadline(ctx context.Context, in DeadlineInput) (DeadlineResult, error) {
	return a.impl.Deadline(ctx, in)
}

func (a *Activities) EnterpriseNames(ctx context.Context, usccs []string) (map[string]string, error) {
	return a.impl.EnterpriseNames(ctx, usccs)
}

func (a *Activities) Escalate(ctx context.Context, in EscalateInput) error {
	return a.impl.Escalate(ctx, in)
}

func (a *Activities) FindOrphanCases(ctx context.Context, in FindOrphansInput) (FindOrphansResult, error) {
	return a.impl.FindOrphanCases(ctx, in)
}

func (a *Activities) FindTrainingCertificate(ctx context.Context, uscc string) (int64, error) {
	return a.impl.FindTrainingCertificate(ctx, uscc)
}

func (a *Activities) FindWaitingRepairs(ctx context.Context, uscc string) ([]int64, error) {
	return a.impl.FindWaitingRepairs(ctx, uscc)
}

func (a *Activities) FinishImport(ctx context.Context, importID int64) error {
	return a.impl.FinishImport(ctx, importID)
}

func (a *Activities) IssueLetter(ctx context.Context, in IssueLetterInput) (LetterRef, error) {
	return a.impl.IssueLetter(ctx, in)
}

func (a *Activities) LoadObjectionFacts(ctx context.Context, objectionID int64) (ObjectionFacts, error) {
	return a.impl.LoadObjectionFacts(ctx, objectionID)
}

func (a *Activities) LoadPenaltyFacts(ctx context.Context, penaltyID int64) (PenaltyFacts, error) {
	return a.impl.LoadPenaltyFacts(ctx, penaltyID)
}

func (a *Activities) LoadRepairFacts(ctx context.Context, repairID int64) (RepairFacts, error) {
	return a.impl.LoadRepairFacts(ctx, repairID)
}

func (a *Activities) LoadShieldFacts(ctx context.Context, id int64) (ShieldFacts, error) {
	return a.impl.LoadShieldFacts(ctx, id)
}

func (a *Activities) LoadWithdrawal(ctx context.Context, id int64) (WithdrawalFacts, error) {
	return a.impl.LoadWithdrawal(ctx, id)
}

func (a *Activities) MarkObjectionChannelOverdue(ctx context.Context, in ObjectionChannelInput) error {
	return a.impl.MarkObjectionChannelOverdue(ctx, in)
}

func (a *Activities) MarkObjectionChannelSent(ctx context.Context, in ObjectionChannelInput) error {
	return a.impl.MarkObjectionChannelSent(ctx, in)
}

func (a *Activities) MarkPublicationOverdue(ctx context.Context, in PublicationChannelInput) error {
	return a.impl.MarkPublicationOverdue(ctx, in)
}

func (a *Activities) MarkWithdrawalChannelOverdue(ctx context.Context, in WithdrawalChannelInput) error {
	return a.impl.MarkWithdrawalChannelOverdue(ctx, in)
}

func (a *Activities) MarkWithdrawalChannelSent(ctx context.Context, in WithdrawalChannelInput) error {
	return a.impl.MarkWithdrawalChannelSent(ctx, in)
}

func (a *Activities) NextImportBatch(ctx context.Context, in NextImportBatchInput) ([]ImportStart, error) {
	return a.impl.NextImportBatch(ctx, in)
}

func (a *Activities) Notify(ctx context.Context, in NotifyInput) error { return a.impl.Notify(ctx, in) }

func (a *Activities) NotifyObjectionChannel(ctx context.Context, in ObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	return a.impl.NotifyObjectionChannel(ctx, in)
}

func (a *Activities) NotifyWithdrawalChannel(ctx context.Context, in WithdrawalChannelInput) (ChannelConfirmation, error) {
	return a.impl.NotifyWithdrawalChannel(ctx, in)
}

func (a *Activities) OpenObjectionChannels(ctx context.Context, in OpenObjectionChannelsInput) ([]ObjectionChannelRow, error) {
	return a.impl.OpenObjectionChannels(ctx, in)
}

func (a *Activities) OpenRepairOf(ctx context.Context, penaltyID int64) (int64, error) {
	return a.impl.OpenRepairOf(ctx, penaltyID)
}

func (a *Activities) OpenTask(ctx context.Context, in TaskInput) error {
	return a.impl.OpenTask(ctx, in)
}

func (a *Activities) OpenTasks(ctx context.Context, in OpenTasksInput) error {
	return a.impl.OpenTasks(ctx, in)
}

func (a *Activities) OrderWithdrawal(ctx context.Context, in WithdrawalInput) (int64, error) {
	return a.impl.OrderWithdrawal(ctx, in)
}

func (a *Activities) PenaltyStep(ctx context.Context, in PenaltyStepInput) error {
	return a.impl.PenaltyStep(ctx, in)
}

func (a *Activities) PublishToChannel(ctx context.Context, in PublicationChannelInput) (PublicationResult, error) {
	return a.impl.PublishToChannel(ctx, in)
}

func (a *Activities) RecordDelivery(ctx context.Context, in RecordDeliveryInput) error {
	return a.impl.RecordDelivery(ctx, in)
}

func (a *Activities) RecordFraudBan(ctx context.Context, in FraudBanInput) error {
	return a.impl.RecordFraudBan(ctx, in)
}

func (a *Activities) RecordObjectionStep(ctx context.Context, in ObjectionStepInput) error {
	return a.impl.RecordObjectionStep(ctx, in)
}

func (a *Activities) RecordRepairStep(ctx context.Context, in RepairStepInput) error {
	return a.impl.RecordRepairStep(ctx, in)
}

func (a *Activities) RecordRevocation(ctx context.Context, in RecordRevocationInput) error {
	return a.impl.RecordRevocation(ctx, in)
}

func (a *Activities) RecordShieldStep(ctx context.Context, in ShieldStepInput) error {
	return a.impl.RecordShieldStep(ctx, in)
}

func (a *Activities) RecordTrainingCertificate(ctx context.Context, in TrainingCertificateInput) error {
	return a.impl.RecordTrainingCertificate(ctx, in)
}

func (a *Activities) RecordTrainingPlan(ctx context.Context, in TrainingPlanInput) error {
	return a.impl.RecordTrainingPlan(ctx, in)
}

func (a *Activities) RecordWithdrawalLetter(ctx context.Context, in WithdrawalLetterInput) error {
	return a.impl.RecordWithdrawalLetter(ctx, in)
}

func (a *Activities) RemindTrainingEnrollees(ctx context.Context, in RemindTrainingInput) error {
	return a.impl.RemindTrainingEnrollees(ctx, in)
}

func (a *Activities) RepairEligibilityFacts(ctx context.Context, in RepairEligibilityInput) (domain.RepairEligibilityFacts, error) {
	return a.impl.RepairEligibilityFacts(ctx, in)
}

func (a *Activities) Republish(ctx context.Context, in RepublishInput) error {
	return a.impl.Republish(ctx, in)
}

func (a *Activities) RescheduleTask(ctx context.Context, in RescheduleTaskInput) error {
	return a.impl.RescheduleTask(ctx, in)
}

func (a *Activities) RestorePenaltyPublished(ctx context.Context, in RestorePublishedInput) error {
	return a.impl.RestorePenaltyPublished(ctx, in)
}

func (a *Activities) RuleSetFor(ctx context.Context, q RuleSetQuery) (domain.RuleSet, error) {
	return a.impl.RuleSetFor(ctx, q)
}

func (a *Activities) SaveTrainingEnrollments(ctx context.Context, in SaveEnrollmentsInput) error {
	return a.impl.SaveTrainingEnrollments(ctx, in)
}

func (a *Activities) SaveTrainingRectification(ctx context.Context, in TrainingRectificationInput) error {
	return a.impl.SaveTrainingRectification(ctx, in)
}

func (a *Activities) StartLifecycles(ctx context.Context, in StartLifecyclesInput) error {
	return a.impl.StartLifecycles(ctx, in)
}

func (a *Activities) TrainingStep(ctx context.Context, in TrainingStepInput) error {
	return a.impl.TrainingStep(ctx, in)
}

func (a *Activities) CountDeadlines(ctx context.Context, in CountDeadlinesInput) ([]domain.CaseDeadline, error) {
	return a.impl.CountDeadlines(ctx, in)
}

func (a *Activities) RecountDeadlines(ctx context.Context, in RecountDeadlinesInput) (RecountResult, error) {
	return a.impl.RecountDeadlines(ctx, in)
}

func (a *Activities) CountPeriodsFromPublication(ctx context.Context, penaltyID int64) (PublicationPeriods, error) {
	return a.impl.CountPeriodsFromPublication(ctx, penaltyID)
}
