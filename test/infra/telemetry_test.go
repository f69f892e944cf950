package infra

import (
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestTelemetryEnvironment: the container gets the OpenTelemetry SDK's standard variables
// from the stage's settings, and the task role may send spans only where tracing is on.
func TestTelemetryEnvironment(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		env := containerEnv(t, tp)
		if env["OTEL_SERVICE_NAME"] != "keel-"+s.Name || env["METRICS_NAMESPACE"] != "keel" || env["METRICS_INTERVAL"] != "1m0s" {
			t.Errorf("telemetry environment %v", env)
		}
		xray := strings.Contains(jsonOf(tp.resources("AWS::IAM::Policy")), "xray:PutTraceSegments")
		if !s.Telemetry.Tracing {
			if env["OTEL_TRACES_EXPORTER"] != "none" || xray {
				t.Errorf("tracing off, yet exporter %q and X-Ray permission %v", env["OTEL_TRACES_EXPORTER"], xray)
			}
			return
		}
		want := map[string]string{
			"OTEL_TRACES_EXPORTER":               "otlp",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://xray." + s.Region + ".amazonaws.com/v1/traces",
			"OTEL_TRACES_SAMPLER":                "parentbased_traceidratio",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %q, want %q", k, env[k], v)
			}
		}
		if env["OTEL_TRACES_SAMPLER_ARG"] == "" || !xray {
			t.Errorf("sampler arg %q, X-Ray permission %v", env["OTEL_TRACES_SAMPLER_ARG"], xray)
		}
	})
}

func TestTelemetryDefaults(t *testing.T) {
	want := map[string]settings.Telemetry{
		"dev":     {Tracing: false, MetricsIntervalSeconds: 60},
		"staging": {Tracing: true, SampleRatio: 0.1, MetricsIntervalSeconds: 60},
		"prod":    {Tracing: true, SampleRatio: 0.05, MetricsIntervalSeconds: 60},
	}
	for name, w := range want {
		s, err := settings.Defaults(name)
		if err != nil || s.Telemetry != w {
			t.Errorf("%s: %+v %v, want %+v", name, s.Telemetry, err, w)
		}
	}
}

func TestTelemetrySettingsErrors(t *testing.T) {
	for _, tt := range []struct {
		telemetry map[string]any
		want      string
	}{
		{map[string]any{"sampleRatio": 1.5}, "keel:prod.telemetry.sampleRatio = 1.5: use a ratio from 0 to 1"},
		{map[string]any{"sampleRatio": 0}, "keel:prod.telemetry.sampleRatio = 0: tracing is on but samples nothing"},
		{map[string]any{"metricsIntervalSeconds": 10}, "keel:prod.telemetry.metricsIntervalSeconds = 10: use 60 to 3600 seconds"},
		{map[string]any{"trace": true}, `unknown field "trace"`},
	} {
		_, err := settings.FromContext(map[string]any{"keel:prod": map[string]any{"telemetry": tt.telemetry}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.telemetry, err, tt.want)
		}
	}
	if _, err := settings.FromContext(map[string]any{"keel:dev": map[string]any{"telemetry": map[string]any{"tracing": true, "sampleRatio": 1, "metricsIntervalSeconds": 0}}}); err != nil {
		t.Errorf("tracing every request and no metrics in dev: %v", err)
	}
}

// withoutTracing removes the task role's one tracing statement where tracing is on (and fails
// when it is missing there), so that the other task-role checks see the rest.
func withoutTracing(t *testing.T, s settings.Stage, statements []any) []any {
	t.Helper()
	const tracing = `{"Action":"xray:PutTraceSegments","Effect":"Allow","Resource":"*"}`
	var rest []any
	found := false
	for _, st := range statements {
		if jsonOf(st) == tracing {
			found = true
			continue
		}
		rest = append(rest, st)
	}
	if found != s.Telemetry.Tracing {
		t.Errorf("tracing %v, task role statement %s present: %v", s.Telemetry.Tracing, tracing, found)
	}
	return rest
}
