// Package httpapi serves xinyong's JSON API and its Chinese web pages with Fiber.
package httpapi

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"xinyong/storage"
)

// Error is the API's error model: {"error": {"code", "message", "details"}}.
type Error struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// With returns a copy of e carrying details.
func (e *Error) With(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}

// newError builds an API error.
func newError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// The errors every handler shares; domain-specific ones are built where they arise.
var (
	errUnauthorized     = newError(fiber.StatusUnauthorized, "unauthorized", "未登录或凭证无效，请重新登录")
	errForbidden        = newError(fiber.StatusForbidden, "forbidden", "当前身份无权执行此操作")
	errNotFound         = newError(fiber.StatusNotFound, "not_found", "记录不存在或无权查看")
	errMalformedJSON    = newError(fiber.StatusBadRequest, "malformed_json", "请求体不是有效的 JSON")
	errUnsupportedMedia = newError(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "不支持的请求内容类型")
	errTooLarge         = newError(fiber.StatusRequestEntityTooLarge, "body_too_large", "请求体过大")
	errCSRF             = newError(fiber.StatusForbidden, "csrf_failed", "页面已过期或请求来源无效，请刷新页面后重试")
	errTooManyAttempts  = newError(fiber.StatusTooManyRequests, "too_many_attempts", "登录失败次数过多，请15分钟后再试")
	errIdempotencyReuse = newError(fiber.StatusUnprocessableEntity, "idempotency_key_reused", "同一幂等键已用于不同的请求")
	errIdempotencyBusy  = newError(fiber.StatusConflict, "idempotency_key_in_progress", "同一幂等键的请求正在处理中")
)

// invalidField is a 422 for one field's value.
func invalidField(field, code, message string) *Error {
	return newError(fiber.StatusUnprocessableEntity, code, message).With(map[string]any{"field": field})
}

// errorHandler maps every error to the error model; only server faults are logged, and their text is hidden.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var e *Error
		var fe *fiber.Error
		var coded codedError
		switch {
		case errors.As(err, &e):
		case errors.As(err, &coded):
			// Rule violations from domain (a bad USCC, an impossible date) are the caller's field errors.
			e = newError(fiber.StatusUnprocessableEntity, coded.ErrorCode(), coded.Error())
		case errors.Is(err, storage.ErrNotFound):
			e = errNotFound
		case errors.As(err, &fe):
			e = fiberError(fe)
		default:
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
			e = newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
		}
		if wantsHTML(c) && e.Status != fiber.StatusUnauthorized {
			return renderErrorPage(c, e)
		}
		if wantsHTML(c) && e.Status == fiber.StatusUnauthorized {
			return c.Redirect("/login?next="+c.OriginalURL(), fiber.StatusSeeOther)
		}
		return c.Status(e.Status).JSON(fiber.Map{"error": e})
	}
}

// codedError is an error that carries its own API code and a Chinese message (domain.InputError, domain.USCCError).
type codedError interface {
	error
	ErrorCode() string
}

func fiberError(fe *fiber.Error) *Error {
	switch fe.Code {
	case fiber.StatusRequestEntityTooLarge:
		return errTooLarge
	case fiber.StatusNotFound:
		return newError(fiber.StatusNotFound, "not_found", "请求的地址不存在")
	case fiber.StatusMethodNotAllowed:
		return newError(fiber.StatusMethodNotAllowed, "method_not_allowed", "不支持该请求方法")
	case fiber.StatusUnsupportedMediaType:
		return errUnsupportedMedia
	case fiber.StatusBadRequest:
		return newError(fiber.StatusBadRequest, "bad_request", "请求格式错误")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return newError(fe.Code, "bad_request", "请求无效")
	}
	return newError(fiber.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试")
}
