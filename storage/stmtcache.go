package storage

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Reads outside transactions run as prepared statements kept per query text. PostgreSQL then parses a query once
// per connection instead of on every call, and keeps a generic plan where its cost matches a fresh one: the list
// and home-page queries took longer to plan (up to 1 ms) than to run (0.1-0.2 ms) at 1,000,000 records
// (issue 17). Queries whose filters are catch-alls keep being planned per call, as PostgreSQL judges their
// generic plan worse; nothing about their plans changes.

// maxCachedStatements bounds the cache: a query text built per call (IN lists, say) would otherwise grow it
// without end; past the bound, a query runs unprepared as before.
const maxCachedStatements = 512

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// prepared returns the prepared statement of query, preparing it on first use; nil when the cache is full or
// preparing failed (the caller then runs the query as it is, which reports any error in it).
func (db *DB) prepared(ctx context.Context, query string) *sqlx.Stmt {
	if db.Unprepared {
		return nil
	}
	c := db.cache()
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	st, err := db.DB.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		_ = st.Close()
		return prev
	}
	c.stmts[query] = st
	return st
}

func (db *DB) cache() *stmtCache {
	db.stmtsOnce.Do(func() { db.stmts = &stmtCache{stmts: map[string]*sqlx.Stmt{}} })
	return db.stmts
}

// SelectContext runs a read outside a transaction as a prepared statement (see above).
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if st := db.prepared(ctx, query); st != nil {
		if ok, err := db.selectStructs(ctx, st, dest, args...); ok {
			return err
		}
		return st.SelectContext(ctx, dest, args...)
	}
	return db.DB.SelectContext(ctx, dest, query, args...)
}

// GetContext runs a one-row read outside a transaction as a prepared statement (see above).
func (db *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if st := db.prepared(ctx, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return db.DB.GetContext(ctx, dest, query, args...)
}

// Close stops the credentials cache (credcache.go) and closes the prepared statements and the pool.
func (db *DB) Close() error {
	db.creds.close()
	if c := db.stmts; c != nil {
		c.mu.Lock()
		for _, st := range c.stmts {
			_ = st.Close()
		}
		c.stmts = map[string]*sqlx.Stmt{}
		c.mu.Unlock()
	}
	return db.DB.Close()
}
