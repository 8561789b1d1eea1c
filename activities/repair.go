package activities

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/temporal"

	"xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/storage"
)

// DefaultFraudBanMonths applies when a rule set does not say how long a fraud bars repair (RULES: 3 years).
const DefaultFraudBanMonths = 36

// LoadRepairFacts reads a repair case with its record, department, enterprise and rule set.
func (a *Activities) LoadRepairFacts(ctx context.Context, repairID int64) (RepairFacts, error) {
	r, err := a.DB.GetRepair(ctx, repairID)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	p, err := a.DB.GetPenalty(ctx, r.PenaltyID)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	dept, err := a.DB.GetDepartment(ctx, r.DepartmentID)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	ent, err := a.DB.GetEnterprise(ctx, r.USCC)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	rs, err := a.DB.GetResolvedRuleSet(ctx, r.RuleSet)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	cert, err := a.DB.TrainingCertificateOf(ctx, r.USCC)
	if err != nil {
		return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
	}
	f := RepairFacts{
		RepairID: r.ID, PenaltyID: p.ID, USCC: r.USCC, EnterpriseName: ent.Name, LegalRepresentative: ent.LegalRepresentative,
		DepartmentID: dept.ID, DepartmentName: dept.Name, DepartmentContact: dept.Contact,
		DecisionNo: p.DecisionNo, DecidedOn: p.DecidedOn, Class: domain.Class(p.Class), Published: p.Published,
		PublicationEnds: p.PublicationEnds, RuleSet: rs.ID, Regulation: rs.Regulation, Deadlines: rs.Deadlines,
		FraudBanMonths: rs.FraudBanMonths, FraudRestartsPublication: rs.FraudRestartsPublication,
		AppliedOn: r.AppliedOn, Statement: r.Statement, ApplicantLogin: r.ApplicantLogin,
		CommitmentAcceptedAt: r.CommitmentAcceptedAt, CommitmentRemoteAddr: r.CommitmentRemoteAddr,
		TrainingLetterID: cert, Seq: r.Seq, Progress: RepairProgress(r.RepairProgress),
	}
	if f.FraudBanMonths <= 0 {
		f.FraudBanMonths = DefaultFraudBanMonths
	}
	f.RecordKind = p.RecordKind
	if p.RecordKind == storage.RecordAbnormalList {
		// Order 107 art. 12: the bureau decides on a removal within 2 working days of acceptance.
		f.Deadlines.Decision = contract.AbnormalRemovalDecisionWorkdays
	}
	if rule, ok := rs.Class(f.Class); ok {
		f.RequiresTraining, f.RequiresCreditReport = rule.RequiresTraining, rule.RequiresCreditReport
		f.MaxPublishMonths = rule.MaxPublishMonths
	}
	if p.Published {
		if f.Channels, err = a.DB.PublicationChannelNames(ctx, p.DepartmentID); err != nil {
			return RepairFacts{}, fmt.Errorf("load repair facts: %w", err)
		}
	}
	return f, nil
}

// FindTrainingCertificate returns the enterprise's newest training certificate letter, or 0.
func (a *Activities) FindTrainingCertificate(ctx context.Context, uscc string) (int64, error) {
	return a.DB.TrainingCertificateOf(ctx, uscc)
}

// OpenRepairOf returns the open repair case of a record, or 0 (a refused case is reopened only when no newer
// application is open).
func (a *Activities) OpenRepairOf(ctx context.Context, penaltyID int64) (int64, error) {
	return a.DB.OpenRepairOf(ctx, penaltyID)
}

// RecordRepairStep writes a step of a repair case with its audit entry.
func (a *Activities) RecordRepairStep(ctx context.Context, in RepairStepInput) error {
	actor, role := in.Actor, in.Role
	if actor == "" {
		actor, role = "system", "system"
	}
	id := strconv.FormatInt(in.RepairID, 10)
	key := fmt.Sprintf("repair-%d:%d:%s", in.RepairID, in.Seq, in.Action)
	return a.DB.RecordRepairStep(ctx, storage.RepairStepRecord{
		RepairID: in.RepairID, Seq: in.Seq, Progress: storage.RepairProgress(in.Progress), Attachments: in.Attachments, Purpose: in.Purpose,
		Audit:   storage.AuditEntry{Actor: actor, Role: role, Action: in.Action, CaseKind: "repair", CaseID: id, DedupKey: &key},
		Details: in.Details,
	})
}

// pollOptions mark the failure of an activity that polls by failing until what it waits for is done: it is
// expected, so the worker logs it at DEBUG instead of writing level=ERROR on every poll.
var pollOptions = temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign}

// AwaitRepairWithdrawal answers once the repaired record is withdrawn everywhere and fails (retryably) until then:
// the repair workflow polls with the activity's retry policy, which keeps its history short however long the
// channels take.
func (a *Activities) AwaitRepairWithdrawal(ctx context.Context, in AwaitRepairWithdrawalInput) (RepairWithdrawalResult, error) {
	w, err := a.DB.WithdrawalAfterRepair(ctx, in.PenaltyID, in.RepairID)
	if err != nil {
		return RepairWithdrawalResult{}, err
	}
	if !w.Done {
		return RepairWithdrawalResult{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("record %d not yet withdrawn everywhere (order %d: %s)", in.PenaltyID, w.WithdrawalID, w.Status),
			ErrWithdrawalPending, pollOptions)
	}
	return RepairWithdrawalResult{WithdrawalID: w.WithdrawalID, Cause: w.Cause}, nil
}

// RestorePenaltyPublished marks a record withdrawn after a repair as published again (its lifecycle ended with the
// withdrawal, so nobody else writes its status now), once, with its audit entry.
func (a *Activities) RestorePenaltyPublished(ctx context.Context, in RestorePublishedInput) error {
	return a.DB.RestorePenaltyPublished(ctx, in.PenaltyID, in.RepairID, in.Reason)
}

// RecordFraudBan stores the ban once per revoked repair.
func (a *Activities) RecordFraudBan(ctx context.Context, in FraudBanInput) error {
	return a.DB.PutFraudBan(ctx, storage.FraudBan{
		RepairID: in.RepairID, PenaltyID: in.PenaltyID, USCC: in.USCC, Reason: in.Reason, RevokedOn: in.RevokedOn,
		BannedUntil: in.BannedUntil, LetterID: sql.NullInt64{Int64: in.LetterID, Valid: in.LetterID != 0},
		RevokedBy: in.Actor,
	})
}
