package httpapi

import (
	"context"
	"errors"
	"fmt"

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
