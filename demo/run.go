package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"xinyong/domain"
	"xinyong/storage"
)

// Summary is what a run made.
type Summary struct {
	Penalties  int
	Repairs    int
	Objections int
	Trainings  int
	Failures   []string
}

// penaltyAnswer is the part of a penalty the demo reads.
type penaltyAnswer struct {
	ID           int64  `json:"id"`
	Status       string `json:"status"`
	Publications []struct {
		ChannelID string `json:"channel_id"`
		Status    string `json:"status"`
	} `json:"publications"`
	Withdrawal *struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	} `json:"withdrawal"`
}

// waitTimeout bounds every wait for a workflow to reach a state.
const waitTimeout = 5 * time.Minute

// workers is how many penalties' stories run at once: a story mostly waits for its workflows, so many run at once
// without loading the machine.
const workers = 16

// pollEvery is how often a wait for a workflow's progress looks again.
const pollEvery = 150 * time.Millisecond

// Run creates the demo city through the API as of today and returns what it made. Failures of single stories are
// collected, not fatal: the rest of the city is still made.
func Run(ctx context.Context, c *Client, today domain.Date) (Summary, error) {
	started := time.Now()
	plan := Plan(today)
	var (
		mu  sync.Mutex
		sum Summary
	)
	fail := func(p Penalty, err error) {
		mu.Lock()
		defer mu.Unlock()
		sum.Failures = append(sum.Failures, fmt.Sprintf("%s (%s): %v", p.No, p.Fate, err))
	}
	jobs := make(chan Penalty)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				made, err := c.story(ctx, p, today)
				mu.Lock()
				sum.Penalties++
				switch made {
				case "repair":
					sum.Repairs++
				case "objection":
					sum.Objections++
				}
				mu.Unlock()
				if err != nil {
					fail(p, err)
				}
			}
		}()
	}
	for _, p := range plan {
		select {
		case jobs <- p:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	if err := c.training(ctx, today, plan); err != nil {
		sum.Failures = append(sum.Failures, "training: "+err.Error())
	} else {
		sum.Trainings++
	}
	c.logf("demo data ready", "penalties", sum.Penalties, "repairs", sum.Repairs, "objections", sum.Objections,
		"failures", len(sum.Failures), "took", time.Since(started).Round(time.Second))
	if len(sum.Failures) > 0 {
		return sum, fmt.Errorf("demo: %d of %d stories failed; first: %s", len(sum.Failures), len(plan), sum.Failures[0])
	}
	return sum, nil
}

func key(p Penalty, step string) string { return fmt.Sprintf("p%d-%s", p.N, step) }

// story takes one penalty where its plan says, as the people involved would; it tells what case it made.
func (c *Client) story(ctx context.Context, p Penalty, today domain.Date) (string, error) {
	var pa penaltyAnswer
	if err := c.call(ctx, "POST", "/api/v1/penalties", p.Dept, key(p, "register"), p.body, &pa); err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	if p.Fate == FateAwaitingDelivery || p.Fate == FateOverdueDelivery {
		return "", nil
	}
	if err := c.deliver(ctx, p, pa.ID, today); err != nil {
		return "", err
	}
	switch p.Fate {
	case FateExpired:
		return "", c.withdrawnEverywhere(ctx, pa.ID, "", "withdrawn")
	case FatePublished, FateEligible, FateRevoked, FateRepair, FateObjection:
		if err := c.publishEverywhere(ctx, pa.ID); err != nil {
			return "", err
		}
	}
	path := fmt.Sprintf("/api/v1/penalties/%d", pa.ID)
	switch p.Fate {
	case FateRevoked:
		if err := c.call(ctx, "POST", path+"/revocation", p.Dept, key(p, "revocation"), map[string]any{
			"reason": "经行政复议，原行政处罚决定认定事实不清，予以撤销", "decided_on": today.AddDays(-1).String()}, nil); err != nil {
			return "", fmt.Errorf("revocation: %w", err)
		}
		return "", c.withdrawnEverywhere(ctx, pa.ID, p.HoldChannel, "revoked")
	case FateEligible:
		return "", c.waitPenalty(ctx, pa.ID, "eligible", func(a penaltyAnswer) bool { return a.Status == "eligible" })
	case FateRepair:
		if err := c.waitPenalty(ctx, pa.ID, "eligible", func(a penaltyAnswer) bool { return a.Status == "eligible" }); err != nil {
			return "", err
		}
		return "repair", c.repairStory(ctx, p, pa.ID, today)
	case FateObjection:
		return "objection", c.objectionStory(ctx, p, pa.ID)
	}
	return "", nil
}

// deliver records the delivery of the decision and the repair notice a few days after the decision.
func (c *Client) deliver(ctx context.Context, p Penalty, id int64, today domain.Date) error {
	on := workday(p.Decided.AddDays(1 + p.N%3))
	if on.After(today) {
		on = today
	}
	body := map[string]any{"method": "in_person", "delivered_on": on.String(), "signed_by": p.Ent.Rep}
	switch {
	case p.N%11 == 5:
		body = map[string]any{"method": "refused", "delivered_on": on.String(), "witness": "社区网格员 周某"}
	case p.N%7 == 3:
		body["method"] = "post"
	}
	if err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", id), p.Dept, key(p, "delivery"), body, nil); err != nil {
		if errorCode(err) == "already_delivered" {
			return nil
		}
		return fmt.Errorf("delivery: %w", err)
	}
	return nil
}

// publishEverywhere has every channel's operator confirm that the record is shown.
func (c *Client) publishEverywhere(ctx context.Context, id int64) error {
	return c.poll(ctx, fmt.Sprintf("penalty %d published on every channel", id), func() (bool, error) {
		var pa penaltyAnswer
		if err := c.call(ctx, "GET", fmt.Sprintf("/api/v1/penalties/%d", id), "office", "", nil, &pa); err != nil {
			return false, err
		}
		if len(pa.Publications) == 0 {
			return false, nil
		}
		done := true
		for _, pb := range pa.Publications {
			if pb.Status == "published" || pb.Status == "withdrawn" {
				continue
			}
			done = false
			op, ok := storage.DemoOperatorLogins[pb.ChannelID]
			if !ok {
				continue
			}
			err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/penalties/%d/publications/%s/confirm", id, pb.ChannelID), op,
				confirmKey("pub", id, pb.ChannelID, pb.Status), map[string]any{"reference": referenceOf(pb.ChannelID, id)}, nil)
			if err != nil && !is4xx(err) {
				return false, err
			}
		}
		return done && pa.Status != "notice_issued" && pa.Status != "delivered", nil
	})
}

// withdrawnEverywhere waits for the record's withdrawal order and has every channel's operator confirm it, except
// hold; then it waits for the record's final status (unless a channel is held).
func (c *Client) withdrawnEverywhere(ctx context.Context, id int64, hold, final string) error {
	var wid int64
	if err := c.waitPenalty(ctx, id, "withdrawal ordered", func(a penaltyAnswer) bool {
		if a.Withdrawal != nil {
			wid = a.Withdrawal.ID
		}
		// A record the rule set never published simply ends, without an order to any channel.
		return wid != 0 || a.Status == final
	}); err != nil {
		return err
	}
	if wid == 0 {
		return nil
	}
	if err := c.confirmWithdrawal(ctx, wid, hold); err != nil {
		return err
	}
	if hold != "" {
		return nil
	}
	return c.waitPenalty(ctx, id, final, func(a penaltyAnswer) bool { return a.Status == final })
}

// confirmWithdrawal has the operators of a withdrawal order's channels confirm it (all but hold).
func (c *Client) confirmWithdrawal(ctx context.Context, wid int64, hold string) error {
	return c.poll(ctx, fmt.Sprintf("withdrawal %d confirmed", wid), func() (bool, error) {
		var wd struct {
			Status   string `json:"status"`
			Channels []struct {
				ChannelID string `json:"channel_id"`
				Kind      string `json:"kind"`
				Status    string `json:"status"`
			} `json:"channels"`
		}
		if err := c.call(ctx, "GET", fmt.Sprintf("/api/v1/withdrawals/%d", wid), "office", "", nil, &wd); err != nil {
			return false, err
		}
		// A record never shown on a channel (its period ran out before any operator confirmed it) is withdrawn
		// with nothing to confirm: the order is completed at once.
		if wd.Status == "completed" {
			return true, nil
		}
		if len(wd.Channels) == 0 {
			return false, nil
		}
		done := true
		for _, ch := range wd.Channels {
			if ch.ChannelID == hold || ch.Status == "confirmed" || ch.Status == "cancelled" || ch.Kind != "manual" {
				continue
			}
			done = false
			op, ok := storage.DemoOperatorLogins[ch.ChannelID]
			if !ok {
				continue
			}
			err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/withdrawals/%d/channels/%s/confirm", wid, ch.ChannelID), op,
				confirmKey("wd", wid, ch.ChannelID, ch.Status), map[string]any{"reference": referenceOf(ch.ChannelID, wid)}, nil)
			if err != nil && !is4xx(err) {
				return false, err
			}
		}
		return done, nil
	})
}

// repairStory applies for repair and takes the case to the step its scenario waits at.
func (c *Client) repairStory(ctx context.Context, p Penalty, penaltyID int64, today domain.Date) error {
	firm := p.Ent.USCC
	att, err := c.upload(ctx, firm, key(p, "upload"), "罚款缴纳凭证.pdf")
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	var r struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := c.call(ctx, "POST", "/api/v1/repairs", firm, key(p, "repair"), map[string]any{
		"penalty_id": penaltyID, "commitment_accepted": true, "attachment_ids": []int64{att},
		"statement": "罚款已按期缴清，违法行为已整改完毕，现申请信用修复。"}, &r); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	path := fmt.Sprintf("/api/v1/repairs/%d", r.ID)
	step := func(action string, body any) error {
		if err := c.call(ctx, "POST", path+"/"+action, p.Dept, key(p, action), body, nil); err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		return nil
	}
	switch p.Scenario {
	case 0, 1, 11: // waits for acceptance
		return nil
	case 2, 3: // 补正: the department asks once for everything missing
		return step("request-supplement", map[string]any{"items": []string{"罚款缴纳凭证（银行回单）原件扫描件", "整改完成情况说明及现场照片"}})
	case 10: // not accepted
		return step("reject", map[string]any{"reason": "申请修复的信息尚在行政复议期间，不予受理"})
	}
	if err := step("accept", nil); err != nil {
		return err
	}
	switch p.Scenario {
	case 4: // verification
		return nil
	case 5: // verification, extended for an inspection
		return step("extend", map[string]any{"reason": "需现场核查整改落实情况"})
	case 6, 7: // rectification
		// Within the decision's own deadline (seven working days from acceptance), which a rectification may not pass.
		return step("rectification-deadline", map[string]any{"due_on": workday(today.AddDays(5)).String(),
			"requirements": []string{"完成废气收集处理设施改造", "提交第三方检测机构出具的检测报告"}})
	case 9: // refused
		return step("decide", map[string]any{"approved": false, "reason": "经核实，整改尚未完成，不符合信用修复条件"})
	}
	// 8: approved, and withdrawn everywhere.
	if err := step("decide", map[string]any{"approved": true, "reason": "已缴清罚款并完成整改，作出信用承诺，准予信用修复"}); err != nil {
		return err
	}
	if err := c.withdrawnEverywhere(ctx, penaltyID, "", "withdrawn"); err != nil {
		return err
	}
	// The case closes after the record is withdrawn everywhere, in a step of its own: the city is made only when
	// it has (a census taken the moment the record is withdrawn may find the case still approved).
	return c.poll(ctx, fmt.Sprintf("repair %d closed", r.ID), func() (bool, error) {
		var ra struct {
			Status string `json:"status"`
		}
		if err := c.call(ctx, "GET", path, "office", "", nil, &ra); err != nil {
			return false, err
		}
		return ra.Status == "closed", nil
	})
}

// objectionStory files an objection; the first scenarios stay open, the others are answered and closed.
func (c *Client) objectionStory(ctx context.Context, p Penalty, penaltyID int64) error {
	firm := p.Ent.USCC
	var o struct {
		ID int64 `json:"id"`
	}
	if err := c.call(ctx, "POST", "/api/v1/objections", firm, key(p, "objection"), map[string]any{
		"penalty_id": penaltyID, "grounds": "wrong_content", "commitment_accepted": true,
		"statement": "公示的罚款金额与行政处罚决定书载明的金额不一致，请予核实更正。"}, &o); err != nil {
		return fmt.Errorf("object: %w", err)
	}
	if err := c.confirmObjectionChannels(ctx, o.ID, "mark"); err != nil {
		return err
	}
	if p.Scenario < 3 {
		return nil
	}
	if err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/objections/%d/resolve", o.ID), p.Dept, key(p, "resolve"), map[string]any{
		"outcome": "upheld", "reason": "经核查，公示信息与行政处罚决定书一致，维持原公示内容"}, nil); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	if err := c.confirmObjectionChannels(ctx, o.ID, ""); err != nil {
		return err
	}
	return c.poll(ctx, fmt.Sprintf("objection %d closed", o.ID), func() (bool, error) {
		var oa struct {
			Status string `json:"status"`
		}
		if err := c.call(ctx, "GET", fmt.Sprintf("/api/v1/objections/%d", o.ID), "office", "", nil, &oa); err != nil {
			return false, err
		}
		if oa.Status != "closed" {
			_ = c.confirmObjectionChannels(ctx, o.ID, "")
		}
		return oa.Status == "closed", nil
	})
}

// confirmObjectionChannels has the operators confirm the case's pending channel actions (only action when set),
// until none of that action is pending.
func (c *Client) confirmObjectionChannels(ctx context.Context, id int64, action string) error {
	return c.poll(ctx, fmt.Sprintf("objection %d channels confirmed", id), func() (bool, error) {
		var oa struct {
			Channels []struct {
				ChannelID string `json:"channel_id"`
				Kind      string `json:"kind"`
				Action    string `json:"action"`
				Status    string `json:"status"`
			} `json:"channels"`
		}
		if err := c.call(ctx, "GET", fmt.Sprintf("/api/v1/objections/%d", id), "office", "", nil, &oa); err != nil {
			return false, err
		}
		seen, done := false, true
		for _, ch := range oa.Channels {
			if action != "" && ch.Action != action {
				continue
			}
			seen = true
			if ch.Kind != "manual" || ch.Status == "confirmed" || ch.Status == "cancelled" {
				continue
			}
			done = false
			op, ok := storage.DemoOperatorLogins[ch.ChannelID]
			if !ok {
				continue
			}
			err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/objections/%d/channels/%s/confirm", id, ch.ChannelID), op,
				confirmKey("obj", id, ch.ChannelID, ch.Action+"-"+ch.Status), map[string]any{"action": ch.Action,
					"reference": referenceOf(ch.ChannelID, id)}, nil)
			if err != nil && !is4xx(err) {
				return false, err
			}
		}
		return seen && done, nil
	})
}

// training plans a session with room for five: the demo logins' enterprises enroll themselves (one waits for a
// place) and departments enroll enterprises they penalized (on the waiting list too).
func (c *Client) training(ctx context.Context, today domain.Date, plan []Penalty) error {
	day := workday(today.AddDays(12))
	start := time.Date(day.Y, day.M, day.D, 9, 0, 0, 0, domain.Shanghai)
	var t struct {
		ID int64 `json:"id"`
	}
	if err := c.call(ctx, "POST", "/api/v1/trainings", "office", "training", map[string]any{
		"title": fmt.Sprintf("%d年第四期信用修复专题培训", day.Y), "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(3 * time.Hour).Format(time.RFC3339), "venue": "镇江市政务服务中心三楼培训室",
		"capacity": 5, "class_hours": 3, "agency": "agency", "pass_score": 60}, &t); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	path := fmt.Sprintf("/api/v1/trainings/%d/enrollments", t.ID)
	for i, e := range storage.DemoEnterprises {
		if err := c.call(ctx, "POST", path, e.USCC, fmt.Sprintf("enroll-%d", i), nil, nil); err != nil {
			return fmt.Errorf("enroll %s: %w", e.USCC, err)
		}
	}
	n := 0
	for _, p := range plan {
		if p.Ent.Login || p.Fate != FateEligible || n >= 2 {
			continue
		}
		if err := c.call(ctx, "POST", path, p.Dept, fmt.Sprintf("enroll-dept-%d", p.N), map[string]any{"uscc": p.Ent.USCC}, nil); err != nil {
			return fmt.Errorf("department enrolls %s: %w", p.Ent.USCC, err)
		}
		n++
	}
	return nil
}

// waitPenalty polls a penalty until cond holds.
func (c *Client) waitPenalty(ctx context.Context, id int64, what string, cond func(penaltyAnswer) bool) error {
	return c.poll(ctx, fmt.Sprintf("penalty %d %s", id, what), func() (bool, error) {
		var pa penaltyAnswer
		if err := c.call(ctx, "GET", fmt.Sprintf("/api/v1/penalties/%d", id), "office", "", nil, &pa); err != nil {
			return false, err
		}
		return cond(pa), nil
	})
}

// poll runs check until it reports done, for at most waitTimeout.
func (c *Client) poll(ctx context.Context, what string, check func() (bool, error)) error {
	deadline := time.Now().Add(waitTimeout)
	var last error
	for {
		ok, err := check()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("waiting for %s: %w", what, last)
			}
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// confirmKey is the Idempotency-Key of an operator's confirmation. It names the channel's status the operator saw:
// a confirmation refused while the channel was not yet ready (its 4xx is what the key replays) is tried again,
// under a new key, once the status moved on.
func confirmKey(kind string, id int64, channel, status string) string {
	return fmt.Sprintf("%s-%d-%s-%s", kind, id, channel, status)
}

func is4xx(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status/100 == 4
}

// referenceOf is the channel's own reference for a record, as its operator would type it.
func referenceOf(channelID string, id int64) string {
	return fmt.Sprintf("%s-%d-%d", strings.ToUpper(strings.ReplaceAll(channelID, "-", "")), time.Now().Year(), id)
}
