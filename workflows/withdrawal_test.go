package workflows

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/egress"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// channelFixture is a demo database with one published penalty, for the publish and withdrawal workflows run on
// the real activities.
type channelFixture struct {
	t         *testing.T
	db        *storage.DB
	acts      *activities.Activities
	penaltyID int64
	ent       storage.Enterprise
}

func newChannelFixture(t *testing.T) *channelFixture {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx))
	return &channelFixture{t: t, db: db, ent: storage.DemoEnterprises[1],
		acts: &activities.Activities{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://xinyong.test", Egress: egress.MustParse("127.0.0.1")}}
}

// insertPenalty stores a published general fine of sthjj decided on 2026-05-20.
func (f *channelFixture) insertPenalty(decisionNo string) int64 {
	f.t.Helper()
	id, err := storage.InsertPenalty(context.Background(), f.db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: decisionNo, USCC: f.ent.USCC, EnterpriseName: f.ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: "sthjj", DeliveryDue: domain.MustParseDate("2026-05-29"),
	})
	require.NoError(f.t, err)
	f.penaltyID = id
	return id
}

// publishAll marks the record published on every channel it is published on.
func (f *channelFixture) publishAll(id int64) {
	f.t.Helper()
	ctx := context.Background()
	ts, err := f.db.CreatePublications(ctx, id, domain.MustParseDate("2026-05-29"))
	require.NoError(f.t, err)
	require.NotEmpty(f.t, ts)
	for _, tg := range ts {
		require.NoError(f.t, f.db.Publish(ctx, id, tg.ChannelID, func(storage.PublicationTarget) (string, error) { return "P-" + tg.ChannelID, nil }))
	}
}

// webhookChannel turns a demo channel into a webhook channel calling url.
func (f *channelFixture) webhookChannel(id, url, secret string) {
	f.t.Helper()
	ctx := context.Background()
	ch, err := f.db.GetChannel(ctx, id)
	require.NoError(f.t, err)
	ch.Kind, ch.EndpointURL, ch.Secret = domain.ChannelWebhook, url, secret
	require.NoError(f.t, ch.Validate())
	require.NoError(f.t, f.db.UpdateChannel(ctx, ch))
}

func (f *channelFixture) order(cause string) int64 {
	f.t.Helper()
	id, err := f.acts.OrderWithdrawal(context.Background(), WithdrawalInput{PenaltyID: f.penaltyID, Cause: domain.WithdrawalCause(cause),
		CauseRef: "repair-7", CauseDecision: "镇环修〔2026〕7号准予信用修复决定", OrderedOn: domain.MustParseDate("2026-06-01")})
	require.NoError(f.t, err)
	return id
}

func (f *channelFixture) env() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(2 * time.Minute)
	env.SetStartTime(shanghaiAt("2026-06-01", 10))
	env.RegisterActivity(f.acts)
	env.RegisterWorkflow(WithdrawalWorkflow)
	env.RegisterWorkflow(PublishWorkflow)
	return env
}

// confirmAt sends a manual channel's confirmation at a workflow time and records the answer.
type confirmation struct {
	mu       sync.Mutex
	rejected map[string]error
	answered map[string]WithdrawalOrderState
}

func (c *confirmation) at(env *testsuite.TestWorkflowEnvironment, d time.Duration, channelID, login string) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(WithdrawalConfirmUpdate, "confirm-"+channelID, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				c.rejected[channelID] = err
			},
			OnComplete: func(v any, err error) {
				c.mu.Lock()
				defer c.mu.Unlock()
				if err != nil {
					c.rejected[channelID] = err
					return
				}
				c.answered[channelID] = v.(WithdrawalOrderState)
			},
		}, ConfirmChannelRequest{ChannelID: channelID, Reference: "CH-" + channelID, By: login})
	}, d)
}

func newConfirmation() *confirmation {
	return &confirmation{rejected: map[string]error{}, answered: map[string]WithdrawalOrderState{}}
}

func TestWithdrawalManualChannelsConfirmAndCompleteTheOrder(t *testing.T) {
	f := newChannelFixture(t)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕15号"))
	id := f.order("repair")
	env := f.env()
	c := newConfirmation()
	for i, ch := range storage.DemoChannels {
		c.at(env, time.Duration(i+1)*time.Hour, ch.ID, storage.DemoOperatorLogins[ch.ID])
	}
	// A confirmation for a channel the order does not address is refused by the validator.
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(WithdrawalConfirmUpdate, "bad", &testsuite.TestUpdateCallback{
			OnAccept: func() { t.Error("a confirmation for an unknown channel was accepted") },
			OnReject: func(err error) {
				r, ok := AsRejection(err)
				require.True(t, ok)
				assert.Equal(t, "channel_not_addressed", r.Code)
			},
			OnComplete: func(any, error) {},
		}, ConfirmChannelRequest{ChannelID: "nowhere", Reference: "x", By: "op"})
	}, 30*time.Minute)

	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res WithdrawalResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, id, res.WithdrawalID)
	require.Len(t, res.Channels, len(storage.DemoChannels))
	assert.Empty(t, c.rejected)
	require.Len(t, c.answered, len(storage.DemoChannels))
	for _, ch := range c.answered["gsxt"].Channels {
		if ch.ChannelID == "gsxt" {
			assert.Equal(t, domain.ChannelConfirmed, ch.Status, "the answer is the new state")
			assert.Equal(t, "CH-gsxt", ch.Reference)
		}
	}

	ctx := context.Background()
	w, err := f.db.GetWithdrawal(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, domain.WithdrawalCompleted, w.Status)
	require.True(t, w.LetterID.Valid, "the 告知函 is stored on the order")
	l, err := f.db.GetLetter(ctx, w.LetterID.Int64)
	require.NoError(t, err)
	assert.Equal(t, "withdrawal_notice", l.Kind)
	assert.Equal(t, activities.CreditOfficeLetterName, l.Issuer, "signed with the office's full name")
	assert.Contains(t, string(l.Data), "信用中国（地方站）")
	cs, err := f.db.WithdrawalChannels(ctx, id)
	require.NoError(t, err)
	for _, ch := range cs {
		assert.Equal(t, domain.ChannelConfirmed, ch.Status, ch.ChannelID)
		assert.Equal(t, "CH-"+ch.ChannelID, ch.Reference)
		assert.Equal(t, storage.DemoOperatorLogins[ch.ChannelID], ch.ConfirmedBy)
	}
	pubs, err := f.db.PublicationsOf(ctx, f.penaltyID)
	require.NoError(t, err)
	for _, p := range pubs {
		assert.Equal(t, "withdrawn", p.Status, p.ChannelID)
		assert.True(t, p.WithdrawnAt.Valid)
	}
	ns, err := f.db.NotificationsFor(ctx, f.ent.USCC, "", 10)
	require.NoError(t, err)
	require.NotEmpty(t, ns)
	assert.Equal(t, "withdrawal_completed", ns[0].Kind)
	assert.Contains(t, ns[0].Body, "国家企业信用信息公示系统")
	open, err := f.db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleChannelOperator})
	require.NoError(t, err)
	assert.Empty(t, open, "every operator task is closed")
}

func TestWithdrawalOverdueChannelIsEscalatedAndALateConfirmationCompletes(t *testing.T) {
	f := newChannelFixture(t)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕16号"))
	id := f.order("expiry")
	env := f.env()
	c := newConfirmation()
	for _, ch := range storage.DemoChannels {
		if ch.ID != "thirdparty" {
			c.at(env, time.Hour, ch.ID, storage.DemoOperatorLogins[ch.ID])
		}
	}
	// thirdparty has 5 working days: due 2026-06-08 (Monday). Between its deadline and its late confirmation the
	// credit office sees it overdue.
	start := shanghaiAt("2026-06-01", 10)
	var checked bool
	env.RegisterDelayedCallback(func() {
		ctx := context.Background()
		wc, err := f.db.WithdrawalChannel(ctx, id, "thirdparty")
		require.NoError(t, err)
		assert.Equal(t, "2026-06-08", wc.DueOn.String())
		assert.Equal(t, domain.ChannelOverdue, wc.Status)
		assert.True(t, wc.OverdueAt.Valid)
		office, err := f.db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleCreditOffice})
		require.NoError(t, err)
		require.Len(t, office, 1)
		assert.Equal(t, "escalation:confirm:thirdparty", office[0].Step)
		assert.Contains(t, office[0].Title, "第三方信用服务公司")
		op, err := f.db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleChannelOperator, ChannelID: "thirdparty"})
		require.NoError(t, err)
		require.Len(t, op, 1)
		assert.True(t, op[0].Overdue)
		checked = true
	}, shanghaiAt("2026-06-09", 9).Sub(start))
	// Not yet overdue at the very end of the due date.
	env.RegisterDelayedCallback(func() {
		wc, err := f.db.WithdrawalChannel(context.Background(), id, "thirdparty")
		require.NoError(t, err)
		assert.Equal(t, domain.ChannelSent, wc.Status, "still within its due date")
	}, shanghaiAt("2026-06-08", 23).Sub(start))
	c.at(env, shanghaiAt("2026-06-10", 15).Sub(start), "thirdparty", "op-thirdparty")

	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.True(t, checked)
	assert.Empty(t, c.rejected)
	assert.False(t, env.Now().Before(shanghaiAt("2026-06-10", 15)), "the order waited for the late channel")

	ctx := context.Background()
	w, err := f.db.GetWithdrawal(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, domain.WithdrawalCompleted, w.Status)
	wc, err := f.db.WithdrawalChannel(ctx, id, "thirdparty")
	require.NoError(t, err)
	assert.Equal(t, domain.ChannelConfirmed, wc.Status)
	assert.True(t, wc.OverdueAt.Valid, "it stays on record that it was late")
	office, err := f.db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleCreditOffice})
	require.NoError(t, err)
	assert.Empty(t, office, "the escalation closes when the channel confirms")
}

// webhookReceiver is a channel's system: it checks every signature, fails its first calls (with a 500, or by
// answering too late after applying the request, when hangs says so), and applies each idempotency key once.
type webhookReceiver struct {
	mu       sync.Mutex
	secret   string
	failures int
	hangs    map[int]bool
	hang     time.Duration
	calls    int
	keys     []string
	bodies   [][]byte
	applied  map[string]int
	badSigs  int
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.calls++
	n := r.calls
	if !activities.VerifySignature(r.secret, body, req.Header.Get(activities.HeaderSignature)) {
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(activities.HeaderIdempotencyKey)
	r.keys = append(r.keys, key)
	r.bodies = append(r.bodies, body)
	if n <= r.failures && !r.hangs[n] {
		r.mu.Unlock()
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	if r.applied[key] == 0 { // a key seen before is answered again, never applied twice
		r.applied[key]++
	}
	r.mu.Unlock()
	if n <= r.failures {
		time.Sleep(r.hang) // applied, but the answer comes after the caller gave up
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"reference":"WH-` + key + `"}`))
}

func TestWithdrawalWebhookChannelIsRetriedUntilItAnswers(t *testing.T) {
	f := newChannelFixture(t)
	recv := &webhookReceiver{secret: "s3cret-s3cret-s3cret", failures: 2, applied: map[string]int{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	f.webhookChannel("creditchina", srv.URL+"/withdraw", recv.secret)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕17号"))
	id := f.order("objection")
	env := f.env()
	c := newConfirmation()
	for _, ch := range storage.DemoChannels {
		if ch.ID != "creditchina" {
			c.at(env, time.Hour, ch.ID, storage.DemoOperatorLogins[ch.ID])
		}
	}
	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, 3, recv.calls, "two failures, then the confirmation")
	assert.Zero(t, recv.badSigs)
	key := activities.WithdrawalIdempotencyKey(id, "creditchina")
	assert.Equal(t, []string{key, key, key}, recv.keys, "every attempt carries the same key")
	assert.Equal(t, recv.bodies[0], recv.bodies[2], "every attempt carries the same body")
	assert.Equal(t, map[string]int{key: 1}, recv.applied)
	var body activities.WithdrawalPayload
	require.NoError(t, json.Unmarshal(recv.bodies[0], &body))
	assert.Equal(t, id, body.WithdrawalID)
	assert.Equal(t, domain.CauseObjection, body.Cause)
	assert.Equal(t, f.ent.USCC, body.Record.USCC)
	assert.Equal(t, "生态环境局", body.Record.Department)
	assert.NotZero(t, body.LetterID)
	assert.Contains(t, body.VerifyURL, "http://xinyong.test/verify/")

	wc, err := f.db.WithdrawalChannel(context.Background(), id, "creditchina")
	require.NoError(t, err)
	assert.Equal(t, domain.ChannelConfirmed, wc.Status)
	assert.Equal(t, 3, wc.Attempts)
	assert.Equal(t, "webhook", wc.ConfirmedBy)
	assert.Equal(t, "WH-"+key, wc.Reference)
}

func TestWithdrawalWebhookFailingTenTimesWithErrorsAndTimeoutsIsConfirmedOnce(t *testing.T) {
	prev := activities.WebhookTimeout
	activities.WebhookTimeout = 300 * time.Millisecond
	t.Cleanup(func() { activities.WebhookTimeout = prev })
	// Production retries without limit; the SDK's test environment turns "no limit" into 10 attempts, so this test
	// (which needs 11) states a limit far above what it uses.
	require.Zero(t, channelRetryPolicy.MaximumAttempts, "channel calls are retried for as long as it takes")
	unlimited := *channelRetryPolicy
	unlimited.MaximumAttempts = 1000
	prevPolicy := channelRetryPolicy
	channelRetryPolicy = &unlimited
	t.Cleanup(func() { channelRetryPolicy = prevPolicy })
	f := newChannelFixture(t)
	recv := &webhookReceiver{secret: "ten-failures-secret!", failures: 10, hangs: map[int]bool{2: true, 5: true, 9: true},
		hang: time.Second, applied: map[string]int{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	ctx := context.Background()
	for _, ch := range storage.DemoChannels {
		if ch.ID != "gsxt" {
			ch.Active = false
			require.NoError(t, f.db.UpsertChannel(ctx, ch))
		}
	}
	f.webhookChannel("gsxt", srv.URL, recv.secret)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕20号"))
	id := f.order("expiry")
	env := f.env()
	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Equal(t, 11, recv.calls, "ten failures (500s and timeouts), then the confirmation")
	key := activities.WithdrawalIdempotencyKey(id, "gsxt")
	for i, k := range recv.keys {
		assert.Equal(t, key, k, "attempt %d", i+1)
		assert.Equal(t, recv.bodies[0], recv.bodies[i], "attempt %d", i+1)
	}
	assert.Equal(t, map[string]int{key: 1}, recv.applied, "applied exactly once")
	wc, err := f.db.WithdrawalChannel(ctx, id, "gsxt")
	require.NoError(t, err)
	assert.Equal(t, domain.ChannelConfirmed, wc.Status)
	assert.Equal(t, 11, wc.Attempts)
}

func TestWithdrawalWebhookChannelSwitchedToManualIsConfirmedByItsOperator(t *testing.T) {
	f := newChannelFixture(t)
	ctx := context.Background()
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		// The channel's system is retired during the order: the credit office switches it to manual.
		ch, err := f.db.GetChannel(ctx, "gsxt")
		if err == nil {
			ch.Kind, ch.Secret = domain.ChannelManual, ""
			err = f.db.UpdateChannel(ctx, ch)
		}
		assert.NoError(t, err)
		http.Error(w, "retired", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f.webhookChannel("gsxt", srv.URL, "retiring-secret-0001")
	f.publishAll(f.insertPenalty("镇环罚〔2026〕21号"))
	id := f.order("repair")
	env := f.env()
	c := newConfirmation()
	for _, ch := range storage.DemoChannels {
		c.at(env, time.Hour, ch.ID, storage.DemoOperatorLogins[ch.ID])
	}
	env.ExecuteWorkflow(WithdrawalWorkflow, id)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Empty(t, c.rejected, "gsxt's operator confirms once the channel is manual")
	assert.Equal(t, 1, calls)
	wc, err := f.db.WithdrawalChannel(ctx, id, "gsxt")
	require.NoError(t, err)
	assert.Equal(t, domain.ChannelConfirmed, wc.Status)
	assert.Equal(t, "op-gsxt", wc.ConfirmedBy)
}

// runWithdrawalTestWorkflow stands in for the penalty workflow: it orders and runs a withdrawal.
func runWithdrawalTestWorkflow(ctx workflow.Context, in WithdrawalInput) (WithdrawalResult, error) {
	return RunWithdrawal(ctx, in)
}

func TestRunWithdrawalOrdersOnceAndRunsTheOrderAsAChild(t *testing.T) {
	f := newChannelFixture(t)
	recv := &webhookReceiver{secret: "another-secret-123", applied: map[string]int{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	ctx := context.Background()
	// Only one channel publishes (the others are inactive), and it is a webhook: the order completes by itself.
	for _, ch := range storage.DemoChannels {
		if ch.ID != "gsxt" {
			ch.Active = false
			require.NoError(t, f.db.UpsertChannel(ctx, ch))
		}
	}
	f.webhookChannel("gsxt", srv.URL, recv.secret)
	f.publishAll(f.insertPenalty("镇环罚〔2026〕18号"))

	env := f.env()
	env.RegisterWorkflow(runWithdrawalTestWorkflow)
	env.ExecuteWorkflow(runWithdrawalTestWorkflow, WithdrawalInput{PenaltyID: f.penaltyID, Cause: "revocation",
		CauseRef: "revocation-2026-06-01", CauseDecision: "镇江市中级人民法院（2026）苏11行终5号行政判决"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res WithdrawalResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.NotZero(t, res.WithdrawalID)
	require.Len(t, res.Channels, 1)
	assert.Equal(t, domain.ChannelConfirmed, res.Channels[0].Status)

	w, err := f.db.GetWithdrawal(ctx, res.WithdrawalID)
	require.NoError(t, err)
	assert.Equal(t, "2026-06-01", w.OrderedOn.String(), "the order is dated by the workflow's clock")
	assert.Equal(t, "镇江市中级人民法院（2026）苏11行终5号行政判决", w.CauseDecision)
	again, err := f.acts.OrderWithdrawal(ctx, WithdrawalInput{PenaltyID: f.penaltyID, Cause: "revocation", CauseRef: "other"})
	require.NoError(t, err)
	assert.Equal(t, res.WithdrawalID, again, "one order per record and cause")
	other, err := f.acts.OrderWithdrawal(ctx, WithdrawalInput{PenaltyID: f.penaltyID, Cause: "repair", CauseRef: "repair-1"})
	require.NoError(t, err)
	assert.NotEqual(t, res.WithdrawalID, other)
}

func TestPublishSendsToEveryChannelAndNeverReinsertsAWithdrawnRecord(t *testing.T) {
	f := newChannelFixture(t)
	recv := &webhookReceiver{secret: "publish-secret-12345", failures: 1, applied: map[string]int{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	f.webhookChannel("creditchina", srv.URL, recv.secret)
	id := f.insertPenalty("镇环罚〔2026〕19号")
	env := f.env()
	start := shanghaiAt("2026-06-01", 10)
	confirmed := map[string]error{}
	for _, ch := range storage.DemoChannels {
		if ch.ID == "creditchina" || ch.ID == "thirdparty" {
			continue
		}
		ch := ch
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(PublishConfirmUpdate, "p-"+ch.ID, &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { confirmed[ch.ID] = err },
				OnComplete: func(_ any, err error) { confirmed[ch.ID] = err },
			}, ConfirmChannelRequest{ChannelID: ch.ID, Reference: "https://example.test/" + ch.ID, By: storage.DemoOperatorLogins[ch.ID]})
		}, time.Hour)
	}
	// thirdparty does not publish by the due date (2026-06-05): overdue and escalated. Then the record is ordered
	// withdrawn, and thirdparty's late confirmation is refused: the record is not put back.
	env.RegisterDelayedCallback(func() {
		p, err := f.db.PublicationTargetOf(context.Background(), id, "thirdparty")
		require.NoError(t, err)
		assert.Equal(t, "overdue", p.Status)
		_, err = f.acts.OrderWithdrawal(context.Background(), WithdrawalInput{PenaltyID: id, Cause: "revocation", CauseRef: "r"})
		require.NoError(t, err)
	}, shanghaiAt("2026-06-08", 10).Sub(start))
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PublishConfirmUpdate, "p-thirdparty", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { confirmed["thirdparty"] = err },
			OnComplete: func(_ any, err error) { confirmed["thirdparty"] = err },
		}, ConfirmChannelRequest{ChannelID: "thirdparty", Reference: "late", By: "op-thirdparty"})
	}, shanghaiAt("2026-06-09", 10).Sub(start))

	env.ExecuteWorkflow(PublishWorkflow, PublishInput{PenaltyID: id, DueOn: domain.MustParseDate("2026-06-05")})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	for ch, err := range confirmed {
		if ch == "thirdparty" {
			r, ok := AsRejection(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, "record_withdrawn", r.Code)
			continue
		}
		assert.NoError(t, err, ch)
	}

	ctx := context.Background()
	pubs, err := f.db.PublicationsOf(ctx, id)
	require.NoError(t, err)
	require.Len(t, pubs, len(storage.DemoChannels))
	for _, p := range pubs {
		if p.ChannelID == "thirdparty" {
			assert.Equal(t, "overdue", p.Status)
			assert.False(t, p.PublishedAt.Valid, "a withdrawn record is not published late")
			continue
		}
		assert.Equal(t, "published", p.Status, p.ChannelID)
		assert.True(t, p.PublishedAt.Valid)
	}
	recv.mu.Lock()
	calls := recv.calls
	assert.Equal(t, map[string]int{activities.PublicationIdempotencyKey(id, "creditchina"): 1}, recv.applied)
	recv.mu.Unlock()
	assert.Equal(t, 2, calls)

	// A retried or resynced publish after the order sends nothing anywhere.
	res, err := f.acts.PublishToChannel(ctx, activities.PublicationChannelInput{PenaltyID: id, ChannelID: "creditchina"})
	require.NoError(t, err)
	assert.True(t, res.Withdrawn)
	env2 := f.env()
	env2.ExecuteWorkflow(PublishWorkflow, PublishInput{PenaltyID: id, DueOn: domain.MustParseDate("2026-06-05")})
	require.NoError(t, env2.GetWorkflowError())
	recv.mu.Lock()
	assert.Equal(t, calls, recv.calls, "nothing was sent after the withdrawal order")
	recv.mu.Unlock()
	p, err := f.db.PublicationTargetOf(ctx, id, "thirdparty")
	require.NoError(t, err)
	assert.True(t, p.Blocked)
}
