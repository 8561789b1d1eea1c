//go:build prod

package main

import (
	"context"
	"errors"
)

// The production build (go build -tags prod ./cmd/xinyong) leaves out the embedded Temporal server and its Web UI
// (go.temporal.io/server, github.com/temporalio/ui-server: some 1,600 packages a province's API and worker hosts
// never run); it talks to an existing Temporal cluster only. prodbuild_test.go keeps it that way.

// devTemporalBuiltIn: this build has no `xinyong dev`.
const devTemporalBuiltIn = false

func startDevTemporal(ctx context.Context, dataDir string, logf func(string, ...any)) (hostPort, uiURL string, stop func(), err error) {
	return "", "", nil, errors.New("this xinyong was built with -tags prod and has no embedded Temporal server; use a build without it for `dev`")
}
