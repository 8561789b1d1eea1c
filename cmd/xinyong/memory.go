package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"
)

// workerTuning is the worker's memory/concurrency settings (docs/performance.md, "Memory"), read from the
// environment by `xinyong worker` and `xinyong dev` alike. Zero keeps the SDK's default. Smaller limits (a cache of
// 1,000, 64/32/64 at once) lowered dev's peak RSS in a quick benchmark but slowed an import by a third and left the
// demo city short of a story on a loaded machine, so they are not dev's defaults; set them where memory matters
// more than speed.
type workerTuning struct {
	// WorkflowCache is the SDK's sticky workflow cache (XINYONG_WORKFLOW_CACHE, SDK default 10,000): workflows kept
	// in memory between tasks. A workflow evicted from it replays its history on its next task.
	WorkflowCache int
	// Activities and LocalActivities bound the activities (and local activities) run at once
	// (XINYONG_WORKER_ACTIVITIES, XINYONG_WORKER_LOCAL_ACTIVITIES; SDK default 1,000 each).
	Activities      int
	LocalActivities int
	// WorkflowTasks bounds the workflow tasks processed at once (XINYONG_WORKER_WORKFLOW_TASKS, SDK default
	// 1,000). A task whose local activities (the letters) wait for a slot holds its workflow in memory beyond
	// the cache, so this bounds those too.
	WorkflowTasks int
	// WorkflowPollers and ActivityPollers are the long polls the worker keeps open for workflow tasks and for
	// activities (XINYONG_WORKER_WORKFLOW_POLLERS, XINYONG_WORKER_ACTIVITY_POLLERS; SDK default 2 each). A task
	// that finds no poll waiting is written to the task queue's backlog and read back later.
	WorkflowPollers int
	ActivityPollers int
}

// loadWorkerTuning reads the environment; a value that is not a positive number is reported and ignored.
func loadWorkerTuning() workerTuning {
	var t workerTuning
	for _, s := range []struct {
		env string
		v   *int
	}{
		{"XINYONG_WORKFLOW_CACHE", &t.WorkflowCache},
		{"XINYONG_WORKER_ACTIVITIES", &t.Activities},
		{"XINYONG_WORKER_LOCAL_ACTIVITIES", &t.LocalActivities},
		{"XINYONG_WORKER_WORKFLOW_TASKS", &t.WorkflowTasks},
		{"XINYONG_WORKER_WORKFLOW_POLLERS", &t.WorkflowPollers},
		{"XINYONG_WORKER_ACTIVITY_POLLERS", &t.ActivityPollers},
	} {
		v := strings.TrimSpace(os.Getenv(s.env))
		if v == "" {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			*s.v = n
		} else {
			fmt.Fprintf(os.Stderr, "%s=%q is not a positive number; ignored\n", s.env, v)
		}
	}
	return t
}

// applyCache sets the process-wide sticky cache size. The SDK takes the size once, when the process's first worker
// starts, and shares the cache among all of them: under dev that first worker is one of the embedded Temporal
// server's own, so dev sets it before it starts the server (until issue 17 it did not, and every dev process kept
// the SDK's 10,000 whatever XINYONG_WORKFLOW_CACHE said).
func (t workerTuning) applyCache() {
	if t.WorkflowCache > 0 {
		worker.SetStickyWorkflowCacheSize(t.WorkflowCache)
	}
}

// devWorkflowCache is the sticky cache of `xinyong dev` unless XINYONG_WORKFLOW_CACHE is set. A penalty lifecycle
// keeps a dozen coroutines while it waits for months (its delivery, each channel of its publication, its
// deadlines), so 10,000 cached lifecycles held about 55,000 goroutines and 300 MB of stacks after an import, and
// the process collected without pause near its memory limit. A lifecycle evicted meanwhile replays its short
// history on its next task.
const devWorkflowCache = 2000

// apply sets the process-wide sticky cache size (before the first worker.New) and the options' limits.
func (t workerTuning) apply(o *worker.Options) {
	t.applyCache()
	if t.Activities > 0 {
		o.MaxConcurrentActivityExecutionSize = t.Activities
	}
	if t.LocalActivities > 0 {
		o.MaxConcurrentLocalActivityExecutionSize = t.LocalActivities
	}
	if t.WorkflowTasks > 0 {
		o.MaxConcurrentWorkflowTaskExecutionSize = t.WorkflowTasks
	}
	if t.WorkflowPollers > 0 {
		o.MaxConcurrentWorkflowTaskPollers = t.WorkflowPollers
	}
	if t.ActivityPollers > 0 {
		o.MaxConcurrentActivityTaskPollers = t.ActivityPollers
	}
}

// devMemoryLimitMB is the Go runtime's soft memory limit under `xinyong dev` unless GOMEMLIMIT is set
// (XINYONG_DEV_MEMORY_LIMIT_MB; 0 or "off" leaves the runtime's default, no limit). A soft limit makes the
// collector work harder near it instead of letting the heap double; it never fails an allocation.
const devMemoryLimitMB = 768

func applyDevMemoryLimit(log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return // the runtime has read it already
	}
	mb := devMemoryLimitMB
	switch v := strings.TrimSpace(os.Getenv("XINYONG_DEV_MEMORY_LIMIT_MB")); v {
	case "":
	case "off", "0":
		return
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			log.Warn("XINYONG_DEV_MEMORY_LIMIT_MB is not a number of MiB; using the default", "value", v, "default", mb)
		} else {
			mb = n
		}
	}
	debug.SetMemoryLimit(int64(mb) << 20)
	// Under the limit, the collector may let the heap grow to three times what is live instead of twice: the
	// embedded server allocates at a high rate, and collecting at the default pace took an eighth of the process's
	// processor time under registration load (issue 17). The limit still bounds the heap.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(devGCPercent)
	}
}

// devGCPercent is the collector's pace under `xinyong dev` unless GOGC is set (see applyDevMemoryLimit).
const devGCPercent = 200

// startPprof serves net/http/pprof on XINYONG_PPROF_ADDR when it is set (opt-in, unauthenticated: bind it to
// loopback). For heap profiles of a running process: go tool pprof http://ADDR/debug/pprof/heap.
func startPprof(log *slog.Logger) {
	addr := os.Getenv("XINYONG_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		log.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			log.Error("pprof listener", "err", err)
		}
	}()
}
