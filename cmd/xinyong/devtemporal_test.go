//go:build !prod

package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// devHelperEnv makes TestDevTemporalHelperProcess run a dev server (data dir and port in the value) until killed.
const devHelperEnv = "XINYONG_DEVTEMPORAL_HELPER"

const devTestQueue = "devtemporal-test"

func devTestGreet(ctx workflow.Context, name string) (string, error) {
	// A timer, so the history holds more than a start and an end.
	if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
		return "", err
	}
	return "你好，" + name, nil
}

// TestDevTemporalHelperProcess is the server that TestDevTemporalSurvivesKill kills with SIGKILL; alone it does nothing.
func TestDevTemporalHelperProcess(t *testing.T) {
	spec := os.Getenv(devHelperEnv)
	if spec == "" {
		return
	}
	dir, portStr, _ := strings.Cut(spec, ",")
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)
	hostPort, _, _, err := startDevTemporalWith(context.Background(),
		devTemporalOptions{dataDir: dir, frontendPort: port, logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	require.NoError(t, err)
	fmt.Println("READY " + hostPort)
	time.Sleep(10 * time.Minute)
}

// TestDevTemporalSurvivesKill runs a workflow on a dev server in another process, kills that process with SIGKILL,
// and finds the workflow completed after starting the server again on the same folder, in this process, twice.
func TestDevTemporalSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Temporal servers")
	}
	dir := t.TempDir()
	port := mustFreePort(t)

	// First life: another process, so that the kill is a real kill -9 of a process holding the SQLite file.
	cmd := exec.Command(os.Args[0], "-test.run=^TestDevTemporalHelperProcess$")
	cmd.Env = append(os.Environ(), devHelperEnv+"="+dir+","+strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if hp, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- hp
				return
			}
		}
		close(ready)
	}()
	var hostPort string
	select {
	case hp, ok := <-ready:
		require.True(t, ok, "helper exited before its server was ready")
		hostPort = hp
	case <-time.After(2 * time.Minute):
		t.Fatal("helper server not ready within 2 minutes")
	}
	require.Equal(t, "with kill", runGreet(t, hostPort, "first", "with kill")[len("你好，"):])
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.FileExists(t, filepath.Join(dir, "temporal", "temporal.db"))

	// Second life, in this process, with the Web UI.
	for life := 2; life <= 3; life++ {
		logf, quiet := testLogf(t)
		t.Cleanup(quiet)
		uiPort := mustFreePort(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		hp, uiURL, stop, err := startDevTemporalWith(ctx, devTemporalOptions{dataDir: dir, frontendPort: port, uiPort: uiPort, logf: logf})
		cancel()
		require.NoError(t, err)
		t.Cleanup(stop)
		require.Equal(t, hostPort, hp)
		require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", uiPort), uiURL)

		c := dialTest(t, hp)
		requireCompleted(t, c, "first")
		if life == 3 {
			requireCompleted(t, c, "second")
		}
		resp, err := http.Get(uiURL + "/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		// A second server on the same folder is refused while this one runs.
		_, _, _, err = startDevTemporalWith(context.Background(), devTemporalOptions{dataDir: dir, frontendPort: mustFreePort(t)})
		require.ErrorContains(t, err, "in use by another process")

		if life == 2 {
			require.Equal(t, "你好，again", runGreet(t, hp, "second", "again"))
		}
		c.Close()
		stop()
	}
}

// runGreet runs devTestGreet to completion with a worker of its own and returns its result.
func runGreet(t *testing.T, hostPort, id, name string) string {
	t.Helper()
	c := dialTest(t, hostPort)
	defer c.Close()
	w := worker.New(c, devTestQueue, worker.Options{})
	w.RegisterWorkflow(devTestGreet)
	require.NoError(t, w.Start())
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{ID: id, TaskQueue: devTestQueue}, devTestGreet, name)
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(ctx, &out))
	return out
}

// requireCompleted checks that workflow id closed as completed and its history ends with the completion event.
func requireCompleted(t *testing.T, c sdkclient.Client, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.WorkflowExecutionInfo.Status)
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, it.HasNext())
	ev, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, ev.EventType)
}

func dialTest(t *testing.T, hostPort string) sdkclient.Client {
	t.Helper()
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: hostPort, Namespace: devNamespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	return c
}

// testLogf logs through t until quiet is called: the server's goroutines may still log after a test ends, and
// t.Logf then panics.
func testLogf(t *testing.T) (logf func(string, ...any), quiet func()) {
	var off atomic.Bool
	return func(f string, a ...any) {
			if !off.Load() {
				t.Logf(f, a...)
			}
		}, func() {
			off.Store(true)
		}
}

// mustFreePort returns a port that is free now and below the kernel's range of ephemeral ports. Tests restart a
// process on the ports it was given (a second life of `xinyong dev`); an ephemeral port, free when asked, can be
// handed in between to any other test's outgoing connection, and the restart then fails to bind.
func mustFreePort(t *testing.T) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	for range 100 {
		p := 10000 + rand.IntN(low-10000)
		if l, err := net.Listen("tcp", net.JoinHostPort(devHost, strconv.Itoa(p))); err == nil {
			l.Close()
			return p
		}
	}
	p, err := freePort()
	require.NoError(t, err)
	return p
}
