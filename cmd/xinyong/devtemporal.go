//go:build !prod

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	tconfig "go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// devHost is where every dev Temporal port listens: this machine only.
const devHost = "127.0.0.1"

// devNamespace is the namespace `xinyong dev` registers and the worker and server use.
const devNamespace = "default"

// devRetention keeps closed workflows visible for a month, long enough to look back at cases tried in dev.
const devRetention = 30 * 24 * time.Hour

// devTemporalOptions are the knobs tests turn; `xinyong dev` uses the defaults of startDevTemporal.
type devTemporalOptions struct {
	dataDir      string
	frontendPort int // gRPC port clients dial
	httpPort     int // frontend's HTTP API (and Nexus) port; 0 picks a free one
	uiPort       int // Web UI port; 0 disables the UI
	logf         func(string, ...any)
}

// startDevTemporal runs a Temporal server inside this process, persisted in SQLite under
// <dataDir>/temporal/temporal.db so that workflows survive a kill -9 and a restart, with the frontend on
// 127.0.0.1:7233 (its HTTP API on 7243) and the Web UI on 127.0.0.1:8233, the Temporal CLI's ports. stop shuts
// both down; call it before exiting. The SQLite schema is that of the compiled-in server version: after upgrading
// go.temporal.io/server, delete <dataDir>/temporal if the server refuses the old file.
//
// The ports can be moved by environment, e.g. to run a second `xinyong dev` (or a test) beside one on the defaults;
// unset or 0 keeps the default:
//
//	XINYONG_DEV_TEMPORAL_PORT       frontend gRPC, what TEMPORAL_ADDRESS points at (default 7233)
//	XINYONG_DEV_TEMPORAL_HTTP_PORT  frontend HTTP API (default 7243)
//	XINYONG_DEV_TEMPORAL_UI_PORT    Temporal Web UI (default 8233)
//
// Use the same ports on every start of one data folder.
func startDevTemporal(ctx context.Context, dataDir string, logf func(string, ...any)) (hostPort, uiURL string, stop func(), err error) {
	o := devTemporalOptions{dataDir: dataDir, frontendPort: 7233, httpPort: 7243, uiPort: 8233, logf: logf}
	for _, p := range []struct {
		env  string
		port *int
	}{
		{"XINYONG_DEV_TEMPORAL_PORT", &o.frontendPort},
		{"XINYONG_DEV_TEMPORAL_HTTP_PORT", &o.httpPort},
		{"XINYONG_DEV_TEMPORAL_UI_PORT", &o.uiPort},
	} {
		v := strings.TrimSpace(os.Getenv(p.env))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return "", "", nil, fmt.Errorf("dev temporal: %s=%q is not a port number (0 keeps the default)", p.env, v)
		}
		if n != 0 {
			*p.port = n
		}
	}
	return startDevTemporalWith(ctx, o)
}

func startDevTemporalWith(ctx context.Context, o devTemporalOptions) (hostPort, uiURL string, stop func(), err error) {
	if o.logf == nil {
		o.logf = func(string, ...any) {}
	}
	dir, err := filepath.Abs(filepath.Join(o.dataDir, "temporal"))
	if err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: %w", err)
	}
	// Two servers on one SQLite file would corrupt each other's view of it; the kernel drops the lock on kill -9.
	unlock, err := lockOrFail(filepath.Join(dir, "lock"))
	if err != nil {
		return "", "", nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()

	hostPort = net.JoinHostPort(devHost, strconv.Itoa(o.frontendPort))
	if err := portFree(hostPort); err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: port %d is taken (another xinyong dev or temporal server?): %w",
			o.frontendPort, err)
	}
	sqlConf, err := devSQLConfig(filepath.Join(dir, "temporal.db"))
	if err != nil {
		return "", "", nil, err
	}
	if o.httpPort == 0 {
		if o.httpPort, err = freePort(); err != nil {
			return "", "", nil, fmt.Errorf("dev temporal: free port: %w", err)
		}
	}
	conf, err := devServerConfig(o.frontendPort, o.httpPort, sqlConf)
	if err != nil {
		return "", "", nil, err
	}
	logger := devServerLogger{logf: o.logf, stopping: new(atomic.Bool)}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: claim mapper: %w", err)
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(devHost, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*tconfig.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// The history service's cache of workflows' mutable states (the Temporal CLI's dev server keeps 8096;
			// XINYONG_DEV_HISTORY_CACHE, docs/performance.md "Memory"), and list pages that refresh freely.
			dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 devHistoryCacheSize(o.logf),
			dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
			// One partition a task queue: the server's default of four spreads a queue's tasks over partitions that
			// a single worker's few polls cannot all wait on, so a task often found no poll, went to the backlog and
			// was forwarded later (a registration's first workflow task waited 1.3-2.2 s for a worker about once in
			// four under load, issue 17). Several partitions serve many workers; dev has one.
			dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
			dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		}),
	)
	if err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return "", "", nil, fmt.Errorf("dev temporal: start: %w", err)
	}
	if err := waitFrontend(ctx, hostPort); err != nil {
		_ = srv.Stop()
		return "", "", nil, err
	}

	var ui *uiserver.Server
	if o.uiPort != 0 {
		ui, uiURL = startDevUI(hostPort, o.uiPort, o.logf)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			// Pollers and dialers complain while services shut down one by one; that is expected.
			logger.stopping.Store(true)
			if ui != nil {
				ui.Stop()
			}
			if err := srv.Stop(); err != nil {
				o.logf("temporal: stop: %v", err)
			}
			unlock()
		})
	}
	return hostPort, uiURL, stop, nil
}

// devSQLConfig points the server at the SQLite file, creating the schema on first start and the namespace when
// missing. The schema goes into a scratch file renamed into place when complete, so a kill during the first start
// never leaves a half-made database that later starts would take for a finished one.
func devSQLConfig(dbFile string) (*tconfig.SQL, error) {
	conf := &tconfig.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbFile,
		// WAL lets the UI's reads go on while the history service writes.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal"},
	}
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		scratch := dbFile + ".new"
		for _, f := range []string{scratch, scratch + "-journal"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("dev temporal: remove %s: %w", f, err)
			}
		}
		// Default rollback journal here: nothing is left beside the scratch file once setup returns.
		setup := &tconfig.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: scratch,
			ConnectAttributes: map[string]string{"mode": "rwc"}}
		if err := sqliteschema.SetupSchema(setup); err != nil {
			return nil, fmt.Errorf("dev temporal: create schema in %s: %w", scratch, err)
		}
		if err := os.Rename(scratch, dbFile); err != nil {
			return nil, fmt.Errorf("dev temporal: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("dev temporal: %w", err)
	}

	ns, err := sqliteschema.NewNamespaceConfig(devClusterName, devNamespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("dev temporal: namespace config: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(devRetention)
	// Registers the namespace only when missing, so a restart keeps the one that is there.
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("dev temporal: register namespace %s: %w", devNamespace, err)
	}
	return conf, nil
}

// devHistoryCacheDefault is the number of workflows the embedded history service keeps in memory: enough for the
// workflows a dev machine has in flight at once (an evicted one is reloaded from SQLite on its next task), and
// a few hundred MiB less than the CLI's 8096 once thousands of workflows have run.
const devHistoryCacheDefault = 1000

func devHistoryCacheSize(logf func(string, ...any)) int {
	v := strings.TrimSpace(os.Getenv("XINYONG_DEV_HISTORY_CACHE"))
	if v == "" {
		return devHistoryCacheDefault
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		logf("XINYONG_DEV_HISTORY_CACHE=%q is not a positive number; using %d", v, devHistoryCacheDefault)
		return devHistoryCacheDefault
	}
	return n
}

// devClusterName names the single local cluster.
const devClusterName = "active"

// devServerConfig is the Temporal CLI dev server's configuration: one shard, no archival, the frontend on the
// given port and the other services on free ports, all on 127.0.0.1.
func devServerConfig(frontendPort, httpPort int, sqlConf *tconfig.SQL) (*tconfig.Config, error) {
	var conf tconfig.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = devHost
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]tconfig.DataStore{"sqlite-default": {SQL: sqlConf}}
	frontend := net.JoinHostPort(devHost, strconv.Itoa(frontendPort))
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        devClusterName,
		CurrentClusterName:       devClusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			devClusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend,
				HTTPAddress: net.JoinHostPort(devHost, strconv.Itoa(httpPort))},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]tconfig.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		port := frontendPort
		if name != "frontend" {
			p, err := freePort()
			if err != nil {
				return nil, fmt.Errorf("dev temporal: free port for %s: %w", name, err)
			}
			port = p
		}
		svc := tconfig.Service{RPC: tconfig.RPC{GRPCPort: port, BindOnIP: devHost}}
		if name == "frontend" {
			svc.RPC.HTTPPort = httpPort
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf, nil
}

// waitFrontend returns once the frontend serves the dev namespace, so callers can start workers at once.
func waitFrontend(ctx context.Context, hostPort string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	var lastErr error
	for {
		c, err := sdkclient.DialContext(ctx, sdkclient.Options{HostPort: hostPort, Namespace: devNamespace, Logger: quiet})
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx,
				&workflowservice.DescribeNamespaceRequest{Namespace: devNamespace})
			c.Close()
			if err == nil {
				return nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("dev temporal: frontend %s not ready: %w", hostPort, lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startDevUI serves the Temporal Web UI; a busy port only costs the UI, since the UI server would otherwise exit the
// whole process when it cannot listen.
func startDevUI(frontend string, port int, logf func(string, ...any)) (*uiserver.Server, string) {
	addr := net.JoinHostPort(devHost, strconv.Itoa(port))
	if err := portFree(addr); err != nil {
		logf("temporal: no Web UI, port %d is taken: %v", port, err)
		return nil, ""
	}
	ui := uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                devHost,
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    devNamespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true, // the machine may have no internet
	}))
	go func() {
		if err := ui.Start(); err != nil {
			logf("temporal: Web UI: %v", err)
		}
	}()
	url := "http://" + addr
	// Its listener opens in the background; wait a little so the URL we print works when clicked.
	for i := 0; i < 50; i++ {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ui, url
}

// portFree tells whether addr can be listened on now.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(devHost, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// devServerLogger passes the server's warnings and errors to logf and drops the rest, which keeps `xinyong dev`
// output readable.
type devServerLogger struct {
	logf     func(string, ...any)
	stopping *atomic.Bool // set by stop: from then on nothing is passed on
	tags     []tag.Tag
}

var _ tlog.Logger = devServerLogger{}

func (devServerLogger) Debug(string, ...tag.Tag)             {}
func (devServerLogger) Info(string, ...tag.Tag)              {}
func (l devServerLogger) Warn(msg string, tags ...tag.Tag)   { l.print("warn", msg, tags) }
func (l devServerLogger) Error(msg string, tags ...tag.Tag)  { l.print("error", msg, tags) }
func (l devServerLogger) DPanic(msg string, tags ...tag.Tag) { l.print("error", msg, tags) }
func (l devServerLogger) Panic(msg string, tags ...tag.Tag)  { l.print("panic", msg, tags); panic(msg) }
func (l devServerLogger) Fatal(msg string, tags ...tag.Tag)  { l.print("fatal", msg, tags); os.Exit(1) }
func (l devServerLogger) With(tags ...tag.Tag) tlog.Logger {
	return devServerLogger{l.logf, l.stopping, append(slices.Clip(l.tags), tags...)}
}
func (l devServerLogger) Skip(extraSkip int) tlog.Logger { return l }

func (l devServerLogger) print(level, msg string, tags []tag.Tag) {
	if l.stopping.Load() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "temporal %s: %s", level, msg)
	for _, t := range slices.Concat(l.tags, tags) {
		v := fmt.Sprint(t.Value())
		if len(v) > 300 {
			v = v[:300] + "…"
		}
		fmt.Fprintf(&b, " %s=%s", t.Key(), v)
	}
	l.logf("%s", b.String())
}

// devTemporalBuiltIn: this build embeds the Temporal server and offers `xinyong dev`.
const devTemporalBuiltIn = true
