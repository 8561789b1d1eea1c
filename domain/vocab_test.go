package domain

import (
	"testing"
)

// labelled is every vocabulary type: each value has its own Chinese label.
type labelled interface{ Label() string }

func TestEveryValueHasItsOwnChineseLabel(t *testing.T) {
	groups := map[string][]labelled{}
	add := func(name string, vs ...labelled) { groups[name] = append(groups[name], vs...) }
	for _, v := range PenaltyStatuses {
		add("penalty status", v)
	}
	for _, v := range RepairStatuses {
		add("repair status", v)
	}
	for _, v := range ObjectionStatuses {
		add("objection status", v)
	}
	for _, v := range AllObjectionGrounds {
		add("objection grounds", v)
	}
	for _, v := range WithdrawalCauses {
		add("withdrawal cause", v)
	}
	for _, v := range DeliveryMethods {
		add("delivery method", v)
	}
	for _, v := range Roles {
		add("role", v)
	}
	add("holder", HolderCreditOffice, HolderDepartment, HolderEnterprise, HolderChannels)
	add("objection outcome", OutcomeCorrected, OutcomeWithdrawn, OutcomeUpheld)
	add("objection action", ObjectionMark, ObjectionUnmark, ObjectionCorrect)
	add("withdrawal status", WithdrawalPending, WithdrawalInProgress, WithdrawalCompleted)
	add("channel status", ChannelPending, ChannelSent, ChannelConfirmed, ChannelOverdue, ChannelFailed, ChannelCancelled)
	add("channel kind", ChannelWebhook, ChannelManual)
	add("publication status", PublicationPending, PublicationSent, PublicationPublished, PublicationOverdue,
		PublicationFailed, PublicationWithdrawn)
	add("training status", TrainingPlanned, TrainingOpen, TrainingStarted, TrainingClosed)
	add("enrollment status", EnrollmentEnrolled, EnrollmentWaitlisted, EnrollmentCancelled)
	add("attendee role", AttendeeLegalRepresentative, AttendeeResponsibleManager)
	add("case kind", CasePenalty, CasePublication, CaseRepair, CaseObjection, CaseWithdrawal, CaseTraining, CasePenaltyImport)
	add("task status", TaskOpen, TaskDone, TaskCancelled)
	for _, v := range ImportStatuses {
		add("import status", v)
	}
	for name, vs := range groups {
		seen := map[string]bool{}
		for _, v := range vs {
			l := v.Label()
			if !hasHan(l) {
				t.Errorf("%s %v: label %q is not Chinese", name, v, l)
			}
			if seen[l] {
				t.Errorf("%s: label %q used twice", name, l)
			}
			seen[l] = true
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestUnknownValuesAreNotLabelled(t *testing.T) {
	// Letters print a default ("—") for an empty label; pages show an unknown status as it is.
	for _, l := range []string{WithdrawalCause("x").Label(), ObjectionGrounds("x").Label(), ObjectionOutcome("x").Label(),
		DeliveryMethod("x").Label()} {
		if l != "" {
			t.Errorf("unknown value labelled %q", l)
		}
	}
	if got := RepairStatus("x").Label(); got != "x" {
		t.Errorf("unknown repair status labelled %q", got)
	}
	if got := Holder("").Label(); got != "—" {
		t.Errorf("no holder labelled %q", got)
	}
}

func TestPenaltyStatusRankNeverGoesBack(t *testing.T) {
	for i := 1; i < len(PenaltyStatuses)-1; i++ {
		if PenaltyStatuses[i].Rank() <= PenaltyStatuses[i-1].Rank() {
			t.Errorf("%s ranks %d, not after %s (%d)", PenaltyStatuses[i], PenaltyStatuses[i].Rank(),
				PenaltyStatuses[i-1], PenaltyStatuses[i-1].Rank())
		}
	}
	if PenaltyRevoked.Rank() <= PenaltyWithdrawn.Rank() {
		t.Error("a revoked decision must outrank a plain withdrawal")
	}
	if PenaltyStatus("x").Rank() != -1 {
		t.Error("an unknown status must rank -1")
	}
	for _, s := range []TrainingStatus{TrainingOpen, TrainingStarted, TrainingClosed} {
		if s.Rank() <= TrainingPlanned.Rank() {
			t.Errorf("training %s ranks before planned", s)
		}
	}
}

func TestObjectionGroundsMarkTheRecordExceptAgainstARefusal(t *testing.T) {
	for _, g := range AllObjectionGrounds {
		if g.MarksRecord() != (g != GroundsAgainstRefusal) {
			t.Errorf("%s: MarksRecord %v", g, g.MarksRecord())
		}
	}
}
