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
