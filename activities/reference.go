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

// CountDeadlines counts a case's working-day deadlines with the calendar as it is and keeps them with their
// origins (provisional ones are counted again when their year's notice is loaded).
func (a *Activities) CountDeadlines(ctx context.Context, in CountDeadlinesInput) ([]domain.CaseDeadline, error) {
	return a.DB.CountCaseDeadlines(ctx, in.CaseKind, in.CaseID, in.Deadlines)
}

// RecountDeadlines counts a case's provisional deadlines again after a holiday notice was loaded: stored dates,
// the case's columns and tasks, and the change in its history.
func (a *Activities) RecountDeadlines(ctx context.Context, in RecountDeadlinesInput) (RecountResult, error) {
	r, err := a.DB.RecountCaseDeadlines(ctx, in.CaseKind, in.CaseID, in.Year)
	if err != nil {
		return RecountResult{}, err
	}
	return RecountResult{Dues: r.Dues, Moved: r.Moved, Provisional: r.Provisional}, nil
}
