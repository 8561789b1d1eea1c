// Package activities does the I/O of xinyong's workflows: PostgreSQL writes, letters, channel calls, notifications.
// Every activity is idempotent: its writes are keyed by workflow and step.
package activities

import (
	"database/sql"
	"log/slog"

	"xinyong/egress"
	"xinyong/storage"
)

// Activities holds the dependencies of every activity; its methods are registered with the worker.
type Activities struct {
	DB  *storage.DB
	Log *slog.Logger
	// BaseURL is the public site address, for verification links printed on letters.
	BaseURL string
	// Egress lists the internal hosts webhook channels may reach; nil allows public addresses only.
	Egress *egress.Policy
	// CreditOfficeName and CreditOfficeCode are the credit office's name on letters and its 机关代字
	// (default CreditOfficeLetterName and CreditOfficeCodeWord).
	CreditOfficeName, CreditOfficeCode string
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
