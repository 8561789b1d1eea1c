package contract

import (
	"time"
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
	// Sessions are the orphaned training sessions as stored, since their workflow starts from them.
	Sessions map[int64]TrainingSession `json:",omitempty"`
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
