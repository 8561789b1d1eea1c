package obs

import (
	"context"
	"log/slog"
	"maps"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// headerRequestID is the Temporal header the request id travels in, from the API process into the workflow and
// from the workflow into each activity it schedules.
const headerRequestID = "xinyong-request-id"

// MemoRequestID is the memo key under which a workflow records the request id of the call that started it, so
// that an operator can go from an access-log line to the case's history in the Temporal UI and back.
const MemoRequestID = "request_id"

// RequestIDPropagator carries the request id through Temporal headers: the HTTP handler's context into the
// workflow's, and the workflow's into its activities' contexts, where ContextHandler logs it.
type RequestIDPropagator struct{}

var _ workflow.ContextPropagator = RequestIDPropagator{}

type wfKey struct{}

func encodeID(id string) (*commonpb.Payload, error) {
	return converter.GetDefaultDataConverter().ToPayload(id)
}

func decodeID(r workflow.HeaderReader) string {
	p, ok := r.Get(headerRequestID)
	if !ok {
		return ""
	}
	var id string
	if converter.GetDefaultDataConverter().FromPayload(p, &id) != nil || !SaneRequestID(id) {
		return ""
	}
	return id
}

// Inject implements workflow.ContextPropagator.
func (RequestIDPropagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	id := RequestID(ctx)
	if id == "" {
		return nil
	}
	p, err := encodeID(id)
	if err != nil {
		return err
	}
	w.Set(headerRequestID, p)
	return nil
}

// Extract implements workflow.ContextPropagator.
func (RequestIDPropagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	return WithRequestID(ctx, decodeID(r)), nil
}

// InjectFromWorkflow implements workflow.ContextPropagator.
func (RequestIDPropagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	id, _ := ctx.Value(wfKey{}).(string)
	if id == "" {
		return nil
	}
	p, err := encodeID(id)
	if err != nil {
		return err
	}
	w.Set(headerRequestID, p)
	return nil
}

// ExtractToWorkflow implements workflow.ContextPropagator.
func (RequestIDPropagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	if id := decodeID(r); id != "" {
		return workflow.WithValue(ctx, wfKey{}, id), nil
	}
	return ctx, nil
}

// WorkflowRequestID is the request id of the call that started the running workflow, or "".
func WorkflowRequestID(ctx workflow.Context) string {
	id, _ := ctx.Value(wfKey{}).(string)
	return id
}

// ClientInterceptor records the request id in the memo of every workflow a request starts.
type ClientInterceptor struct {
	interceptor.ClientInterceptorBase
}

// InterceptClient implements interceptor.ClientInterceptor.
func (*ClientInterceptor) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &clientOutbound{ClientOutboundInterceptorBase: interceptor.ClientOutboundInterceptorBase{Next: next}}
}

type clientOutbound struct {
	interceptor.ClientOutboundInterceptorBase
}

func (c *clientOutbound) ExecuteWorkflow(ctx context.Context, in *interceptor.ClientExecuteWorkflowInput) (client.WorkflowRun, error) {
	if in.Options != nil {
		o := WithRequestMemo(ctx, *in.Options)
		in.Options = &o
	}
	return c.Next.ExecuteWorkflow(ctx, in)
}

// WithRequestMemo returns start options whose memo records the request id of ctx (unless they set one): the
// interceptor does it for ExecuteWorkflow, callers of update-with-start (whose start the interceptor does not
// see) do it themselves.
func WithRequestMemo(ctx context.Context, o client.StartWorkflowOptions) client.StartWorkflowOptions {
	id := RequestID(ctx)
	if id == "" {
		return o
	}
	// A copy of the memo: callers share option values built by helpers such as workflows.PenaltyStartOptions.
	memo := make(map[string]any, len(o.Memo)+1)
	maps.Copy(memo, o.Memo)
	if _, set := memo[MemoRequestID]; !set {
		memo[MemoRequestID] = id
	}
	o.Memo = memo
	return o
}

// WorkerInterceptor logs every failed activity attempt with the request id that led to it, so that one search
// for a request id finds the API call, the workflow (memo) and the I/O that went wrong.
type WorkerInterceptor struct {
	interceptor.WorkerInterceptorBase
	Log *slog.Logger
}

// InterceptActivity implements interceptor.WorkerInterceptor.
func (w *WorkerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, log: w.Log}
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	log *slog.Logger
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := a.Next.ExecuteActivity(ctx, in)
	if err != nil && a.log != nil {
		info := activity.GetInfo(ctx)
		a.log.WarnContext(ctx, "activity attempt failed", "activity", info.ActivityType.Name,
			"workflow_id", info.WorkflowExecution.ID, "attempt", info.Attempt, "err", err)
	}
	return out, err
}
