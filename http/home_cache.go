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

// notificationsLocal is where a request keeps the notifications its home page read once for all its sections.
const notificationsLocal = "home-notifications"

// homeNotifications returns the newest limit notifications of an enterprise, reading them once per request: the
// enterprise's home page shows three sections of them (records, objections, trainings), each a filter of the newest.
// homeNotificationsRead is the most any section reads.
func (s *Server) homeNotifications(c *fiber.Ctx, uscc string, limit int) ([]storage.Notification, error) {
	ns, ok := c.Locals(notificationsLocal).([]storage.Notification)
	if !ok {
		var err error
		if ns, err = s.db.NotificationsFor(c.UserContext(), uscc, "", homeNotificationsRead); err != nil {
			return nil, err
		}
		c.Locals(notificationsLocal, ns)
	}
	if len(ns) > limit {
		ns = ns[:limit]
	}
	return ns, nil
}

const homeNotificationsRead = 50
