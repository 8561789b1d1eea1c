package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

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

// enterpriseHome is what an enterprise's home page lists, read in one round trip (storage.Batch): the page's eight
// lists cost more in round trips than in running them, one statement each (issue 17). The first section that needs
// them reads them all; the others of the same request take theirs from the request. Each list is the read its
// section shows: the limits are the sections'.
type enterpriseHome struct {
	tasks         []storage.Task
	objections    []storage.Objection
	notifications []storage.Notification // the newest homeNotificationsRead, of every kind
	penalties     []storage.Penalty
	publications  map[int64][]storage.Publication
	repairs       []storage.Repair
	enrollments   []storage.TrainingEnrollment
	trainings     map[int64]storage.Training
	channels      []storage.EnterpriseChannelState
}

const enterpriseHomeLocal = "enterprise-home"

// homeNotificationsRead is the most notifications any section of the enterprise's home page reads.
const homeNotificationsRead = 50

// Limits of the enterprise's home page lists.
const (
	homeCasesShown     = 20 // repair and objection cases
	homeRecordsShown   = 50 // records, with their channels
	homeWithdrawnShown = 50 // withdrawal orders, channel by channel
)

func (s *Server) enterpriseHome(c *fiber.Ctx, p *principal) (*enterpriseHome, error) {
	if h, ok := c.Locals(enterpriseHomeLocal).(*enterpriseHome); ok {
		return h, nil
	}
	uscc := p.USCC.String
	h := &enterpriseHome{}
	var b storage.Batch
	tf := taskFilter(p)
	tf.Inbox = true
	b.OpenTasks(tf, &h.tasks)
	b.Objections(storage.ObjectionFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}}, &h.objections)
	b.Notifications(uscc, "", homeNotificationsRead, &h.notifications)
	b.Penalties(storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: homeRecordsShown, Named: true}, &h.penalties)
	b.NewestPublications(uscc, homeRecordsShown, &h.publications)
	b.Repairs(storage.RepairFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: homeCasesShown}}, &h.repairs)
	b.EnrollmentsOfUSCC(uscc, &h.enrollments)
	b.TrainingsOfUSCC(uscc, &h.trainings)
	b.EnterpriseChannelStates(uscc, homeWithdrawnShown, &h.channels)
	if err := s.db.Run(c.UserContext(), &b); err != nil {
		return nil, err
	}
	c.Locals(enterpriseHomeLocal, h)
	return h, nil
}
