package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/internal/telemetry"
)

// TestMetricsByRouteTemplate: requests are counted under the mux's patterns, unknown paths in
// one bucket, and every line the service writes is valid EMF.
func TestMetricsByRouteTemplate(t *testing.T) {
	f := newFixture(t, health.Ready)
	var out bytes.Buffer
	m, err := telemetry.NewMetrics(telemetry.MetricsOptions{Namespace: "keel", Service: "keel-test", Interval: time.Minute, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = New(Deps{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Monitor: f.monitor, FreshnessWait: 100 * time.Millisecond,
		Version: "v-test", MaxBodyBytes: 1024, Telemetry: &telemetry.Telemetry{Metrics: m}})
	f.do("GET", "/livez")
	f.do("GET", "/api/v1/greetings?name=x")
	f.do("DELETE", "/api/v1/greetings")
	for i := range 500 { // a scan: every path different
		f.do("GET", fmt.Sprintf("/wp-admin/%d/x?id=%d", i, i))
	}
	m.Flush()
	routes := map[string]map[string]any{}
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		if err := telemetry.Validate(line); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		var doc map[string]any
		_ = json.Unmarshal(line, &doc)
		routes[doc["Route"].(string)] = doc
	}
	if got := slices.Sorted(maps.Keys(routes)); strings.Join(got, " ") != "/api/v1/greetings /livez unmatched" {
		t.Fatalf("routes %v, want the patterns and one bucket for the scan", got)
	}
	if g := routes["/api/v1/greetings"]; g["Requests"] != 2.0 || g["Errors4xx"] != 1.0 {
		t.Errorf("greetings route %v", g)
	}
	if routes["unmatched"]["Requests"] != 500.0 || routes["unmatched"]["Errors4xx"] != 500.0 {
		t.Errorf("unmatched %v", routes["unmatched"])
	}
}
