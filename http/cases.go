package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/obs"
	"xinyong/storage"
	"xinyong/workflows"
)

// The case client is the one way handlers talk to workflows: start, update, update-with-start and
// wait-until-ready, each answering 503 when Temporal is not there and mapping the workflow's answers to the error
// model in one place (stepError).

// caseWorkflow describes one kind of workflow to the case client.
type caseWorkflow struct {
	name     string                                  // for logs: "repair", "objection"...
	id       func(int64) string                      // its workflow ID
	options  func(int64) client.StartWorkflowOptions // how it is started (reuse and conflict policies)
	workflow any                                     // its registered type name or function
	ready    string                                  // the update that answers once the case is taken in
	// readyWait bounds how long a creation waits for ready; the case is stored and runs either way, so a slow
	// worker only means the first answer shows less.
	readyWait time.Duration
	// closed answers an update to a workflow that has ended (or never started).
	closed *Error
	// notCreated answers a creation whose workflow could not be found to take the case in.
	notCreated *Error
}

var (
	repairCases = caseWorkflow{name: "repair", id: workflows.RepairWorkflowID, options: workflows.RepairStartOptions,
		workflow: workflows.RepairWorkflowType, ready: workflows.RepairReadyUpdate, readyWait: 10 * time.Second,
		closed: caseClosed("该信用修复案件的办理流程已结束"), notCreated: caseClosed("该信用修复申请未能登记，请重新提交")}
	objectionCases = caseWorkflow{name: "objection", id: workflows.ObjectionWorkflowID, options: workflows.ObjectionStartOptions,
		workflow: workflows.ObjectionWorkflowType, ready: workflows.ObjectionReadyUpdate, readyWait: 10 * time.Second,
		closed: caseClosed("该异议案件的办理流程已结束"), notCreated: caseClosed("该异议未能登记，请重新提交")}
	// penaltyCases starts a lifecycle on its own (a retried or reconciled start) and sends it the human steps; a
	// registration starts it with penaltyCreation.
	penaltyCases = caseWorkflow{name: "penalty", id: workflows.PenaltyWorkflowID, options: workflows.PenaltyStartOptions,
		workflow: workflows.PenaltyWorkflow, closed: caseClosed("该处罚信息的办理流程已结束或尚未启动")}
	// penaltyCreation starts a registered penalty's lifecycle and waits for its letters in one call (startReady);
	// a lifecycle already running (a retried start) takes the update.
	penaltyCreation = caseWorkflow{name: "penalty", id: workflows.PenaltyWorkflowID, workflow: workflows.PenaltyWorkflow,
		options: func(id int64) client.StartWorkflowOptions {
			o := workflows.PenaltyStartOptions(id)
			o.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
			o.WorkflowExecutionErrorWhenAlreadyStarted = false
			return o
		},
		ready: workflows.PenaltyLettersUpdate, readyWait: 10 * time.Second, closed: penaltyCases.closed}
	trainingCases = caseWorkflow{name: "training", id: workflows.TrainingWorkflowID, options: workflows.TrainingStartOptions,
		workflow: workflows.TrainingWorkflow, ready: workflows.TrainingPlanUpdate, readyWait: 10 * time.Second,
		closed: newError(domain.KindConflict, "session_closed", "该培训场次已结束，不能再办理")}
	importCases = caseWorkflow{name: "import", id: workflows.ImportWorkflowID, options: importStartOptions,
		workflow: workflows.ImportWorkflow}
	withdrawalCases = caseWorkflow{name: "withdrawal", id: workflows.WithdrawalWorkflowID,
		closed: caseClosed("该撤下公示流程已结束或尚未启动")}
	publicationCases = caseWorkflow{name: "publication", id: workflows.PublishWorkflowID,
		closed: caseClosed("该处罚信息的公示流程已结束或尚未启动")}
	// inlinePublicationCases is a publication run by the penalty lifecycle itself (workflows.publishInline).
	inlinePublicationCases = caseWorkflow{name: "publication", id: workflows.PenaltyWorkflowID,
		closed: publicationCases.closed}
)

// importStartOptions refuse a second import workflow for the same file: an import runs once.
func importStartOptions(id int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: workflows.ImportWorkflowID(id), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

func caseClosed(message string) *Error { return newError(domain.KindConflict, "case_closed", message) }

var (
	errWorkflowUnavailable = newError(domain.KindUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")
	errWorkflowTimeout     = newError(domain.KindUnavailable, "workflow_timeout", "系统繁忙，请稍后查看办理结果")
)

// updateTimeout bounds how long a human step waits for the workflow's answer.
const updateTimeout = 30 * time.Second

// caseClient wraps the Temporal client (nil when none is configured: every call then answers 503).
type caseClient struct {
	tc  client.Client
	log *slog.Logger
	// limit counts a human step against the caller's step limits (Server.limitStep) and answers how to settle
	// the count with the step's answer; nil counts nothing.
	limit func(ctx context.Context, workflowID string) (settle func(error), err error)
}

// count counts a step (see caseClient.limit); settle takes the step's answer.
func (cc caseClient) count(ctx context.Context, workflowID string) (settle func(error), err error) {
	if cc.limit == nil {
		return func(error) {}, nil
	}
	return cc.limit(ctx, workflowID)
}

// available answers 503 when there is no workflow engine; handlers that store a row before starting its
// workflow ask first, so that nothing is stored that no workflow would carry on.
func (cc caseClient) available() error {
	if cc.tc == nil {
		return errWorkflowUnavailable
	}
	return nil
}

// start starts wf's workflow for id with params; one already running counts as started.
func (cc caseClient) start(ctx context.Context, wf caseWorkflow, id int64, params any) error {
	if err := cc.available(); err != nil {
		return err
	}
	_, err := cc.tc.ExecuteWorkflow(ctx, wf.options(id), wf.workflow, params)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start %s %d: %w", wf.name, id, err)
	}
	return nil
}

// update sends a validated human step to id's workflow and decodes its answer into out.
func (cc caseClient) update(ctx context.Context, wf caseWorkflow, id int64, name string, arg, out any) error {
	return cc.counted(ctx, wf, id, func() error {
		wctx, cancel := context.WithTimeout(ctx, updateTimeout)
		defer cancel()
		h, err := cc.tc.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
			WorkflowID: wf.id(id), UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(wctx, out)
		}
		return stepError(err, wf, id, name)
	})
}

// counted runs a step sent to id's workflow (503 when Temporal is not configured), counted against the case's
// step limit with its outcome.
func (cc caseClient) counted(ctx context.Context, wf caseWorkflow, id int64, step func() error) (err error) {
	if err := cc.available(); err != nil {
		return err
	}
	settle, err := cc.count(ctx, wf.id(id))
	if err != nil {
		return err
	}
	defer func() { settle(err) }()
	return step()
}

// updateWithStart sends a step with update-with-start: a running workflow gets the update, an ended one is
// resumed by a new run (started with params) that handles it.
func (cc caseClient) updateWithStart(ctx context.Context, wf caseWorkflow, id int64, params any, name string, arg, out any) error {
	return cc.counted(ctx, wf, id, func() error {
		return cc.withStart(ctx, updateTimeout, wf, id, params, name, []any{arg}, out)
	})
}

// createTimeout bounds how long a creation waits for its workflow to store the case; past it the answer is 503
// (the case is still created).
const createTimeout = 30 * time.Second

// create starts a new case's workflow with params (which carry the case: the workflow writes its own row) and
// waits until it has stored and taken the case in, with update-with-start of wf.ready: the start and its answer
// are one call, so no row exists without its workflow. The workflow's refusals become 409 or 422.
func (cc caseClient) create(ctx context.Context, wf caseWorkflow, id int64, params any, out any) error {
	err := cc.withStart(ctx, createTimeout, wf, id, params, wf.ready, nil, out)
	if errors.Is(err, wf.closed) && wf.notCreated != nil {
		return wf.notCreated
	}
	return err
}

func (cc caseClient) withStart(ctx context.Context, timeout time.Duration, wf caseWorkflow, id int64, params any,
	name string, args []any, out any) error {
	if err := cc.available(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := cc.sendWithStart(ctx, wctx, wf, id, params, name, args, out)
	return stepError(err, wf, id, name)
}

// sendWithStart sends update name to id's workflow, starting it with params when it is not running, and decodes
// the answer into out (waiting under wctx); the start operation it returns tells whether the start was accepted.
func (cc caseClient) sendWithStart(ctx, wctx context.Context, wf caseWorkflow, id int64, params any, name string,
	args []any, out any) (client.WithStartWorkflowOperation, error) {
	start := cc.tc.NewWithStartWorkflowOperation(obs.WithRequestMemo(ctx, wf.options(id)), wf.workflow, params)
	h, err := cc.tc.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: wf.id(id), UpdateName: name,
			Args: args, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		err = h.Get(wctx, out)
	}
	return start, err
}

// startReady starts a case's workflow for a row the handler stored and waits (at most wf.readyWait) until it has
// taken the case in, in one update-with-start call. Once the start is accepted, a slow or failed wait is logged,
// not an error (the case is stored and runs; the answer shows less): started reports whether the start is known
// to have been accepted, and when it is not, the reconciler starts the workflow later.
func (cc caseClient) startReady(ctx context.Context, wf caseWorkflow, id int64, params, out any) (started bool, err error) {
	if err := cc.available(); err != nil {
		return false, err
	}
	wctx, cancel := context.WithTimeout(ctx, wf.readyWait)
	defer cancel()
	start, err := cc.sendWithStart(ctx, wctx, wf, id, params, wf.ready, nil, out)
	if err == nil {
		return true, nil
	}
	sctx, scancel := context.WithTimeout(ctx, time.Second)
	defer scancel()
	_, serr := start.Get(sctx)
	switch {
	case serr == nil:
		cc.log.Warn("answered before the workflow took the case in", "workflow", wf.id(id), "err", err)
		return true, nil
	case wctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		// Slow rather than refused: the start may have gone through unconfirmed; if not, the reconciler starts it.
		cc.log.Warn("workflow start not confirmed in time; the reconciler starts it if it did not", "workflow", wf.id(id), "err", err)
		return false, nil
	}
	return false, fmt.Errorf("start %s %d: %w", wf.name, id, err)
}

// awaitReady waits (at most wf.readyWait) until a new case's workflow has taken it in, so that the creation's
// answer shows its letters and deadlines. A slow worker is logged, not an error: the case is stored and runs.
func (cc caseClient) awaitReady(ctx context.Context, wf caseWorkflow, id int64, out any) {
	if cc.tc == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, wf.readyWait)
	defer cancel()
	h, err := cc.tc.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
		WorkflowID: wf.id(id), UpdateName: wf.ready, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(wctx, out)
	}
	if err != nil {
		cc.log.Warn("answered before the workflow took the case in", "workflow", wf.id(id), "err", err)
	}
}

// stepError maps the failure of a step sent to a workflow to the error model: a deliberate refusal by the
// workflow is 409 or 422 with its own code, an ended workflow wf.closed, a slow one 503; anything else (an
// activity's failure, a broken connection) is internal.
func stepError(err error, wf caseWorkflow, id int64, name string) error {
	if err == nil {
		return nil
	}
	if e := workflowRefusal(err); e != nil {
		return e
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return wf.closed
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errWorkflowTimeout
	}
	return fmt.Errorf("%s %d %s: %w", wf.name, id, name, err)
}

// pathID reads the :id path parameter; a malformed one is a 404, like an id that does not exist.
func pathID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// loadVisible loads the record named by :id with get, and answers 404 when it does not exist or when canSee says
// the caller must not know that it does.
func loadVisible[T any](c *fiber.Ctx, get func(context.Context, int64) (T, error), canSee func(T) (bool, error)) (T, error) {
	var zero T
	id, err := pathID(c)
	if err != nil {
		return zero, err
	}
	v, err := get(c.UserContext(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return zero, errNotFound
	}
	if err != nil {
		return zero, err
	}
	ok, err := canSee(v)
	if err != nil {
		return zero, err
	}
	if !ok {
		return zero, errNotFound
	}
	return v, nil
}

// loadWithChannels loads the :id case and the channel actions it asked for, and answers 404 when canSee says
// the caller must not know the case exists.
func loadWithChannels[T, C any](c *fiber.Ctx, get func(context.Context, int64) (T, error),
	channels func(context.Context, int64) ([]C, error), canSee func(*principal, T, []C) bool) (T, []C, error) {
	var cs []C
	v, err := loadVisible(c, get, func(v T) (bool, error) {
		id, err := pathID(c)
		if err == nil {
			cs, err = channels(c.UserContext(), id)
		}
		return err == nil && canSee(principalOf(c), v, cs), err
	})
	return v, cs, err
}

// canSeeChannelCase: a channel operator sees the cases that asked its channel to do something, everyone else
// as canSeeCase says.
func canSeeChannelCase[C any](p *principal, departmentID, uscc string, cs []C, channelOf func(C) string) bool {
	if p.Role == domain.RoleChannelOperator {
		return slices.ContainsFunc(cs, func(c C) bool { return channelOf(c) == p.ChannelID.String })
	}
	return canSeeCase(p, departmentID, uscc)
}

// canSeeCase: the credit office and admins see every case, a department the cases of its own records, an
// enterprise its own. Callers answer 404 otherwise, so nobody learns that a record exists.
func canSeeCase(p *principal, departmentID, uscc string) bool {
	switch p.Role {
	case domain.RoleCreditOffice, domain.RoleAdmin:
		return true
	case domain.RoleDepartment:
		return departmentID == p.DepartmentID.String
	case domain.RoleEnterprise:
		return uscc == p.USCC.String
	}
	return false
}
