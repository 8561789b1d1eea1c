package domain

// InputError reports a value a caller supplied that the rules cannot accept. Its message is Chinese and meant for
// the person who typed the value; Code is a stable snake_case identifier for the API's error model.
type InputError struct {
	Field   string
	Code    string
	Message string
}

// Error returns the Chinese message.
func (e *InputError) Error() string { return e.Message }

// ErrorCode returns the stable error code (for example "invalid_date").
func (e *InputError) ErrorCode() string { return e.Code }

// Kind says what went wrong in terms of what the caller can do about it. The HTTP layer maps each kind to one
// status in one table; only KindInternal is logged, and its text is never shown.
type Kind string

// The kinds of Error.
const (
	KindInvalid      Kind = "invalid"      // a value the rules cannot accept; fix it and retry
	KindConflict     Kind = "conflict"     // the request clashes with the current state of a record
	KindNotFound     Kind = "not_found"    // no such record, or the caller must not learn that it exists
	KindForbidden    Kind = "forbidden"    // the caller is known but may not do this
	KindUnauthorized Kind = "unauthorized" // the caller is not known
	KindUnavailable  Kind = "unavailable"  // a dependency (the workflow engine) is down or slow; retry later
	KindInternal     Kind = "internal"     // a fault of the system
	// Kinds about the shape of a request rather than its content.
	KindMalformed        Kind = "malformed"         // the request cannot be read at all
	KindTooLarge         Kind = "too_large"         // the request body exceeds its bound
	KindUnsupportedMedia Kind = "unsupported_media" // the request body has a content type the endpoint does not take
	KindRateLimited      Kind = "rate_limited"      // too many attempts; wait and retry
	KindMethodNotAllowed Kind = "method_not_allowed"
)

// Error is the one coded error: a kind for the transport, a stable snake_case code for machines, a Chinese
// message for people, and optional details (which field, which record). It is also the API's error model:
// {"error": {"code", "message", "details"}}.
type Error struct {
	Kind    Kind           `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// NewError builds a coded error.
func NewError(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

func (e *Error) Error() string { return string(e.Kind) + " " + e.Code + ": " + e.Message }

// ErrorCode returns the stable error code.
func (e *Error) ErrorCode() string { return e.Code }

// With returns a copy of e carrying details.
func (e *Error) With(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}
