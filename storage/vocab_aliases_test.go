package storage

import (
	"reflect"
	"testing"

	"xinyong/domain"
)

// TestVocabAliases: the untyped copies kept for http must say exactly what domain says.
func TestVocabAliases(t *testing.T) {
	same := func(alias string, v interface{ Label() string }) {
		t.Helper()
		if got := reflect.ValueOf(v).String(); got != alias {
			t.Errorf("alias %q differs from domain value %q (%s)", alias, got, v.Label())
		}
	}
	same(PenaltyRegistered, domain.PenaltyRegistered)
	same(PenaltyNoticeIssued, domain.PenaltyNoticeIssued)
	same(PenaltyDelivered, domain.PenaltyDelivered)
	same(PenaltyPublished, domain.PenaltyPublished)
	same(PenaltyEligible, domain.PenaltyEligible)
	same(PenaltyWithdrawing, domain.PenaltyWithdrawing)
	same(PenaltyWithdrawn, domain.PenaltyWithdrawn)
	same(PenaltyRevoked, domain.PenaltyRevoked)
	same(RepairSubmitted, domain.RepairSubmitted)
	same(RepairWaitingConditions, domain.RepairWaitingConditions)
	same(RepairPendingAcceptance, domain.RepairPendingAcceptance)
	same(RepairSupplementRequested, domain.RepairSupplementRequested)
	same(RepairVerifying, domain.RepairVerifying)
	same(RepairRectifying, domain.RepairRectifying)
	same(RepairNotAccepted, domain.RepairNotAccepted)
	same(RepairRefused, domain.RepairRefused)
	same(RepairApproved, domain.RepairApproved)
	same(RepairClosed, domain.RepairClosed)
	same(RepairCancelled, domain.RepairCancelled)
	same(RepairRevoked, domain.RepairRevoked)
	same(ObjectionSubmitted, domain.ObjectionSubmitted)
	same(ObjectionVerifying, domain.ObjectionVerifying)
	same(ObjectionResolved, domain.ObjectionResolved)
	same(ObjectionClosed, domain.ObjectionClosed)
	same(GroundsNotMine, domain.GroundsNotMine)
	same(GroundsWrongContent, domain.GroundsWrongContent)
	same(GroundsDuplicate, domain.GroundsDuplicate)
	same(GroundsShouldNotPublish, domain.GroundsShouldNotPublish)
	same(GroundsOverduePublication, domain.GroundsOverduePublication)
	same(GroundsInconsistent, domain.GroundsInconsistent)
	same(GroundsAgainstRefusal, domain.GroundsAgainstRefusal)
	same(OutcomeCorrected, domain.OutcomeCorrected)
	same(OutcomeWithdrawn, domain.OutcomeWithdrawn)
	same(OutcomeUpheld, domain.OutcomeUpheld)
	same(ObjectionMark, domain.ObjectionMark)
	same(ObjectionUnmark, domain.ObjectionUnmark)
	same(ObjectionCorrect, domain.ObjectionCorrect)
	same(WithdrawalPending, domain.WithdrawalPending)
	same(WithdrawalInProgress, domain.WithdrawalInProgress)
	same(WithdrawalCompleted, domain.WithdrawalCompleted)
	same(ChannelPending, domain.ChannelPending)
	same(ChannelSent, domain.ChannelSent)
	same(ChannelConfirmed, domain.ChannelConfirmed)
	same(ChannelOverdue, domain.ChannelOverdue)
	same(ChannelFailed, domain.ChannelFailed)
	same(ChannelWebhook, domain.ChannelWebhook)
	same(ChannelManual, domain.ChannelManual)
	same(TrainingPlanned, domain.TrainingPlanned)
	same(TrainingOpen, domain.TrainingOpen)
	same(TrainingStarted, domain.TrainingStarted)
	same(TrainingClosed, domain.TrainingClosed)
	same(EnrollmentEnrolled, domain.EnrollmentEnrolled)
	same(EnrollmentWaitlisted, domain.EnrollmentWaitlisted)
	same(EnrollmentCancelled, domain.EnrollmentCancelled)
	same(AttendeeLegalRepresentative, domain.AttendeeLegalRepresentative)
	same(AttendeeResponsibleManager, domain.AttendeeResponsibleManager)
}
