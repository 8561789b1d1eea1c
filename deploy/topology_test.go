package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/durationpb"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgsrv"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

const (
	topologyNamespace = "xinyong"
	topologyPenalties = 200 // registered before the kill
	cohortPenalties   = 40  // registered during the network cut, revoked after the upgrade
	apiPort           = "18080"
	metricsPort       = "19090"
	upgradeProbeMemo  = "completed_by_build" // cmd/xinyong/upgradeprobe.go
)

// TestProductionTopology is issue 18's acceptance 1: xinyong as a province runs it. A standalone Temporal server
// (built from go.temporal.io/server's cmd/server, its PostgreSQL schema applied by the module's own SQL tool from
// the module's schema files) runs as its own process; `xinyong migrate` prepares the database; two workers and
// two API servers, each a production build (-tags prod) in its own network namespace, reach Temporal and
// PostgreSQL over veth links; five channel systems served by the test take the webhooks. Then:
//
//  1. 200 penalties are registered across both API servers and published on every channel; all are revoked, and
//     while the withdrawal fan-out is in flight on both workers one worker is killed with SIGKILL: every case
//     completes and every channel applies each notification exactly once.
//  2. While 40 more penalties are registered and published, one worker's network is cut for 30 s: it comes back
//     by itself, and nothing is lost or duplicated.
//  3. The workers are replaced by a new build whose penalty workflow changed behind workflow.GetVersion
//     (cmd/xinyong/upgradeprobe.go); the 40 penalties started on the old build are revoked and complete on the
//     new one, through the new branch.
func TestProductionTopology(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (iproute2)")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	dir := t.TempDir()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(began).Seconds(), what) }

	// Binaries: the Temporal server and its SQL tool from the module, xinyong's production build and its next
	// release. Built in parallel; the build cache makes this quick after the first run.
	bins := map[string]string{
		"temporal-server":   filepath.Join(dir, "temporal-server"),
		"temporal-sql-tool": filepath.Join(dir, "temporal-sql-tool"),
		"xinyong":           filepath.Join(dir, "xinyong"),
		"xinyong-next":      filepath.Join(dir, "xinyong-next"),
	}
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for name, args := range map[string][]string{
		"temporal-server":   {"go.temporal.io/server/cmd/server"},
		"temporal-sql-tool": {"go.temporal.io/server/cmd/tools/sql"},
		"xinyong":           {"-tags", "prod", "xinyong/cmd/xinyong"},
		"xinyong-next":      {"-tags", "prod,upgradeprobe", "xinyong/cmd/xinyong"},
	} {
		g.Go(func() error {
			out, err := exec.CommandContext(ctx, "go", append([]string{"build", "-o", bins[name]}, args...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("go build %s: %v\n%s", name, err, out)
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server").Output()
	require.NoError(t, err)
	temporalModule := strings.TrimSpace(string(out))
	step("built the Temporal server, its SQL tool and both xinyong releases")

	// Network.
	lab := newNetLab(t)
	hosts := map[string]*labHost{"w1": lab.host("w1", 1), "w2": lab.host("w2", 2), "s1": lab.host("s1", 3), "s2": lab.host("s2", 4)}

	// PostgreSQL: three fresh databases on the test's server; the hosts reach it through a proxy on the service
	// address (the server itself listens on loopback).
	adminDSN := pgtest.DSN(t) // also makes sure a server runs
	pgURL, err := url.Parse(adminDSN)
	require.NoError(t, err)
	pgHost, pgPort := pgURL.Hostname(), pgURL.Port()
	pgUser := pgURL.User.Username()
	admin, err := storage.Open(ctx, adminDSN)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	dbs := map[string]string{}
	for _, k := range []string{"app", "temporal", "visibility"} {
		name := "xytopo_" + lab.tag + "_" + k
		dbs[k] = name
		_, err := admin.ExecContext(ctx, "CREATE DATABASE "+name)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		})
	}
	proxy := newTCPProxy(t, net.JoinHostPort(lab.svcIP, "0"), net.JoinHostPort(pgHost, pgPort))
	appDSNLocal, err := pgsrv.WithDatabase(adminDSN, dbs["app"])
	require.NoError(t, err)
	appDSNRemote := strings.Replace(appDSNLocal, net.JoinHostPort(pgHost, pgPort), proxy.addr(), 1)

	// Temporal's schema, by its own tool and files.
	for _, s := range []struct{ db, dir string }{{dbs["temporal"], "temporal"}, {dbs["visibility"], "visibility"}} {
		base := []string{"--plugin", "postgres12", "--ep", pgHost, "--port", pgPort, "--user", pgUser, "--db", s.db}
		sh(t, bins["temporal-sql-tool"], append(base, "setup-schema", "-v", "0.0")...)
		sh(t, bins["temporal-sql-tool"], append(base, "update-schema", "-d",
			filepath.Join(temporalModule, "schema", "postgresql", "v12", s.dir, "versioned"))...)
	}
	step("applied Temporal's PostgreSQL schema")

	// The Temporal server, its own process, on the service address.
	frontend, temporalProc := startTemporalServer(t, bins["temporal-server"], dir, lab.svcIP, pgHost, pgPort, pgUser, dbs)
	tc := dialTemporal(t, ctx, frontend, "default", temporalProc)
	nsc, err := sdkclient.NewNamespaceClient(sdkclient.Options{HostPort: frontend, Logger: quietLogger()})
	require.NoError(t, err)
	defer nsc.Close()
	require.NoError(t, nsc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: topologyNamespace, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}))
	tc.Close()
	tc = dialTemporal(t, ctx, frontend, topologyNamespace, temporalProc)
	defer tc.Close()
	eventually(t, time.Minute, "the namespace is usable", func() (bool, string) {
		_, err := tc.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		return err == nil, fmt.Sprint(err)
	})
	step("Temporal server up, namespace registered")

	// xinyong migrate, once per release; the reference data a province loads (departments, users, channels).
	migrate := exec.Command(bins["xinyong"], "migrate")
	migrate.Env = append(os.Environ(), "DATABASE_URL="+appDSNLocal)
	out, err = migrate.CombinedOutput()
	require.NoError(t, err, "xinyong migrate: %s", out)
	db, err := storage.Open(ctx, appDSNLocal)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.SeedDemo(ctx))
	channelIDs := make([]string, 0, len(storage.DemoChannels))
	for _, ch := range storage.DemoChannels {
		channelIDs = append(channelIDs, ch.ID)
	}
	require.Len(t, channelIDs, 5, "five channels")
	caPath := filepath.Join(dir, "channels-ca.pem")
	chans := newChannelSystems(t, lab.svcIP, caPath, channelIDs)

	// The processes.
	env := func(h *labHost) []string {
		return []string{
			"DATABASE_URL=" + appDSNRemote, "TEMPORAL_ADDRESS=" + frontend, "TEMPORAL_NAMESPACE=" + topologyNamespace,
			"HTTP_ADDR=" + net.JoinHostPort(h.ip, apiPort), "METRICS_ADDR=" + net.JoinHostPort(h.ip, metricsPort),
			"XINYONG_BASE_URL=https://credit.example.gov.cn", "XINYONG_CHANNEL_ALLOW_HOSTS=" + lab.svcIP,
			"XINYONG_CHANNEL_SIMULATOR=", "LOG_FORMAT=json", "SSL_CERT_FILE=" + caPath,
			// Four processes and the Temporal server share one PostgreSQL (max_connections 100) with the other
			// packages' tests running beside this one: ten connections each, as a deployment sizes its pools.
			"XINYONG_DB_MAX_CONNS=10",
		}
	}
	newProc := func(name, bin, cmd string) *proc {
		h := hosts[name[:2]]
		return &proc{t: t, name: name, ns: h.ns, argv: []string{bin, cmd}, env: env(h), logPath: filepath.Join(dir, name+".log")}
	}
	w1, w2 := newProc("w1", bins["xinyong"], "worker"), newProc("w2", bins["xinyong"], "worker")
	s1, s2 := newProc("s1", bins["xinyong"], "serve"), newProc("s2", bins["xinyong"], "serve")
	for _, p := range []*proc{w1, w2, s1, s2} {
		p.start()
	}
	hc := &http.Client{Timeout: 90 * time.Second}
	ready := func(h *labHost, port string) func() (bool, string) {
		return func() (bool, string) {
			resp, err := hc.Get("http://" + net.JoinHostPort(h.ip, port) + "/readyz")
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == 200, resp.Status
		}
	}
	for _, p := range []*proc{w1, w2} {
		eventually(t, time.Minute, p.name+" ready", ready(hosts[p.name], metricsPort), p)
	}
	for _, p := range []*proc{s1, s2} {
		eventually(t, time.Minute, p.name+" ready", ready(hosts[p.name], apiPort), p)
	}
	step("two workers and two API servers ready, each in its own network namespace")

	apis := []*topoAPI{{hc: hc, base: "http://" + net.JoinHostPort(hosts["s1"].ip, apiPort)},
		{hc: hc, base: "http://" + net.JoinHostPort(hosts["s2"].ip, apiPort)}}
	office, sthjj := issueToken(t, db, "office"), issueToken(t, db, "sthjj")
	for _, ch := range storage.DemoChannels {
		var res map[string]any
		status, err := apis[0].call(ctx, "PUT", "/api/v1/channels/"+ch.ID, office, map[string]any{
			"name": ch.Name, "kind": "webhook", "deadline_workdays": ch.DeadlineWorkdays,
			"endpoint_url": chans.url(ch.ID), "secret": chans.secrets[ch.ID]}, &res)
		require.NoError(t, err)
		require.Equal(t, 200, status, "channel %s as a webhook: %v", ch.ID, res)
	}

	registerErr := func(from, n int) ([]int64, error) {
		ids := make([]int64, n)
		err := parallel(ctx, n, 8, func(ctx context.Context, i int) error {
			ent := storage.DemoEnterprises[(from+i)%len(storage.DemoEnterprises)]
			var p struct {
				ID int64 `json:"id"`
			}
			status, err := apis[(from+i)%2].call(ctx, "POST", "/api/v1/penalties", sthjj, map[string]any{
				"decision_no": fmt.Sprintf("镇环罚〔2026〕T%s%04d号", lab.tag, from+i), "uscc": ent.USCC, "enterprise_name": ent.Name,
				"decided_on": domain.Today().AddDays(-1).String(), "penalty_types": []string{"fine"}, "fine_amount_yuan": 30000,
				"facts": "超标排放大气污染物", "legal_basis": "《中华人民共和国大气污染防治法》"}, &p)
			if err != nil || status != 201 {
				return fmt.Errorf("register %d on %s: status %d: %v", from+i, apis[(from+i)%2].base, status, err)
			}
			ids[i] = p.ID
			return nil
		})
		return ids, err
	}
	register := func(from, n int) []int64 {
		ids, err := registerErr(from, n)
		require.NoError(t, err)
		return ids
	}
	revoke := func(ids []int64) {
		err := parallel(ctx, len(ids), 8, func(ctx context.Context, i int) error {
			var res map[string]any
			status, err := apis[i%2].call(ctx, "POST", fmt.Sprintf("/api/v1/penalties/%d/revocation", ids[i]), sthjj,
				map[string]any{"reason": "行政复议决定撤销原处罚决定（镇政复决〔2026〕9号）"}, &res)
			if err != nil || status != 200 {
				return fmt.Errorf("revoke %d: status %d %v: %v", ids[i], status, res, err)
			}
			return nil
		})
		require.NoError(t, err)
	}
	countWhere := func(query string, args ...any) int {
		var n int
		require.NoError(t, db.GetContext(ctx, &n, query, args...))
		return n
	}
	allPublished := func(ids []int64) func() (bool, string) {
		return func() (bool, string) {
			n := countWhere(`SELECT count(*) FROM publications WHERE status = 'published' AND penalty_id = ANY($1)`, pgArray(ids))
			return n == len(ids)*len(channelIDs), fmt.Sprintf("%d of %d published; channels: %s", n, len(ids)*len(channelIDs), chans.summary())
		}
	}
	allCompleted := func(ids []int64, watch ...*proc) {
		eventually(t, 4*time.Minute, fmt.Sprintf("%d withdrawals complete", len(ids)), func() (bool, string) {
			n := countWhere(`SELECT count(*) FROM withdrawals WHERE status = 'completed' AND penalty_id = ANY($1)`, pgArray(ids))
			return n == len(ids), fmt.Sprintf("%d of %d completed; channels: %s", n, len(ids), chans.summary())
		}, watch...)
		eventually(t, 2*time.Minute, fmt.Sprintf("%d penalty workflows complete", len(ids)), func() (bool, string) {
			for _, id := range ids {
				d, err := tc.DescribeWorkflowExecution(ctx, workflows.PenaltyWorkflowID(id), "")
				if err != nil {
					return false, err.Error()
				}
				if s := d.WorkflowExecutionInfo.Status; s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
					return false, fmt.Sprintf("penalty %d: %s", id, s)
				}
			}
			return true, ""
		}, watch...)
	}

	// 1. 200 penalties across both API servers, published everywhere; revoked; kill -9 of w1 mid fan-out.
	first := register(0, topologyPenalties)
	step("registered 200 penalties across both API servers")
	eventually(t, 3*time.Minute, "every penalty is published on every channel", allPublished(first), w1, w2, s1, s2)
	step("all 1,000 publications confirmed")
	chans.setHolding(true)
	revoke(first)
	step("revoked all 200; withdrawal fan-out in flight")
	eventually(t, 2*time.Minute, "both workers have withdrawal calls in flight", func() (bool, string) {
		return chans.heldBy(hosts["w1"].ip) >= 5 && chans.heldBy(hosts["w2"].ip) >= 5, chans.summary()
	}, w1, w2)
	w1.kill9()
	chans.setHolding(false)
	step("killed w1 (SIGKILL) with calls in flight: " + chans.summary())
	allCompleted(first, w2, s1, s2)
	_, _, _, cut, _ := chans.stats()
	assert.Positive(t, cut, "the kill cut calls in flight, which other workers then redelivered")
	step("all 200 withdrawals and penalty workflows completed after the kill: " + chans.summary())

	// 2. w1 comes back; w2's network is cut for 30 s while 40 penalties are registered and published.
	w1.start()
	eventually(t, time.Minute, "w1 ready again", ready(hosts["w1"], metricsPort), w1)
	var cohort []int64
	var regErr error
	var regWG sync.WaitGroup
	regWG.Add(1)
	go func() { defer regWG.Done(); cohort, regErr = registerErr(10000, cohortPenalties) }()
	// Cut once the batch is under way, so that w2 has workflow tasks and activities of it when its link goes.
	eventually(t, time.Minute, "the batch is under way", func() (bool, string) {
		n := countWhere(`SELECT count(*) FROM penalties WHERE decision_no LIKE $1`, "%〔2026〕T"+lab.tag+"1%")
		return n >= 8, fmt.Sprintf("%d registered", n)
	}, w1, w2, s1, s2)
	lab.setLink(hosts["w2"], false)
	cutAt := time.Now()
	step("cut w2's network with the batch under way")
	time.Sleep(30*time.Second - time.Since(cutAt))
	lab.setLink(hosts["w2"], true)
	upAt := time.Now()
	step("restored w2's network after 30 s")
	regWG.Wait()
	require.NoError(t, regErr, "registrations during the cut (the API servers' network is intact)")
	eventually(t, 3*time.Minute, "the 40 penalties are published everywhere", allPublished(cohort), w1, w2, s1, s2)
	require.True(t, w2.running(), "w2 survived the cut")
	eventually(t, 2*time.Minute, "w2 polls Temporal again", func() (bool, string) {
		if ok, why := ready(hosts["w2"], metricsPort)(); !ok {
			return false, why
		}
		d, err := tc.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range d.Pollers {
			if strings.HasPrefix(p.Identity, strconv.Itoa(w2.pid())+"@") && p.LastAccessTime.AsTime().After(upAt) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("pollers %v", d.Pollers)
	}, w2)
	assert.Equal(t, 2*cohortPenalties, countWhere(`SELECT count(*) FROM letters WHERE case_kind = 'penalty' AND case_id = ANY($1)`, pgArray(cohort)),
		"两书同送: two letters per penalty, none lost or doubled by the cut")
	step("w2 recovered by itself; the 40 penalties published")

	// 3. Upgrade: stop the old workers, start the next release's, revoke the penalties started on the old one.
	w1.stop(time.Minute)
	w2.stop(time.Minute)
	n1, n2 := newProc("w1-next", bins["xinyong-next"], "worker"), newProc("w2-next", bins["xinyong-next"], "worker")
	n1.start()
	n2.start()
	eventually(t, time.Minute, "next release's workers ready", func() (bool, string) {
		a, why := ready(hosts["w1"], metricsPort)()
		b, why2 := ready(hosts["w2"], metricsPort)()
		return a && b, why + " / " + why2
	}, n1, n2)
	step("replaced both workers by the next release")
	revoke(cohort)
	allCompleted(cohort, n1, n2, s1, s2)
	for _, id := range cohort {
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.PenaltyWorkflowID(id), "")
		require.NoError(t, err)
		f := d.WorkflowExecutionInfo.GetMemo().GetFields()[upgradeProbeMemo]
		require.NotNil(t, f, "penalty %d: started on the old release, finished through the new branch", id)
		var build string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(f, &build))
		assert.Equal(t, "upgradeprobe", build)
	}
	for _, id := range first[:5] {
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.PenaltyWorkflowID(id), "")
		require.NoError(t, err)
		assert.Nil(t, d.WorkflowExecutionInfo.GetMemo().GetFields()[upgradeProbeMemo], "finished on the old release")
	}
	step("the 40 workflows started on the old release completed on the new one")

	// Nothing lost, nothing applied twice, on any channel.
	all := append(append([]int64{}, first...), cohort...)
	var wds []struct {
		ID        int64 `db:"id"`
		PenaltyID int64 `db:"penalty_id"`
	}
	require.NoError(t, db.SelectContext(ctx, &wds, `SELECT id, penalty_id FROM withdrawals WHERE penalty_id = ANY($1)`, pgArray(all)))
	require.Len(t, wds, len(all), "one withdrawal order per penalty")
	applied := chans.appliedKeys()
	for _, ch := range channelIDs {
		want := map[string]int{}
		for _, id := range all {
			want[activities.PublicationIdempotencyKey(id, ch)] = 1
		}
		for _, w := range wds {
			want[activities.WithdrawalIdempotencyKey(w.ID, ch)] = 1
		}
		assert.Equal(t, want, applied[ch], "%s applied each publication and withdrawal exactly once, none missing", ch)
	}
	deliveries, redeliveries, changed, _, badSigs := chans.stats()
	assert.Zero(t, changed, "a redelivery repeats the first call's body byte for byte")
	assert.Zero(t, badSigs)
	assert.Positive(t, redeliveries, "the kill and the cut made redeliveries, which the channels absorbed")
	assert.Equal(t, 0, countWhere(`SELECT count(*) FROM withdrawal_channels wc JOIN withdrawals w ON w.id = wc.withdrawal_id
		WHERE w.penalty_id = ANY($1) AND wc.status <> 'confirmed'`, pgArray(all)))
	assert.Equal(t, 0, countWhere(`SELECT count(*) FROM publications WHERE penalty_id = ANY($1) AND status <> 'withdrawn'`, pgArray(all)))
	assert.Equal(t, 0, countWhere(`SELECT count(*) FROM (SELECT case_id, details->>'channel_id' FROM audit_log
		WHERE action = 'withdrawal.channel_confirmed' GROUP BY 1, 2 HAVING count(*) <> 1) x`), "one confirmation per order and channel")
	assert.Equal(t, len(all)*len(channelIDs), countWhere(`SELECT count(*) FROM audit_log WHERE action = 'withdrawal.channel_confirmed'`))
	step(fmt.Sprintf("verified: %d deliveries, %d redeliveries absorbed, every key applied once", deliveries, redeliveries))
}

// pgArray is ids as a PostgreSQL array literal, for "= ANY($1)" on bigint and text columns alike.
func pgArray(ids []int64) any {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func quietLogger() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func dialTemporal(t *testing.T, ctx context.Context, hostPort, namespace string, server *proc) sdkclient.Client {
	t.Helper()
	var c sdkclient.Client
	eventually(t, 2*time.Minute, "Temporal frontend answers", func() (bool, string) {
		var err error
		c, err = sdkclient.DialContext(ctx, sdkclient.Options{HostPort: hostPort, Namespace: namespace, Logger: quietLogger()})
		if err != nil {
			return false, err.Error()
		}
		if _, err = c.CheckHealth(ctx, &sdkclient.CheckHealthRequest{}); err != nil {
			c.Close()
			return false, err.Error()
		}
		return true, ""
	}, server)
	return c
}

func issueToken(t *testing.T, db *storage.DB, login string) string {
	t.Helper()
	u, err := db.UserByLogin(context.Background(), login)
	require.NoError(t, err)
	tok, _, err := db.CreateToken(context.Background(), u.ID, "topology-test")
	require.NoError(t, err)
	return tok
}

type topoAPI struct {
	hc   *http.Client
	base string
}

func (a *topoAPI) call(ctx context.Context, method, path, token string, body, out any) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("status %d, body %.300s", resp.StatusCode, data)
		}
	}
	return resp.StatusCode, nil
}

// startTemporalServer writes a configuration for PostgreSQL persistence with every service bound to ip, starts
// the server as its own process and returns the frontend's address.
func startTemporalServer(t *testing.T, bin, dir, ip, pgHost, pgPort, pgUser string, dbs map[string]string) (string, *proc) {
	t.Helper()
	// Temporal stores membership ports as smallint: pick free ports below 32768, not the kernel's ephemeral ones.
	ports := make([]int, 0, 9)
	for len(ports) < 9 {
		b := randHex(2)
		n, _ := strconv.ParseUint(b, 16, 16)
		port := 20000 + int(n)%12000
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil || slices.Contains(ports, port) {
			continue
		}
		ln.Close()
		ports = append(ports, port)
	}
	frontend := net.JoinHostPort(ip, strconv.Itoa(ports[0]))
	store := func(db string) string {
		return fmt.Sprintf(`      sql:
        pluginName: postgres12
        databaseName: %s
        connectAddr: "%s"
        connectProtocol: tcp
        user: %s
        password: ""
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
`, db, net.JoinHostPort(pgHost, pgPort), pgUser)
	}
	svc := func(name string, grpc, member int, extra string) string {
		return fmt.Sprintf("  %s:\n    rpc:\n      grpcPort: %d\n      membershipPort: %d\n      bindOnIP: %s\n%s", name, grpc, member, ip, extra)
	}
	cfg := "log:\n  stdout: true\n  level: warn\n" +
		"persistence:\n  defaultStore: default\n  visibilityStore: visibility\n  numHistoryShards: 4\n  datastores:\n" +
		"    default:\n" + store(dbs["temporal"]) + "    visibility:\n" + store(dbs["visibility"]) +
		fmt.Sprintf("global:\n  membership:\n    maxJoinDuration: 30s\n    broadcastAddress: %s\n", ip) +
		"services:\n" +
		svc("frontend", ports[0], ports[1], fmt.Sprintf("      httpPort: %d\n", ports[8])) +
		svc("history", ports[2], ports[3], "") +
		svc("matching", ports[4], ports[5], "") +
		svc("worker", ports[6], ports[7], "") +
		"clusterMetadata:\n  enableGlobalNamespace: false\n  failoverVersionIncrement: 10\n  masterClusterName: active\n" +
		"  currentClusterName: active\n  clusterInformation:\n    active:\n      enabled: true\n      initialFailoverVersion: 1\n" +
		"      rpcName: frontend\n      rpcAddress: " + frontend + "\n" +
		"dcRedirectionPolicy:\n  policy: noop\n"
	path := filepath.Join(dir, "temporal.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o644))
	p := &proc{t: t, name: "temporal-server", argv: []string{bin, "--config-file", path, "--allow-no-auth", "start"},
		logPath: filepath.Join(dir, "temporal-server.log")}
	p.start()
	return frontend, p
}
