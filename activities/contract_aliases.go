package activities

import "xinyong/activities/contract"

// Activities implements every activity the workflows name (contract.Activities runs them bound to it).
var _ contract.Implementation = (*Activities)(nil)

// The activities' inputs, results and error codes are declared in package contract, which workflow code imports
// instead of this package (it must not depend on storage); these aliases let the implementation and its callers
// name them here.
type (
	RepairApplication            = contract.RepairApplication
	RepairEligibilityInput       = contract.RepairEligibilityInput
	ObjectionFiling              = contract.ObjectionFiling
	WithdrawalInput              = contract.WithdrawalInput
	WithdrawalChannelFacts       = contract.WithdrawalChannelFacts
	WithdrawalFacts              = contract.WithdrawalFacts
	WithdrawalLetterInput        = contract.WithdrawalLetterInput
	WithdrawalChannelInput       = contract.WithdrawalChannelInput
	ChannelConfirmation          = contract.ChannelConfirmation
	ConfirmChannelInput          = contract.ConfirmChannelInput
	WithdrawalOutcome            = contract.WithdrawalOutcome
	CreatePublicationsInput      = contract.CreatePublicationsInput
	PublicationChannel           = contract.PublicationChannel
	PublishFacts                 = contract.PublishFacts
	PublicationResult            = contract.PublicationResult
	PublicationChannelInput      = contract.PublicationChannelInput
	ConfirmPublicationInput      = contract.ConfirmPublicationInput
	RepublishInput               = contract.RepublishInput
	NextImportBatchInput         = contract.NextImportBatchInput
	LifecycleArgs                = contract.LifecycleArgs
	LifecycleStart               = contract.LifecycleStart
	StartLifecyclesInput         = contract.StartLifecyclesInput
	ImportStart                  = contract.ImportStart
	IssueLetterInput             = contract.IssueLetterInput
	LetterRef                    = contract.LetterRef
	ObjectionChannelFacts        = contract.ObjectionChannelFacts
	ObjectionFacts               = contract.ObjectionFacts
	ObjectionStepInput           = contract.ObjectionStepInput
	OpenObjectionChannelsInput   = contract.OpenObjectionChannelsInput
	ObjectionChannelRow          = contract.ObjectionChannelRow
	ObjectionChannelInput        = contract.ObjectionChannelInput
	ObjectionChannelConfirmation = contract.ObjectionChannelConfirmation
	CorrectedRecordPayload       = contract.CorrectedRecordPayload
	ObjectionPayload             = contract.ObjectionPayload
	ConfirmObjectionChannelInput = contract.ConfirmObjectionChannelInput
	CorrectPenaltyInput          = contract.CorrectPenaltyInput
	ObjectionWithdrawalInput     = contract.ObjectionWithdrawalInput
	ObjectionWithdrawalResult    = contract.ObjectionWithdrawalResult
	ObjectionProgress            = contract.ObjectionProgress
	ObjectionChannelDue          = contract.ObjectionChannelDue
	PenaltyFacts                 = contract.PenaltyFacts
	PenaltyStepInput             = contract.PenaltyStepInput
	RecordDeliveryInput          = contract.RecordDeliveryInput
	RecordRevocationInput        = contract.RecordRevocationInput
	FindOrphansInput             = contract.FindOrphansInput
	FindOrphansResult            = contract.FindOrphansResult
	TrainingSession              = contract.TrainingSession
	DeadlineInput                = contract.DeadlineInput
	DeadlineResult               = contract.DeadlineResult
	RuleSetQuery                 = contract.RuleSetQuery
	RepairFacts                  = contract.RepairFacts
	RepairStepInput              = contract.RepairStepInput
	AwaitRepairWithdrawalInput   = contract.AwaitRepairWithdrawalInput
	RepairWithdrawalResult       = contract.RepairWithdrawalResult
	FraudBanInput                = contract.FraudBanInput
	RestorePublishedInput        = contract.RestorePublishedInput
	RepairProgress               = contract.RepairProgress
	TaskInput                    = contract.TaskInput
	OpenTasksInput               = contract.OpenTasksInput
	CloseTaskInput               = contract.CloseTaskInput
	EscalateInput                = contract.EscalateInput
	RescheduleTaskInput          = contract.RescheduleTaskInput
	CountDeadlinesInput          = contract.CountDeadlinesInput
	RecountDeadlinesInput        = contract.RecountDeadlinesInput
	RecountResult                = contract.RecountResult
	PublicationPeriods           = contract.PublicationPeriods
	NotifyInput                  = contract.NotifyInput
	AuditInput                   = contract.AuditInput
	TrainingEnrollment           = contract.TrainingEnrollment
	SaveEnrollmentsInput         = contract.SaveEnrollmentsInput
	TrainingStepInput            = contract.TrainingStepInput
	TrainingPlanInput            = contract.TrainingPlanInput
	AnnounceTrainingInput        = contract.AnnounceTrainingInput
	RemindTrainingInput          = contract.RemindTrainingInput
	TrainingCertificateInput     = contract.TrainingCertificateInput
	TrainingRectificationInput   = contract.TrainingRectificationInput
	RecordPayload                = contract.RecordPayload
	WithdrawalPayload            = contract.WithdrawalPayload
	PublicationPayload           = contract.PublicationPayload
)

const (
	ErrInvalidLetter              = contract.ErrInvalidLetter
	ErrRepairCaseOpen             = contract.ErrRepairCaseOpen
	ErrObjectionCaseOpen          = contract.ErrObjectionCaseOpen
	CreditOfficeIssuer            = contract.CreditOfficeIssuer
	CreditOfficeLetterName        = contract.CreditOfficeLetterName
	CreditOfficeCodeWord          = contract.CreditOfficeCodeWord
	CreditOfficeContact           = contract.CreditOfficeContact
	ErrNotWebhook                 = contract.ErrNotWebhook
	ObjectionMarkText             = contract.ObjectionMarkText
	ErrDuplicateDecisionNo        = contract.ErrDuplicateDecisionNo
	ErrObjectionWithdrawalPending = contract.ErrObjectionWithdrawalPending
	ApplyWindow                   = contract.ApplyWindow
	LifecycleShape                = contract.LifecycleShape
	ErrWithdrawalPending          = contract.ErrWithdrawalPending
)
