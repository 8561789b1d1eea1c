package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRules keeps the alert rules, the metrics and OPERATIONS.md in step: every alert has a severity and a
// Chinese summary, every alert is explained in OPERATIONS.md and every one explained there exists, and every
// series an expression uses is one xinyong or the Temporal SDK exports (a renamed metric would silence an alert).
func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile("prometheus/xinyong-alerts.yaml")
	require.NoError(t, err)
	var rf ruleFile
	require.NoError(t, yaml.Unmarshal(raw, &rf))
	require.NotEmpty(t, rf.Groups)

	ours := readAll(t, "../obs/metrics.go", "../cmd/xinyong/observe.go")
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	require.NoError(t, err)
	sdk := readAll(t, filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go"))
	series := regexp.MustCompile(`\b(xinyong|temporal)_[a-z_]+`)
	// The SDK names carry no unit or type; Prometheus adds _seconds to timers and _total to counters.
	suffix := regexp.MustCompile(`(_seconds)?(_bucket|_total|_count|_sum)?$`)
	histogramPart := regexp.MustCompile(`_(bucket|count|sum)$`)

	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert)
			assert.False(t, alerts[r.Alert], "%s defined twice", r.Alert)
			alerts[r.Alert] = true
			assert.NotEmpty(t, r.Expr, r.Alert)
			assert.Contains(t, []string{"page", "ticket"}, r.Labels["severity"], r.Alert)
			assert.Regexp(t, `\p{Han}`, r.Annotations["summary"], "%s: summary for the duty officer, in Chinese", r.Alert)
			for _, s := range series.FindAllString(r.Expr, -1) {
				if strings.HasPrefix(s, "xinyong_") {
					name := histogramPart.ReplaceAllString(s, "")
					assert.True(t, strings.Contains(ours, `"`+name+`"`), "%s uses %s, which xinyong does not export", r.Alert, s)
					continue
				}
				base := suffix.ReplaceAllString(s, "")
				assert.True(t, strings.Contains(sdk, `"`+strings.TrimPrefix(base, "temporal_")+`"`),
					"%s uses %s, which the Temporal SDK does not export", r.Alert, s)
			}
		}
	}

	doc := readAll(t, "OPERATIONS.md")
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(Xinyong[A-Za-z]+)`").FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	assert.Equal(t, keys(alerts), keys(documented), "alerts in the rules file and in OPERATIONS.md")
}

func readAll(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		b.Write(raw)
	}
	return b.String()
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
