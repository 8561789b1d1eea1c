//go:build !prod

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xinyong/demo"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// demoResetHelperEnv makes TestDemoResetHelperProcess run `xinyong demo reset`.
const demoResetHelperEnv = "XINYONG_DEMO_RESET_HELPER"

// TestDemoResetHelperProcess is `xinyong demo reset` in a child process for TestDevDemoCity; alone it does nothing.
func TestDemoResetHelperProcess(t *testing.T) {
	if os.Getenv(demoResetHelperEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	if err := runDemoCommand(ctx, []string{"reset"}); err != nil {
		fmt.Fprintf(os.Stderr, "xinyong demo reset: %v\n", err)
		os.Exit(1)
	}
}

// TestDevDemoCity is issue 20's acceptance 1 for the whole `dev` process: on a fresh data folder and database,
// dev answers /readyz and makes the demo city in the background; the API then shows cases in every promised
// state. A second start adds nothing; `demo reset` (with dev stopped) wipes everything and makes the city again.
func TestDevDemoCity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts `xinyong dev` three times")
	}
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db, err := storage.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	httpPort, temporalPort := mustFreePort(t), mustFreePort(t)
	env := []string{
		devKillHelperEnv + "=1",
		"DATABASE_URL=" + dsn,
		"XINYONG_DATA=" + t.TempDir(),
		"HTTP_ADDR=" + fmt.Sprintf("127.0.0.1:%d", httpPort),
		"XINYONG_BASE_URL=",
		"TEMPORAL_NAMESPACE=" + devNamespace,
		"XINYONG_DEV_TEMPORAL_PORT=" + strconv.Itoa(temporalPort),
		"XINYONG_DEV_TEMPORAL_HTTP_PORT=" + strconv.Itoa(mustFreePort(t)),
		"XINYONG_DEV_TEMPORAL_UI_PORT=" + strconv.Itoa(mustFreePort(t)),
	}
	logPath := filepath.Join(t.TempDir(), "dev.log")
	dev := &devChild{t: t, logPath: logPath, env: env}
	t.Cleanup(dev.stop)
	api := &devAPI{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), client: &http.Client{Timeout: 30 * time.Second}}
	// A client per census: `demo reset` wipes the users, and with them the tokens an earlier client holds.
	client := func() *demo.Client {
		return &demo.Client{Base: api.base, Token: func(ctx context.Context, login string) (string, error) {
			u, err := db.UserByLogin(ctx, login)
			if err != nil {
				return "", err
			}
			tok, _, err := db.CreateToken(ctx, u.ID, "demo-test")
			return tok, err
		}}
	}
	waitCity := func(d *devChild) demo.Census {
		t.Helper()
		api.eventually(20*time.Minute, "the demo city is made (demo.completed in the audit log)", func() (bool, string) {
			st, err := db.DemoRunState(ctx)
			if err != nil {
				return false, err.Error()
			}
			return st.Completed, fmt.Sprintf("%+v", st)
		}, d)
		n, err := client().Count(ctx)
		require.NoError(t, err)
		if missing := n.Missing(); len(missing) > 0 {
			// The completion marker carries the run's summary, with the stories that failed and why.
			var summary string
			_ = db.GetContext(ctx, &summary, `SELECT details::text FROM audit_log WHERE dedup_key = $1`, storage.DemoCompletedAction)
			require.Empty(t, missing, "states missing from the demo city: %v; the run's summary: %s", n, summary)
		}
		return n
	}

	// First start: ready at once, the city follows.
	started := time.Now()
	dev.start()
	dev.waitReady(api, 3*time.Minute)
	t.Logf("dev ready after %s", time.Since(started).Round(time.Millisecond))
	first := waitCity(dev)
	t.Logf("demo city after %s: %v", time.Since(started).Round(time.Second), first)
	dev.stop()

	// Second start: nothing is added.
	dev.start()
	dev.waitReady(api, 3*time.Minute)
	time.Sleep(10 * time.Second) // time enough for a second city to have started
	again, err := client().Count(ctx)
	require.NoError(t, err)
	require.Equal(t, first["penalties"], again["penalties"], "a second start adds no penalties")
	require.Equal(t, first["training"], again["training"], "nor trainings")
	dev.stop()

	// demo reset: everything wiped, the city made again.
	reset := &devChild{t: t, logPath: logPath, helper: "TestDemoResetHelperProcess",
		env: append(append([]string{}, env...), demoResetHelperEnv+"=1")}
	t.Cleanup(reset.stop)
	reset.start()
	reset.waitReady(api, 3*time.Minute)
	after := waitCity(reset)
	require.Equal(t, first["penalties"], after["penalties"], "demo reset restores the same city")
	reset.stop()
}
