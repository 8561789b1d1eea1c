// Package contract is what workflows and activities agree on: every activity's name and signature, its inputs and
// results, and the error types a workflow tells apart. It does no I/O and imports nothing that does, so workflow
// code depends on it rather than on package activities (which reaches the database through storage); package
// activities implements it and aliases its types.
package contract

// Activities are the activities as the worker registers them and as workflow code names them
// (workflow.ExecuteActivity(ctx, acts.OpenTask, ...)): Temporal takes the activity's name from the method and checks
// the arguments against its signature. Each method runs the bound Implementation's method of the same name (see
// Bind); workflow code only names them, through a nil *Activities.
type Activities struct{ impl Implementation }
