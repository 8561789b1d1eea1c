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
