package httpapi

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/workflows"
)

func TestRouteTableHasEachRouteOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range routeTable {
		k := r.method + " " + r.path
		assert.False(t, seen[k], "route %s listed twice", k)
		seen[k] = true
		assert.NotNil(t, r.roles, "route %s states no roles", k)
		assert.NotNil(t, r.handler, "route %s has no handler", k)
	}
}

// The API route of a repair step lets in exactly the role its action takes; every action has its route.
func TestRouteTableRepairStepsMatchTheirActions(t *testing.T) {
	for _, a := range repairActions {
		path := "/api/v1/repairs/:id/" + a.path
		i := slices.IndexFunc(routeTable, func(r route) bool { return r.path == path })
		require.GreaterOrEqual(t, i, 0, "no route for repair action %s", a.path)
		assert.Equal(t, []domain.Role{a.role}, routeTable[i].roles, path)
	}
}

// The OpenAPI document lists every API route of the table with its roles.
func TestOpenAPIFollowsTheRouteTable(t *testing.T) {
	e := newTestEnv(t)
	doc := decode[map[string]any](t, e.do("GET", "/api/openapi.json", "", nil))
	paths := doc["paths"].(map[string]any)
	n := 0
	for _, r := range apiRoutes(routeTable) {
		p := pathParam.ReplaceAllString(r.path, "{$1}")
		op, ok := paths[p].(map[string]any)[map[string]string{"GET": "get", "POST": "post", "PUT": "put", "PATCH": "patch", "DELETE": "delete"}[r.method]].(map[string]any)
		require.True(t, ok, "%s %s missing", r.method, p)
		if len(r.roles) > 0 {
			assert.Len(t, op["x-roles"], len(r.roles), p)
		}
		n++
	}
	assert.Greater(t, n, 70)
}

func TestErrorKindsMapToOneStatusEach(t *testing.T) {
	for _, k := range []domain.Kind{domain.KindInvalid, domain.KindConflict, domain.KindNotFound, domain.KindForbidden,
		domain.KindUnauthorized, domain.KindUnavailable, domain.KindInternal, domain.KindMalformed, domain.KindTooLarge,
		domain.KindUnsupportedMedia, domain.KindRateLimited, domain.KindMethodNotAllowed} {
		_, ok := kindStatus[k]
		assert.True(t, ok, "kind %s has no status", k)
	}
	assert.Equal(t, 422, statusOf(newError(domain.KindInvalid, "x", "x")))
	assert.Equal(t, 503, statusOf(errWorkflowUnavailable))
}

// Only a workflow's own refusal becomes a 4xx: a typed ApplicationError of an activity (its "not_found") is a
// fault of the system, hidden behind 500.
func TestStepErrorsTellRefusalsFromFaults(t *testing.T) {
	activityFailure := temporal.NewApplicationError("penalty 7 not found", "not_found")
	e, internal := toAPIError(stepError(fmt.Errorf("update: %w", activityFailure), repairCases, 7, "accept"))
	assert.True(t, internal)
	assert.Equal(t, "internal", e.Code)
	assert.Equal(t, 500, statusOf(e))

	refusal := workflows.Refusal("invalid_transition", "该案件已受理", true)
	e, internal = toAPIError(stepError(refusal, repairCases, 7, "accept"))
	assert.False(t, internal)
	assert.Equal(t, "invalid_transition", e.Code)
	assert.Equal(t, "该案件已受理", e.Message)
	assert.Equal(t, 409, statusOf(e))

	gone := stepError(serviceerror.NewNotFound("workflow not found"), repairCases, 7, "accept")
	assert.True(t, errors.Is(gone, repairCases.closed))
	e, _ = toAPIError(gone)
	assert.Equal(t, "case_closed", e.Code)
	assert.Equal(t, 409, statusOf(e))
}
