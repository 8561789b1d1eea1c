package httpapi

import (
	"time"

	"context"
	"errors"
	"fmt"
	"go.temporal.io/sdk/client"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/api/serviceerror"

	"xinyong/storage"
	"xinyong/workflows"
)

// stepError maps the failure of a human step sent to a workflow (an Update) to the error model: a refusal by the
// workflow is 409 or 422 with its own code, a finished workflow is 409 case_closed, a slow one 503.
func stepError(err error, closedMsg, what string) error {
	if err == nil {
		return nil
	}
	if r, ok := workflows.AsRejection(err); ok {
		status := fiber.StatusUnprocessableEntity
		if r.Conflict {
			status = fiber.StatusConflict
		}
		return newError(status, r.Code, r.Message)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return newError(fiber.StatusConflict, "case_closed", closedMsg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newError(fiber.StatusServiceUnavailable, "workflow_timeout", "系统繁忙，请稍后查看办理结果")
	}
	return fmt.Errorf("%s: %w", what, err)
}

// canSeeCase: the credit office and admins see every case, a department the cases of its own records, an
// enterprise its own. Callers answer 404 otherwise, so nobody learns that a record exists.
func canSeeCase(p *principal, departmentID, uscc string) bool {
	switch p.Role {
	case storage.RoleCreditOffice, storage.RoleAdmin:
		return true
	case storage.RoleDepartment:
		return departmentID == p.DepartmentID.String
	case storage.RoleEnterprise:
		return uscc == p.USCC.String
	}
	return false
}

// sendUpdate sends a validated human step to a workflow and waits for its answer; refusals become 409 or 422.
func (s *Server) sendUpdate(ctx context.Context, workflowID, name string, arg, out any, closedMsg string) error {
	if s.temporal == nil {
		return newError(fiber.StatusServiceUnavailable, "workflow_unavailable", "流程引擎不可用，请稍后重试")
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(wctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(wctx, out)
	}
	if err == nil {
		return nil
	}
	return stepError(err, closedMsg, fmt.Sprintf("%s %s", workflowID, name))
}
