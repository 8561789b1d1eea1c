// Package httpapi serves xinyong's JSON API and its Chinese web pages with Fiber.
package httpapi

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/temporal"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Error is the API's error model: {"error": {"code", "message", "details"}}; its kind decides the status.
type Error = domain.Error

// newError builds an API error.
func newError(kind domain.Kind, code, message string) *Error {
	return domain.NewError(kind, code, message)
}

// kindStatus is the one place where an error's kind becomes an HTTP status.
var kindStatus = map[domain.Kind]int{
	domain.KindMalformed:        fiber.StatusBadRequest,
	domain.KindUnauthorized:     fiber.StatusUnauthorized,
	domain.KindForbidden:        fiber.StatusForbidden,
	domain.KindNotFound:         fiber.StatusNotFound,
	domain.KindMethodNotAllowed: fiber.StatusMethodNotAllowed,
	domain.KindConflict:         fiber.StatusConflict,
	domain.KindTooLarge:         fiber.StatusRequestEntityTooLarge,
	domain.KindUnsupportedMedia: fiber.StatusUnsupportedMediaType,
	domain.KindInvalid:          fiber.StatusUnprocessableEntity,
	domain.KindRateLimited:      fiber.StatusTooManyRequests,
	domain.KindInternal:         fiber.StatusInternalServerError,
	domain.KindUnavailable:      fiber.StatusServiceUnavailable,
}

// statusOf is the HTTP status of an error's kind (500 for a kind the table does not know).
func statusOf(e *Error) int {
	if st, ok := kindStatus[e.Kind]; ok {
		return st
	}
	return fiber.StatusInternalServerError
}

// pageProblem turns a caller's mistake (any error that is not the system's fault) into a message on the form;
// other errors go to the error page.
func pageProblem(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && statusOf(e) < 500 {
		return e, true
	}
	return nil, false
}

// formProblem is a caller's mistake that a page shows on its form (pageProblem), except those that the error
// page answers: a record the caller must not see, a step the caller may not take.
func formProblem(err error) (*Error, bool) {
	e, ok := pageProblem(err)
	if !ok || e.Kind == domain.KindNotFound || e.Kind == domain.KindForbidden {
		return nil, false
	}
	return e, true
}

// showOnForm answers a refusal that a form page shows again with its message (pageProblem; not a record the
// caller must not see, which the error page answers as 404) through render, and any other error as it is.
func showOnForm(err error, render func(*Error) error) error {
	if e, ok := pageProblem(err); ok && e.Kind != domain.KindNotFound {
		return render(e)
	}
	return err
}

// The errors every handler shares; domain-specific ones are built where they arise.
var (
	errUnauthorized     = newError(domain.KindUnauthorized, "unauthorized", "未登录或凭证无效，请重新登录")
	errForbidden        = newError(domain.KindForbidden, "forbidden", "当前身份无权执行此操作")
	errNotFound         = newError(domain.KindNotFound, "not_found", "记录不存在或无权查看")
	errNoRoute          = newError(domain.KindNotFound, "not_found", "请求的地址不存在")
	errMalformedJSON    = newError(domain.KindMalformed, "malformed_json", "请求体不是有效的 JSON")
	errUnsupportedMedia = newError(domain.KindUnsupportedMedia, "unsupported_media_type", "不支持的请求内容类型")
	errTooLarge         = newError(domain.KindTooLarge, "body_too_large", "请求体过大")
	errCSRF             = newError(domain.KindForbidden, "csrf_failed", "页面已过期或请求来源无效，请刷新页面后重试")
	errTooManyAttempts  = newError(domain.KindRateLimited, "too_many_attempts", "登录失败次数过多，请15分钟后再试")
	errIdempotencyReuse = newError(domain.KindInvalid, "idempotency_key_reused", "同一幂等键已用于不同的请求")
	errIdempotencyBusy  = newError(domain.KindConflict, "idempotency_key_in_progress", "同一幂等键的请求正在处理中")
	errInternal         = newError(domain.KindInternal, "internal", "服务器内部错误，请稍后重试")
)

// invalidField is a 422 for one field's value.
func invalidField(field, code, message string) *Error {
	return newError(domain.KindInvalid, code, message).With(map[string]any{"field": field})
}

// codedError is an error that carries its own API code and a Chinese message (domain.InputError, domain.USCCError):
// a rule a caller's value broke.
type codedError interface {
	error
	ErrorCode() string
}

// toAPIError turns any error into the error model. internal is true for the faults of the system, which are logged
// and whose text is hidden.
func toAPIError(err error) (e *Error, internal bool) {
	var fe *fiber.Error
	var coded codedError
	switch {
	case errors.As(err, &e):
	case workflowRefusal(err) != nil:
		e = workflowRefusal(err)
	case errors.As(err, &coded):
		// Rule violations from domain (a bad USCC, an impossible date) are the caller's field errors.
		e = newError(domain.KindInvalid, coded.ErrorCode(), coded.Error())
	case errors.Is(err, storage.ErrNotFound):
		e = errNotFound
	case errors.As(err, &fe):
		e = fiberError(fe)
	default:
		return errInternal, true
	}
	return e, e.Kind == domain.KindInternal
}

// workflowRefusal is the error model of an update a workflow refused on purpose (nil for any other error): 409
// when the step clashes with the case's state, 422 when a value is wrong.
func workflowRefusal(err error) *Error {
	// A step whose write the database refused for its data can never succeed: the workflow answered it with the
	// activity's error and kept its state (activities.Classify), so it is the caller's 422 too.
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == activities.ErrInvalidData {
		return newError(domain.KindInvalid, activities.ErrInvalidData, ae.Message())
	}
	r, ok := workflows.AsRejection(err)
	if !ok {
		return nil
	}
	if r.Conflict {
		return newError(domain.KindConflict, r.Code, r.Message)
	}
	return newError(domain.KindInvalid, r.Code, r.Message)
}

// errorHandler maps every error to the error model; only server faults are logged, and their text is hidden.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		e, internal := toAPIError(err)
		if internal {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		status := statusOf(e)
		if secs, ok := e.Details["retry_after_seconds"].(int); ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		}
		if wantsHTML(c) && status == fiber.StatusUnauthorized {
			return c.Redirect("/login?next="+c.OriginalURL(), fiber.StatusSeeOther)
		}
		if wantsHTML(c) {
			return renderErrorPage(c, e)
		}
		return c.Status(status).JSON(fiber.Map{"error": e})
	}
}

// fiberStatusErrors are the answers to Fiber's own errors (no route, wrong method, body too large).
var fiberStatusErrors = map[int]*Error{
	fiber.StatusRequestEntityTooLarge: errTooLarge,
	fiber.StatusNotFound:              errNoRoute,
	fiber.StatusMethodNotAllowed:      newError(domain.KindMethodNotAllowed, "method_not_allowed", "不支持该请求方法"),
	fiber.StatusUnsupportedMediaType:  errUnsupportedMedia,
	fiber.StatusBadRequest:            newError(domain.KindMalformed, "bad_request", "请求格式错误"),
}

func fiberError(fe *fiber.Error) *Error {
	if e, ok := fiberStatusErrors[fe.Code]; ok {
		return e
	}
	if fe.Code >= 400 && fe.Code < 500 {
		// Statuses without a kind of their own keep their code; the body says only that the request was refused.
		return &Error{Kind: domain.KindMalformed, Code: "bad_request", Message: "请求无效"}
	}
	return errInternal
}
