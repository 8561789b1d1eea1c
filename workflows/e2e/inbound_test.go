package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// pushSigned POSTs a push to the inbound endpoint, signed with secret, and decodes the answer.
func (cs *channelStack) pushSigned(path, key, secret string, body []byte, out any) int {
	cs.t.Helper()
	req, err := http.NewRequest("POST", cs.base+path, bytes.NewReader(body))
	require.NoError(cs.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(activities.HeaderIdempotencyKey, key)
	req.Header.Set(activities.HeaderSignature, activities.Sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(cs.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(cs.t, err)
	if out != nil {
		require.NoError(cs.t, json.Unmarshal(raw, out), "status %d body %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// TestInboundPushedRepairResultSentBackOnce: acceptance 5 of issue 14. The national channel pushes a signed repair
// application: a tampered copy is refused with 401 and starts nothing; the good one starts a repair case (the same
// push again answers the same case); the department refuses it; the result goes back to the channel, whose endpoint
// fails ten times first and whose only worker crashes meanwhile, and the channel applies it exactly once.
func TestInboundPushedRepairResultSentBackOnce(t *testing.T) {
	poll, send := workflows.InboundPollRetry, workflows.InboundSendRetry
	workflows.InboundPollRetry = &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 1.5, MaximumInterval: 2 * time.Second}
	workflows.InboundSendRetry = &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 1.2, MaximumInterval: time.Second}
	t.Cleanup(func() { workflows.InboundPollRetry, workflows.InboundSendRetry = poll, send })

	cs := newChannelStack(t)
	ctx := context.Background()
	office, sthjj := cs.token("office"), cs.token("sthjj")
	const secret = "creditchina-inbound-e2e-secret"
	national := newChannelSystem(t, secret, 10)
	cs.configureWebhook(office, "creditchina", "信用中国", national.srv.URL, secret)
	ent := storage.DemoEnterprises[2]
	pid := cs.publishedPenalty(ent, "镇环罚〔2026〕41号")
	body := func() []byte {
		raw, err := json.Marshal(map[string]any{"pushed_at": time.Now().Format(time.RFC3339), "reference": "XY2026120400041",
			"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕41号", "commitment_accepted": true, "statement": "罚款已缴清，整改已完成。"})
		require.NoError(t, err)
		return raw
	}
	repairsOf := func() int {
		var n int
		require.NoError(t, cs.db.GetContext(ctx, &n, `SELECT count(*) FROM repairs WHERE penalty_id = $1`, pid))
		return n
	}

	// Tampered in transit: signed, then changed.
	good := body()
	tampered := bytes.Replace(good, []byte("罚款已缴清"), []byte("罚款已免除"), 1)
	req, err := http.NewRequest("POST", cs.base+"/api/v1/inbound/creditchina/repairs", bytes.NewReader(tampered))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(activities.HeaderIdempotencyKey, "push-41")
	req.Header.Set(activities.HeaderSignature, activities.Sign(secret, good))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	assert.Zero(t, repairsOf(), "a tampered push starts nothing")

	var first struct {
		Case struct {
			Kind   string `json:"kind"`
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"case"`
	}
	require.Equal(t, 201, cs.pushSigned("/api/v1/inbound/creditchina/repairs", "push-41", secret, good, &first))
	require.Equal(t, "repair", first.Case.Kind)
	assert.EqualValues(t, domain.RepairPendingAcceptance, first.Case.Status, "the same path as the single window: forwarded at once")
	var again struct {
		Case struct {
			ID int64 `json:"id"`
		} `json:"case"`
	}
	require.Equal(t, 200, cs.pushSigned("/api/v1/inbound/creditchina/repairs", "push-41", secret, body(), &again))
	assert.Equal(t, first.Case.ID, again.Case.ID)
	assert.Equal(t, 1, repairsOf(), "the same push twice creates one case")

	id := first.Case.ID
	require.Equal(t, 200, cs.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", id), sthjj, nil, nil))
	require.Equal(t, 200, cs.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", id), sthjj,
		map[string]any{"approved": false, "reason": "整改报告未附第三方检测结论"}, nil))

	// The channel fails; the only worker crashes while it does, and a new one carries on.
	cs.eventually(60*time.Second, "the result was tried at the channel", func() bool {
		calls, _, _, _ := national.snapshot()
		return calls >= 3
	})
	cs.stopWorker()
	time.Sleep(time.Second)
	cs.startWorker()

	run := cs.temporal.GetWorkflow(ctx, workflows.InboundResultWorkflowID("repair", id), "")
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var out workflows.InboundResultOutcome
	require.NoError(t, run.Get(wctx, &out))
	assert.Equal(t, workflows.InboundResultOutcome{Sent: true, Outcome: "refused"}, out)

	calls, keys, applied, bad := national.snapshot()
	key := activities.InboundIdempotencyKey("repair", id)
	assert.Zero(t, bad)
	assert.GreaterOrEqual(t, calls, 11, "ten failures, then the answer")
	assert.Equal(t, map[string]int{key: 1}, applied, "applied exactly once")
	for _, k := range keys {
		assert.Equal(t, key, k)
	}
	national.mu.Lock()
	bodies := national.bodies
	national.mu.Unlock()
	for _, b := range bodies[1:] {
		assert.Equal(t, string(bodies[0]), string(b), "every attempt sends the same bytes")
	}
	var result activities.InboundResult
	require.NoError(t, json.Unmarshal(bodies[len(bodies)-1], &result))
	assert.Equal(t, "repair_result", result.Event)
	assert.Equal(t, "refused", result.Outcome)
	assert.Equal(t, "整改报告未附第三方检测结论", result.Reason)
	assert.Equal(t, "XY2026120400041", result.ExternalRef)
	assert.Equal(t, "镇环罚〔2026〕41号", result.Record.DecisionNo)
	require.NotEmpty(t, result.Letters)
	assert.Equal(t, "repair_refused", result.Letters[0].Kind)
	assert.Contains(t, result.Letters[0].VerifyURL, "/verify/"+result.Letters[0].VerifyCode)

	push, err := cs.db.InboundPushOfCase(ctx, storage.InboundRepair, id)
	require.NoError(t, err)
	assert.True(t, push.ResultSentAt.Valid)
	assert.Equal(t, "refused", push.ResultOutcome)

	// A late push of the same application still answers the same case and sends nothing again.
	require.Equal(t, 200, cs.pushSigned("/api/v1/inbound/creditchina/repairs", "push-41", secret, body(), &again))
	time.Sleep(2 * time.Second)
	_, _, applied, _ = national.snapshot()
	assert.Equal(t, map[string]int{key: 1}, applied)
	calls2, _, _, _ := national.snapshot()
	assert.Equal(t, calls, calls2, "the finished result workflow is not run again")
}
