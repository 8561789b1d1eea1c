// Package domain holds xinyong's vocabulary and pure rules, shared by workflows, activities and handlers: the typed
// statuses, causes, grounds, methods, kinds and roles with their Chinese labels (vocab_*.go; their string values are
// stored in rows and recorded in workflow histories, so they never change), the unified social credit code, the
// working-day calendar, rule sets and publication periods. It imports only the standard library. It does no I/O beyond reading data it is given
// (or embeds), so everything here can be called from workflow code and tested without a database.
package domain
