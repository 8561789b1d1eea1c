package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"xinyong/obs"
	"xinyong/storage"
)

// procMetrics is this process's one registry: the Temporal client, the HTTP server and the domain gauges all
// report into it, and /metrics serves it.
var procMetrics = obs.NewMetrics()

// domainGaugesMaxAge bounds how often a scrape reaches PostgreSQL for the domain gauges.
const domainGaugesMaxAge = 5 * time.Second

var domainGaugesOnce sync.Once

// registerDomainGauges adds the gauges an office watches (open cases per procedure and step, overdue steps per
// department, channel confirmation lag); API processes export them, workers do not, so that a dashboard summing
// over workers does not count them twice.
func registerDomainGauges(db *storage.DB) {
	domainGaugesOnce.Do(func() {
		procMetrics.RegisterDomainGauges([]obs.GaugeFamily{
			{Name: "xinyong_open_cases", Help: "Cases not finished, by procedure and the step (status) they are at.", Labels: []string{"procedure", "step"}},
			{Name: "xinyong_overdue_steps", Help: "Open steps past their deadline (Beijing date), by department (\"\" = credit office or channel).", Labels: []string{"department"}},
			{Name: "xinyong_channel_unconfirmed", Help: "Notices a channel has not confirmed yet, by channel and kind (publication, withdrawal).", Labels: []string{"channel", "kind"}},
			{Name: "xinyong_channel_confirmation_lag_seconds", Help: "Age of the oldest notice a channel has not confirmed, by channel and kind.", Labels: []string{"channel", "kind"}},
		}, func(ctx context.Context) (map[string][]obs.Gauge, error) {
			out := map[string][]obs.Gauge{}
			open, err := db.OpenCases(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range open {
				out["xinyong_open_cases"] = append(out["xinyong_open_cases"], obs.Gauge{Labels: []string{o.Procedure, o.Step}, Value: float64(o.N)})
			}
			overdue, err := db.OverdueSteps(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range overdue {
				out["xinyong_overdue_steps"] = append(out["xinyong_overdue_steps"], obs.Gauge{Labels: []string{o.DepartmentID}, Value: float64(o.N)})
			}
			lags, err := db.ChannelLags(ctx)
			if err != nil {
				return nil, err
			}
			for _, l := range lags {
				labels := []string{l.ChannelID, l.Kind}
				out["xinyong_channel_unconfirmed"] = append(out["xinyong_channel_unconfirmed"], obs.Gauge{Labels: labels, Value: float64(l.Waiting)})
				out["xinyong_channel_confirmation_lag_seconds"] = append(out["xinyong_channel_confirmation_lag_seconds"], obs.Gauge{Labels: labels, Value: l.OldestSeconds})
			}
			return out, nil
		}, domainGaugesMaxAge)
	})
}

var metricsListenerOnce sync.Once

// startMetricsListener serves /metrics, /healthz and /readyz on METRICS_ADDR, without authentication: the address
// belongs on a network only the scraper and the orchestrator reach (a pod port, a management VLAN). Worker
// processes have no other HTTP port, so their Kubernetes probes use this one. `dev` runs worker and server in
// one process; the listener starts once.
func startMetricsListener(ctx context.Context, cfg config, db *storage.DB, tc client.Client, log *slog.Logger) error {
	if cfg.MetricsAddr == "" {
		return nil
	}
	var err error
	metricsListenerOnce.Do(func() {
		var ln net.Listener
		ln, err = net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", procMetrics.Handler())
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		})
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			rctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			w.Header().Set("Content-Type", "application/json")
			if err := db.PingContext(rctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"error":{"code":"not_ready","message":"数据库不可用"}}`))
				return
			}
			if _, err := tc.CheckHealth(rctx, &client.CheckHealthRequest{}); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"error":{"code":"not_ready","message":"流程引擎不可用"}}`))
				return
			}
			_, _ = w.Write([]byte(`{"status":"ready"}`))
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener", "err", err)
			}
		}()
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("metrics listening", "addr", ln.Addr().String())
	})
	return err
}
