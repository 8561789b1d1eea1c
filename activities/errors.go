package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/lib/pq"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"xinyong/activities/contract"
)

// ErrInvalidData is contract.ErrInvalidData: a write PostgreSQL refused for its data, never retried.
const ErrInvalidData = contract.ErrInvalidData

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

// WorkerOptions are the options of every xinyong worker: activity errors that can never succeed on retry are
// classified as non-retryable (Classify).
func WorkerOptions() worker.Options {
	return worker.Options{Interceptors: []interceptor.WorkerInterceptor{Interceptor()}}
}

// Interceptor classifies the errors of every activity (see Classify); workers install it through WorkerOptions.
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
