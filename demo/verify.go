package demo

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Census is how many demo cases the API shows in each state (state names as in issue 20).
type Census map[string]int

// listAll reads every page of a list as login.
func (c *Client) listAll(ctx context.Context, path, login string, each func(raw map[string]any)) error {
	cursor := ""
	for {
		p := path
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		p += sep + "limit=200"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := c.call(ctx, "GET", p, login, "", nil, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			each(it)
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			return nil
		}
		cursor = page.NextCursor
	}
}

// Count reads, through the API as the credit office (and each department for its inbox), how many cases are in
// each state the demo promises.
func (c *Client) Count(ctx context.Context) (Census, error) {
	n := Census{}
	ruleSets := map[string]bool{}
	add := func(k string) { n[k]++ }
	for _, st := range []string{"notice_issued", "delivered", "published", "eligible", "withdrawing", "withdrawn", "revoked"} {
		if err := c.listAll(ctx, "/api/v1/penalties?status="+st, "office", func(it map[string]any) {
			add("penalty:" + st)
			add("penalties")
			if rs, ok := it["rule_set"].(string); ok {
				ruleSets[strings.SplitN(rs, "-", 2)[0]] = true
			}
		}); err != nil {
			return n, err
		}
	}
	for rs := range ruleSets {
		n["rule_set:"+rs] = 1
	}
	for _, st := range []string{"pending_acceptance", "supplement_requested", "verifying", "rectifying", "approved", "closed",
		"refused", "not_accepted"} {
		if err := c.listAll(ctx, "/api/v1/repairs?status="+st, "office", func(map[string]any) { add("repair:" + st) }); err != nil {
			return n, err
		}
	}
	for _, st := range []string{"verifying", "resolved", "closed"} {
		if err := c.listAll(ctx, "/api/v1/objections?status="+st, "office", func(map[string]any) { add("objection:" + st) }); err != nil {
			return n, err
		}
	}
	// Delivery: awaiting in each department's inbox, overdue escalated to the credit office's.
	for _, d := range departments {
		if err := c.listAll(ctx, "/api/v1/tasks", d, func(it map[string]any) {
			if it["step"] == "delivery" && it["overdue"] == false {
				add("delivery:awaiting")
			}
		}); err != nil {
			return n, err
		}
	}
	var escalated []string
	if err := c.listAll(ctx, "/api/v1/tasks", "office", func(it map[string]any) {
		if step, _ := it["step"].(string); strings.HasPrefix(step, "escalation:") && it["case_kind"] == "penalty" {
			if step == "escalation:delivery" {
				escalated = append(escalated, fmt.Sprint(it["case_id"]))
			}
			add("office:overdue")
		}
	}); err != nil {
		return n, err
	}
	for _, id := range escalated {
		var p struct {
			DepartmentID string `json:"department_id"`
		}
		if err := c.call(ctx, "GET", "/api/v1/penalties/"+id, "office", "", nil, &p); err != nil {
			return n, err
		}
		add("office:overdue_delivery:" + p.DepartmentID)
	}
	// Withdrawals by cause, and orders with a channel still to confirm.
	if err := c.listAll(ctx, "/api/v1/withdrawals", "office", func(it map[string]any) {
		add(fmt.Sprintf("withdrawal:%v:%v", it["cause"], it["status"]))
		if it["status"] != "completed" {
			add(fmt.Sprintf("withdrawal:%v:open", it["cause"])) // a channel still has to confirm
		}
	}); err != nil {
		return n, err
	}
	// The training: enrolled and waiting.
	if err := c.listAll(ctx, "/api/v1/trainings", "office", func(it map[string]any) {
		var t struct {
			Enrollments []struct {
				Status string `json:"status"`
			} `json:"enrollments"`
		}
		if c.call(ctx, "GET", fmt.Sprintf("/api/v1/trainings/%v", it["id"]), "office", "", nil, &t) != nil {
			return
		}
		add("training")
		for _, e := range t.Enrollments {
			add("enrollment:" + e.Status)
		}
	}); err != nil {
		return n, err
	}
	return n, nil
}

// Promised are the states issue 20 asks the demo to show, each with the least count the plan makes.
var Promised = map[string]int{
	"penalties": 200, "rule_set:ndrc": 1, "rule_set:samr": 1,
	"delivery:awaiting": 10, "office:overdue_delivery:sthjj": 1, "office:overdue_delivery:yjglj": 1,
	"office:overdue_delivery:scjgj": 1, "penalty:published": 20, "penalty:eligible": 40, "penalty:withdrawn": 30,
	"penalty:revoked": 10, "withdrawal:expiry:completed": 30, "withdrawal:revocation:open": 1,
	"repair:pending_acceptance": 2, "repair:supplement_requested": 2, "repair:verifying": 2, "repair:rectifying": 2,
	"repair:closed": 1, "repair:refused": 1, "repair:not_accepted": 1,
	"objection:verifying": 3, "objection:closed": 2,
	"training": 1, "enrollment:enrolled": 5, "enrollment:waitlisted": 1,
}

// Missing lists the promised states a census falls short of (empty: all there).
func (n Census) Missing() []string {
	var out []string
	for k, want := range Promised {
		if n[k] < want {
			out = append(out, fmt.Sprintf("%s: %d < %d", k, n[k], want))
		}
	}
	sort.Strings(out)
	return out
}

// Equal reports whether two censuses count the same cases.
func (n Census) Equal(o Census) bool {
	if len(n) != len(o) {
		return false
	}
	for k, v := range n {
		if o[k] != v {
			return false
		}
	}
	return true
}
