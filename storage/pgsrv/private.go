package pgsrv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxSocketPath keeps the unix socket path inside sun_path (108 bytes on Linux, with room for the NUL).
const maxSocketPath = 100

// ensurePrivate reuses or starts the private cluster and returns the DSN of opts.Database in it.
func ensurePrivate(ctx context.Context, opts Options) (string, error) {
	runner, err := newRunner()
	if err != nil {
		return "", err
	}
	dir, err := clusterDir(opts.DataDir, runner, opts.Logf)
	if err != nil {
		return "", err
	}
	// One process at a time inspects and starts the cluster; the others wait and then find it running.
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()

	admin := privateDSN(opts.Port, "postgres", true)
	if ping(ctx, admin) != nil {
		if err := startCluster(ctx, dir, opts.Port, runner, opts.Logf); err != nil {
			return "", err
		}
		if err := waitReady(ctx, admin, 60*time.Second); err != nil {
			return "", fmt.Errorf("pgsrv: cluster in %s started but does not answer (see %s): %w",
				dir, filepath.Join(dir, logName), err)
		}
	} else {
		opts.Logf("postgres: using the private cluster on 127.0.0.1:%d (%s)", opts.Port, dir)
	}
	if err := createIfMissing(ctx, admin, opts.Database); err != nil {
		return "", err
	}
	return privateDSN(opts.Port, opts.Database, false), nil
}

// logName is the server log inside the cluster folder.
const logName = "server.log"

func startCluster(ctx context.Context, dir string, port int, r *runner, logf func(string, ...any)) error {
	initdb, pgctl, err := findBinaries()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("pgsrv: create %s: %w", dir, err)
		}
		if err := r.own(dir); err != nil {
			return err
		}
		logf("postgres: creating a private cluster in %s", dir)
		if out, err := r.run(ctx, initdb, "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8",
			"--locale=C", "--no-instructions"); err != nil {
			return fmt.Errorf("pgsrv: initdb %s: %w\n%s", dir, err, out)
		}
	} else if err != nil {
		return fmt.Errorf("pgsrv: stat %s: %w", dir, err)
	}

	// The socket lives in the cluster folder so no system-wide folder (/var/run/postgresql) has to be writable.
	sock := dir
	if len(dir)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) > maxSocketPath {
		sock = ""
	}
	serverOpts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s", port, shellQuote(sock))
	logf("postgres: starting the private cluster on 127.0.0.1:%d (stop it with: pg_ctl stop -D %s)", port, dir)
	out, err := r.run(ctx, pgctl, "start", "-D", dir, "-w", "-t", "60", "-l", filepath.Join(dir, logName),
		"-o", serverOpts)
	if err != nil {
		return fmt.Errorf("pgsrv: pg_ctl start %s: %w\n%s%s", dir, err, out, tail(filepath.Join(dir, logName)))
	}
	return nil
}

// Stop shuts down the private cluster under opts.DataDir if it runs; tests that start their own cluster use it.
func Stop(ctx context.Context, opts Options) error {
	opts.defaults()
	r, err := newRunner()
	if err != nil {
		return err
	}
	dir, err := clusterDir(opts.DataDir, r, func(string, ...any) {})
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, pgctl, err := findBinaries()
	if err != nil {
		return err
	}
	if out, err := r.run(ctx, pgctl, "stop", "-D", dir, "-m", "fast", "-w"); err != nil {
		return fmt.Errorf("pgsrv: pg_ctl stop %s: %w\n%s", dir, err, out)
	}
	return nil
}

func waitReady(ctx context.Context, dsn string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := ping(ctx, dsn)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// clusterDir is <dataDir>/pg, or a folder under /var/tmp when the postgres user (whom root must run the server as)
// cannot reach dataDir: opening up the caller's parent folders behind their back is not ours to do.
func clusterDir(dataDir string, r *runner, logf func(string, ...any)) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("pgsrv: data dir %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("pgsrv: create data dir: %w", err)
	}
	dir := filepath.Join(abs, "pg")
	if r.cred == nil {
		return dir, nil
	}
	if blocked := r.untraversable(abs); blocked != "" {
		fb := filepath.Join("/var/tmp", "xinyong-pg-"+hashPath(abs))
		logf("postgres: user postgres cannot enter %s, so the private cluster lives in %s instead", blocked, fb)
		if err := os.MkdirAll(fb, 0o755); err != nil {
			return "", fmt.Errorf("pgsrv: create fallback dir: %w", err)
		}
		return filepath.Join(fb, "pg"), nil
	}
	return dir, nil
}

// runner runs initdb and pg_ctl, as the postgres system user when we are root (both refuse to run as root).
type runner struct {
	cred   *syscall.Credential
	groups map[uint32]bool
}

func newRunner() (*runner, error) {
	if os.Geteuid() != 0 {
		return &runner{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgsrv: running as root needs a postgres system user to run the server as: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	r := &runner{
		cred:   &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		groups: map[uint32]bool{uint32(gid): true},
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				r.cred.Groups = append(r.cred.Groups, uint32(g))
				r.groups[uint32(g)] = true
			}
		}
	}
	return r, nil
}

func (r *runner) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	// "/" because the postgres user may not be allowed into our working directory.
	cmd.Dir = "/"
	// Its own session, so a Ctrl-C meant for `go test` or `xinyong dev` does not reach the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: r.cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if r.cred != nil {
		cmd.Env = append(cmd.Env, "HOME=/", "USER=postgres", "LOGNAME=postgres")
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// own hands dir to the postgres user, which initdb requires of the data folder.
func (r *runner) own(dir string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("pgsrv: chown %s to postgres: %w", dir, err)
	}
	return os.Chmod(dir, 0o700)
}

// untraversable returns the first existing folder on the way to p that the postgres user may not enter, or "".
func (r *runner) untraversable(p string) string {
	var chain []string
	for d := p; ; d = filepath.Dir(d) {
		chain = append(chain, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		st, err := os.Stat(chain[i])
		if err != nil {
			return chain[i]
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		mode := st.Mode().Perm()
		var can bool
		switch {
		case sys.Uid == r.cred.Uid:
			can = mode&0o100 != 0
		case r.groups[sys.Gid]:
			can = mode&0o010 != 0
		default:
			can = mode&0o001 != 0
		}
		if !can {
			return chain[i]
		}
	}
	return ""
}

// findBinaries locates initdb and pg_ctl: on PATH first, then in the newest /usr/lib/postgresql/<version>/bin.
func findBinaries() (initdb, pgctl string, err error) {
	if i, err1 := exec.LookPath("initdb"); err1 == nil {
		if p, err2 := exec.LookPath("pg_ctl"); err2 == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { return pgVersion(dirs[a]) > pgVersion(dirs[b]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isExec(i) && isExec(p) {
			return i, p, nil
		}
	}
	return "", "", errors.New("pgsrv: no PostgreSQL server found and no initdb/pg_ctl to start one " +
		"(install the postgresql package, run `xinyong setup`, or set DATABASE_URL)")
}

func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel the wait.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("pgsrv: open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("pgsrv: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pgsrv: wait for lock %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// shellQuote quotes s for the shell pg_ctl hands -o to.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail returns the end of the server log, which explains most start failures.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "server log " + path + ":\n" + string(b)
}
