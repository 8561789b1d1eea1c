package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/egress"
	httpapi "xinyong/http"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
	"xinyong/workflows/wftest"
)

// runWithdrawalE2E stands in for the penalty, repair and objection workflows: it orders a withdrawal and runs it.
func runWithdrawalE2E(ctx workflow.Context, in workflows.WithdrawalInput) (workflows.WithdrawalResult, error) {
	return workflows.RunWithdrawal(ctx, in)
}

// channelStack is the whole stack with a worker the test can stop and start again (a crash and restart).
type channelStack struct {
	*stack
	mu     sync.Mutex
	worker worker.Worker
}

func newChannelStack(t *testing.T) *channelStack {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(ctx))
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	tc := ts.GetDefaultClient()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	acts := &activities.Activities{DB: db, Log: log, BaseURL: base, Egress: egress.MustParse("127.0.0.1")}
	srv := httpapi.New(db, tc, log, httpapi.Config{BaseURL: base, ChannelEgress: egress.MustParse("127.0.0.1")})
	go func() { _ = srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = srv.App().Shutdown() })
	cs := &channelStack{stack: &stack{t: t, db: db, temporal: tc, base: base, acts: acts}}
	cs.startWorker()
	t.Cleanup(cs.stopWorker)
	return cs
}

func (cs *channelStack) startWorker() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	w := worker.New(cs.temporal, workflows.TaskQueue, activities.WorkerOptions())
	workflows.Register(w, cs.acts)
	w.RegisterWorkflow(runWithdrawalE2E)
	require.NoError(cs.t, w.Start())
	cs.worker = w
}

func (cs *channelStack) stopWorker() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.worker != nil {
		cs.worker.Stop()
		cs.worker = nil
	}
}

// channelSystem is a channel's real HTTP system: it rejects bad signatures, fails while down (or for its first
// failures calls), and applies each Idempotency-Key once however often it is sent.
type channelSystem struct {
	mu       sync.Mutex
	secret   string
	failures int
	down     bool
	calls    int
	keys     []string
	bodies   [][]byte
	applied  map[string]int
	badSigs  int
	srv      *httptest.Server
}

func newChannelSystem(t *testing.T, secret string, failures int) *channelSystem {
	cs := &channelSystem{secret: secret, failures: failures, applied: map[string]int{}}
	cs.srv = httptest.NewServer(cs)
	t.Cleanup(cs.srv.Close)
	return cs
}

func (c *channelSystem) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if !activities.VerifySignature(c.secret, body, req.Header.Get(activities.HeaderSignature)) {
		c.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(activities.HeaderIdempotencyKey)
	c.keys = append(c.keys, key)
	c.bodies = append(c.bodies, body)
	if c.down || c.calls <= c.failures {
		http.Error(w, "unavailable", http.StatusInternalServerError)
		return
	}
	if c.applied[key] == 0 {
		c.applied[key] = 1
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"reference":"SYS-%d"}`, c.calls)
}

func (c *channelSystem) snapshot() (calls int, keys []string, applied map[string]int, badSigs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.applied {
		out[k] = v
	}
	return c.calls, append([]string{}, c.keys...), out, c.badSigs
}

// configureWebhook makes a demo channel a webhook channel through the registry API.
func (cs *channelStack) configureWebhook(office, id, name, url, secret string) {
	cs.t.Helper()
	var out map[string]any
	require.Equal(cs.t, 200, cs.call("PUT", "/api/v1/channels/"+id, office, map[string]any{
		"name": name, "kind": "webhook", "deadline_workdays": 3, "endpoint_url": url, "secret": secret}, &out), "%v", out)
	require.Equal(cs.t, true, out["has_secret"])
}

// publishedPenalty stores a general fine of sthjj for a demo enterprise, published on every channel.
func (cs *channelStack) publishedPenalty(ent storage.Enterprise, decisionNo string) int64 {
	cs.t.Helper()
	ctx := context.Background()
	id, err := storage.InsertPenalty(ctx, cs.db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: decisionNo, USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: "sthjj", DeliveryDue: domain.MustParseDate("2026-05-29"),
	})
	require.NoError(cs.t, err)
	ts, err := cs.db.CreatePublications(ctx, id, domain.MustParseDate("2026-05-29"))
	require.NoError(cs.t, err)
	require.Len(cs.t, ts, len(storage.DemoChannels))
	for _, tg := range ts {
		require.NoError(cs.t, cs.db.Publish(ctx, id, tg.ChannelID, func(storage.PublicationTarget) (string, error) { return "seed", nil }))
	}
	return id
}

// withdrawalView is GET /api/v1/withdrawals/{id}.
type withdrawalView struct {
	ID          int64      `json:"id"`
	Cause       string     `json:"cause"`
	Status      string     `json:"status"`
	CompletedAt *time.Time `json:"completed_at"`
	Letter      *struct {
		ID         int64  `json:"id"`
		URL        string `json:"url"`
		VerifyCode string `json:"verify_code"`
	} `json:"letter"`
	Channels []struct {
		ChannelID   string     `json:"channel_id"`
		Name        string     `json:"name"`
		Kind        string     `json:"kind"`
		Status      string     `json:"status"`
		Attempts    int        `json:"attempts"`
		ConfirmedAt *time.Time `json:"confirmed_at"`
		DueOn       string     `json:"due_on"`
	} `json:"channels"`
}

func (cs *channelStack) withdrawalOf(penaltyID int64, token string) int64 {
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	require.Equal(cs.t, 200, cs.call("GET", fmt.Sprintf("/api/v1/withdrawals?penalty_id=%d", penaltyID), token, nil, &list))
	if len(list.Items) == 0 {
		return 0
	}
	return list.Items[0].ID
}

func (cs *channelStack) view(id int64, token string) withdrawalView {
	var v withdrawalView
	require.Equal(cs.t, 200, cs.call("GET", fmt.Sprintf("/api/v1/withdrawals/%d", id), token, nil, &v))
	return v
}

// waitForOrder waits until the order exists and its manual channels' operators have it.
func (cs *channelStack) waitForOrder(penaltyID int64, office string, manual ...string) int64 {
	var id int64
	cs.eventually(60*time.Second, "the order is sent to the manual channels", func() bool {
		if id == 0 {
			id = cs.withdrawalOf(penaltyID, office)
		}
		if id == 0 {
			return false
		}
		sent := 0
		for _, c := range cs.view(id, office).Channels {
			for _, m := range manual {
				if c.ChannelID == m && c.Status == "sent" {
					sent++
				}
			}
		}
		return sent == len(manual)
	})
	return id
}

func (cs *channelStack) confirm(id int64, channelID, login string) int {
	return cs.call("POST", fmt.Sprintf("/api/v1/withdrawals/%d/channels/%s/confirm", id, channelID), cs.token(login),
		map[string]any{"reference": "确认-" + channelID}, nil)
}

// download GETs a path and returns the raw answer and the status.
func (cs *channelStack) download(path, token string) ([]byte, int) {
	cs.t.Helper()
	req, err := http.NewRequest("GET", cs.base+path, nil)
	require.NoError(cs.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(cs.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(cs.t, err)
	return raw, resp.StatusCode
}

// TestWithdrawalToFiveChannelsCompletesWhenAllConfirm: three webhook channels (one fails twice before it answers)
// and two manual channels confirmed by their operators; the order completes, every publication is withdrawn, the
// 告知函 names every channel.
func TestWithdrawalToFiveChannelsCompletesWhenAllConfirm(t *testing.T) {
	cs := newChannelStack(t)
	ctx := context.Background()
	office := cs.token("office")
	ent := storage.DemoEnterprises[1]
	systems := map[string]*channelSystem{
		"creditchina":       newChannelSystem(t, "creditchina-shared-secret", 2),
		"gsxt":              newChannelSystem(t, "gsxt-shared-secret-0001", 0),
		"creditchina-local": newChannelSystem(t, "local-shared-secret-0001", 0),
	}
	for _, ch := range storage.DemoChannels {
		if sys, ok := systems[ch.ID]; ok {
			cs.configureWebhook(office, ch.ID, ch.Name, sys.srv.URL+"/xinyong", sys.secret)
		}
	}
	pid := cs.publishedPenalty(ent, "镇环罚〔2026〕31号")

	in := workflows.WithdrawalInput{PenaltyID: pid, Cause: "repair", CauseRef: "repair-31",
		CauseDecision: "生态环境局准予信用修复决定书（镇环修〔2026〕31号）"}
	run, err := cs.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("e2e-withdraw-%d", pid),
		TaskQueue: workflows.TaskQueue}, runWithdrawalE2E, in)
	require.NoError(t, err)
	id := cs.waitForOrder(pid, office, "dept-site", "thirdparty")

	// Only the channel's own operator confirms; others are refused without changing anything.
	assert.Equal(t, 403, cs.confirm(id, "dept-site", "office"))
	assert.Equal(t, 404, cs.confirm(id, "dept-site", "op-gsxt"))
	assert.Equal(t, 409, cs.confirm(id, "creditchina", "op-creditchina"), "webhook channels confirm themselves")
	assert.Equal(t, 200, cs.confirm(id, "dept-site", "op-dept"))
	assert.Equal(t, 200, cs.confirm(id, "dept-site", "op-dept"), "a repeated confirmation is answered, not applied twice")
	assert.Equal(t, 200, cs.confirm(id, "thirdparty", "op-thirdparty"))

	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var res workflows.WithdrawalResult
	require.NoError(t, run.Get(wctx, &res))
	assert.Equal(t, id, res.WithdrawalID)

	v := cs.view(id, office)
	assert.Equal(t, "completed", v.Status)
	require.NotNil(t, v.CompletedAt)
	require.Len(t, v.Channels, 5)
	for _, c := range v.Channels {
		assert.Equal(t, "confirmed", c.Status, c.ChannelID)
		assert.NotNil(t, c.ConfirmedAt, "the view shows each confirmation time: %s", c.ChannelID)
		if c.ChannelID == "creditchina" {
			assert.GreaterOrEqual(t, c.Attempts, 3)
		}
	}
	// The enterprise sees its own order.
	ev := cs.view(id, cs.token(ent.USCC))
	assert.Equal(t, "completed", ev.Status)

	for chID, sys := range systems {
		calls, keys, applied, bad := sys.snapshot()
		key := activities.WithdrawalIdempotencyKey(id, chID)
		assert.Zero(t, bad, chID)
		assert.Equal(t, map[string]int{key: 1}, applied, "%s applied the order once", chID)
		for _, k := range keys {
			assert.Equal(t, key, k, chID)
		}
		if chID == "creditchina" {
			assert.GreaterOrEqual(t, calls, 3, "two failures, then the confirmation")
		}
	}

	pubs, err := cs.db.PublicationsOf(ctx, pid)
	require.NoError(t, err)
	require.Len(t, pubs, 5)
	for _, p := range pubs {
		assert.Equal(t, "withdrawn", p.Status, p.ChannelID)
		assert.True(t, p.WithdrawnAt.Valid, p.ChannelID)
	}

	// The 告知函: downloadable, and it names the enterprise, its code, the record and every channel.
	require.NotNil(t, v.Letter)
	pdf, status := cs.download(v.Letter.URL, office)
	require.Equal(t, 200, status)
	require.True(t, len(pdf) > 4 && string(pdf[:4]) == "%PDF")
	text := pdfText(t, pdf)
	for _, want := range []string{"告知函", ent.Name, ent.USCC, "镇环罚〔2026〕31号", "镇环修〔2026〕31号"} {
		assert.Contains(t, text, want)
	}
	for _, ch := range storage.DemoChannels {
		assert.Contains(t, text, ch.Name, "the letter lists every addressed channel")
	}
	// A channel operator may read the letter addressed to it.
	_, status = cs.download(v.Letter.URL, cs.token("op-gsxt"))
	assert.Equal(t, 200, status)

	// A second order for the same record and cause is the same order.
	again, err := cs.acts.OrderWithdrawal(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, id, again)

	ns, err := cs.db.NotificationsFor(ctx, ent.USCC, "", 10)
	require.NoError(t, err)
	require.NotEmpty(t, ns)
	assert.Equal(t, "withdrawal_completed", ns[0].Kind)
	wftest.RecordHistory(cs.t, cs.temporal, workflows.WithdrawalWorkflowID(id), "withdrawal_five_channels.json")
}

// TestWithdrawalSurvivesAWorkerCrashMidFanOut stops the only worker while the webhook channels are failing and
// the manual channels wait, starts a new one, and checks the order completes with every channel applying the order
// exactly once and none missed.
func TestWithdrawalSurvivesAWorkerCrashMidFanOut(t *testing.T) {
	cs := newChannelStack(t)
	ctx := context.Background()
	office := cs.token("office")
	ent := storage.DemoEnterprises[2]
	systems := map[string]*channelSystem{}
	for _, id := range []string{"creditchina", "gsxt", "creditchina-local"} {
		sys := newChannelSystem(t, id+"-secret-for-e2e", 0)
		sys.down = true
		systems[id] = sys
	}
	for _, ch := range storage.DemoChannels {
		if sys, ok := systems[ch.ID]; ok {
			cs.configureWebhook(office, ch.ID, ch.Name, sys.srv.URL, sys.secret)
		}
	}
	pid := cs.publishedPenalty(ent, "镇环罚〔2026〕32号")
	run, err := cs.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("e2e-withdraw-%d", pid),
		TaskQueue: workflows.TaskQueue}, runWithdrawalE2E, workflows.WithdrawalInput{PenaltyID: pid, Cause: "objection", CauseRef: "objection-32"})
	require.NoError(t, err)
	id := cs.waitForOrder(pid, office, "dept-site", "thirdparty")
	cs.eventually(30*time.Second, "every webhook channel was tried", func() bool {
		for _, sys := range systems {
			if calls, _, _, _ := sys.snapshot(); calls == 0 {
				return false
			}
		}
		return true
	})

	// The crash: the worker goes away mid fan-out; the channels come back while nobody is running the order.
	cs.stopWorker()
	for _, sys := range systems {
		sys.mu.Lock()
		sys.down = false
		sys.mu.Unlock()
	}
	time.Sleep(time.Second)
	cs.startWorker()

	assert.Equal(t, 200, cs.confirm(id, "dept-site", "op-dept"))
	assert.Equal(t, 200, cs.confirm(id, "thirdparty", "op-thirdparty"))
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var res workflows.WithdrawalResult
	require.NoError(t, run.Get(wctx, &res))

	v := cs.view(id, office)
	assert.Equal(t, "completed", v.Status)
	for _, c := range v.Channels {
		assert.Equal(t, "confirmed", c.Status, c.ChannelID)
	}
	for chID, sys := range systems {
		_, keys, applied, bad := sys.snapshot()
		key := activities.WithdrawalIdempotencyKey(id, chID)
		assert.Zero(t, bad)
		assert.Equal(t, map[string]int{key: 1}, applied, "%s: applied once, not missed", chID)
		for _, k := range keys {
			assert.Equal(t, key, k)
		}
	}
	audit, err := cs.db.AuditOf(ctx, "withdrawal", fmt.Sprint(id))
	require.NoError(t, err)
	confirmed := map[string]int{}
	for _, e := range audit {
		if e.Action == "withdrawal.channel_confirmed" {
			confirmed[e.Actor]++
		}
	}
	assert.Equal(t, map[string]int{"webhook": 3, "op-dept": 1, "op-thirdparty": 1}, confirmed, "each channel confirmed once")
}

// TestPublishThenWithdrawNeverReinserts publishes a record (one webhook channel, manual channels confirmed by
// their operators), withdraws it everywhere, then runs the publication again as a late retry or resync would: no
// channel hears of the record again and every publication stays withdrawn.
func TestPublishThenWithdrawNeverReinserts(t *testing.T) {
	cs := newChannelStack(t)
	ctx := context.Background()
	office := cs.token("office")
	ent := storage.DemoEnterprises[3]
	sys := newChannelSystem(t, "publish-e2e-secret-0001", 1)
	cs.configureWebhook(office, "creditchina", "信用中国", sys.srv.URL, sys.secret)
	pid, err := storage.InsertPenalty(ctx, cs.db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: "镇环罚〔2026〕33号", USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: "sthjj", DeliveryDue: domain.MustParseDate("2026-05-29"),
	})
	require.NoError(t, err)
	publish := func() client.WorkflowRun {
		run, err := cs.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.PublishWorkflowID(pid),
			TaskQueue: workflows.TaskQueue}, workflows.PublishWorkflow, workflows.PublishInput{PenaltyID: pid, DueOn: domain.MustParseDate("2030-01-04")})
		require.NoError(t, err)
		return run
	}
	run := publish()
	confirmPath := func(ch string) string { return fmt.Sprintf("/api/v1/penalties/%d/publications/%s/confirm", pid, ch) }
	manual := []string{"gsxt", "creditchina-local", "dept-site", "thirdparty"}
	cs.eventually(60*time.Second, "the operators have the record to publish", func() bool {
		ts, err := cs.db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleChannelOperator})
		return err == nil && len(ts) == len(manual)
	})
	assert.Equal(t, 403, cs.call("POST", confirmPath("gsxt"), office, map[string]any{"reference": "x"}, nil))
	assert.Equal(t, 404, cs.call("POST", confirmPath("gsxt"), cs.token("op-dept"), map[string]any{"reference": "x"}, nil))
	for _, ch := range manual {
		var out map[string]any
		require.Equal(t, 200, cs.call("POST", confirmPath(ch), cs.token(storage.DemoOperatorLogins[ch]),
			map[string]any{"reference": "https://" + ch + ".example/record/33"}, &out), "%v", out)
		assert.Equal(t, "published", out["status"])
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, run.Get(wctx, nil))
	pubs, err := cs.db.PublicationsOf(ctx, pid)
	require.NoError(t, err)
	for _, p := range pubs {
		assert.Equal(t, "published", p.Status, p.ChannelID)
	}
	wftest.RecordHistory(cs.t, cs.temporal, workflows.PublishWorkflowID(pid), "withdrawal_publish.json")

	// Withdrawn everywhere (the manual channels confirm as soon as the order reaches them).
	wrun, err := cs.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("e2e-withdraw-%d", pid),
		TaskQueue: workflows.TaskQueue}, runWithdrawalE2E, workflows.WithdrawalInput{PenaltyID: pid, Cause: "expiry", CauseRef: "expiry-2027-05-20"})
	require.NoError(t, err)
	id := cs.waitForOrder(pid, office, manual...)
	for _, ch := range manual {
		require.Equal(t, 200, cs.confirm(id, ch, storage.DemoOperatorLogins[ch]))
	}
	require.NoError(t, wrun.Get(wctx, nil))
	calls, _, applied, _ := sys.snapshot()
	assert.Len(t, applied, 2, "the publication and the withdrawal, once each")

	// A late publish: it runs to its end without sending anything, and nothing is published again.
	require.NoError(t, publish().Get(wctx, nil))
	after, _, _, _ := sys.snapshot()
	assert.Equal(t, calls, after, "no channel heard of the record again")
	assert.Equal(t, 409, cs.call("POST", confirmPath("gsxt"), cs.token("op-gsxt"), map[string]any{"reference": "again"}, nil))
	pubs, err = cs.db.PublicationsOf(ctx, pid)
	require.NoError(t, err)
	for _, p := range pubs {
		assert.Equal(t, "withdrawn", p.Status, p.ChannelID)
		assert.True(t, p.PublishedAt.Valid && p.WithdrawnAt.Valid, p.ChannelID)
	}
}
