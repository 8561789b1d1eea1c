package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
)

// Workflow-first case creation: a case's workflow writes its own row in its first activity, with the id the handler
// reserved, so a row never exists without its workflow (and a crash before the start leaves nothing behind).

// CreateRepairCase stores the application under its reserved id with the audit entry of the submission; running it
// again stores nothing more. Another open case of the record is ErrRepairCaseOpen.
func (a *Activities) CreateRepairCase(ctx context.Context, in RepairApplication) error {
	_, err := a.DB.CreateRepair(ctx, storage.NewRepair{
		ID: in.RepairID, PenaltyID: in.PenaltyID, USCC: in.USCC, DepartmentID: in.DepartmentID, RuleSet: in.RuleSet,
		AppliedOn: in.AppliedOn, Statement: in.Statement, ApplicantLogin: in.ApplicantLogin,
		CommitmentAcceptedAt: in.CommitmentAcceptedAt, CommitmentRemoteAddr: in.CommitmentRemoteAddr,
		AttachmentIDs: in.AttachmentIDs, CreditReportAttachmentID: in.CreditReportAttachmentID,
	}, storage.AuditEntry{Actor: in.ApplicantLogin, Role: in.ApplicantRole, Action: "repair.submitted"}, func(int64) any {
		return map[string]any{"penalty_id": in.PenaltyID, "rule_set": in.RuleSet, "attachment_ids": in.AttachmentIDs,
			"commitment": map[string]any{"accepted_by": in.ApplicantLogin, "accepted_at": in.CommitmentAcceptedAt,
				"remote_addr": in.CommitmentRemoteAddr}}
	})
	var open *storage.ErrRepairOpen
	if errors.As(err, &open) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("该处罚信息已有正在办理的信用修复申请（案件%d），不能重复申请", open.OpenRepairID), ErrRepairCaseOpen, err,
			open.OpenRepairID)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	return err
}

// RepairEligibilityFacts gathers the facts of domain.JudgeRepairEligibility for the repair workflow's re-check.
func (a *Activities) RepairEligibilityFacts(ctx context.Context, in RepairEligibilityInput) (domain.RepairEligibilityFacts, error) {
	pen, err := a.DB.GetPenalty(ctx, in.PenaltyID)
	if errors.Is(err, storage.ErrNotFound) {
		return domain.RepairEligibilityFacts{}, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	if err != nil {
		return domain.RepairEligibilityFacts{}, err
	}
	return a.DB.RepairEligibilityFacts(ctx, pen, in.Today, in.RepairID)
}

// CreateObjectionCase stores the filing under its reserved id with the audit entry of the filing; running it again
// stores nothing more. An open objection of the applicant on the record is ErrObjectionCaseOpen.
func (a *Activities) CreateObjectionCase(ctx context.Context, in ObjectionFiling) error {
	_, err := a.DB.CreateObjection(ctx, storage.NewObjection{
		ID: in.ObjectionID, PenaltyID: in.PenaltyID, USCC: in.USCC, DepartmentID: in.DepartmentID, RepairID: in.RepairID,
		Grounds: in.Grounds, Statement: in.Statement, RuleSet: in.RuleSet, FiledOn: in.FiledOn, FiledBy: in.FiledBy,
		FiledByRole: domain.Role(in.FiledByRole), CommitmentAcceptedAt: in.CommitmentAcceptedAt,
		CommitmentRemoteAddr: in.CommitmentRemoteAddr, AttachmentIDs: in.AttachmentIDs,
	}, storage.AuditEntry{Actor: in.FiledBy, Role: in.FiledByRole, Action: "objection.submitted"}, func(int64) any {
		return map[string]any{"penalty_id": in.PenaltyID, "grounds": in.Grounds, "repair_id": in.RepairID,
			"rule_set": in.RuleSet, "attachment_ids": in.AttachmentIDs, "commitment": map[string]any{
				"accepted_by": in.FiledBy, "accepted_at": in.CommitmentAcceptedAt, "remote_addr": in.CommitmentRemoteAddr}}
	})
	var open *storage.ErrObjectionOpen
	if errors.As(err, &open) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("您对该处罚信息已有正在办理的异议（案件%d），不能重复提出", open.OpenObjectionID), ErrObjectionCaseOpen, err,
			open.OpenObjectionID)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	return err
}
