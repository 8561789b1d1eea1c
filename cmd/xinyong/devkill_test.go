//go:build !prod

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

// devKillHelperEnv makes TestDevKillHelperProcess run `xinyong dev` (configured by the environment) until it is
// killed or told to stop.
const devKillHelperEnv = "XINYONG_DEVKILL_HELPER"

// TestDevKillHelperProcess is the `xinyong dev` process that TestDevSurvivesKillMidWithdrawal kills with SIGKILL;
// alone it does nothing.
func TestDevKillHelperProcess(t *testing.T) {
	if os.Getenv(devKillHelperEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Never outlive the test that started it, whatever happens to that test.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	parent := os.Getppid()
	go func() {
		for range time.Tick(time.Second) {
			if os.Getppid() != parent {
				fmt.Fprintln(os.Stderr, "devkill helper: the test process is gone, exiting")
				os.Exit(3)
			}
		}
	}()
	if err := runDev(ctx, nil); err != nil {
		fmt.Fprintf(os.Stderr, "xinyong dev: %v\n", err)
		os.Exit(1)
	}
}

// TestDevSurvivesKillMidWithdrawal is issue 4's acceptance 3 for the whole `dev` process and issue 2's acceptance 2:
// `xinyong dev` runs in a child process against its own database and data folder, with all five demo channels
// pointed at webhook systems served by this test. A department registers a penalty over HTTP; once it is published
// everywhere, the department revokes it, and while the withdrawal's fan-out is in flight (three channels hold the
// call they already applied, one channel is down, one answered at once) the dev process is killed with SIGKILL.
// Started again on the same data folder and database, it completes the order: every channel applied the
// withdrawal exactly once (retries carry the same Idempotency-Key and body), none is missing, the penalty's
// workflow is the same run as before the kill and still answers updates, and the data (penalty, letters, channel
// settings, tokens) is all there.
func TestDevSurvivesKillMidWithdrawal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts `xinyong dev` twice")
	}
	started := time.Now()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db, err := storage.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() }) // before the database is dropped

	chans := newKillChannels(t)
	httpPort, temporalPort := mustFreePort(t), mustFreePort(t)
	dev := &devChild{t: t, logPath: filepath.Join(t.TempDir(), "dev.log"), env: []string{
		devKillHelperEnv + "=1",
		"XINYONG_DEMO=off", // this test configures the channels as webhooks; the demo city confirms manual ones
		"DATABASE_URL=" + dsn,
		"XINYONG_DATA=" + t.TempDir(),
		"HTTP_ADDR=" + fmt.Sprintf("127.0.0.1:%d", httpPort),
		"XINYONG_BASE_URL=",
		"TEMPORAL_NAMESPACE=" + devNamespace,
		"XINYONG_DEV_TEMPORAL_PORT=" + strconv.Itoa(temporalPort),
		"XINYONG_DEV_TEMPORAL_HTTP_PORT=" + strconv.Itoa(mustFreePort(t)),
		"XINYONG_DEV_TEMPORAL_UI_PORT=" + strconv.Itoa(mustFreePort(t)),
	}}
	t.Cleanup(dev.stop) // runs first: the process goes before its database and folder
	api := &devAPI{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), client: &http.Client{Timeout: 30 * time.Second}}
	temporalAddr := fmt.Sprintf("127.0.0.1:%d", temporalPort)

	// First life.
	dev.start()
	dev.waitReady(api, 2*time.Minute)
	t.Logf("dev up after %s", time.Since(started).Round(time.Millisecond))
	office, sthjj := devToken(t, db, "office"), devToken(t, db, "sthjj")

	for _, ch := range storage.DemoChannels {
		var out map[string]any
		status := api.call("PUT", "/api/v1/channels/"+ch.ID, office, map[string]any{
			"name": ch.Name, "kind": "webhook", "deadline_workdays": ch.DeadlineWorkdays,
			"endpoint_url": chans.url(ch.ID), "secret": chans.secrets[ch.ID]}, &out)
		require.Equal(t, 200, status, "configure channel %s as a webhook: %v", ch.ID, out)
	}

	ent := storage.DemoEnterprises[1]
	var p devPenalty
	require.Equal(t, 201, api.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕77号", "uscc": ent.USCC, "enterprise_name": ent.Name,
		"decided_on": domain.Today().AddDays(-1).String(), "penalty_types": []string{"fine"}, "fine_amount_yuan": 50000,
		"facts": "超标排放大气污染物", "legal_basis": "《中华人民共和国大气污染防治法》"}, &p), "register the penalty")
	require.True(t, p.Published, "a general-class fine of 生态环境局 is published (双公示)")
	pid := p.ID
	penaltyPath := fmt.Sprintf("/api/v1/penalties/%d", pid)

	api.eventually(2*time.Minute, "the penalty is published on all five channels", func() (bool, string) {
		p = devPenalty{}
		if api.call("GET", penaltyPath, sthjj, nil, &p) != 200 {
			return false, "GET penalty failed"
		}
		n := 0
		for _, pb := range p.Publications {
			if pb.Status == "published" {
				n++
			}
		}
		return n == len(storage.DemoChannels), fmt.Sprintf("publications %+v", p.Publications)
	}, dev)
	require.Len(t, p.Letters, 2, "两书同送: the repair notice and the delivery receipt")
	lettersBefore := p.Letters
	for _, ch := range storage.DemoChannels {
		applied := chans.appliedKeys(ch.ID)
		require.Equal(t, map[string]int{activities.PublicationIdempotencyKey(pid, ch.ID): 1}, applied,
			"%s applied the publication once", ch.ID)
	}

	tc := dialTest(t, temporalAddr)
	penaltyRun := describeRun(t, tc, workflows.PenaltyWorkflowID(pid))
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, penaltyRun.status, "the penalty's lifecycle runs")

	var rev map[string]any
	require.Equal(t, 200, api.call("POST", penaltyPath+"/revocation", sthjj, map[string]any{
		"reason": "行政复议决定撤销原处罚决定（镇政复决〔2026〕9号）"}, &rev), "revoke: %v", rev)

	// The fan-out is in flight: the three holding channels have the call, the down channel refused it, the fast
	// channel answered.
	api.eventually(2*time.Minute, "the withdrawal fan-out is in flight on every channel", func() (bool, string) {
		return chans.inFlight()
	}, dev)
	p = devPenalty{}
	require.Equal(t, 200, api.call("GET", penaltyPath, sthjj, nil, &p))
	require.NotNil(t, p.Withdrawal, "the revocation ordered a withdrawal")
	wid := p.Withdrawal.ID
	require.EqualValues(t, domain.CauseRevocation, p.Withdrawal.Cause)
	withdrawalRun := describeRun(t, tc, workflows.WithdrawalWorkflowID(wid))
	tc.Close()

	// kill -9 in the middle of the fan-out.
	dev.kill()
	killedAt := time.Now()
	chans.killed()
	t.Logf("killed dev mid fan-out after %s; channels at the kill: %s", time.Since(started).Round(time.Millisecond), chans.summary())
	var atKill []struct {
		ChannelID string `db:"channel_id"`
		Status    string `db:"status"`
		Attempts  int    `db:"attempts"`
	}
	require.NoError(t, db.SelectContext(ctx, &atKill, `SELECT channel_id, status, attempts FROM withdrawal_channels
		WHERE withdrawal_id = $1 ORDER BY channel_id`, wid))
	t.Logf("order %d as stored at the kill: %+v", wid, atKill)

	// Second life, same folder, same database, same ports.
	dev.start()
	dev.waitReady(api, 2*time.Minute)
	t.Logf("dev up again %s after the kill", time.Since(killedAt).Round(time.Millisecond))

	// The data is all there: the tokens issued before the kill work, the channels are still webhooks.
	var chList struct {
		Items []struct {
			ID          string  `json:"id"`
			Kind        string  `json:"kind"`
			EndpointURL *string `json:"endpoint_url"`
			HasSecret   *bool   `json:"has_secret"`
		} `json:"items"`
	}
	require.Equal(t, 200, api.call("GET", "/api/v1/channels", office, nil, &chList), "a token issued before the kill still works")
	for _, ch := range chList.Items {
		if _, ok := chans.secrets[ch.ID]; !ok {
			continue
		}
		require.Equal(t, "webhook", ch.Kind, "channel %s: the credit office set it to webhook before the kill; a restart of "+
			"`xinyong dev` must keep the channel registry as it was (the demo seed must not reset it)", ch.ID)
		require.NotNil(t, ch.EndpointURL)
		assert.Equal(t, chans.url(ch.ID), *ch.EndpointURL, ch.ID)
		assert.True(t, ch.HasSecret != nil && *ch.HasSecret, ch.ID)
	}

	// The penalty's workflow is the run started before the kill, replays on the new worker and still takes updates.
	tc = dialTest(t, temporalAddr)
	defer tc.Close()
	after := describeRun(t, tc, workflows.PenaltyWorkflowID(pid))
	require.Equal(t, penaltyRun.runID, after.runID, "the penalty workflow is the same run as before the kill")
	qctx, qcancel := context.WithTimeout(ctx, time.Minute)
	v, err := tc.QueryWorkflow(qctx, workflows.PenaltyWorkflowID(pid), "", workflows.PenaltyStateQuery)
	qcancel()
	require.NoError(t, err, "query the penalty workflow after the restart")
	var st workflows.PenaltyState
	require.NoError(t, v.Get(&st))
	require.NotNil(t, st.Revocation, "the workflow remembers the revocation")
	require.NotNil(t, st.Withdrawal, "the workflow remembers the withdrawal")
	assert.EqualValues(t, domain.CauseRevocation, st.Withdrawal.Cause)
	if after.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		var e devAPIError
		require.Equal(t, 409, api.call("POST", penaltyPath+"/revocation", sthjj, map[string]any{"reason": "再次撤销"}, &e))
		assert.Equal(t, "already_revoked", e.Error.Code, "the running workflow refuses a second revocation (it was not lost)")
	} else {
		t.Logf("the penalty workflow already completed before it could be asked for an update (%s)", after.status)
	}

	// The order completes.
	var wd devWithdrawal
	withdrawalPath := fmt.Sprintf("/api/v1/withdrawals/%d", wid)
	api.eventually(3*time.Minute, "the withdrawal order completes after the restart", func() (bool, string) {
		wd = devWithdrawal{}
		if api.call("GET", withdrawalPath, office, nil, &wd) != 200 {
			return false, "GET withdrawal failed"
		}
		return wd.Status == "completed", fmt.Sprintf("order %s, channels %+v; receiver %s", wd.Status, wd.Channels, chans.summary())
	}, dev)
	t.Logf("order completed %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	api.eventually(time.Minute, "the penalty's lifecycle ends", func() (bool, string) {
		r := describeRun(t, tc, workflows.PenaltyWorkflowID(pid))
		return r.status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, r.status.String()
	}, dev)

	// Same runs, completed.
	for _, r := range []struct {
		id     string
		before workflowRun
	}{{workflows.PenaltyWorkflowID(pid), penaltyRun}, {workflows.WithdrawalWorkflowID(wid), withdrawalRun}} {
		now := describeRun(t, tc, r.id)
		assert.Equal(t, r.before.runID, now.runID, "%s: the run started before the kill is the one that completed", r.id)
		assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, now.status, r.id)
	}

	// Every channel: confirmed on the order, applied exactly once, none missing.
	require.Len(t, wd.Channels, len(storage.DemoChannels))
	for _, c := range wd.Channels {
		assert.Equal(t, "confirmed", c.Status, c.ChannelID)
		assert.Equal(t, "webhook", c.Kind, c.ChannelID)
		assert.NotNil(t, c.ConfirmedAt, c.ChannelID)
	}
	require.NotNil(t, wd.Letter, "the order has its 告知函")
	assert.Zero(t, chans.badSignatures(), "every call was signed with the channel's secret")
	total := 0
	for _, ch := range storage.DemoChannels {
		key := activities.WithdrawalIdempotencyKey(wid, ch.ID)
		calls := chans.withdrawalCalls(ch.ID)
		require.NotEmpty(t, calls, "%s was never notified of the withdrawal", ch.ID)
		applied := chans.appliedKeys(ch.ID)
		delete(applied, activities.PublicationIdempotencyKey(pid, ch.ID))
		assert.Equal(t, map[string]int{key: 1}, applied, "%s applied the withdrawal exactly once", ch.ID)
		total += len(applied)
		for i, c := range calls {
			assert.Equal(t, key, c.key, "%s call %d carries the order's Idempotency-Key", ch.ID, i+1)
			assert.True(t, bytes.Equal(calls[0].body, c.body), "%s call %d repeats the first call's body byte for byte", ch.ID, i+1)
		}
		var body activities.WithdrawalPayload
		require.NoError(t, json.Unmarshal(calls[0].body, &body))
		assert.Equal(t, wid, body.WithdrawalID, ch.ID)
		assert.Equal(t, pid, body.Record.PenaltyID, ch.ID)
		assert.EqualValues(t, domain.CauseRevocation, body.Cause, ch.ID)
		assert.Equal(t, wd.Letter.ID, body.LetterID, ch.ID)
		switch chans.modes[ch.ID] {
		case modeHold:
			// Applied before the kill, its answer lost with the process: only a retry after the restart confirmed it.
			assert.True(t, calls[0].beforeKill, "%s had the call before the kill", ch.ID)
			for i, c := range calls {
				if c.beforeKill {
					assert.Equal(t, -1, c.status, "%s call %d: the caller died before any answer", ch.ID, i+1)
				}
			}
			assert.True(t, calls[len(calls)-1].afterKill(), "%s was called again after the restart", ch.ID)
		case modeDown:
			// Refused before the kill: it was not missed after the restart.
			assert.True(t, calls[0].beforeKill && calls[0].status == http.StatusServiceUnavailable, "%s refused before the kill", ch.ID)
			assert.True(t, chans.appliedAfterKill(ch.ID, key), "%s applied the withdrawal after the restart", ch.ID)
		}
	}
	assert.Equal(t, len(storage.DemoChannels), total, "one withdrawal applied per channel, in all")
	t.Logf("receiver at the end: %s", chans.summary())

	// One confirmation per channel on the audit log.
	audit, err := db.AuditOf(ctx, "withdrawal", strconv.FormatInt(wid, 10))
	require.NoError(t, err)
	confirmed := map[string]int{}
	for _, e := range audit {
		if e.Action != "withdrawal.channel_confirmed" {
			continue
		}
		var d struct {
			ChannelID string `json:"channel_id"`
		}
		require.NoError(t, json.Unmarshal(e.Details, &d))
		confirmed[d.ChannelID]++
		assert.Equal(t, "webhook", e.Actor)
	}
	for _, ch := range storage.DemoChannels {
		assert.Equal(t, 1, confirmed[ch.ID], "%s confirmed once on the audit log", ch.ID)
	}

	// The penalty, its letters and its publications are all there, as they should be now.
	p = devPenalty{}
	require.Equal(t, 200, api.call("GET", penaltyPath, sthjj, nil, &p), "the penalty is still there")
	assert.EqualValues(t, domain.PenaltyRevoked, p.Status)
	require.NotNil(t, p.Revocation)
	assert.Contains(t, p.Revocation.Reason, "镇政复决〔2026〕9号")
	require.NotNil(t, p.Withdrawal)
	assert.Equal(t, wid, p.Withdrawal.ID, "still the one order: no second order after the restart")
	assert.Equal(t, "completed", p.Withdrawal.Status)
	require.Len(t, p.Publications, len(storage.DemoChannels))
	for _, pb := range p.Publications {
		assert.Equal(t, "withdrawn", pb.Status, pb.ChannelID)
		assert.NotNil(t, pb.WithdrawnAt, pb.ChannelID)
	}
	require.Equal(t, lettersBefore, p.Letters, "the letters issued before the kill, unchanged")
	for _, l := range append(p.Letters, devLetter{ID: wd.Letter.ID, Kind: "withdrawal_notice", URL: wd.Letter.URL, SHA256: wd.Letter.SHA256}) {
		pdf, status := api.download(l.URL, office)
		require.Equal(t, 200, status, "letter %d (%s)", l.ID, l.Kind)
		sum := sha256.Sum256(pdf)
		assert.Equal(t, l.SHA256, hex.EncodeToString(sum[:]), "letter %d (%s) is the stored PDF", l.ID, l.Kind)
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// The five demo channels' systems, as this test serves them. Before the kill a withdrawal call is held (applied at
// once, answered only when the caller is gone), refused (down: 503, nothing applied) or answered at once (fast);
// after the kill every call is answered at once. Publication calls are always answered at once. Every system
// applies an Idempotency-Key once, however often it is sent.
const (
	modeHold = "hold"
	modeDown = "down"
	modeFast = "fast"
)

type killCall struct {
	key        string
	body       []byte
	beforeKill bool
	status     int // 0 while held; -1 when the caller died without an answer
}

func (c killCall) afterKill() bool { return !c.beforeKill }

type killChannels struct {
	srv     *httptest.Server
	secrets map[string]string
	modes   map[string]string

	mu          sync.Mutex
	dead        bool          // the dev process was killed
	release     chan struct{} // closed at the kill: held calls end
	calls       map[string][]*killCall
	held        map[string]int
	applied     map[string]map[string]int
	appliedLate map[string]map[string]bool // applied after the kill
	badSigs     int
}

func newKillChannels(t *testing.T) *killChannels {
	k := &killChannels{
		secrets: map[string]string{}, release: make(chan struct{}),
		modes: map[string]string{
			"creditchina": modeHold, "gsxt": modeHold, "creditchina-local": modeHold, "dept-site": modeDown, "thirdparty": modeFast,
		},
		calls: map[string][]*killCall{}, held: map[string]int{}, applied: map[string]map[string]int{},
		appliedLate: map[string]map[string]bool{},
	}
	for _, ch := range storage.DemoChannels {
		k.secrets[ch.ID] = ch.ID + "-devkill-shared-secret"
		require.Contains(t, k.modes, ch.ID, "a demo channel this test does not know")
	}
	k.srv = httptest.NewServer(k)
	t.Cleanup(func() {
		k.killed() // let held calls go before the server waits for them
		k.srv.Close()
	})
	return k
}

func (k *killChannels) url(channelID string) string { return k.srv.URL + "/systems/" + channelID }

func (k *killChannels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	channelID := strings.TrimPrefix(r.URL.Path, "/systems/")
	body, err := io.ReadAll(r.Body)
	k.mu.Lock()
	secret, known := k.secrets[channelID]
	if err != nil || r.Method != http.MethodPost || !known || !activities.VerifySignature(secret, body, r.Header.Get(activities.HeaderSignature)) {
		k.badSigs++
		k.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	event, key := r.Header.Get(activities.HeaderEvent), r.Header.Get(activities.HeaderIdempotencyKey)
	mode := modeFast
	if event == "withdrawal" {
		if !k.dead {
			mode = k.modes[channelID]
		}
		k.calls[channelID] = append(k.calls[channelID], &killCall{key: key, body: body, beforeKill: !k.dead})
	}
	var call *killCall
	if event == "withdrawal" {
		call = k.calls[channelID][len(k.calls[channelID])-1]
	}
	answer := func(status int) {
		if call != nil {
			call.status = status
		}
	}
	if mode == modeDown {
		answer(http.StatusServiceUnavailable)
		k.mu.Unlock()
		http.Error(w, "系统维护中", http.StatusServiceUnavailable)
		return
	}
	// The channel takes the record down (once per key), then answers.
	if k.applied[channelID] == nil {
		k.applied[channelID], k.appliedLate[channelID] = map[string]int{}, map[string]bool{}
	}
	if k.applied[channelID][key] == 0 {
		k.applied[channelID][key] = 1
		k.appliedLate[channelID][key] = k.dead
	}
	release := k.release
	if mode == modeHold {
		k.held[channelID]++
	}
	k.mu.Unlock()

	if mode == modeHold {
		// Held until the kill: the caller dies waiting, so no answer ever reaches it.
		gone := true
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(3 * time.Minute):
			gone = false
		}
		k.mu.Lock()
		k.held[channelID]--
		if gone {
			answer(-1)
		}
		k.mu.Unlock()
		if gone {
			panic(http.ErrAbortHandler) // drop the connection without an answer
		}
	}
	k.mu.Lock()
	answer(http.StatusOK)
	k.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"reference":"%s-%s"}`, channelID, key)
}

// inFlight tells whether the fan-out is where the test kills it: every holding channel holds a call, every down
// channel refused one, every fast channel applied the order.
func (k *killChannels) inFlight() (bool, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for ch, mode := range k.modes {
		ok := false
		switch mode {
		case modeHold:
			ok = k.held[ch] > 0
		case modeDown:
			ok = len(k.calls[ch]) > 0
		case modeFast:
			for _, c := range k.calls[ch] {
				ok = ok || c.status == http.StatusOK
			}
		}
		if !ok {
			return false, k.summaryLocked()
		}
	}
	return true, ""
}

// killed switches every system to answering at once and lets the held calls go.
func (k *killChannels) killed() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.dead {
		k.dead = true
		close(k.release)
	}
}

func (k *killChannels) withdrawalCalls(channelID string) []killCall {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []killCall
	for _, c := range k.calls[channelID] {
		out = append(out, *c)
	}
	return out
}

func (k *killChannels) appliedKeys(channelID string) map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]int{}
	for key, n := range k.applied[channelID] {
		out[key] = n
	}
	return out
}

func (k *killChannels) appliedAfterKill(channelID, key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.appliedLate[channelID][key]
}

func (k *killChannels) badSignatures() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.badSigs
}

func (k *killChannels) summary() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.summaryLocked()
}

// summaryLocked lists each channel's withdrawal calls as before/after the kill with their answers.
func (k *killChannels) summaryLocked() string {
	ids := make([]string, 0, len(k.modes))
	for id := range k.modes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%s(%s):", id, k.modes[id])
		for _, c := range k.calls[id] {
			when := "after"
			if c.beforeKill {
				when = "before"
			}
			fmt.Fprintf(&b, " %s/%d", when, c.status)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// devChild is `xinyong dev` in a child process (this test binary running TestDevKillHelperProcess), started as
// often as needed on the same environment; its output goes to one log shown when the test fails.
type devChild struct {
	t   *testing.T
	env []string
	// helper is the test that runs the child (TestDevKillHelperProcess when empty).
	helper  string
	logPath string
	lives   int
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

func (d *devChild) start() {
	d.t.Helper()
	d.lives++
	f, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(d.t, err)
	fmt.Fprintf(f, "\n===== dev, life %d =====\n", d.lives)
	helper := d.helper
	if helper == "" {
		helper = "TestDevKillHelperProcess"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$")
	cmd.Env = append(os.Environ(), d.env...)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(d.t, cmd.Start())
	if d.lives == 1 {
		d.t.Cleanup(func() {
			if d.t.Failed() {
				d.t.Logf("output of `xinyong dev` (last lines):\n%s", tailFile(d.logPath, 150))
			}
		})
	}
	exited := make(chan struct{})
	d.cmd, d.exited, d.waitErr = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		f.Close()
		d.waitErr = err
		close(exited)
	}()
}

func (d *devChild) running() bool {
	if d.exited == nil {
		return false
	}
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// failIfExited fails the test at once when the dev process died on its own.
func (d *devChild) failIfExited() {
	d.t.Helper()
	if d.exited != nil && !d.running() {
		d.t.Fatalf("`xinyong dev` (life %d) exited: %v\n%s", d.lives, d.waitErr, tailFile(d.logPath, 150))
	}
}

func (d *devChild) waitReady(api *devAPI, timeout time.Duration) {
	d.t.Helper()
	api.eventually(timeout, fmt.Sprintf("`xinyong dev` (life %d) answers GET /readyz 200", d.lives), func() (bool, string) {
		status, err := api.try("GET", "/readyz", "", nil, nil)
		if err != nil {
			return false, err.Error()
		}
		return status == 200, fmt.Sprintf("status %d", status)
	}, d)
}

// kill is kill -9.
func (d *devChild) kill() {
	d.t.Helper()
	d.failIfExited()
	require.NoError(d.t, d.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.t.Fatal("the dev process did not die within 30 s of SIGKILL")
	}
	ws, ok := d.cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(d.t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the dev process was killed by SIGKILL: %v", d.waitErr)
}

// stop asks the dev process to stop (SIGTERM, as Ctrl-C) and kills it when it does not within a minute.
func (d *devChild) stop() {
	if !d.running() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.waitErr != nil {
			d.t.Logf("`xinyong dev` stopped: %v", d.waitErr)
		}
	case <-time.After(time.Minute):
		d.t.Errorf("`xinyong dev` did not stop within a minute of SIGTERM; killing it")
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

func tailFile(path string, lines int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	ls := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// devAPI calls the dev process's HTTP API.
type devAPI struct {
	t      *testing.T
	base   string
	client *http.Client
}

// try sends a JSON request and decodes a JSON answer into out (when not nil).
func (a *devAPI) try(method, path, token string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: status %d, body %.300s: %w", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, nil
}

func (a *devAPI) call(method, path, token string, body, out any) int {
	a.t.Helper()
	status, err := a.try(method, path, token, body, out)
	require.NoError(a.t, err, "%s %s", method, path)
	return status
}

func (a *devAPI) download(path, token string) ([]byte, int) {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.base+path, nil)
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	return raw, resp.StatusCode
}

// eventually polls cond until it holds; it fails with the last state cond described, or at once when the dev
// process died.
func (a *devAPI) eventually(timeout time.Duration, what string, cond func() (bool, string), dev *devChild) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		dev.failIfExited()
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out after %s waiting for: %s\nlast state: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// devToken issues a bearer token for a demo login straight in the database.
func devToken(t *testing.T, db *storage.DB, login string) string {
	t.Helper()
	u, err := db.UserByLogin(context.Background(), login)
	require.NoError(t, err, "demo login %s (seeded by dev)", login)
	tok, _, err := db.CreateToken(context.Background(), u.ID, "devkill-test")
	require.NoError(t, err)
	return tok
}

type workflowRun struct {
	runID  string
	status enumspb.WorkflowExecutionStatus
}

func describeRun(t *testing.T, c sdkclient.Client, workflowID string) workflowRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	require.NoError(t, err, "describe %s", workflowID)
	info := d.WorkflowExecutionInfo
	return workflowRun{runID: info.Execution.RunId, status: info.Status}
}

type devLetter struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

type devPenalty struct {
	ID           int64       `json:"id"`
	Status       string      `json:"status"`
	Published    bool        `json:"published"`
	Letters      []devLetter `json:"letters"`
	Publications []struct {
		ChannelID   string     `json:"channel_id"`
		Status      string     `json:"status"`
		WithdrawnAt *time.Time `json:"withdrawn_at"`
	} `json:"publications"`
	Revocation *struct {
		Reason string `json:"reason"`
	} `json:"revocation"`
	Withdrawal *struct {
		ID     int64  `json:"id"`
		Cause  string `json:"cause"`
		Status string `json:"status"`
	} `json:"withdrawal"`
}

type devWithdrawal struct {
	Status string `json:"status"`
	Letter *struct {
		ID     int64  `json:"id"`
		URL    string `json:"url"`
		SHA256 string `json:"sha256"`
	} `json:"letter"`
	Channels []struct {
		ChannelID   string     `json:"channel_id"`
		Kind        string     `json:"kind"`
		Status      string     `json:"status"`
		Attempts    int        `json:"attempts"`
		ConfirmedAt *time.Time `json:"confirmed_at"`
	} `json:"channels"`
}

type devAPIError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
