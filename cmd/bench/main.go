// Command bench measures xinyong on this machine against the goals of issue 17 and prints one table.
//
//	go run ./cmd/bench                      # 1,000,000 penalties, about 10 minutes on 2 cores
//	go run ./cmd/bench -penalties 100000    # a quicker look
//
// It builds the xinyong binary, starts `xinyong dev` (in-process Temporal, the worker, the HTTP server) on a fresh
// PostgreSQL database, seeds the volumes of a city's ten years into it, and then, on that same stack in one run:
// the bare-engine baseline (one-activity workflows on the same Temporal server, measured right before registration
// and again right before the import, each ratio taken to the baseline beside it), the office and enterprise lists
// and home pages, registration with both letters, one letter, the import of 10,000 rows with every lifecycle and
// its letters, and the dev process's peak RSS. The load generator is in this command, talks to loopback only, and
// every phase is bounded in time.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgsrv"
	"xinyong/templates/letters"
)

type options struct {
	penalties   int
	duration    time.Duration
	warmup      time.Duration
	imports     int
	conns       int
	registerers int
	keep        bool
	out         string
	phases      string
	paths       string
	bin         string
}

// wants reports whether the phase named runs in this run (-phases).
func (o options) wants(phase string) bool {
	return o.phases == "" || slices.Contains(strings.Split(o.phases, ","), phase)
}

func main() {
	var o options
	flag.IntVar(&o.penalties, "penalties", 1_000_000, "penalties to seed (over penalties/10 enterprises)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each load phase runs")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second,
		"how long each load phase (the bare engine, each list and page path, registration) runs under the same load before it is measured (not counted)")
	flag.IntVar(&o.imports, "import", 10_000, "rows of the import phase (0 skips it)")
	flag.IntVar(&o.conns, "conns", 8, "connections of the list and page phases")
	flag.IntVar(&o.registerers, "clients", 16, "concurrent clients of the registration and bare-engine phases")
	flag.BoolVar(&o.keep, "keep", false, "keep the database and data folder afterwards")
	flag.StringVar(&o.out, "o", "", "also write the table (Markdown) to this file")
	flag.StringVar(&o.paths, "paths", "", "only the list and page paths whose name contains this (e.g. \"enterprise: home\")")
	flag.StringVar(&o.phases, "phases", "", "only these phases, comma-separated: lists,registration,letter,import (the bare engine runs right before registration and the import, or once; default all)")
	flag.StringVar(&o.bin, "bin", "", "run this xinyong binary instead of building one from the checkout (to compare two builds)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// row is one line of the table.
type row struct {
	path   string
	figure string
	goal   string
	met    string // "yes", "no" or "" when the line has no goal of its own
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "xinyong-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	bin := o.bin
	if bin == "" {
		logf("building xinyong")
		bin = filepath.Join(dir, "xinyong")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/xinyong")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build xinyong (run this from the repository root): %w", err)
		}
	}

	dbName := fmt.Sprintf("xinyong_bench_%d", time.Now().Unix())
	dsn, err := pgsrv.Ensure(ctx, pgsrv.Options{DataDir: pgsrv.TestDataDir(), Database: dbName, Logf: logf})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if !o.keep {
		defer dropDatabase(dsn, dbName)
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	dev, err := startDev(ctx, bin, dir, dsn, port)
	if err != nil {
		return err
	}
	defer dev.stop()
	if err := waitReady(ctx, base, dev, 3*time.Minute); err != nil {
		return err
	}
	logf("dev is ready at %s (temporal %s)", base, dev.temporal)

	db, err := storage.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	logf("seeding %d penalties", o.penalties)
	if err := db.SeedScale(ctx, o.penalties, logf); err != nil {
		return err
	}
	b := &bench{o: o, base: base, db: db, dev: dev, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
	}, reader: &fasthttp.HostClient{Addr: strings.TrimPrefix(base, "http://"), MaxConns: 64}}
	if err := b.tokens(ctx); err != nil {
		return err
	}

	var rows []row
	engine, err := b.bareEngine()
	if err != nil {
		return err
	}
	defer engine.stop()
	// The engine's rate is measured right before each phase whose ratio to it is a goal: this machine's speed drifts
	// by a fifth over minutes (its neighbours' load), and a baseline taken minutes before made the ratio follow the
	// drift rather than the code.
	regs, imports := o.wants("registration"), o.imports > 0 && o.wants("import")
	if !regs && !imports {
		_, bareRow, err := engine.measure(ctx, "")
		if err != nil {
			return err
		}
		rows = append(rows, bareRow)
	}
	if o.wants("lists") {
		rows = append(rows, b.lists(ctx)...)
	}
	if regs {
		bare, bareRow, err := engine.measure(ctx, "right before registration")
		if err != nil {
			return err
		}
		regRows, err := b.registration(ctx, bare)
		if err != nil {
			return err
		}
		rows = append(append(rows, bareRow), regRows...)
	}
	if o.wants("letter") {
		rows = append(rows, b.letter()...)
	}
	if imports {
		bare, bareRow, err := engine.measure(ctx, "right before the import")
		if err != nil {
			return err
		}
		impRows, err := b.importRows(ctx, bare)
		if err != nil {
			return err
		}
		rows = append(append(rows, bareRow), impRows...)
	}
	peak := dev.peakRSS()
	rows = append(rows, row{"`xinyong dev` peak RSS through the whole run", fmt.Sprintf("%.0f MiB", float64(peak)/(1<<20)),
		"< 1 GiB", verdict(peak > 0 && peak < 1<<30)})

	table := render(o, rows)
	fmt.Print(table)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func render(o options, rows []row) string {
	var sb strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&sb, "\nxinyong bench, %s, %d penalties over %d enterprises, %d CPUs (%s/%s, %s), host %s\n\n",
		time.Now().In(domain.Shanghai).Format("2006-01-02 15:04 MST"), o.penalties, o.penalties/10, runtime.NumCPU(),
		runtime.GOOS, runtime.GOARCH, cpuModel(), host)
	sb.WriteString("| path | measured | goal | met |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s |\n", r.path, r.figure, r.goal, r.met)
	}
	return sb.String()
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// devProcess is the `xinyong dev` child whose memory the table reports.
type devProcess struct {
	cmd      *exec.Cmd
	temporal string
	peak     atomic.Int64
	done     chan struct{}
	// gone is closed when the child's output ends: it has exited (or closed its output, which dev never does).
	gone chan struct{}
	log  string
}

func startDev(ctx context.Context, bin, dir, dsn string, port int) (*devProcess, error) {
	cmd := exec.Command(bin, "dev")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+dsn,
		"XINYONG_DATA="+filepath.Join(dir, "data"),
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		// The benchmark measures the engine under its own load only: no demo cases, no sweeps.
		"XINYONG_DEMO=off",
		"XINYONG_RECONCILE_EVERY=off",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "dev.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start xinyong dev: %w", err)
	}
	d := &devProcess{cmd: cmd, done: make(chan struct{}), gone: make(chan struct{}), log: logFile.Name()}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, "temporal:"); ok {
				select {
				case found <- strings.Fields(rest)[0]:
				default:
				}
			}
			fmt.Fprintln(logFile, line)
		}
		close(d.gone)
	}()
	go d.sample()
	select {
	case d.temporal = <-found:
		return d, nil
	case <-d.gone:
		d.stop()
		return nil, fmt.Errorf("xinyong dev exited before it was ready (log: %s)", d.log)
	case <-time.After(3 * time.Minute):
		d.stop()
		return nil, fmt.Errorf("xinyong dev printed no Temporal address within 3 minutes (log: %s)", d.log)
	case <-ctx.Done():
		d.stop()
		return nil, ctx.Err()
	}
}

// sample keeps the peak resident set of the dev process (VmHWM is the kernel's own high-water mark).
func (d *devProcess) sample() {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if kb*1024 > d.peak.Load() {
					d.peak.Store(kb * 1024)
				}
			}
		}
	}
}

func (d *devProcess) peakRSS() int64 {
	time.Sleep(600 * time.Millisecond) // one more sample
	return d.peak.Load()
}

func (d *devProcess) stop() {
	select {
	case <-d.done:
		return
	default:
		close(d.done)
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

func waitReady(ctx context.Context, base string, dev *devProcess, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dev.gone:
			return fmt.Errorf("xinyong dev exited before it was ready (log: %s)", dev.log)
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s/readyz did not answer 200 within %s", base, limit)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func dropDatabase(dsn, name string) {
	admin, err := pgsrv.WithDatabase(dsn, "postgres")
	if err != nil {
		return
	}
	db, err := storage.Open(context.Background(), admin)
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
}

// bench holds what the phases share.
type bench struct {
	o    options
	base string
	db   *storage.DB
	dev  *devProcess
	http *http.Client
	// reader is the lists' client (get).
	reader *fasthttp.HostClient

	office, department, seededDept, enterprise string // bearer tokens
	enterpriseUSCC                             string
}

func (b *bench) tokens(ctx context.Context) error {
	// An enterprise in the middle of the seeded key range (it has repairs, objections and open tasks, see
	// storage.SeedScale), a seeded department, and the demo department that registers.
	b.enterpriseUSCC = fmt.Sprintf("9%017d", b.o.penalties/20+1)
	users := []storage.NewUser{
		{Login: "bench-enterprise", DisplayName: "规模企业", Role: domain.RoleEnterprise, USCC: b.enterpriseUSCC},
		{Login: "bench-sd1", DisplayName: "规模部门1", Role: domain.RoleDepartment, DepartmentID: "sd1"},
	}
	for _, nu := range users {
		pw, err := storage.TemporaryPassword()
		if err != nil {
			return err
		}
		nu.Password = pw
		u, err := b.db.CreateUser(ctx, nu, false, storage.AuditEntry{Actor: "bench", Role: string(domain.RoleAdmin)})
		if err != nil {
			return fmt.Errorf("create %s: %w", nu.Login, err)
		}
		// A new account must change its temporary password before it may call the API; the benchmark does so.
		if err := b.db.ChangePassword(ctx, u.ID, pw, pw+"-bench", ""); err != nil {
			return fmt.Errorf("password of %s: %w", nu.Login, err)
		}
	}
	for login, dst := range map[string]*string{"office": &b.office, "sthjj": &b.department, "bench-sd1": &b.seededDept,
		"bench-enterprise": &b.enterprise} {
		u, err := b.db.UserByLogin(ctx, login)
		if err != nil {
			return fmt.Errorf("user %s: %w", login, err)
		}
		if *dst, _, err = b.db.CreateToken(ctx, u.ID, "bench"); err != nil {
			return err
		}
	}
	return nil
}

// load runs fn from conns goroutines for d and returns the latencies of the calls that succeeded, the number of
// failures and the wall time.
func load(ctx context.Context, conns int, d time.Duration, fn func(ctx context.Context, i int) error) (lat []time.Duration, failed int, firstErr error, wall time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var seq atomic.Int64
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var bad int
			var firstBad error
			for ctx.Err() == nil {
				i := int(seq.Add(1))
				t0 := time.Now()
				err := fn(context.WithoutCancel(ctx), i)
				if err != nil {
					bad++
					if firstBad == nil {
						firstBad = err
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, failed = append(lat, mine...), failed+bad
			if firstErr == nil {
				firstErr = firstBad
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, failed, firstErr, time.Since(start)
}

type stats struct {
	rate     float64
	p50, p99 time.Duration
	n, bad   int
	err      error
}

func summarize(lat []time.Duration, bad int, err error, wall time.Duration) stats {
	s := stats{n: len(lat), bad: bad, err: err}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	s.rate = float64(len(lat)) / wall.Seconds()
	s.p50 = lat[len(lat)*50/100]
	s.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	return s
}

func (s stats) figure() string {
	f := fmt.Sprintf("%.0f/s, p50 %s, p99 %s", s.rate, ms(s.p50), ms(s.p99))
	if s.bad > 0 {
		f += fmt.Sprintf(", %d failed (%v)", s.bad, s.err)
	}
	return f
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// bareEngine is the engine's own limit on this stack: one-activity workflows started and awaited by the same
// number of clients as registration, on the dev process's Temporal server, with a worker in this process.
type bareEngine struct {
	b    *bench
	tc   client.Client
	run  int64
	runs int
}

const bareQueue = "xinyong-bench-bare"

func (b *bench) bareEngine() (*bareEngine, error) {
	tc, err := client.Dial(client.Options{HostPort: b.dev.temporal, Namespace: "default",
		Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("dial temporal %s: %w", b.dev.temporal, err)
	}
	return &bareEngine{b: b, tc: tc, run: time.Now().UnixNano()}, nil
}

func (e *bareEngine) stop() { e.tc.Close() }

// measure runs the bare engine's load (after its warm-up) and returns its figures and its row, named with when.
// Its worker is started for the measure and stopped after it: a worker left idle through the lists' phase took
// seconds to pick up its first tasks again (p99 8 s).
func (e *bareEngine) measure(ctx context.Context, when string) (st stats, _ row, _ error) {
	w := worker.New(e.tc, bareQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(bareWorkflow, workflow.RegisterOptions{Name: "BenchBare"})
	w.RegisterActivity(bareActivity)
	if err := w.Start(); err != nil {
		return st, row{}, err
	}
	defer w.Stop()
	e.runs++
	bare := func(phase string) func(ctx context.Context, i int) error {
		return func(ctx context.Context, i int) error {
			wr, err := e.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: fmt.Sprintf("bench-bare-%d-%d-%s-%d", e.run, e.runs, phase, i), TaskQueue: bareQueue}, "BenchBare")
			if err != nil {
				return err
			}
			return wr.Get(ctx, nil)
		}
	}
	b := e.b
	b.warmUp(ctx, "bare engine", b.o.registerers, bare("warm-up"))
	logf("bare engine: %d clients for %s", b.o.registerers, b.o.duration)
	before := b.cpu()
	defer func() { b.perOp("bare engine", before, st.n) }()
	st = summarize(load(ctx, b.o.registerers, b.o.duration, bare("measured")))
	if st.n == 0 {
		return st, row{}, fmt.Errorf("bare engine: no workflow completed: %v", st.err)
	}
	name := "bare Temporal, one-activity workflows, " + strconv.Itoa(b.o.registerers) + " clients"
	if when != "" {
		name += ", " + when
	}
	return st, row{name, st.figure(), "(the engine's limit here)", ""}, nil
}

func bareWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, bareActivity).Get(ctx, nil)
}

func bareActivity(context.Context) error { return nil }

// get reads one page as the lists' load does. The lists' load goes through fasthttp's client (the engine Fiber
// serves with): on two cores the load generator shares the processor with the server it measures, and net/http's
// client took 0.2 ms of it per request, about a tenth of what a home page costs the server and PostgreSQL together.
func (b *bench) get(_ context.Context, token, path string) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(b.base + path)
	req.Header.Set("Authorization", "Bearer "+token)
	if err := b.reader.DoTimeout(req, resp, 30*time.Second); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode())
	}
	return nil
}

// lists measures every role's lists and home page at the seeded volume.
func (b *bench) lists(ctx context.Context) []row {
	type target struct {
		name, token, path string
		enterprise        bool
	}
	targets := []target{
		{"office: penalty list", b.office, "/api/v1/penalties?limit=50", false},
		{"office: home page and inbox", b.office, "/", false},
		{"office: task list", b.office, "/api/v1/tasks", false},
		{"department (100,000 records): penalty list", b.seededDept, "/api/v1/penalties?limit=50", false},
		{"department (100,000 records): home page", b.seededDept, "/", false},
		{"enterprise: own penalty list", b.enterprise, "/api/v1/penalties", true},
		{"enterprise: home page", b.enterprise, "/", true},
		{"enterprise: repairs", b.enterprise, "/api/v1/repairs", true},
		{"enterprise: objections", b.enterprise, "/api/v1/objections", true},
		{"enterprise: tasks", b.enterprise, "/api/v1/tasks", true},
	}
	var rows []row
	for _, t := range targets {
		if !strings.Contains(t.name, b.o.paths) {
			continue
		}
		if err := b.get(ctx, t.token, t.path); err != nil {
			rows = append(rows, row{t.name + " `" + t.path + "`", "error: " + err.Error(), "", "no"})
			continue
		}
		get := func(ctx context.Context, _ int) error { return b.get(ctx, t.token, t.path) }
		b.warmUp(ctx, t.name, b.o.conns, get)
		logf("%s: %d connections for %s", t.name, b.o.conns, b.o.duration)
		before := b.cpu()
		st := summarize(load(ctx, b.o.conns, b.o.duration, get))
		b.perOp(t.name, before, st.n)
		goal, ok := "keep (1,300/s, p99 ≈ 20 ms)", st.bad == 0 && st.p99 <= 20*time.Millisecond
		if t.enterprise {
			goal, ok = "≥ 1,000/s, p99 ≤ 20 ms", st.bad == 0 && st.rate >= 1000 && st.p99 <= 20*time.Millisecond
		}
		rows = append(rows, row{t.name + " `" + t.path + "`", st.figure(), goal, verdict(ok)})
	}
	return rows
}

// registration: POST /api/v1/penalties answered 201 with both letters, by concurrent department clients.
func (b *bench) registration(ctx context.Context, bare stats) ([]row, error) {
	run := time.Now().Unix()
	// The warm-up's decision numbers are its own (a year of run), so the measured registrations never meet them.
	b.warmUp(ctx, "registration", b.o.registerers, b.register(run))
	logf("registration: %d clients for %s", b.o.registerers, b.o.duration)
	before := b.cpu()
	st := summarize(load(ctx, b.o.registerers, b.o.duration, b.register(run+1)))
	b.perOp("registration", before, st.n)
	ratio := st.rate / bare.rate
	return []row{
		{"penalty registration (201 with both letters), " + strconv.Itoa(b.o.registerers) + " clients", st.figure(),
			"p99 ≤ 1 s", verdict(st.bad == 0 && st.n > 0 && st.p99 <= time.Second)},
		{"registration rate ÷ bare-engine rate", fmt.Sprintf("%.2f", ratio), "≥ 0.5", verdict(st.bad == 0 && ratio >= 0.5)},
	}, nil
}

// warmUp runs fn under the phase's load for -warmup and throws its figures away. A server in service has its
// connections open, its statements prepared and its pollers running: the first seconds of a phase (the pool's new
// connections preparing the path's statements, the first letters' font subsets) are a start-up, not the steady
// state the goals speak of. Registration's first two seconds took 0.7-1.2 s a request where the rest took 0.3-0.75 s.
func (b *bench) warmUp(ctx context.Context, name string, conns int, fn func(ctx context.Context, i int) error) {
	if b.o.warmup <= 0 {
		return
	}
	logf("%s: warm-up, %d connections for %s", name, conns, b.o.warmup)
	load(ctx, conns, b.o.warmup, fn)
}

// register returns the load function of registration: the i-th call registers decision 镇环罚测〔year〕i号.
func (b *bench) register(year int64) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		uscc, err := benchUSCC(i)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{
			"decision_no": fmt.Sprintf("镇环罚测〔%d〕%d号", year, i), "uscc": uscc, "enterprise_name": "镇江测速企业" + cnDigits(i),
			"decided_on": domain.Today().String(), "penalty_types": []string{"fine"}, "fine_amount_yuan": "10000",
			"facts": "超标排放", "legal_basis": "《中华人民共和国大气污染防治法》第九十九条",
		})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/penalties", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+b.department)
		req.Header.Set("Content-Type", "application/json")
		resp, err := b.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out struct {
			Letters []struct {
				Kind string `json:"kind"`
			} `json:"letters"`
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("%d %s", resp.StatusCode, out.Error.Message)
		}
		if len(out.Letters) < 2 {
			return errors.New("201 without both letters")
		}
		return nil
	}
}

// benchUSCC is a valid unified social credit code (GB 32100-2015) for the i-th registration: the benchmark's own
// range (registration department code 91, division 321100, an 'MB' body), so it never meets the demo's or the
// seed's enterprises.
func benchUSCC(i int) (string, error) {
	first := fmt.Sprintf("91321100MB%07d", i%10_000_000)
	c, err := domain.USCCCheckChar(first)
	if err != nil {
		return "", err
	}
	return first + string(c), nil
}

func cnDigits(i int) string {
	const digits = "零一二三四五六七八九"
	r := []rune(digits)
	var sb strings.Builder
	for _, d := range strconv.Itoa(i) {
		sb.WriteRune(r[d-'0'])
	}
	return sb.String()
}

// letter renders one typical 信用修复告知书 in this process, fonts loaded, as `go test -bench Letter` does.
func (b *bench) letter() []row {
	l, err := letters.Build(letters.Content{Kind: letters.KindRepairNotice, Data: letters.RepairNoticeData{
		Issue: letters.Issue{Issuer: "镇江市生态环境局", Number: "镇生态环境信修告〔2026〕12号",
			Date: time.Date(2026, 4, 1, 0, 0, 0, 0, domain.Shanghai)},
		EnterpriseName: "镇江堃元化工有限公司", USCC: "91321100MA1MXY2K09", DecisionNo: "镇环罚〔2026〕88号",
		DecidedOn: time.Date(2026, 4, 1, 0, 0, 0, 0, domain.Shanghai), ClassLabel: "一般",
		Channels: []string{"信用中国", "信用中国（江苏镇江）"}, PublicationMin: "3个月", PublicationMax: "1年",
		PublicationEnds: time.Date(2027, 4, 1, 0, 0, 0, 0, domain.Shanghai), RepairEligibleFrom: time.Date(2026, 7, 1, 0, 0, 0, 0, domain.Shanghai),
		ApplyOnline: "信用中国（江苏镇江）网站", ApplyWindow: "市政务服务中心信用修复窗口",
		AcceptWorkingDays: 3, DecideWorkingDays: 7, Contact: "0511-88888888",
	}})
	if err != nil {
		return []row{{"one letter", "error: " + err.Error(), "≤ 1 ms, ≤ 1 MB", "no"}}
	}
	if _, err := letters.Render(l); err != nil { // loads the fonts
		return []row{{"one letter", "error: " + err.Error(), "≤ 1 ms, ≤ 1 MB", "no"}}
	}
	logf("one letter: testing.Benchmark of letters.Render")
	r := testing.Benchmark(func(tb *testing.B) {
		tb.ReportAllocs()
		for tb.Loop() {
			if _, err := letters.Render(l); err != nil {
				tb.Fatal(err)
			}
		}
	})
	per := time.Duration(r.NsPerOp())
	bytesPer := r.AllocedBytesPerOp()
	return []row{{"one letter (信用修复告知书), fonts loaded", fmt.Sprintf("%s and %.2f MB allocated per letter", ms(per),
		float64(bytesPer)/(1<<20)), "≤ 1 ms and ≤ 1 MB", verdict(per <= time.Millisecond && bytesPer <= 1<<20)}}
}

// importRows uploads a CSV of o.imports rows and waits until every lifecycle has issued both its letters.
func (b *bench) importRows(ctx context.Context, bare stats) ([]row, error) {
	run := time.Now().Unix()
	var csv strings.Builder
	csv.WriteString("decision_no,uscc,enterprise_name,decided_on,penalty_types,fine_amount_yuan\n")
	for i := range b.o.imports {
		uscc, err := benchUSCC(5_000_000 + i)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&csv, "镇环罚导〔%d〕%d号,%s,镇江导入企业%s,%s,fine,%d\n", run, i+1, uscc, cnDigits(i),
			domain.Today().String(), 6000+i%90000)
	}
	// The letters are counted above the highest id before the import: counting the whole table (a million letters
	// and more) every second took PostgreSQL tens of milliseconds each time, processor the import itself needs.
	var lastID int64
	if err := b.db.GetContext(ctx, &lastID, `SELECT coalesce(max(id), 0) FROM letters`); err != nil {
		return nil, err
	}
	logf("import: %d rows", b.o.imports)
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/penalties/import", strings.NewReader(csv.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.department)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	answered := time.Since(start)
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("import: %d %s", resp.StatusCode, raw)
	}
	want := 2 * b.o.imports
	limit := time.Duration(max(600, b.o.imports/5)) * time.Second
	deadline := time.Now().Add(limit)
	var have int
	for time.Now().Before(deadline) {
		if err := b.db.GetContext(ctx, &have, `SELECT count(*) FROM letters WHERE id > $1 AND case_kind = 'penalty'`, lastID); err != nil {
			return nil, err
		}
		if have >= want {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	took := time.Since(start)
	done := have / 2
	rate := float64(done) / took.Seconds()
	figure := fmt.Sprintf("%d of %d lifecycles with both letters in %s (%.1f/s; HTTP answer in %s)", done,
		b.o.imports, took.Round(time.Second), rate, answered.Round(time.Millisecond))
	return []row{
		{fmt.Sprintf("import of %d rows, every lifecycle and its letters", b.o.imports), figure, "", ""},
		{"import rate ÷ bare-engine rate", fmt.Sprintf("%.2f", rate/bare.rate), "≥ 0.5",
			verdict(done == b.o.imports && rate/bare.rate >= 0.5)},
	}, nil
}

// quietLogger keeps the SDK's informational lines out of the table's output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(msg string, kv ...any) {
	logf("temporal: %s %v", msg, kv)
}
func (quietLogger) Error(msg string, kv ...any) {
	logf("temporal: %s %v", msg, kv)
}

// cpuUse is the processor time spent so far by the dev process, by PostgreSQL's processes and by this command
// (whose worker runs the bare-engine workflows): the cost of a phase per operation, which load elsewhere on the
// machine does not change the way it changes rates.
type cpuUse struct{ dev, pg, self time.Duration }

func (b *bench) cpu() cpuUse {
	var u cpuUse
	u.dev = procCPU(b.dev.cmd.Process.Pid)
	u.self = procCPU(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if isPostgres(pid) {
			u.pg += procCPU(pid)
			if !isPostgres(procParent(pid)) {
				// The postmaster: it holds the time of its backends and workers that have exited since.
				u.pg += procChildrenCPU(pid)
			}
		}
	}
	return u
}

func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(string(comm), "postgres")
}

// procStat is /proc/<pid>/stat after the command name: field 3 (state) is its first element.
func procStat(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(raw)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	return strings.Fields(s)
}

func procParent(pid int) int {
	f := procStat(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// procChildrenCPU is the user and system time of a process's children that have exited (fields 16 and 17).
func procChildrenCPU(pid int) time.Duration { return procTicks(pid, 13) }

// procCPU is a process's user and system time (fields 14 and 15).
func procCPU(pid int) time.Duration { return procTicks(pid, 11) }

// procTicks adds the clock ticks (10 ms) of a user and a system time field of /proc/<pid>/stat, at index i and
// i+1 of procStat.
func procTicks(pid, i int) time.Duration {
	f := procStat(pid)
	if len(f) < i+2 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[i], 10, 64)
	st, _ := strconv.ParseInt(f[i+1], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// perOp logs the processor time a phase of n operations took, per operation.
func (b *bench) perOp(phase string, before cpuUse, n int) {
	if n == 0 {
		return
	}
	after := b.cpu()
	per := func(a, b time.Duration) string { return ms((a - b) / time.Duration(n)) }
	logf("%s: processor time per operation: dev %s, postgres %s, bench %s", phase,
		per(after.dev, before.dev), per(after.pg, before.pg), per(after.self, before.self))
}
