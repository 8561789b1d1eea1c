package contract

import (
	"time"

	"xinyong/domain"
)

// FindOrphansInput asks for one page of a kind's rows (storage.ReconcileKinds) created before a time.
type FindOrphansInput struct {
	Kind          string
	AfterID       int64
	CreatedBefore time.Time
	Limit         int
}

// FindOrphansResult lists the page's rows whose workflow must be started; LastID is the cursor of the next page
// (More: there may be one).
type FindOrphansResult struct {
	Orphans []int64
	LastID  int64
	More    bool
	// Ended names the workflows (by ID) of the page's rows that ended without completing while their row is still
	// in progress: an import is marked failed, other cases get an audit entry and a task for the credit office.
	Ended []string `json:",omitempty"`
	// Sessions are the orphaned training sessions as stored, since their workflow starts from them.
	Sessions map[int64]TrainingSession `json:",omitempty"`
	// Listings are the orphaned list entries as stored, since their record workflow starts from them.
	Listings map[int64]ListingLifecycle `json:",omitempty"`
}

// ListingLifecycle is a stored list entry, what its record workflow (and the serious listing's notice) starts from.
type ListingLifecycle struct {
	RecordID          int64
	Kind              string
	Number            string
	USCC              string
	EnterpriseName    string
	DepartmentID      string
	DepartmentName    string
	DepartmentContact string
	ListedOn          domain.Date
	Facts             string
	PublishDue        domain.Date
	EligibleFrom      domain.Date
	// Ends is the last day of a serious listing (zero for an abnormal entry, which does not end by itself).
	Ends              domain.Date
	RestsOn           int64
	RestsOnDecisionNo string
	// RegisteredAt dates the serious listing's notice.
	RegisteredAt time.Time
}

// TrainingSession is a stored training session, what its workflow starts from.
type TrainingSession struct {
	TrainingID  int64
	Title       string
	StartsAt    time.Time
	EndsAt      time.Time
	Venue       string
	Capacity    int
	ClassHours  int
	AgencyLogin string
	AgencyName  string
	PassScore   int
	Organizer   string
}
