package rehearsal

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestShifts(t *testing.T) {
	for _, c := range []struct {
		p    Plan
		want []float64
	}{
		{Plan{Strategy: "CANARY", CanaryPercent: 10}, []float64{10, 100}},
		{Plan{Strategy: "LINEAR", StepPercent: 30}, []float64{30, 60, 90, 100}},
		// 100/step exact: 100/step − 1 waits, no wait after 100 % (6.3, LIN).
		{Plan{Strategy: "LINEAR", StepPercent: 25}, []float64{25, 50, 75, 100}},
		{Plan{Strategy: "BLUE_GREEN"}, []float64{100}},
		{Plan{Strategy: "ROLLING"}, nil},
	} {
		if got := c.p.Shifts(); !slices.Equal(got, c.want) {
			t.Errorf("%s %g/%g: shifts %v, want %v", c.p.Strategy, c.p.CanaryPercent, c.p.StepPercent, got, c.want)
		}
	}
}

// Floor: the waits ECS imposes (7), at real time and compressed.
func TestFloor(t *testing.T) {
	alarm := []Alarm{{Period: time.Minute, EvaluationPeriods: 2, DatapointsToAlarm: 2}}
	drain := 45 * time.Second
	for _, c := range []struct {
		name  string
		p     Plan
		speed float64
		want  time.Duration
	}{
		// 1 task, room for 1 more: one wave of the drain, then the 2-minute alarm bake.
		{"rolling", Plan{Strategy: "ROLLING", DesiredCount: 1, MinHealthyPercent: 100, MaxPercent: 200, DeregistrationDelay: drain, Alarms: alarm}, 1, drain + 2*time.Minute},
		// 4 tasks, max 150: 2 at a time, two waves.
		{"rolling in waves", Plan{Strategy: "ROLLING", DesiredCount: 4, MinHealthyPercent: 100, MaxPercent: 150, DeregistrationDelay: drain}, 1, 2 * drain},
		// max 100, min 50: nothing may start first; 2 stop at a time.
		{"rolling, stop first", Plan{Strategy: "ROLLING", DesiredCount: 4, MinHealthyPercent: 50, MaxPercent: 100, DeregistrationDelay: drain}, 1, 2 * drain},
		{"canary", Plan{Strategy: "CANARY", CanaryPercent: 10, CanaryBake: 10 * time.Minute, Bake: 10 * time.Minute, DeregistrationDelay: drain}, 1, 20*time.Minute + drain},
		// 25 % steps: 3 waits (none after 100 %), then the bake.
		{"linear", Plan{Strategy: "LINEAR", StepPercent: 25, StepBake: 3 * time.Minute, Bake: 5 * time.Minute, DeregistrationDelay: drain}, 1, 14*time.Minute + drain},
		// 30 % steps: 30, 60, 90, 100: 3 waits.
		{"linear, uneven", Plan{Strategy: "LINEAR", StepPercent: 30, StepBake: time.Minute, DeregistrationDelay: drain}, 1, 3*time.Minute + drain},
		{"blue/green", Plan{Strategy: "BLUE_GREEN", Bake: 15 * time.Minute, DeregistrationDelay: drain}, 1, 15*time.Minute + drain},
		{"canary at speed 30", Plan{Strategy: "CANARY", CanaryPercent: 10, CanaryBake: 10 * time.Minute, Bake: 10 * time.Minute, DeregistrationDelay: drain}, 30, (20*time.Minute + drain) / 30},
	} {
		if got := c.p.Floor(c.speed).Floor; got != c.want {
			t.Errorf("%s: floor %v, want %v", c.name, got, c.want)
		}
	}
}

// The documented examples of 1.1 and 4.1.
func TestBoundsAndBreaker(t *testing.T) {
	for _, c := range []struct {
		n, minPct, maxPct, ceiling, floor int
	}{
		{4, 50, 200, 8, 2}, {2, 75, 200, 4, 2}, {3, 100, 125, 3, 3}, {1, 100, 200, 2, 1},
	} {
		p := Plan{DesiredCount: c.n, MinHealthyPercent: c.minPct, MaxPercent: c.maxPct}
		if ceiling, floor := p.Bounds(); ceiling != c.ceiling || floor != c.floor {
			t.Errorf("N=%d min %d max %d: bounds %d/%d, want %d/%d", c.n, c.minPct, c.maxPct, ceiling, floor, c.ceiling, c.floor)
		}
	}
	for n, want := range map[int]int{1: 3, 25: 13, 400: 200, 1000: 200} {
		if got := (Plan{DesiredCount: n}).BreakerThreshold(); got != want {
			t.Errorf("breaker threshold for %d tasks: %d, want %d", n, got, want)
		}
	}
}

func TestMatcher(t *testing.T) {
	for _, c := range []struct {
		m    string
		code int
		want bool
	}{
		{"200", 200, true}, {"200", 503, false}, {"200-299", 204, true}, {"200,302", 302, true}, {"200,302", 301, false},
	} {
		if got := matches(c.m, c.code); got != c.want {
			t.Errorf("matches(%q, %d) = %v", c.m, c.code, got)
		}
	}
}

// M of N: ALARM when DatapointsToAlarm of the last EvaluationPeriods breach, OK again after.
func TestAlarmMofN(t *testing.T) {
	a := newAlarms([]Alarm{{ID: "a", DatapointsToAlarm: 2, EvaluationPeriods: 3}}, clock{speed: 1, start: time.Now()}, &timeline{}, newMetricStore())
	w := a.watches[0]
	for i, c := range []struct {
		breach bool
		want   string
	}{{true, "OK"}, {false, "OK"}, {true, "ALARM"}, {false, "OK"}, {false, "OK"}} {
		a.evaluate(w, c.breach, 0)
		if w.state != c.want {
			t.Errorf("after datapoint %d: %s, want %s", i, w.state, c.want)
		}
	}
}

func TestAlarmBakeAndCountScaling(t *testing.T) {
	// Evaluation times 5 min and 4 min; the times to fire (DatapointsToAlarm × Period) 2 and 4.
	p := Plan{Alarms: []Alarm{{Period: time.Minute, EvaluationPeriods: 5, DatapointsToAlarm: 2}, {Period: 2 * time.Minute, EvaluationPeriods: 2, DatapointsToAlarm: 2}}}
	if got := p.AlarmBake(); got != 5*time.Minute {
		t.Errorf("alarm bake %v, want the longest evaluation time 5m", got)
	}
	m := newMetricStore()
	m.add("HTTPCode_Target_5XX_Count", 0, 1)
	m.add("HTTPCode_Target_5XX_Count", 0, 1)
	if v, ok := m.datapoint("HTTPCode_Target_5XX_Count", "Sum", time.Now().Add(-time.Second), time.Now().Add(time.Second)); !ok || v != 2 {
		t.Errorf("sum %g %v, want 2", v, ok)
	}
	if _, ok := m.datapoint("UnHealthyHostCount", "Maximum", time.Now().Add(-time.Second), time.Now()); ok {
		t.Error("a metric without samples must be missing data")
	}
}

// The progressive-delivery alarms' metric math: the worst target group's 5xx rate, counted
// only above 20 requests.
func TestMetricMath(t *testing.T) {
	rate := "IF(FILL(requestsX, 0) >= 20, 100 * FILL(errorsX, 0) / FILL(requestsX, 1), 0)"
	e, err := parseExpr("MAX([" + strings.ReplaceAll(rate, "X", "0") + ", " + strings.ReplaceAll(rate, "X", "1") + "])")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vals map[string]float64
		want float64
	}{
		{map[string]float64{"requests0": 100, "errors0": 5}, 5},
		{map[string]float64{"requests0": 10, "errors0": 5}, 0},                     // below 20 requests
		{map[string]float64{"requests0": 100, "requests1": 40, "errors1": 10}, 25}, // worst group
		{map[string]float64{}, 0},                                                  // missing: FILL
	} {
		if got := e(c.vals); got != c.want {
			t.Errorf("%v: %g, want %g", c.vals, got, c.want)
		}
	}
	// The same as the alarm's Metrics: intermediate ids with ReturnData false.
	a := Alarm{expr: mustParse(t, "MAX([rate0, rate1])"), steps: map[string]expr{
		"rate0": mustParse(t, strings.ReplaceAll(rate, "X", "0")), "rate1": mustParse(t, strings.ReplaceAll(rate, "X", "1")),
	}}
	if got := a.value(map[string]float64{"requests1": 40, "errors1": 10}); got != 25 {
		t.Errorf("alarm with intermediate expressions: %g, want 25", got)
	}
	if _, err := parseExpr("ANOMALY_DETECTION_BAND(m1)"); err == nil {
		t.Error("an unsupported function must be an error")
	}
}

func mustParse(t *testing.T, s string) expr {
	t.Helper()
	e, err := parseExpr(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
