// Package migrations holds the SQL schema of xinyong, embedded in the binary and applied with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
)

// FS holds every migration file; goose orders them by their numeric prefix.
//
//go:embed *.sql
var FS embed.FS

// Up applies every pending migration to db.
func Up(ctx context.Context, db *sql.DB) error {
	// Migrations were written in parallel branches, so a database may have seen a later number first.
	p, err := goose.NewProvider(goose.DialectPostgres, db, FS, goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrations: new provider: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}
