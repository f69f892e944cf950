package rehearsal

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics the rehearsal measures at its balancer, and whether each is a count (a sum of events)
// or a gauge. Counts in compressed periods are multiplied by the speed factor: each real
// request stands for speed requests of template time, so a datapoint estimates what the same
// request rate gives over the full period.
var metrics = map[string]bool{
	"HTTPCode_Target_5XX_Count": true,
	"HTTPCode_ELB_5XX_Count":    true,
	"RequestCount":              true,
	"UnHealthyHostCount":        false,
	"TargetResponseTime":        false,
}

type sample struct {
	at time.Time
	v  float64
}

// metricStore holds samples by metric name.
type metricStore struct {
	mu      sync.Mutex
	samples map[string][]sample
}

func newMetricStore() *metricStore { return &metricStore{samples: map[string][]sample{}} }

// add records a sample of target group g (0 or 1), also under the metric's name alone (both
// groups).
func (m *metricStore) add(name string, g int, v float64) {
	now := time.Now()
	m.mu.Lock()
	m.samples[name] = append(m.samples[name], sample{now, v})
	key := name + "@" + strconv.Itoa(g)
	m.samples[key] = append(m.samples[key], sample{now, v})
	m.mu.Unlock()
}

// key names a query's series.
func (q Query) key() string {
	if q.TargetGroup < 0 {
		return q.Metric
	}
	return q.Metric + "@" + strconv.Itoa(q.TargetGroup)
}

// datapoint is the statistic over [from, to); ok is false when there is no sample (missing data).
func (m *metricStore) datapoint(name, stat string, from, to time.Time) (v float64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pct, ok := strings.CutPrefix(stat, "p"); ok {
		q, err := strconv.ParseFloat(pct, 64)
		if err != nil {
			return 0, false
		}
		var vals []float64
		for _, s := range m.samples[name] {
			if !s.at.Before(from) && s.at.Before(to) {
				vals = append(vals, s.v)
			}
		}
		if len(vals) == 0 {
			return 0, false
		}
		slices.Sort(vals)
		return vals[min(len(vals)-1, int(math.Ceil(q/100*float64(len(vals))))-1)], true
	}
	n := 0
	for _, s := range m.samples[name] {
		if s.at.Before(from) || !s.at.Before(to) {
			continue
		}
		switch {
		case n == 0 && stat != "Sum" && stat != "Average":
			v = s.v
		case stat == "Maximum":
			v = max(v, s.v)
		case stat == "Minimum":
			v = min(v, s.v)
		default:
			v += s.v
		}
		n++
	}
	if stat == "Average" && n > 0 {
		v /= float64(n)
	}
	return v, n > 0
}

// AlarmState is an alarm's state change.
type alarmWatch struct {
	alarm   Alarm
	history []bool // breaching per evaluated period, newest last
	state   string
}

// alarms evaluates the deployment alarms on their own periods (scaled). Missing data is not
// breaching (the template's TreatMissingData is notBreaching; CloudWatch's default "missing"
// keeps the state, which for an OK alarm is the same).
type alarms struct {
	clock   clock
	tl      *timeline
	metrics *metricStore
	mu      sync.Mutex
	watches []*alarmWatch
}

func newAlarms(list []Alarm, clk clock, tl *timeline, m *metricStore) *alarms {
	a := &alarms{clock: clk, tl: tl, metrics: m}
	for _, al := range list {
		a.watches = append(a.watches, &alarmWatch{alarm: al, state: "OK"})
	}
	return a
}

// run evaluates every alarm at the end of each of its periods until ctx ends.
func (a *alarms) run(ctx context.Context, wg *sync.WaitGroup) {
	for _, w := range a.watches {
		wg.Add(1)
		go func() { defer wg.Done(); a.watch(ctx, w) }()
	}
}

func (a *alarms) watch(ctx context.Context, w *alarmWatch) {
	period := a.clock.scale(w.alarm.Period)
	from := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(from.Add(period))):
		}
		to := from.Add(period)
		vals := map[string]float64{}
		for _, q := range w.alarm.Queries {
			v, ok := a.metrics.datapoint(q.key(), q.Stat, from, to)
			if !ok {
				continue // missing: the expression sees no value (FILL decides)
			}
			if metrics[q.Metric] {
				v *= a.clock.speed
			}
			vals[q.ID] = v
		}
		v := w.alarm.value(vals)
		from = to
		a.evaluate(w, !math.IsNaN(v) && breaches(w.alarm.Comparison, v, w.alarm.Threshold), v)
	}
}

// evaluate applies M of N: ALARM when DatapointsToAlarm of the last EvaluationPeriods breach.
func (a *alarms) evaluate(w *alarmWatch, breaching bool, v float64) {
	a.mu.Lock()
	w.history = append(w.history, breaching)
	if len(w.history) > w.alarm.EvaluationPeriods {
		w.history = w.history[1:]
	}
	n := 0
	for _, b := range w.history {
		if b {
			n++
		}
	}
	from := w.state
	w.state = "OK"
	if n >= w.alarm.DatapointsToAlarm {
		w.state = "ALARM"
	}
	to := w.state
	a.mu.Unlock()
	if to != from {
		a.tl.add("alarm", "", to, fmt.Sprintf("%s: %s %s %g (last datapoint %g, %d of %d breaching)", w.alarm.ID, w.alarm.Metric, w.alarm.Comparison, w.alarm.Threshold, v, n, w.alarm.EvaluationPeriods))
	}
}

// inAlarm returns the alarms now in ALARM.
func (a *alarms) inAlarm() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, w := range a.watches {
		if w.state == "ALARM" {
			out = append(out, w.alarm.ID)
		}
	}
	return out
}

func breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

// sampleGauges records UnHealthyHostCount of each group often enough for a Maximum over a
// scaled period.
func sampleGauges(ctx context.Context, b *balancer, m *metricStore, every time.Duration) {
	for {
		for g, n := range b.unhealthyHosts() {
			m.add("UnHealthyHostCount", g, float64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
