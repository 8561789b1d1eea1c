package obs

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics is one process's Prometheus registry: Go runtime and process figures, the Temporal SDK's own series
// (temporal_*), the HTTP server's per-route series (xinyong_http_*) and, in API processes, the domain gauges
// (xinyong_*) computed from PostgreSQL at scrape time.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	scope  tally.Scope
	closer io.Closer
	once   sync.Once
}

// NewMetrics builds an empty registry with the runtime collectors and the HTTP series.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xinyong_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "xinyong_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xinyong_http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.httpInFlight)
	return m
}

// ObserveHTTP records one answered request. route is the matched route pattern (never the raw path, which would
// make one series per case id).
func (m *Metrics) ObserveHTTP(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(method, route, statusCode(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

// InFlight counts a request in until the returned function runs.
func (m *Metrics) InFlight() func() {
	if m == nil {
		return func() {}
	}
	m.httpInFlight.Inc()
	return m.httpInFlight.Dec
}

func statusCode(s int) string {
	const digits = "0123456789"
	if s < 100 || s > 999 {
		return "000"
	}
	return string([]byte{digits[s/100], digits[s/10%10], digits[s%10]})
}

// TemporalHandler is the Temporal SDK metrics handler reporting into this registry (client, worker, workflow and
// activity series, all named temporal_*). The first call creates the tally scope; Close flushes it.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	m.once.Do(func() {
		reporter := tallyprom.NewReporter(tallyprom.Options{
			Registerer: m.Registry,
			// Histograms aggregate across replicas; summaries do not.
			DefaultTimerType: tallyprom.HistogramTimerType,
			DefaultHistogramBuckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60,
				300, 900, 3600},
			OnRegisterError: func(err error) { slog.Default().Warn("temporal metric registration", "err", err) },
		})
		scope, closer := tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		}, time.Second)
		m.scope, m.closer = sdktally.NewPrometheusNamingScope(scope), closer
	})
	return sdktally.NewMetricsHandler(m.scope)
}

// Close flushes the Temporal series.
func (m *Metrics) Close() error {
	if m == nil || m.closer == nil {
		return nil
	}
	return m.closer.Close()
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gauge is one value of a domain gauge family.
type Gauge struct {
	Labels []string
	Value  float64
}

// GaugeFamily describes a domain gauge and how to read its current values.
type GaugeFamily struct {
	Name   string
	Help   string
	Labels []string
}

// DomainSource reads every domain gauge at once (one round of cheap SQL), keyed by family name.
type DomainSource func(ctx context.Context) (map[string][]Gauge, error)

// RegisterDomainGauges adds gauges read from src at scrape time; a read is reused for maxAge so that several
// Prometheus servers (or a dashboard refresh) do not multiply the queries. A failing read is reported as
// xinyong_domain_gauges_up 0, never as stale numbers.
func (m *Metrics) RegisterDomainGauges(families []GaugeFamily, src DomainSource, maxAge time.Duration) {
	c := &domainCollector{src: src, maxAge: maxAge, descs: map[string]*prometheus.Desc{},
		up: prometheus.NewDesc("xinyong_domain_gauges_up", "1 when the last read of the domain gauges from PostgreSQL succeeded.", nil, nil)}
	for _, f := range families {
		c.descs[f.Name] = prometheus.NewDesc(f.Name, f.Help, f.Labels, nil)
	}
	m.Registry.MustRegister(c)
}

type domainCollector struct {
	src    DomainSource
	maxAge time.Duration
	descs  map[string]*prometheus.Desc
	up     *prometheus.Desc

	mu     sync.Mutex
	readAt time.Time
	last   map[string][]Gauge
	err    error
}

func (c *domainCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *domainCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.readAt) > c.maxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.last, c.err = c.src(ctx)
		cancel()
		c.readAt = time.Now()
	}
	values, err := c.last, c.err
	c.mu.Unlock()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for name, gs := range values {
		d, ok := c.descs[name]
		if !ok {
			continue
		}
		for _, g := range gs {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, g.Value, g.Labels...)
		}
	}
}
