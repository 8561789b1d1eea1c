//go:build !prod

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xinyong/domain"
	"xinyong/obs"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMetricsAfterWorkflowRan is issue 18's acceptance 3 (second half) on the production wiring (serveHTTP and
// runWorkerLoop with a real Temporal server and PostgreSQL): after a department registered a penalty and its
// lifecycle workflow ran its first activities, METRICS_ADDR/metrics shows the Temporal SDK's temporal_* series,
// the per-route HTTP series and the domain gauges; the workflow's memo holds the request id of the API call that
// started it; the JSON access log carries it too; /metrics on HTTP_ADDR needs the metrics token.
func TestMetricsAfterWorkflowRan(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	t.Setenv("LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgtest.DSN(t)
	db, err := openDB(ctx, dsn, true)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.SeedDemo(ctx))

	logf, quiet := testLogf(t)
	defer quiet()
	hostPort, _, stopTemporal, err := startDevTemporalWith(ctx, devTemporalOptions{dataDir: t.TempDir(), frontendPort: mustFreePort(t), logf: logf})
	require.NoError(t, err)
	defer stopTemporal()

	cfg := config{DatabaseURL: dsn, TemporalAddress: hostPort, TemporalNamespace: devNamespace,
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", mustFreePort(t)), MetricsAddr: fmt.Sprintf("127.0.0.1:%d", mustFreePort(t)),
		MetricsToken: "scrape-token"}
	cfg.BaseURL = "http://" + cfg.HTTPAddr
	logs := &lockedBuffer{}
	log := obs.NewLoggerAt(logs, slog.LevelInfo)
	// A probe workflow on the same worker: its activity fails once, and reports the request id its context carries.
	probeSaw := make(chan string, 4)
	saved := workerExtras
	t.Cleanup(func() { workerExtras = saved })
	workerExtras = append(append([]func(worker.Worker){}, saved...), func(w worker.Worker) {
		w.RegisterActivityWithOptions(func(ctx context.Context) error {
			probeSaw <- obs.RequestID(ctx)
			if activity.GetInfo(ctx).Attempt == 1 {
				return errors.New("probe: first attempt fails")
			}
			return nil
		}, activity.RegisterOptions{Name: "ObsProbeActivity"})
		w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
			ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
				RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond}})
			return workflow.ExecuteActivity(ctx, "ObsProbeActivity").Get(ctx, nil)
		}, workflow.RegisterOptions{Name: "ObsProbeWorkflow"})
	})
	tc, err := dialTemporal(ctx, cfg, log)
	require.NoError(t, err)
	defer tc.Close()
	done := make(chan error, 2)
	go func() { done <- runWorkerLoop(ctx, cfg, db, tc, log) }()
	go func() { done <- serveHTTP(ctx, cfg, db, tc, log) }()
	defer func() {
		cancel()
		for range 2 {
			<-done
		}
	}()

	hc := &http.Client{Timeout: 30 * time.Second}
	get := func(url, token string) (int, string) {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	require.Eventually(t, func() bool {
		s, _ := get(cfg.BaseURL+"/readyz", "")
		m, _ := get("http://"+cfg.MetricsAddr+"/readyz", "")
		return s == 200 && m == 200
	}, time.Minute, 200*time.Millisecond, "serve and the metrics listener are ready")

	u, err := db.UserByLogin(ctx, "sthjj")
	require.NoError(t, err)
	tok, _, err := db.CreateToken(ctx, u.ID, "observe-test")
	require.NoError(t, err)
	ent := storage.DemoEnterprises[1]
	body, _ := json.Marshal(map[string]any{
		"decision_no": "镇环罚〔2026〕801号", "uscc": ent.USCC, "enterprise_name": ent.Name,
		"decided_on": domain.Today().AddDays(-1).String(), "penalty_types": []string{"fine"}, "fine_amount_yuan": 20000,
		"facts": "未按规定设置排污口标志", "legal_basis": "《中华人民共和国水污染防治法》"})
	req, err := http.NewRequest("POST", cfg.BaseURL+"/api/v1/penalties", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set(obs.HeaderRequestID, "obs-test-801")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 201, resp.StatusCode, "register: %s", raw)
	assert.Equal(t, "obs-test-801", resp.Header.Get(obs.HeaderRequestID))
	var pen struct {
		ID      int64 `json:"id"`
		Letters []any `json:"letters"`
	}
	require.NoError(t, json.Unmarshal(raw, &pen))
	require.Len(t, pen.Letters, 2, "the lifecycle's activities issued the two letters")

	// The workflow knows which request started it.
	desc, err := tc.DescribeWorkflowExecution(ctx, workflows.PenaltyWorkflowID(pen.ID), "")
	require.NoError(t, err)
	f := desc.WorkflowExecutionInfo.GetMemo().GetFields()[obs.MemoRequestID]
	require.NotNil(t, f, "memo has the request id")
	var memoID string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(f, &memoID))
	assert.Equal(t, "obs-test-801", memoID)

	// The separate listener serves everything without a token.
	var metrics string
	require.Eventually(t, func() bool {
		var status int
		status, metrics = get("http://"+cfg.MetricsAddr+"/metrics", "")
		// Registration runs its steps as local activities (penalty-local-steps), which the SDK reports as
		// temporal_local_activity_*; later steps (delivery watch, publication) are regular activities.
		return status == 200 && strings.Contains(metrics, "temporal_workflow_task_execution_latency") &&
			(strings.Contains(metrics, "temporal_activity_execution_latency") ||
				strings.Contains(metrics, "temporal_local_activity_execution_latency"))
	}, 30*time.Second, 500*time.Millisecond, "the SDK's series appear once a workflow and its activities ran")
	for _, want := range []string{
		"temporal_request_total",
		"temporal_workflow_task_queue_poll_succeed_total",
		`xinyong_http_requests_total{code="201",method="POST",route="/api/v1/penalties"} 1`,
		`xinyong_domain_gauges_up 1`,
		`xinyong_open_cases{procedure="penalty",step=`,
		`xinyong_channel_unconfirmed{channel="creditchina",kind="publication"}`,
		`# TYPE xinyong_overdue_steps gauge`,
		`# TYPE xinyong_channel_confirmation_lag_seconds gauge`,
	} {
		assert.Contains(t, metrics, want)
	}
	assert.NotContains(t, metrics, fmt.Sprintf("/api/v1/penalties/%d", pen.ID), "series by route, not by case")

	// On the API address only with the token.
	status, _ := get(cfg.BaseURL+"/metrics", "")
	assert.Equal(t, 404, status)
	status, withToken := get(cfg.BaseURL+"/metrics", "scrape-token")
	assert.Equal(t, 200, status)
	assert.Contains(t, withToken, "temporal_")

	// The request id travels from the caller's context into the workflow's memo and the activity's context, and
	// the failed attempt is logged with it.
	run, err := tc.ExecuteWorkflow(obs.WithRequestID(ctx, "obs-probe-1"),
		sdkclient.StartWorkflowOptions{ID: "obs-probe", TaskQueue: workflows.TaskQueue}, "ObsProbeWorkflow")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	assert.Equal(t, "obs-probe-1", <-probeSaw, "first attempt")
	assert.Equal(t, "obs-probe-1", <-probeSaw, "retry")
	desc, err = tc.DescribeWorkflowExecution(ctx, "obs-probe", "")
	require.NoError(t, err)
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(desc.WorkflowExecutionInfo.GetMemo().GetFields()[obs.MemoRequestID], &memoID))
	assert.Equal(t, "obs-probe-1", memoID)
	failedLogged := false
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "activity attempt failed" && m["activity"] == "ObsProbeActivity" {
			failedLogged = true
			assert.Equal(t, "obs-probe-1", m["request_id"])
			assert.Equal(t, "obs-probe", m["workflow_id"])
		}
	}
	assert.True(t, failedLogged, "the failed attempt is logged with its request id")

	// The access log line of the registration is JSON with the request id.
	found := false
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			continue
		}
		if m["msg"] == "http" && m["route"] == "/api/v1/penalties" && m["method"] == "POST" {
			found = true
			assert.Equal(t, "obs-test-801", m["request_id"])
			assert.EqualValues(t, 201, m["status"])
		}
	}
	assert.True(t, found, "access log line of the registration:\n%s", logs.String())
}
