package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

type object map[string]any

func (o object) str(path ...string) string {
	v, _ := o.get(path...).(string)
	return v
}

func (o object) get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			if om, ok2 := cur.(object); ok2 {
				m = om
			} else {
				return nil
			}
		}
		cur = m[p]
	}
	return cur
}

func (o object) obj(path ...string) object {
	m, _ := o.get(path...).(map[string]any)
	return m
}

func (o object) list(path ...string) []object {
	l, _ := o.get(path...).([]any)
	var out []object
	for _, v := range l {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// loadManifests parses every YAML document under k8s/.
func loadManifests(t *testing.T) map[string]object {
	t.Helper()
	out := map[string]object{}
	err := filepath.WalkDir("k8s", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "%s document %d", path, i+1)
			if doc == nil {
				continue
			}
			o := object(doc)
			require.NotEmpty(t, o.str("apiVersion"), "%s document %d: apiVersion", path, i+1)
			require.NotEmpty(t, o.str("kind"), "%s document %d: kind", path, i+1)
			require.NotEmpty(t, o.str("metadata", "name"), "%s document %d: metadata.name", path, i+1)
			key := o.str("kind") + "/" + o.str("metadata", "name")
			require.NotContains(t, out, key, "%s: %s defined twice", path, key)
			out[key] = o
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// envReadByXinyong are the variables the Go code reads (a quoted name anywhere in non-test source), plus the
// ones another component reads.
func envReadByXinyong(t *testing.T) map[string]bool {
	t.Helper()
	seen := map[string]bool{"TZ": true}
	re := regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "data" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(raw, -1) {
			seen[string(m[1])] = true
		}
		return nil
	})
	require.NoError(t, err)
	return seen
}

// pendingEnv are variables of features merged separately (the SSRF guard's allow-list); the manifests set them
// ahead so that a deployment does not forget them.
var pendingEnv = map[string]bool{"XINYONG_CHANNEL_ALLOW_HOSTS": true}

// TestManifests parses every Kubernetes manifest and checks what a deployment relies on: serve and worker
// Deployments with readiness on /readyz and liveness on /healthz at a port the container declares, resource
// requests, configuration only from the ConfigMap and Secret defined here, one image for all, a migration Job,
// a PodDisruptionBudget per Deployment that selects its pods, and the Temporal cluster as an external service.
func TestManifests(t *testing.T) {
	objs := loadManifests(t)
	known := envReadByXinyong(t)

	cm, ok := objs["ConfigMap/xinyong-config"]
	require.True(t, ok, "ConfigMap xinyong-config")
	sec, ok := objs["Secret/xinyong-secret"]
	require.True(t, ok, "Secret xinyong-secret")
	for _, src := range []object{cm.obj("data"), sec.obj("stringData")} {
		for k := range src {
			assert.True(t, known[k] || pendingEnv[k], "%s is set but no code reads it (typo?)", k)
		}
	}
	require.Contains(t, sec.obj("stringData"), "DATABASE_URL", "the DSN (with its password) is a secret")
	assert.NotContains(t, cm.obj("data"), "DATABASE_URL", "the DSN is not in the ConfigMap")
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "HTTP_ADDR", "METRICS_ADDR", "XINYONG_BASE_URL"} {
		assert.Contains(t, cm.obj("data"), k)
	}

	// The Temporal cluster is someone else's (Temporal's Helm chart): an ExternalName, and the address points at it.
	tsvc, ok := objs["Service/temporal-frontend"]
	require.True(t, ok, "Service temporal-frontend")
	assert.Equal(t, "ExternalName", tsvc.str("spec", "type"))
	assert.NotEmpty(t, tsvc.str("spec", "externalName"))
	assert.True(t, strings.HasPrefix(cm.str("data", "TEMPORAL_ADDRESS"), "temporal-frontend."), "TEMPORAL_ADDRESS uses the external service")

	images := map[string]bool{}
	podSpecs := map[string]object{}
	for _, d := range []struct{ name, command string }{{"xinyong-serve", "serve"}, {"xinyong-worker", "worker"}} {
		dep, ok := objs["Deployment/"+d.name]
		require.True(t, ok, "Deployment %s", d.name)
		assert.Equal(t, "apps/v1", dep.str("apiVersion"))
		sel := dep.obj("spec", "selector", "matchLabels")
		require.NotEmpty(t, sel, d.name)
		labels := dep.obj("spec", "template", "metadata", "labels")
		for k, v := range sel {
			assert.Equal(t, v, labels[k], "%s: the selector matches the pod template", d.name)
		}
		replicas, _ := dep.get("spec", "replicas").(int)
		assert.GreaterOrEqual(t, replicas, 2, "%s: at least two replicas", d.name)
		spec := dep.obj("spec", "template", "spec")
		podSpecs[d.name] = spec
		cs := spec.list("containers")
		require.Len(t, cs, 1, d.name)
		c := cs[0]
		images[c.str("image")] = true
		assert.Equal(t, []any{d.command}, c.get("args"), d.name)
		ports := map[string]bool{}
		for _, p := range c.list("ports") {
			ports[p.str("name")] = true
		}
		for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
			p := c.obj(probe, "httpGet")
			require.NotNil(t, p, "%s: %s", d.name, probe)
			assert.Equal(t, path, p.str("path"), "%s: %s", d.name, probe)
			assert.True(t, ports[p.str("port")], "%s: %s port %v is a declared container port", d.name, probe, p.get("port"))
		}
		for _, r := range []string{"cpu", "memory"} {
			assert.NotEmpty(t, c.get("resources", "requests", r), "%s: resources.requests.%s", d.name, r)
		}
		assert.NotEmpty(t, c.get("resources", "limits", "memory"), "%s: a memory limit", d.name)
		checkEnvFrom(t, d.name, c)

		// A PodDisruptionBudget keeps some of it through node drains.
		found := false
		for key, o := range objs {
			if !strings.HasPrefix(key, "PodDisruptionBudget/") {
				continue
			}
			ml := o.obj("spec", "selector", "matchLabels")
			match := len(ml) > 0
			for k, v := range ml {
				match = match && labels[k] == v
			}
			if match {
				found = true
				assert.Equal(t, "policy/v1", o.str("apiVersion"))
				assert.True(t, o.get("spec", "minAvailable") != nil || o.get("spec", "maxUnavailable") != nil, key)
			}
		}
		assert.True(t, found, "%s has a PodDisruptionBudget", d.name)
	}
	assert.Equal(t, 9090, podSpecs["xinyong-worker"].list("containers")[0].list("ports")[0].get("containerPort"),
		"worker probes and metrics on METRICS_ADDR's port")

	job, ok := objs["Job/xinyong-migrate"]
	require.True(t, ok, "the migration Job")
	jc := job.list("spec", "template", "spec", "containers")
	require.Len(t, jc, 1)
	assert.Equal(t, []any{"migrate"}, jc[0].get("args"))
	assert.Contains(t, []string{"OnFailure", "Never"}, job.str("spec", "template", "spec", "restartPolicy"))
	images[jc[0].str("image")] = true
	checkEnvFrom(t, "xinyong-migrate", jc[0])
	assert.Len(t, images, 1, "serve, worker and migrate run the same image (release): %v", images)

	for key, o := range objs {
		if o.str("kind") != "Namespace" {
			assert.Equal(t, "xinyong", o.str("metadata", "namespace"), "%s is in namespace xinyong", key)
		}
	}
}

func checkEnvFrom(t *testing.T, who string, c object) {
	t.Helper()
	refs := map[string]bool{}
	for _, e := range c.list("envFrom") {
		if n := e.str("configMapRef", "name"); n != "" {
			refs["ConfigMap/"+n] = true
		}
		if n := e.str("secretRef", "name"); n != "" {
			refs["Secret/"+n] = true
		}
	}
	assert.Equal(t, map[string]bool{"ConfigMap/xinyong-config": true, "Secret/xinyong-secret": true}, refs, who)
}

// unit is a systemd unit file: section -> key -> values.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok && section != "", "%s:%d: not key=value in a section: %q", path, n, line)
			u[section][k] = append(u[section][k], v)
		}
	}
	require.NoError(t, sc.Err())
	return u
}

// TestSystemdUnits checks the units: each runs its xinyong command with the shared environment file, serve and
// worker restart and come after the migration one-shot, the one-shot stays "active" after it ran.
func TestSystemdUnits(t *testing.T) {
	envKeys := map[string]bool{}
	raw, err := os.ReadFile("systemd/xinyong.env.example")
	require.NoError(t, err)
	for _, l := range strings.Split(string(raw), "\n") {
		if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			envKeys[k] = true
		}
	}
	known := envReadByXinyong(t)
	for k := range envKeys {
		assert.True(t, known[k] || pendingEnv[k], "xinyong.env.example sets %s, which no code reads", k)
	}
	assert.True(t, envKeys["DATABASE_URL"] && envKeys["TEMPORAL_ADDRESS"] && envKeys["XINYONG_BASE_URL"])

	assert.False(t, envKeys["METRICS_ADDR"], "METRICS_ADDR in the shared file would give serve and worker on one host the same port")
	metricsAddrs := map[string]string{}
	for _, cmd := range []string{"serve", "worker", "migrate"} {
		u := parseUnit(t, "systemd/xinyong-"+cmd+".service")
		svc := u["Service"]
		require.NotNil(t, svc, cmd)
		assert.Equal(t, []string{"/usr/local/bin/xinyong " + cmd}, svc["ExecStart"], cmd)
		assert.Equal(t, []string{"/etc/xinyong/xinyong.env"}, svc["EnvironmentFile"], cmd)
		assert.Equal(t, []string{"xinyong"}, svc["User"], "%s runs unprivileged", cmd)
		if cmd != "migrate" {
			metricsAddrs[strings.Join(svc["Environment"], " ")] = cmd
		}
		assert.NotNil(t, u["Install"], cmd)
		if cmd == "migrate" {
			assert.Equal(t, []string{"oneshot"}, svc["Type"])
			assert.Equal(t, []string{"yes"}, svc["RemainAfterExit"])
			continue
		}
		assert.Equal(t, []string{"always"}, svc["Restart"], cmd)
		assert.Contains(t, strings.Join(u["Unit"]["After"], " "), "xinyong-migrate.service", cmd)
		assert.Contains(t, strings.Join(u["Unit"]["Requires"], " "), "xinyong-migrate.service", cmd)
	}
	assert.Len(t, metricsAddrs, 2, "serve and worker listen for metrics on different ports: %v", metricsAddrs)
	for env := range metricsAddrs {
		assert.Contains(t, env, "METRICS_ADDR=")
	}
}
