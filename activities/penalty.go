package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"xinyong/domain"
	"xinyong/storage"
)

// LoadPenaltyFacts reads a penalty with its department, enterprise, rule set and channels.
func (a *Activities) LoadPenaltyFacts(ctx context.Context, penaltyID int64) (PenaltyFacts, error) {
	p, err := a.DB.GetPenalty(ctx, penaltyID)
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
	}
	dept, err := a.DB.GetDepartment(ctx, p.DepartmentID)
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
	}
	ent, err := a.DB.GetEnterprise(ctx, p.USCC)
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
	}
	rs, err := a.DB.GetResolvedRuleSet(ctx, p.RuleSet)
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
	}
	in, err := p.PublicationInput()
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
	}
	pub, err := domain.ComputePublication(rs, in)
	if err != nil {
		return PenaltyFacts{}, fmt.Errorf("load penalty facts: recompute publication: %w", err)
	}
	f := PenaltyFacts{
		PenaltyID: p.ID, DepartmentID: p.DepartmentID, DepartmentName: dept.Name, DepartmentContact: dept.Contact,
		DecisionNo: p.DecisionNo, DecidedOn: p.DecidedOn, USCC: p.USCC, EnterpriseName: p.EnterpriseName,
		EnterpriseAddress: ent.Address, Class: domain.Class(p.Class), Published: p.Published, RuleSet: p.RuleSet, Regulation: rs.Regulation,
		PublishDue: p.PublishDue, DeliveryDue: p.DeliveryDue,
		RepairEligibleFrom: p.RepairEligibleFrom, PublicationEnds: p.PublicationEnds,
		MinPublishMonths: pub.MinPublishMonths, MaxPublishMonths: pub.MaxPublishMonths,
		AutoEnds: pub.AutoEndsWithoutApplication, RepairableEarly: pub.RepairableEarly,
		RequiresTraining: pub.RequiresTraining, RequiresCreditReport: pub.RequiresCreditReport,
		NoNewSamePenalty: pub.NoNewSamePenaltyRequired, Reasons: pub.Reasons,
		AcceptWorkdays: rs.Deadlines.Acceptance, DecideWorkdays: rs.Deadlines.Decision,
		RevocationWithdrawalWorkdays: rs.Deadlines.RevocationWithdrawal,
		DeliveryWorkdays:             rs.Deadlines.Delivery, PublicationWorkdays: rs.Deadlines.Publication,
		ApplyOnline: "信用修复协同平台（" + strings.TrimRight(a.BaseURL, "/") + "）", ApplyWindow: ApplyWindow,
	}
	if p.DeliveryDue.IsZero() {
		// Registered before the delivery deadline was recorded: compute it the same way registration does.
		cal, err := a.DB.LoadCalendar(ctx)
		if err != nil {
			return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
		}
		f.DeliveryDue, _ = cal.AddWorkdays(p.DecidedOn, rs.Deadlines.Delivery)
	}
	if p.Published {
		if f.Channels, err = a.DB.PublicationChannelNames(ctx, p.DepartmentID); err != nil {
			return PenaltyFacts{}, fmt.Errorf("load penalty facts: %w", err)
		}
	}
	return f, nil
}

// FenOf reads an amount in yuan as stored ("5000.00") into fen.
func FenOf(yuan string) (int64, error) {
	yuan = strings.TrimSpace(yuan)
	if yuan == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(yuan, ".")
	frac = (frac + "00")[:2]
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", yuan, err)
	}
	return n, nil
}

// PenaltyStep records a lifecycle step: the status (never moving backwards) and the audit entry, together.
func (a *Activities) PenaltyStep(ctx context.Context, in PenaltyStepInput) error {
	return a.DB.PenaltyStep(ctx, in.PenaltyID, in.Status, penaltyAudit(in.PenaltyID, in.Action, in.Actor, in.Role), in.Details)
}

func penaltyAudit(id int64, action, actor, role string) storage.AuditEntry {
	if actor == "" {
		actor, role = "system", "system"
	}
	key := "penalty-" + strconv.FormatInt(id, 10) + ":" + action
	return storage.AuditEntry{Actor: actor, Role: role, Action: action, CaseKind: "penalty",
		CaseID: strconv.FormatInt(id, 10), DedupKey: &key}
}

// RecordDelivery stores the delivery of the decision and the repair notice (once) with its audit entry.
func (a *Activities) RecordDelivery(ctx context.Context, in RecordDeliveryInput) error {
	d := storage.Delivery{Method: in.Method, DeliveredOn: in.DeliveredOn, SignedBy: in.SignedBy, Witness: in.Witness,
		Consent: in.Consent, RecordedBy: in.Actor}
	details := map[string]any{"method": in.Method, "delivered_on": in.DeliveredOn, "signed_by": in.SignedBy,
		"witness": in.Witness, "electronic_consent": in.Consent}
	return a.DB.RecordDelivery(ctx, in.PenaltyID, d, penaltyAudit(in.PenaltyID, "penalty.delivery", in.Actor, in.Role), details)
}

// RecordRevocation stores that the decision was revoked or changed by review or court (once) with its audit entry.
func (a *Activities) RecordRevocation(ctx context.Context, in RecordRevocationInput) error {
	details := map[string]any{"decided_on": in.DecidedOn, "reason": in.Reason}
	return a.DB.RecordRevocation(ctx, in.PenaltyID, in.DecidedOn, in.Reason,
		penaltyAudit(in.PenaltyID, "penalty.revocation", in.Actor, in.Role), details)
}

// CountPeriodsFromPublication counts the periods of a record whose rule set runs them from the publication date
// (SAMR Order 45 art. 13: 自公示之日起) once the record is published, when no publication date was registered:
// the date is the day it was first shown on a channel. Other records are left as they are.
func (a *Activities) CountPeriodsFromPublication(ctx context.Context, penaltyID int64) (PublicationPeriods, error) {
	p, err := a.DB.GetPenalty(ctx, penaltyID)
	if err != nil {
		return PublicationPeriods{}, fmt.Errorf("periods from publication: %w", err)
	}
	out := PublicationPeriods{PublishedOn: p.PublishedOn, RepairEligibleFrom: p.RepairEligibleFrom, PublicationEnds: p.PublicationEnds}
	rs, err := a.DB.GetResolvedRuleSet(ctx, p.RuleSet)
	if err != nil {
		return PublicationPeriods{}, fmt.Errorf("periods from publication: %w", err)
	}
	if rs.PeriodsFrom != domain.PeriodsFromPublication || !p.PublishedOn.IsZero() || !p.Published {
		return out, nil
	}
	on, err := a.DB.FirstPublishedOn(ctx, penaltyID)
	if err != nil || on.IsZero() {
		return out, err
	}
	in, err := p.PublicationInput()
	if err != nil {
		return PublicationPeriods{}, err
	}
	in.PublishedOn = on
	pub, err := domain.ComputePublication(rs, in)
	if err != nil {
		return PublicationPeriods{}, fmt.Errorf("periods from publication: %w", err)
	}
	ends := pub.PublicationEnds
	if p.PublicationEnds.After(ends) {
		ends = p.PublicationEnds // a restarted period is never shortened
	}
	changed, err := a.DB.SetPeriodsFromPublication(ctx, penaltyID, on, pub.RepairEligibleFrom, ends,
		penaltyAudit(penaltyID, "penalty.periods_from_publication", "", ""), map[string]any{
			"published_on": on, "repair_eligible_from": map[string]any{"from": p.RepairEligibleFrom, "to": pub.RepairEligibleFrom},
			"publication_ends": map[string]any{"from": p.PublicationEnds, "to": ends}, "rule": "SAMR Order 45 art. 13",
		})
	if err != nil {
		return PublicationPeriods{}, err
	}
	return PublicationPeriods{PublishedOn: on, RepairEligibleFrom: pub.RepairEligibleFrom, PublicationEnds: ends, Changed: changed}, nil
}
