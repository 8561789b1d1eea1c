package httpapi

import (
	"context"
	"sync"
	"time"

	"xinyong/domain"
	"xinyong/storage"
)

// homeCountsTTL is how long the credit office's home page shows the same case counts. Counting every objection and
// repair case of the city reads the whole of both tables (17 ms and 37 ms at 1,000,000 records, issue 17); the
// home page counts at most once a minute and says when it counted (homeCountsNote). The statistics pages and
// /api/v1/*/statistics still count on every request.
const homeCountsTTL = time.Minute

// homeCounts keeps the office home page's counts of the whole city.
type homeCounts struct {
	mu         sync.Mutex
	at         time.Time
	objections storage.ObjectionStats
	repairs    storage.RepairStats
}

// get returns the counts, counting again when they are older than homeCountsTTL. One caller counts at a time;
// the others wait for its figures rather than count the same tables again.
func (h *homeCounts) get(ctx context.Context, db *storage.DB) (storage.ObjectionStats, storage.RepairStats, time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && time.Since(h.at) < homeCountsTTL {
		return h.objections, h.repairs, h.at, nil
	}
	at := time.Now()
	o, err := db.ObjectionStatistics(ctx, "", "")
	if err != nil {
		return o, storage.RepairStats{}, at, err
	}
	r, err := db.RepairStatistics(ctx, "")
	if err != nil {
		return o, r, at, err
	}
	h.objections, h.repairs, h.at = o, r, at
	return o, r, at, nil
}

// homeCountsNote says how fresh the counts are, in the page's words.
func homeCountsNote(at time.Time) string {
	return "统计于 " + at.In(shanghai).Format("15:04:05") + "，每分钟更新；最新数字见统计页面。"
}

// homeData is what a role's home page lists, read in one round trip (storage.Batch): the enterprise's page shows
// eight lists and the credit office's six, and they cost more in round trips than in running them, one statement
// each (issue 17). The home page reads them before its sections (homeSources), which take theirs from it. homeData
// says, role by role, what the sections show: the filters and limits are theirs.
type homeData struct {
	tasks []storage.Task
	// The enterprise's own cases (its repairs and objections), the department's objections to verify.
	objections []storage.Objection
	repairs    []storage.Repair
	// The enterprise's newest homeNotificationsRead notifications of every kind; a department's newest
	// homeUrgesRead (the credit office's urges among them).
	notifications []storage.Notification
	penalties     []storage.Penalty // the enterprise's records (PenaltyFilter.Brief: what a row shows)
	publications  map[int64][]storage.Publication
	enrollments   []storage.TrainingEnrollment
	trainingsOf   map[int64]storage.Training // the sessions of the enterprise's enrollments
	channels      []storage.EnterpriseChannelState
	trainings     []storage.Training // the sessions an agency, a department or the office sees
	// The credit office's late deliveries and publications (brief, as the enterprise's records) and its withdrawal
	// orders in progress or pending.
	lateDeliveries, latePublications []storage.Penalty
	withdrawals, pendingWithdrawals  []storage.Withdrawal
}

// Limits of the home pages' lists.
const (
	homeNotificationsRead = 50 // the most notifications any section of the enterprise's page reads
	homeUrgesRead         = 20
	homeCasesShown        = 20 // the enterprise's repair and objection cases
	homeRecordsShown      = 50 // the enterprise's records, with their channels
	homeWithdrawnShown    = 50 // the enterprise's withdrawal orders, channel by channel
	homeVerifyingShown    = 50 // the department's objections to verify
	homeLateShown         = 20 // the office's late deliveries and publications
	homeTrainingsShown    = 20
	homeWithdrawalsShown  = 200 // the office's orders in progress, and those pending
)

func (s *Server) homeData(ctx context.Context, p *principal) (*homeData, error) {
	h := &homeData{}
	var b storage.Batch
	tf := taskFilter(p)
	tf.Inbox = true
	b.OpenTasks(tf, &h.tasks)
	switch p.Role {
	case domain.RoleEnterprise:
		uscc := p.USCC.String
		b.Objections(storage.ObjectionFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}, Brief: true},
			&h.objections)
		b.Notifications(uscc, "", homeNotificationsRead, &h.notifications)
		b.Penalties(storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: homeRecordsShown, Named: true, Brief: true}, &h.penalties)
		b.NewestPublications(uscc, homeRecordsShown, &h.publications)
		b.Repairs(storage.RepairFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}, Brief: true}, &h.repairs)
		b.EnrollmentsOfUSCC(uscc, &h.enrollments)
		b.TrainingsOfUSCC(uscc, &h.trainingsOf)
		b.EnterpriseChannelStates(uscc, homeWithdrawnShown, &h.channels)
	case domain.RoleDepartment:
		b.Objections(storage.ObjectionFilter{CaseFilter: storage.CaseFilter{DepartmentID: p.DepartmentID.String,
			Status: string(domain.ObjectionVerifying), Limit: homeVerifyingShown}, Brief: true}, &h.objections)
		b.Trainings(storage.TrainingFilter{Status: string(domain.TrainingOpen), Limit: homeTrainingsShown}, &h.trainings)
		b.Notifications("", p.DepartmentID.String, homeUrgesRead, &h.notifications)
	case domain.RoleAgency:
		b.Trainings(storage.TrainingFilter{AgencyLogin: p.Login, Limit: homeTrainingsShown}, &h.trainings)
	case domain.RoleCreditOffice:
		b.Penalties(storage.PenaltyFilter{Overdue: "delivery", Limit: homeLateShown, Named: true, Brief: true}, &h.lateDeliveries)
		b.Penalties(storage.PenaltyFilter{Overdue: "publication", Limit: homeLateShown, Named: true, Brief: true},
			&h.latePublications)
		b.Trainings(storage.TrainingFilter{Limit: homeTrainingsShown}, &h.trainings)
		b.Withdrawals(storage.WithdrawalFilter{Status: string(domain.WithdrawalInProgress), Limit: homeWithdrawalsShown}, &h.withdrawals)
		b.Withdrawals(storage.WithdrawalFilter{Status: string(domain.WithdrawalPending), Limit: homeWithdrawalsShown},
			&h.pendingWithdrawals)
	}
	if err := s.db.Run(ctx, &b); err != nil {
		return nil, err
	}
	return h, nil
}
