package rehearsal

import (
	"context"
	"fmt"
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

func (m *metricStore) add(name string, v float64) {
	m.mu.Lock()
	m.samples[name] = append(m.samples[name], sample{time.Now(), v})
	m.mu.Unlock()
}

// datapoint is the statistic over [from, to); ok is false when there is no sample (missing data).
func (m *metricStore) datapoint(name, stat string, from, to time.Time) (v float64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
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
		v, ok := a.metrics.datapoint(w.alarm.Metric, w.alarm.Statistic, from, to)
		if ok && metrics[w.alarm.Metric] {
			v *= a.clock.speed
		}
		from = to
		a.evaluate(w, ok && breaches(w.alarm.Comparison, v, w.alarm.Threshold), v)
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

// sampleGauges records UnHealthyHostCount often enough for a Maximum over a scaled period.
func sampleGauges(ctx context.Context, b *balancer, m *metricStore, every time.Duration) {
	for {
		m.add("UnHealthyHostCount", float64(b.unhealthyHosts()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
