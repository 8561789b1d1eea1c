package workflows

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies keeps the layers apart: workflow code decides from what it is given and must not reach the
// database or HTTP (so it cannot read anything that changes under replay), and domain is pure vocabulary and
// rules on the standard library alone.
func TestDependencies(t *testing.T) {
	deps := func(pkg string) []string {
		t.Helper()
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		return strings.Fields(string(out))
	}
	for _, pkg := range []string{"xinyong/workflows", "xinyong/activities/contract"} {
		for _, d := range deps(pkg) {
			for _, banned := range []string{"xinyong/storage", "xinyong/http", "xinyong/activities"} {
				if d == banned || strings.HasPrefix(d, banned+"/") && d != "xinyong/activities/contract" {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	if got := deps("xinyong/domain"); !slices.Equal(got, []string{"xinyong/domain"}) {
		t.Errorf("domain must import only the standard library; it depends on %v", got)
	}
}
