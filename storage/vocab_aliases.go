package storage

import "xinyong/domain"

// Aliases kept until http is switched to domain names; do not add new uses. The vocabulary (statuses, causes,
// grounds, kinds, roles and their Chinese labels) lives in package domain. The constants here are untyped copies
// (TestVocabAliases checks them against domain) so that http code comparing them with plain strings and with
// domain-typed fields both compile; the label functions accept either too.

type Role = domain.Role

// The roles stay typed, as they were before the move.
const (
	RoleEnterprise      = domain.RoleEnterprise
	RoleDepartment      = domain.RoleDepartment
	RoleCreditOffice    = domain.RoleCreditOffice
	RoleAgency          = domain.RoleAgency
	RoleChannelOperator = domain.RoleChannelOperator
	RoleAdmin           = domain.RoleAdmin
)

var Roles = domain.Roles

const (
	PenaltyRegistered   = "registered"
	PenaltyNoticeIssued = "notice_issued"
	PenaltyDelivered    = "delivered"
	PenaltyPublished    = "published"
	PenaltyEligible     = "eligible"
	PenaltyWithdrawing  = "withdrawing"
	PenaltyWithdrawn    = "withdrawn"
	PenaltyRevoked      = "revoked"
)

var PenaltyStatuses = stringsOf(domain.PenaltyStatuses)

func PenaltyStatusRank[T ~string](status T) int     { return domain.PenaltyStatus(status).Rank() }
func PenaltyStatusLabel[T ~string](status T) string { return domain.PenaltyStatus(status).Label() }

const (
	RepairSubmitted           = "submitted"
	RepairWaitingConditions   = "waiting_conditions"
	RepairPendingAcceptance   = "pending_acceptance"
	RepairSupplementRequested = "supplement_requested"
	RepairVerifying           = "verifying"
	RepairRectifying          = "rectifying"
	RepairNotAccepted         = "not_accepted"
	RepairRefused             = "refused"
	RepairApproved            = "approved"
	RepairClosed              = "closed"
	RepairCancelled           = "cancelled"
	RepairRevoked             = "revoked"
)

var (
	RepairStatuses     = stringsOf(domain.RepairStatuses)
	RepairOpenStatuses = stringsOf(domain.RepairOpenStatuses)
)

func RepairStatusLabel[T ~string](status T) string { return domain.RepairStatus(status).Label() }
func RepairHolderLabel[T ~string](holder T) string { return domain.Holder(holder).Label() }

const (
	ObjectionSubmitted = "submitted"
	ObjectionVerifying = "verifying"
	ObjectionResolved  = "resolved"
	ObjectionClosed    = "closed"

	GroundsNotMine            = "not_mine"
	GroundsWrongContent       = "wrong_content"
	GroundsDuplicate          = "duplicate"
	GroundsShouldNotPublish   = "should_not_publish"
	GroundsOverduePublication = "overdue_publication"
	GroundsInconsistent       = "inconsistent"
	GroundsAgainstRefusal     = "against_refusal"

	OutcomeCorrected = "corrected"
	OutcomeWithdrawn = "withdrawn"
	OutcomeUpheld    = "upheld"

	ObjectionMark    = "mark"
	ObjectionUnmark  = "unmark"
	ObjectionCorrect = "correct"
)

var (
	ObjectionStatuses = stringsOf(domain.ObjectionStatuses)
	ObjectionGrounds  = stringsOf(domain.AllObjectionGrounds)
)

func ObjectionStatusLabel[T ~string](status T) string   { return domain.ObjectionStatus(status).Label() }
func ObjectionGroundsLabel[T ~string](g T) string       { return domain.ObjectionGrounds(g).Label() }
func ObjectionOutcomeLabel[T ~string](o T) string       { return domain.ObjectionOutcome(o).Label() }
func ObjectionActionLabel[T ~string](a T) string        { return domain.ObjectionAction(a).Label() }
func ObjectionChannelStatusLabel[T ~string](s T) string { return domain.ChannelStatus(s).Label() }

const (
	WithdrawalPending    = "pending"
	WithdrawalInProgress = "in_progress"
	WithdrawalCompleted  = "completed"

	ChannelPending   = "pending"
	ChannelSent      = "sent"
	ChannelConfirmed = "confirmed"
	ChannelOverdue   = "overdue"
	ChannelFailed    = "failed"

	ChannelWebhook = "webhook"
	ChannelManual  = "manual"
)

var WithdrawalCauses = stringsOf(domain.WithdrawalCauses)

func WithdrawalCauseLabel[T ~string](cause T) string { return domain.WithdrawalCause(cause).Label() }
func WithdrawalStatusLabel[T ~string](status T) string {
	return domain.WithdrawalStatus(status).Label()
}
func WithdrawalChannelStatusLabel[T ~string](status T) string {
	return domain.ChannelStatus(status).Label()
}
func ChannelKindLabel[T ~string](kind T) string { return domain.ChannelKind(kind).Label() }

const (
	TrainingPlanned = "planned"
	TrainingOpen    = "open"
	TrainingStarted = "started"
	TrainingClosed  = "closed"

	EnrollmentEnrolled   = "enrolled"
	EnrollmentWaitlisted = "waitlisted"
	EnrollmentCancelled  = "cancelled"

	AttendeeLegalRepresentative = "legal_representative"
	AttendeeResponsibleManager  = "responsible_manager"
)

func TrainingStatusLabel[T ~string](status T) string { return domain.TrainingStatus(status).Label() }
func EnrollmentStatusLabel[T ~string](status T) string {
	return domain.EnrollmentStatus(status).Label()
}
func AttendeeRoleLabel[T ~string](role T) string { return domain.AttendeeRole(role).Label() }

type PenaltyCorrection = domain.PenaltyCorrection

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
