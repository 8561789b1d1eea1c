// Package storage owns every SQL statement of xinyong: one file per entity, plain SQL next to the code that runs it.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // also the PostgreSQL driver

	"xinyong/migrations"
)

// DB is the application's handle on PostgreSQL.
type DB struct {
	*sqlx.DB
}

// Open connects to PostgreSQL at dsn and checks that it answers.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: ping: %w", err)
	}
	return &DB{DB: db}, nil
}

// Migrate applies the embedded migrations.
func (db *DB) Migrate(ctx context.Context) error {
	return migrations.Up(ctx, db.DB.DB)
}

// ErrNotFound is returned when a row does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with existing state (a unique key, a state already left).
var ErrConflict = errors.New("conflict")

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// InTx runs fn in a transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// stringArray passes a list of domain values (statuses, kinds) as a PostgreSQL text[] parameter.
func stringArray[T ~string](vs []T) pq.StringArray {
	a := make(pq.StringArray, len(vs))
	for i, v := range vs {
		a[i] = string(v)
	}
	return a
}
