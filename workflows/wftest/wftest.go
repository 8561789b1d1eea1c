// Package wftest records workflow histories from a real Temporal server and replays them, for the tests of the
// workflows package and of its end-to-end tests. Recorded histories in workflows/testdata are the proof that a
// change keeps running workflows working: each is replayed against the current code on every test run.
package wftest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nexus-rpc/sdk-go/nexus"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
)

// RecordEnv is the environment variable that makes RecordHistory write histories into workflows/testdata.
const RecordEnv = "XINYONG_RECORD_HISTORY"

// TestdataDir is workflows/testdata, wherever the calling test runs from.
func TestdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Registry is what Register registers with: a worker, or a replayer that ignores activities.
type Registry = worker.Registry

// Register registers every workflow with a registry, as workflows.Register(r, nil) does.
type Register func(Registry)

// replayRegistry lets a replayer take the worker's registrations: workflows are registered, activities (which
// a replay never runs) are not.
type replayRegistry struct{ worker.WorkflowReplayer }

func (replayRegistry) RegisterActivity(any)                                         {}
func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
func (replayRegistry) RegisterNexusService(*nexus.Service)                          {}
func (r replayRegistry) RegisterDynamicWorkflow(w any, o workflow.DynamicRegisterOptions) {
	r.WorkflowReplayer.RegisterDynamicWorkflow(w, o)
}

// Options of a replay.
type Options struct {
	// CompareActivityInputs also requires every activity the code schedules to get the input recorded in the
	// history. Temporal's replay checks only the activity's type, so without this a change of what a workflow
	// sends (a letter's wording, say) would go unnoticed. Histories recorded before a deliberate change of an
	// input's shape cannot be compared this way.
	CompareActivityInputs bool
}

// Replay replays the history in path against the workflows that register registers; it fails the test when the
// file is missing or the code no longer produces the recorded history.
func Replay(t testing.TB, path string, register Register, opts Options) {
	t.Helper()
	_, err := os.Stat(path)
	require.NoError(t, err, "recorded history %s is missing (record it with %s=1 go test ./workflows/e2e)", path, RecordEnv)
	h, err := LoadHistory(path)
	require.NoError(t, err)
	require.NoError(t, ReplayHistory(h, register, opts), "replay %s", path)
}

// LoadHistory reads a history written by WriteHistory (or by the Temporal CLI and UI).
func LoadHistory(path string) (*historypb.History, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	return h, nil
}

// ReplayHistory replays h against the workflows that register registers and reports how the code departs from it.
func ReplayHistory(h *historypb.History, register Register, opts Options) error {
	calls := &activityCalls{}
	ro := worker.WorkflowReplayerOptions{}
	if opts.CompareActivityInputs {
		ro.Interceptors = []interceptor.WorkerInterceptor{calls}
	}
	r, err := worker.NewWorkflowReplayerWithOptions(ro)
	if err != nil {
		return err
	}
	register(replayRegistry{r})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		return err
	}
	if opts.CompareActivityInputs {
		return compareInputs(h, calls)
	}
	return nil
}

func compareInputs(h *historypb.History, calls *activityCalls) error {
	calls.mu.Lock()
	defer calls.mu.Unlock()
	n := 0
	for _, ev := range h.Events {
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a == nil {
			continue
		}
		name := a.ActivityType.GetName()
		if n >= len(calls.calls) {
			return fmt.Errorf("event %d schedules %s, which the code does not", ev.EventId, name)
		}
		c := calls.calls[n]
		n++
		if c.activityType != name || len(c.input) != len(a.Input.GetPayloads()) {
			return fmt.Errorf("event %d schedules %s with %d arguments; the code, %s with %d",
				ev.EventId, name, len(a.Input.GetPayloads()), c.activityType, len(c.input))
		}
		for i, p := range a.Input.GetPayloads() {
			var recorded, now any
			if json.Unmarshal(p.Data, &recorded) != nil || json.Unmarshal(c.input[i].Data, &now) != nil ||
				!reflect.DeepEqual(recorded, now) {
				return fmt.Errorf("event %d: the input of %s differs from the recorded one:\nrecorded: %s\nnow:      %s",
					ev.EventId, name, p.Data, c.input[i].Data)
			}
		}
	}
	return nil
}

// activityCalls records what the workflow code asks to schedule during a replay.
type activityCalls struct {
	interceptor.WorkerInterceptorBase
	mu    sync.Mutex
	calls []activityCall
}

type activityCall struct {
	activityType string
	input        []*commonpb.Payload
}

func (c *activityCalls) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &inbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, calls: c}
}

type inbound struct {
	interceptor.WorkflowInboundInterceptorBase
	calls *activityCalls
}

func (i *inbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&outboundCalls{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, calls: i.calls})
}

type outboundCalls struct {
	interceptor.WorkflowOutboundInterceptorBase
	calls *activityCalls
}

func (o *outboundCalls) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(args...)
	if err != nil {
		panic(fmt.Sprintf("wftest: encode the input of %s: %v", activityType, err))
	}
	o.calls.mu.Lock()
	o.calls.calls = append(o.calls.calls, activityCall{activityType: activityType, input: payloads.GetPayloads()})
	o.calls.mu.Unlock()
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

// FetchHistory waits until the workflow is at rest (no workflow task and no activity in progress: finished, or
// waiting for a timer, a signal or an update) and returns its history.
func FetchHistory(t testing.TB, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
		require.NoError(t, err)
		open := d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		if !open || (d.PendingWorkflowTask == nil && len(d.PendingActivities) == 0) {
			break
		}
		require.True(t, time.Now().Before(deadline), "workflow %s does not come to rest", workflowID)
		time.Sleep(200 * time.Millisecond)
	}
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	return h
}

// WriteHistory writes h as JSON, the format the replayer reads.
func WriteHistory(t testing.TB, h *historypb.History, path string) {
	t.Helper()
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o644))
}

// RecordHistory writes the history of a workflow, finished or at rest, into workflows/testdata/<name> when
// XINYONG_RECORD_HISTORY=1; otherwise it does nothing, so the e2e tests leave the committed histories alone.
func RecordHistory(t testing.TB, c client.Client, workflowID, name string) {
	t.Helper()
	if os.Getenv(RecordEnv) != "1" {
		return
	}
	h := FetchHistory(t, c, workflowID)
	WriteHistory(t, h, filepath.Join(TestdataDir(), name))
	t.Logf("recorded %d events of %s into workflows/testdata/%s", len(h.Events), workflowID, name)
}

// RecordHistoryUntil is RecordHistory for a state the test cannot hold the workflow in (a long activity in
// progress, say): it writes the history up to and including the first event for which last holds, which is the
// history a worker would have found had it restarted at that moment. last should pick an event written with the
// commands of a workflow task (ActivityTaskScheduled, TimerStarted …) so that the cut falls between tasks.
func RecordHistoryUntil(t testing.TB, c client.Client, workflowID, name string, last func(*historypb.HistoryEvent) bool) {
	t.Helper()
	if os.Getenv(RecordEnv) != "1" {
		return
	}
	h := FetchHistory(t, c, workflowID)
	n := -1
	for i, ev := range h.Events {
		if last(ev) {
			n = i + 1
			break
		}
	}
	require.Positive(t, n, "no event of %s ends the history to record as %s", workflowID, name)
	h.Events = h.Events[:n]
	WriteHistory(t, h, filepath.Join(TestdataDir(), name))
	t.Logf("recorded the first %d events of %s into workflows/testdata/%s", n, workflowID, name)
}
