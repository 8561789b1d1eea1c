package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// heavyDevOnly are the module paths only `xinyong dev` needs: the embedded Temporal server and its Web UI.
var heavyDevOnly = []string{"go.temporal.io/server", "github.com/temporalio/ui-server"}

func listDeps(t *testing.T, tags ...string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(args, "xinyong/cmd/xinyong")...).CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	return strings.Fields(string(out))
}

// TestProductionBuildHasNoTemporalServer is issue 18's acceptance 2: `go build -tags prod ./cmd/xinyong` (what
// deploy/ ships) links neither the Temporal server nor its UI, while the default build (README's `go run
// ./cmd/xinyong dev`) still does; both type-check.
func TestProductionBuildHasNoTemporalServer(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	prod := listDeps(t, "prod")
	for _, p := range prod {
		for _, heavy := range heavyDevOnly {
			require.False(t, p == heavy || strings.HasPrefix(p, heavy+"/"),
				"the production build links %s (via the dev command?); keep it behind //go:build !prod", p)
		}
	}
	require.Contains(t, prod, "go.temporal.io/sdk/client", "the production build is the real binary")

	dev := listDeps(t)
	require.Contains(t, dev, "go.temporal.io/server/temporal", "the default build keeps `xinyong dev`")
	require.Greater(t, len(dev), len(prod)+500, "dev-only packages: %d default vs %d prod", len(dev), len(prod))

	out, err := exec.Command("go", "vet", "-tags", "prod", "xinyong/cmd/xinyong").CombinedOutput()
	require.NoError(t, err, "the production build compiles: %s", out)
}
