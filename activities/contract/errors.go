package contract

// ErrInvalidData is the error type of an activity whose write PostgreSQL refused for its data (SQLSTATE class 22,
// data exception: a NUL, invalid UTF-8, a value out of range; class 23, integrity constraint violation). The same
// data can never succeed, so it is not retried: the update that caused it answers with it (a 422 for the caller)
// and the workflow keeps its state.
const ErrInvalidData = "invalid_data"
