package main

import "go.temporal.io/sdk/worker"

// workerExtras run after the standard registrations of every worker; build-tagged files add to it (the upgrade
// probe of deploy's topology test replaces a workflow with its next version).
var workerExtras []func(w worker.Worker)
