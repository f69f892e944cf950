package telemetry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func newTestMetrics(t *testing.T, out *bytes.Buffer) *Metrics {
	t.Helper()
	m, err := NewMetrics(MetricsOptions{Namespace: "keel", Service: "keel-test", Interval: time.Minute, Out: out,
		Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lines splits what Flush wrote and checks every line against the EMF specification.
func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if err := Validate(l); err != nil {
			t.Fatalf("%v:\n%s", err, l)
		}
		var d map[string]any
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

func TestRequestsAggregatePerInterval(t *testing.T) {
	var out bytes.Buffer
	m := newTestMetrics(t, &out)
	for i := range 1000 {
		m.ObserveRequest("/api/v1/greetings", []int{200, 200, 422, 500}[i%4], time.Duration(i)*time.Millisecond)
	}
	m.ObserveRequest("", 404, time.Millisecond)
	if out.Len() != 0 {
		t.Fatalf("wrote before the interval ended: %s", out.String())
	}
	m.Flush()
	docs := lines(t, &out)
	if len(docs) != 2 {
		t.Fatalf("%d lines for 1001 requests on 2 routes, want 2 (one per route per interval)", len(docs))
	}
	g := docs[0]
	if g[DimRoute] != "/api/v1/greetings" || g[MetricRequests] != 1000.0 || g[MetricErrors4xx] != 250.0 || g[MetricErrors5xx] != 250.0 {
		t.Errorf("greetings line %v", g)
	}
	lat := g[MetricLatency].(map[string]any)
	if lat["Count"] != 1000.0 || lat["Min"] != 0.0 || lat["Max"] != 999.0 || len(lat["Values"].([]any)) > maxValuesPerMetric {
		t.Errorf("latency %v", lat)
	}
	if docs[1][DimRoute] != Unmatched || docs[1][MetricErrors4xx] != 1.0 {
		t.Errorf("unmatched line %v", docs[1])
	}
	dims := jsonOf(g["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Dimensions"])
	if dims != `[["Service","Route"],["Service"]]` {
		t.Errorf("dimension sets %s, want per route and the service rollup", dims)
	}
	out.Reset()
	m.Flush()
	if out.Len() != 0 {
		t.Errorf("an idle interval wrote request lines: %s", out.String())
	}
}

// TestLatencyValuesStayBounded: observations across every magnitude never exceed EMF's 100
// values, and the percentiles CloudWatch computes from the buckets stay within 13 %.
func TestLatencyValuesStayBounded(t *testing.T) {
	var h histogram
	for e := -3.0; e < 7; e += 0.001 {
		h.observe(math.Pow(10, e))
	}
	d := h.distribution()
	if len(d.Values) > maxValuesPerMetric {
		t.Fatalf("%d values", len(d.Values))
	}
	var b histogram
	b.observe(123.4)
	if v := b.distribution().Values[0]; v != 123.4 {
		t.Errorf("a single observation reads %g, want its own value (clamped to min and max)", v)
	}
	var c histogram
	c.observe(50)
	c.observe(200)
	for _, v := range c.distribution().Values {
		if math.Abs(v-50)/50 > 0.13 && math.Abs(v-200)/200 > 0.13 {
			t.Errorf("bucket value %g is more than 13 %% from both observations", v)
		}
	}
}

func TestComponentMetrics(t *testing.T) {
	var out bytes.Buffer
	m := newTestMetrics(t, &out)
	var r Registry = m
	refused := r.Counter("AdmissionRefused", Count)
	queue := r.Distribution("AdmissionQueueTime", Milliseconds)
	r.Gauge("DBPoolInUse", Count, func() float64 { return 3 })
	r.Gauge("NoReading", Count, math.NaN)
	for i := range 150 {
		r.Gauge(fmt.Sprintf("Filler%03d", i), None, func() float64 { return float64(i) })
	}
	refused.Add(2)
	refused.Add(1)
	queue.ObserveDuration(1500 * time.Microsecond)
	m.Flush()
	docs := lines(t, &out)
	if len(docs) != 2 {
		t.Fatalf("%d lines for 153 component metrics, want 2 (at most 100 per directive)", len(docs))
	}
	all := map[string]any{}
	for _, d := range docs {
		for k, v := range d {
			all[k] = v
		}
	}
	if all["AdmissionRefused"] != 3.0 || all["DBPoolInUse"] != 3.0 || all["AdmissionQueueTime"].(map[string]any)["Max"] != 1.5 {
		t.Errorf("component values %v %v %v", all["AdmissionRefused"], all["DBPoolInUse"], all["AdmissionQueueTime"])
	}
	if _, ok := all["NoReading"]; ok {
		t.Error("a NaN gauge was written")
	}
	out.Reset()
	m.Flush()
	docs = lines(t, &out)
	if docs[0]["AdmissionRefused"] != 0.0 || docs[0]["AdmissionQueueTime"] != nil {
		t.Errorf("second interval: counter %v, distribution %v; want 0 and left out", docs[0]["AdmissionRefused"], docs[0]["AdmissionQueueTime"])
	}
	for _, bad := range []string{"DBPoolInUse", MetricRequests, DimRoute, "", strings.Repeat("x", 1025)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %.20q did not panic", bad)
				}
			}()
			r.Counter(bad, Count)
		}()
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("/x", 200, time.Millisecond)
	m.Counter("A", Count).Add(1)
	m.Distribution("B", Milliseconds).Observe(1)
	m.Gauge("C", Count, func() float64 { return 1 })
	m.Flush()
}

func TestNewMetricsRefusesBadOptions(t *testing.T) {
	var out bytes.Buffer
	for _, o := range []MetricsOptions{
		{Namespace: "bad namespace!", Service: "s", Interval: time.Minute, Out: &out},
		{Namespace: "keel", Service: "", Interval: time.Minute, Out: &out},
		{Namespace: "keel", Service: "s", Interval: time.Millisecond, Out: &out},
		{Namespace: "keel", Service: "s", Interval: time.Minute},
	} {
		if _, err := NewMetrics(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }
