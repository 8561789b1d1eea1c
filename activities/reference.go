package activities

import (
	"context"
	"fmt"

	"xinyong/domain"
)

// Deadline computes a working-day deadline from the calendar in PostgreSQL.
func (a *Activities) Deadline(ctx context.Context, in DeadlineInput) (DeadlineResult, error) {
	cal, err := a.DB.LoadCalendar(ctx)
	if err != nil {
		return DeadlineResult{}, fmt.Errorf("deadline: %w", err)
	}
	due, prov := cal.AddWorkdays(in.From, in.Workdays)
	return DeadlineResult{Due: due, Provisional: prov}, nil
}

// RuleSetFor returns the effective (resolved) rule set in force; the case records its id.
func (a *Activities) RuleSetFor(ctx context.Context, q RuleSetQuery) (domain.RuleSet, error) {
	sets, err := a.DB.ListRuleSets(ctx)
	if err != nil {
		return domain.RuleSet{}, fmt.Errorf("rule set: %w", err)
	}
	return domain.SelectRuleSet(sets, q.Jurisdiction, q.Sector, q.On)
}
