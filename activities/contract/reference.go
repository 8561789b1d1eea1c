package contract

import (
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

// RuleSetQuery selects the rule set in force for a jurisdiction and sector on a date.
type RuleSetQuery struct {
	Jurisdiction string
	Sector       string
	On           domain.Date
}

// CountDeadlinesInput asks for a case's working-day deadlines to be counted with the calendar as it is and kept
// with how they were counted, so that a provisional one is counted again when its year's notice is loaded.
type CountDeadlinesInput struct {
	CaseKind  domain.CaseKind
	CaseID    string
	Deadlines []domain.CaseDeadline
}

// RecountDeadlinesInput asks for a case's provisional deadlines to be counted again (a notice for Year was loaded).
type RecountDeadlinesInput struct {
	CaseKind domain.CaseKind
	CaseID   string
	Year     int
}

// RecountResult is a case's deadlines counted again: every deadline by name, the ones that moved ([old, new]) and
// the ones still provisional.
type RecountResult struct {
	Dues        map[string]domain.Date
	Moved       map[string][2]domain.Date
	Provisional []string
}
