package telemetry

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// Dimension names and the route of requests no pattern matched.
const (
	DimService = "Service"
	DimRoute   = "Route"
	// Unmatched is the Route of requests that no route pattern matched: one bucket for every
	// unknown path, so that a scan of random URLs cannot create metrics.
	Unmatched = "unmatched"
)

// The request metrics, one set per route and one for the whole service.
const (
	MetricRequests  = "Requests"
	MetricLatency   = "Latency"
	MetricErrors4xx = "Errors4xx"
	MetricErrors5xx = "Errors5xx"
)

// MetricsOptions configures Metrics.
type MetricsOptions struct {
	Namespace string
	// Service is the Service dimension's value (the stage's service name).
	Service  string
	Interval time.Duration
	// Out receives one EMF line per write; it must not interleave concurrent writes.
	Out io.Writer
	Now func() time.Time
	// OnError hears about a line that could not be written (nil: ignored).
	OnError func(error)
}

// Metrics aggregates the service's metrics over an interval and writes them as EMF lines. A nil
// *Metrics records nothing, so that callers need no check when metrics are off.
type Metrics struct {
	opts MetricsOptions

	mu      sync.Mutex
	routes  map[string]*routeStats
	custom  map[string]*custom
	started time.Time
}

type routeStats struct {
	requests, errors4xx, errors5xx uint64
	latency                        histogram
}

// NewMetrics validates opts and returns an empty aggregate.
func NewMetrics(opts MetricsOptions) (*Metrics, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	probe := newDocument(opts.Namespace, [][]string{{DimService}}, map[string]string{DimService: opts.Service})
	probe.add(MetricRequests, Count, 0)
	line, err := probe.encode(opts.Now())
	if err == nil {
		err = Validate(line)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("telemetry: namespace %q and service %q do not make valid EMF: %w", opts.Namespace, opts.Service, err)
	case opts.Interval < time.Second:
		return nil, fmt.Errorf("telemetry: a metrics interval of %v is below CloudWatch's 1 s resolution", opts.Interval)
	case opts.Out == nil:
		return nil, fmt.Errorf("telemetry: metrics need a writer")
	}
	return &Metrics{opts: opts, routes: map[string]*routeStats{}, custom: map[string]*custom{}, started: opts.Now()}, nil
}

// ObserveRequest records one request under its route template (Unmatched for none).
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = Unmatched
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.routes[route]
	if s == nil {
		s = &routeStats{}
		m.routes[route] = s
	}
	s.requests++
	switch {
	case status >= 500:
		s.errors5xx++
	case status >= 400:
		s.errors4xx++
	}
	s.latency.observe(float64(took.Microseconds()) / 1000)
}

// Run writes the aggregate every interval until ctx ends, then once more.
func (m *Metrics) Run(ctx context.Context) {
	if m == nil {
		return
	}
	t := time.NewTicker(m.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			m.Flush()
			return
		case <-t.C:
			m.Flush()
		}
	}
}

// Flush writes the interval's lines and starts a new interval: one line per route that had
// requests (with the service-wide rollup as a second dimension set) and the components'
// metrics in lines of at most 100.
func (m *Metrics) Flush() {
	if m == nil {
		return
	}
	now := m.opts.Now()
	m.mu.Lock()
	docs := m.routeDocuments()
	docs = append(docs, m.customDocuments()...)
	m.routes = map[string]*routeStats{}
	m.started = now
	m.mu.Unlock()
	for _, d := range docs {
		line, err := d.encode(now)
		if err == nil {
			_, err = m.opts.Out.Write(line)
		}
		if err != nil && m.opts.OnError != nil {
			m.opts.OnError(err)
		}
	}
}

func (m *Metrics) routeDocuments() []*document {
	var docs []*document
	for _, route := range slices.Sorted(maps.Keys(m.routes)) {
		s := m.routes[route]
		d := newDocument(m.opts.Namespace, [][]string{{DimService, DimRoute}, {DimService}},
			map[string]string{DimService: m.opts.Service, DimRoute: route})
		d.add(MetricRequests, Count, s.requests)
		d.add(MetricErrors4xx, Count, s.errors4xx)
		d.add(MetricErrors5xx, Count, s.errors5xx)
		d.add(MetricLatency, Milliseconds, s.latency.distribution())
		docs = append(docs, d)
	}
	return docs
}
