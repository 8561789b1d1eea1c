package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/activities"
)

// The channel simulator (渠道模拟器) is for development and demos only: it behaves like a channel's system at
// /dev/channel-simulator/{channel_id}, so a webhook channel can point at this very server. It verifies the
// signature with the channel's secret (a wrong one is refused with 401), applies each Idempotency-Key once, and
// can be told to fail its next calls or to answer slowly. It is mounted only when XINYONG_CHANNEL_SIMULATOR=1
// (`xinyong dev` sets it), never in production.

// SimulatorEnv switches the channel simulator on.
const SimulatorEnv = "XINYONG_CHANNEL_SIMULATOR"

// simulatorPath is where a channel's simulated system listens.
const simulatorPath = "/dev/channel-simulator/"

// simChannel is one simulated channel system.
type simChannel struct {
	FailNext int                `json:"fail_next"`
	DelayMS  int                `json:"delay_ms"`
	Calls    int                `json:"calls"`
	Rejected int                `json:"rejected_signatures"`
	Applied  map[string]simItem `json:"applied"`
}

type simItem struct {
	Event      string    `json:"event"`
	Deliveries int       `json:"deliveries"`
	AppliedAt  time.Time `json:"applied_at"`
	Body       string    `json:"body"`
}

// channelSimulator keeps the simulated systems in memory (a dev aid: a restart forgets them).
type channelSimulator struct {
	mu       sync.Mutex
	channels map[string]*simChannel
}

func (cs *channelSimulator) get(id string) *simChannel {
	c := cs.channels[id]
	if c == nil {
		c = &simChannel{Applied: map[string]simItem{}}
		cs.channels[id] = c
	}
	return c
}

// simulatorState shows what a simulated system has received.
func (s *Server) simulatorState(c *fiber.Ctx) error {
	s.sim.mu.Lock()
	defer s.sim.mu.Unlock()
	return c.JSON(s.sim.get(c.Params("channel")))
}

// simulatorControl tells a simulated system to fail its next calls (500) or to answer slowly:
// {"fail_next": 3, "delay_ms": 20000}.
func (s *Server) simulatorControl(c *fiber.Ctx) error {
	var in struct {
		FailNext *int `json:"fail_next"`
		DelayMS  *int `json:"delay_ms"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	s.sim.mu.Lock()
	defer s.sim.mu.Unlock()
	ch := s.sim.get(c.Params("channel"))
	if in.FailNext != nil {
		ch.FailNext = max(0, *in.FailNext)
	}
	if in.DelayMS != nil {
		ch.DelayMS = min(max(0, *in.DelayMS), 120000)
	}
	return c.JSON(ch)
}

func (s *Server) simulatorReceive(c *fiber.Ctx) error {
	sim := s.sim
	id := c.Params("channel")
	// Answers are written here, not by the error handler: a channel system's answer is JSON, never a login page.
	answer := func(status int, code, msg string) error {
		return c.Status(status).JSON(fiber.Map{"error": &Error{Code: code, Message: msg}})
	}
	ch, err := s.db.GetChannel(c.UserContext(), id)
	if err != nil {
		return answer(fiber.StatusNotFound, "not_found", "渠道不存在（模拟器）")
	}
	body := c.Body()
	sim.mu.Lock()
	st := sim.get(id)
	st.Calls++
	if ch.Secret == "" || !activities.VerifySignature(ch.Secret, body, c.Get(activities.HeaderSignature)) {
		st.Rejected++
		sim.mu.Unlock()
		return answer(fiber.StatusUnauthorized, "bad_signature", "签名校验失败（模拟器）")
	}
	delay := time.Duration(st.DelayMS) * time.Millisecond
	fail := st.FailNext > 0
	if fail {
		st.FailNext--
	}
	key := c.Get(activities.HeaderIdempotencyKey)
	ref := "SIM-" + id + "-" + strconv.Itoa(st.Calls)
	if !fail {
		it, seen := st.Applied[key]
		if !seen {
			it = simItem{Event: c.Get(activities.HeaderEvent), AppliedAt: time.Now(), Body: string(body)}
		}
		it.Deliveries++
		st.Applied[key] = it
	}
	sim.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if fail {
		return answer(fiber.StatusServiceUnavailable, "simulated_failure", "模拟的渠道故障")
	}
	return c.JSON(fiber.Map{"reference": ref})
}
