package activities

import (
	"context"
	"fmt"

	"xinyong/domain"
)

// DeadlineInput asks for the N-th working day after a date.
type DeadlineInput struct {
	From     domain.Date
	Workdays int
}

// DeadlineResult is a due date; Provisional when it falls in (or counts through) a year with no holiday notice.
type DeadlineResult struct {
	Due         domain.Date
	Provisional bool
}

// Deadline computes a working-day deadline from the calendar in PostgreSQL.
func (a *Activities) Deadline(ctx context.Context, in DeadlineInput) (DeadlineResult, error) {
	cal, err := a.DB.LoadCalendar(ctx)
	if err != nil {
		return DeadlineResult{}, fmt.Errorf("deadline: %w", err)
	}
	due, prov := cal.AddWorkdays(in.From, in.Workdays)
	return DeadlineResult{Due: due, Provisional: prov}, nil
}

// RuleSetQuery selects the rule set in force for a jurisdiction and sector on a date.
type RuleSetQuery struct {
	Jurisdiction string
	Sector       string
	On           domain.Date
}

// RuleSetFor returns the effective (resolved) rule set in force; the case records its id.
func (a *Activities) RuleSetFor(ctx context.Context, q RuleSetQuery) (domain.RuleSet, error) {
	sets, err := a.DB.ListRuleSets(ctx)
	if err != nil {
		return domain.RuleSet{}, fmt.Errorf("rule set: %w", err)
	}
	return domain.SelectRuleSet(sets, q.Jurisdiction, q.Sector, q.On)
}
