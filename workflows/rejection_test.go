package workflows

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// Only the workflows' own refusals are refusals: a typed ApplicationError from anywhere else (an activity's
// not_found) must not reach a caller as a 4xx with that activity's code.
func TestAsRejectionOnlyRecognizesRefusals(t *testing.T) {
	r, ok := AsRejection(fmt.Errorf("wrapped: %w", reject("already_delivered", "已登记送达", true)))
	require.True(t, ok)
	require.Equal(t, &Rejection{Code: "already_delivered", Message: "已登记送达", Conflict: true}, r)

	r, ok = AsRejection(reject("invalid_delivered_on", "请填写送达日期", false))
	require.True(t, ok)
	require.False(t, r.Conflict)

	for _, err := range []error{
		temporal.NewApplicationError("penalty 7 not found", "not_found"),
		temporal.NewNonRetryableApplicationError("no such row", "not_found", nil, true),
		temporal.NewApplicationErrorWithOptions("x", "not_found", temporal.ApplicationErrorOptions{Details: []any{true, "other"}}),
		temporal.NewApplicationErrorWithOptions("x", "not_found", temporal.ApplicationErrorOptions{Details: []any{"a", 5}}),
		temporal.NewApplicationErrorWithOptions("x", "not_found", temporal.ApplicationErrorOptions{Details: []any{false}}),
		errors.New("plain"),
	} {
		_, ok := AsRejection(err)
		require.False(t, ok, "%v", err)
	}
}

// A refusal still reads as one after the trip through Temporal's failure encoding (as a client receives it).
func TestAsRejectionAfterTheWire(t *testing.T) {
	fc := temporal.GetDefaultFailureConverter()
	back := fc.FailureToError(fc.ErrorToFailure(reject("witness_required", "应填写见证人", false)))
	r, ok := AsRejection(back)
	require.True(t, ok)
	require.Equal(t, &Rejection{Code: "witness_required", Message: "应填写见证人"}, r)

	back = fc.FailureToError(fc.ErrorToFailure(temporal.NewApplicationError("no row", "not_found", "x", 5)))
	_, ok = AsRejection(back)
	require.False(t, ok)
}
