// Package domain holds xinyong's pure rules, shared by workflows, activities and handlers: the unified social credit
// code, the working-day calendar, rule sets and publication periods. It does no I/O beyond reading data it is given
// (or embeds), so everything here can be called from workflow code and tested without a database.
package domain
