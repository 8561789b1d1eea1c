package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/lib/pq"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
)

// ErrInvalidData is the error type of an activity whose write PostgreSQL refuses for its data (SQLSTATE class 22,
// data exception: a NUL, invalid UTF-8, a value out of range; class 23, integrity constraint violation). Retrying
// the same data can never succeed, so it is not retried: the update that caused it answers with it (a 422 for the
// caller) and the workflow keeps its state.
const ErrInvalidData = "invalid_data"

// invalidDataMessage is what the caller reads.
const invalidDataMessage = "提交的内容无法保存（含有不允许的字符或不符合数据约束），请修改后重试"

// Classify turns an activity's error that can never succeed on retry into a non-retryable application error of
// type ErrInvalidData; any other error is returned as it is (and retried by the retry policy).
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return err // typed by the activity itself
	}
	if permanent(err) {
		return temporal.NewNonRetryableApplicationError(invalidDataMessage, ErrInvalidData, err)
	}
	return err
}

// permanent reports an error the same input will always produce.
func permanent(err error) bool {
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		class := string(pqe.Code.Class())
		return class == "22" || class == "23"
	}
	var ute *json.UnsupportedTypeError
	var uve *json.UnsupportedValueError
	if errors.As(err, &ute) || errors.As(err, &uve) {
		return true
	}
	// lib/pq refuses some values before they reach the server.
	msg := err.Error()
	return strings.Contains(msg, "invalid byte sequence for encoding") || strings.Contains(msg, "pq: invalid input syntax")
}

// Interceptor classifies the errors of every activity (see Classify); workers install it through
// workflows.WorkerOptions.
func Interceptor() interceptor.WorkerInterceptor { return &classifyInterceptor{} }

type classifyInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*classifyInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &classifyInbound{}
	i.Next = next
	return i
}

type classifyInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (i *classifyInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := i.Next.ExecuteActivity(ctx, in)
	return res, Classify(err)
}
