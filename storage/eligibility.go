package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"xinyong/domain"
)

// RepairEligibilityFacts gathers what domain.JudgeRepairEligibility looks at for a record on a day. ownRepairID is
// the case being judged (the repair workflow's re-check), which must not count as another open case; 0 for a
// new application.
func (db *DB) RepairEligibilityFacts(ctx context.Context, pen Penalty, today domain.Date, ownRepairID int64) (domain.RepairEligibilityFacts, error) {
	f := domain.RepairEligibilityFacts{
		Today: today, PenaltyID: pen.ID, RecordStatus: pen.Status, RecordKind: pen.RecordKind, Published: pen.Published,
		PublicationEnds: pen.PublicationEnds, RepairEligibleFrom: pen.RepairEligibleFrom, Class: domain.Class(pen.Class),
	}
	switch pen.Status {
	case domain.PenaltyWithdrawing, domain.PenaltyWithdrawn, domain.PenaltyRevoked:
		f.RecordWithdrawn = true
	}
	rs, err := db.GetResolvedRuleSet(ctx, pen.RuleSet)
	if err != nil {
		return f, err
	}
	f.RecordRuleSet = rs
	if f.Penalty, err = pen.PublicationInput(); err != nil {
		return f, err
	}

	err = db.GetContext(ctx, &f.OpenRepairID, `SELECT id FROM repairs WHERE penalty_id = $1 AND status = ANY($2) AND id <> $3
		ORDER BY id LIMIT 1`, pen.ID, stringArray(domain.RepairOpenStatuses), ownRepairID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("open repair of penalty %d: %w", pen.ID, err)
	}
	ban, err := db.ActiveFraudBan(ctx, pen.ID, today)
	if err != nil {
		return f, err
	}
	if ban != nil {
		f.FraudBan = &domain.FraudBanFact{Reason: ban.Reason, RevokedOn: ban.RevokedOn, BannedUntil: ban.BannedUntil}
	}
	if pen.RecordKind == RecordSeriousList {
		newer, err := db.NewerHeavierPenalty(ctx, pen.USCC, pen.DecidedOn)
		if err != nil {
			return f, err
		}
		if newer != nil {
			f.NewerHeavierPenalty = &domain.NewerPenaltyFact{ID: newer.ID, DecisionNo: newer.DecisionNo, DecidedOn: newer.DecidedOn}
		}
	}
	if rs.NoNewSamePenaltyRequired {
		newer, err := db.NewerSamePenalty(ctx, pen)
		if err != nil {
			return f, err
		}
		if newer != nil {
			f.NewerSamePenalty = &domain.NewerPenaltyFact{ID: newer.ID, DecisionNo: newer.DecisionNo, DecidedOn: newer.DecidedOn}
		}
	}
	dept, err := db.GetDepartment(ctx, pen.DepartmentID)
	if err != nil {
		return f, err
	}
	sets, err := db.ListRuleSets(ctx)
	if err != nil {
		return f, err
	}
	f.ProcedureRuleSet, err = domain.ProcedureRuleSet(sets, dept.Jurisdiction, dept.Sector, today)
	if err != nil {
		return f, fmt.Errorf("rule set for %s/%s on %s: %w", dept.Jurisdiction, dept.Sector, today, err)
	}
	if rule, _ := f.ProcedureRuleSet.Class(f.Class); rule.RequiresTraining {
		if f.TrainingCertificateID, err = db.TrainingCertificateOf(ctx, pen.USCC); err != nil {
			return f, err
		}
	}
	return f, nil
}

// fenOfAmount reads an amount in yuan as stored ("5000.00") into fen.
func fenOfAmount(yuan string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(yuan), ".")
	if whole == "" {
		return 0, nil
	}
	frac = (frac + "00")[:2]
	return strconv.ParseInt(whole+frac, 10, 64)
}
