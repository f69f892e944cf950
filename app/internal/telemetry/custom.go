package telemetry

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// Registry is how a component contributes its own metrics (the database pool's use, admission
// control's refusals and queue time): registered once at start, named once, reported every
// interval under the Service dimension only, so that the metric count stays fixed. *Metrics is
// one; a nil *Metrics hands out instruments that record nothing.
type Registry interface {
	// Counter is summed over each interval (0 when nothing happened).
	Counter(name string, unit Unit) *Counter
	// Gauge is read once per interval, when the interval's lines are written.
	Gauge(name string, unit Unit, read func() float64)
	// Distribution reports each interval's observations with their percentiles.
	Distribution(name string, unit Unit) *Distribution
}

var _ Registry = (*Metrics)(nil)

type custom struct {
	unit    Unit
	counter *Counter
	gauge   func() float64
	dist    *Distribution
}

// Counter counts within an interval. A nil *Counter counts nothing.
type Counter struct {
	mu sync.Mutex
	n  float64
}

// Add adds n (n >= 0).
func (c *Counter) Add(n float64) {
	if c == nil || n < 0 {
		return
	}
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *Counter) take() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n
}

// Distribution aggregates observations within an interval. A nil *Distribution records nothing.
type Distribution struct {
	mu sync.Mutex
	h  histogram
}

// Observe records one value (for a duration, in the unit it was registered with).
func (d *Distribution) Observe(v float64) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.h.observe(v)
	d.mu.Unlock()
}

// ObserveDuration records took in milliseconds.
func (d *Distribution) ObserveDuration(took time.Duration) {
	d.Observe(float64(took.Microseconds()) / 1000)
}

func (d *Distribution) take() (histogram, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.h
	d.h = histogram{}
	return h, h.n > 0
}

func (m *Metrics) Counter(name string, unit Unit) *Counter {
	if m == nil {
		return nil
	}
	c := &Counter{}
	m.register(name, &custom{unit: unit, counter: c})
	return c
}

func (m *Metrics) Gauge(name string, unit Unit, read func() float64) {
	if m == nil {
		return
	}
	m.register(name, &custom{unit: unit, gauge: read})
}

func (m *Metrics) Distribution(name string, unit Unit) *Distribution {
	if m == nil {
		return nil
	}
	d := &Distribution{}
	m.register(name, &custom{unit: unit, dist: d})
	return d
}

// register panics on a name that is taken or that EMF refuses: a programming error, found by
// the first test that builds the component.
func (m *Metrics) register(name string, c *custom) {
	doc := newDocument(m.opts.Namespace, [][]string{{DimService}}, map[string]string{DimService: m.opts.Service})
	doc.add(name, c.unit, 0)
	line, err := doc.encode(m.opts.Now())
	if err == nil {
		err = Validate(line)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, taken := m.custom[name]
	if taken || name == DimService || name == DimRoute || slices.Contains([]string{MetricRequests, MetricLatency, MetricErrors4xx, MetricErrors5xx}, name) {
		err = fmt.Errorf("the name is taken")
	}
	if err != nil {
		panic(fmt.Sprintf("telemetry: metric %q: %v", name, err))
	}
	m.custom[name] = c
}

// customDocuments reads every component metric; a distribution without observations in the
// interval is left out (an empty distribution has no value).
func (m *Metrics) customDocuments() []*document {
	var docs []*document
	var d *document
	for _, name := range slices.Sorted(maps.Keys(m.custom)) {
		c := m.custom[name]
		var value any
		switch {
		case c.counter != nil:
			value = c.counter.take()
		case c.gauge != nil:
			v := c.gauge()
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // JSON has no NaN: a gauge without a reading is left out
			}
			value = v
		default:
			h, ok := c.dist.take()
			if !ok {
				continue
			}
			value = h.distribution()
		}
		if d == nil || len(d.directive.Metrics) == maxMetricsPerDirective {
			d = newDocument(m.opts.Namespace, [][]string{{DimService}}, map[string]string{DimService: m.opts.Service})
			docs = append(docs, d)
		}
		d.add(name, c.unit, value)
	}
	return docs
}
