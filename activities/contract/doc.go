// Package contract is what workflows and activities agree on: every activity's name and signature, its inputs and
// results, and the error types a workflow tells apart. It does no I/O and imports nothing that does, so workflow
// code depends on it rather than on package activities (which reaches the database through storage); package
// activities implements it and aliases its types.
package contract

// Activities names the activities for typed calls from workflow code
// (workflow.ExecuteActivity(ctx, acts.OpenTask, ...)): Temporal takes the activity's name from the method and
// checks the arguments against its signature. Its methods are never run; the worker registers
// *activities.Activities, whose methods have the same names and signatures (TestContractMatchesActivities in
// package activities fails when the two drift apart).
type Activities struct{}
