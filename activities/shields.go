package activities

import (
	"context"
	"fmt"

	"xinyong/activities/contract"
	"xinyong/storage"
)

// Shield types are declared in package contract.
type (
	ShieldCase      = contract.ShieldCase
	ShieldFacts     = contract.ShieldFacts
	ShieldRecord    = contract.ShieldRecord
	ShieldStepInput = contract.ShieldStepInput
)

func shieldCaseOf(s storage.Shield) ShieldCase {
	return ShieldCase{ID: s.ID, USCC: s.USCC, DepartmentID: s.DepartmentID, Procedure: s.Procedure, RulingNo: s.RulingNo,
		RulingAttachmentID: s.RulingAttachmentID, Applicant: s.Applicant, ApplicantRole: s.ApplicantRole,
		AdministratorName: s.AdministratorName, RuleSet: s.RuleSet, AppliedOn: s.AppliedOn, DecisionDue: s.DecisionDue,
		Status: s.Status, DecidedOn: s.DecidedOn, DecisionNo: s.DecisionNo, DecisionReason: s.DecisionReason,
		RecordIDs: []int64(s.RecordIDs), RestoredOn: s.RestoredOn, RestoreRulingNo: s.RestoreRulingNo}
}

func shieldOf(c ShieldCase) storage.Shield {
	return storage.Shield{ID: c.ID, USCC: c.USCC, DepartmentID: c.DepartmentID, Procedure: c.Procedure, RulingNo: c.RulingNo,
		RulingAttachmentID: c.RulingAttachmentID, Applicant: c.Applicant, ApplicantRole: c.ApplicantRole,
		AdministratorName: c.AdministratorName, RuleSet: c.RuleSet, AppliedOn: c.AppliedOn, DecisionDue: c.DecisionDue,
		Status: c.Status, DecidedOn: c.DecidedOn, DecisionNo: c.DecisionNo, DecisionReason: c.DecisionReason,
		RecordIDs: c.RecordIDs, RestoredOn: c.RestoredOn, RestoreRulingNo: c.RestoreRulingNo}
}

// LoadShieldFacts reads a shielding case with what it covers.
func (a *Activities) LoadShieldFacts(ctx context.Context, id int64) (ShieldFacts, error) {
	s, err := a.DB.GetShield(ctx, id)
	if err != nil {
		return ShieldFacts{}, err
	}
	ent, err := a.DB.GetEnterprise(ctx, s.USCC)
	if err != nil {
		return ShieldFacts{}, err
	}
	dept, err := a.DB.GetDepartment(ctx, s.DepartmentID)
	if err != nil {
		return ShieldFacts{}, err
	}
	rs, err := a.DB.GetResolvedRuleSet(ctx, s.RuleSet)
	if err != nil {
		return ShieldFacts{}, err
	}
	f := ShieldFacts{Shield: shieldCaseOf(s), EnterpriseName: ent.Name, DepartmentName: dept.Name, Workdays: rs.Deadlines.BankruptcyShield}
	if f.Workdays <= 0 {
		f.Workdays = 10
	}
	if f.Channels, err = a.DB.PublicationChannelNames(ctx, s.DepartmentID); err != nil {
		return ShieldFacts{}, err
	}
	recs, err := a.DB.ShieldableRecords(ctx, s.USCC, s.DepartmentID)
	if err != nil {
		return ShieldFacts{}, err
	}
	for _, r := range recs {
		f.Records = append(f.Records, ShieldRecord{ID: r.ID, Title: fmt.Sprintf("%s（%s）", storage.RecordKindLabel(r.RecordKind), r.DecisionNo)})
	}
	return f, nil
}

// RecordShieldStep writes a step once.
func (a *Activities) RecordShieldStep(ctx context.Context, in ShieldStepInput) error {
	key := fmt.Sprintf("shield-%d:%d:%s", in.Shield.ID, in.Seq, in.Action)
	return a.DB.ShieldStep(ctx, shieldOf(in.Shield), in.Action, in.Actor, key, in.Details)
}
