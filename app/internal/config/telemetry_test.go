package config

import (
	"strings"
	"testing"
	"time"
)

func TestTelemetryDefaultsAndStandardVariables(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if tc := c.Telemetry; tc.Tracing || tc.MetricsInterval != time.Minute || tc.ServiceName != "keel" || tc.Sampler != "parentbased_always_on" || tc.ExportTimeout != 10*time.Second {
		t.Fatalf("defaults %+v: want metrics every minute, tracing off", tc)
	}
	c, err = Load(env(map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/",
		"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.05", "METRICS_INTERVAL": "0", "OTEL_SERVICE_NAME": "keel-prod"}))
	if err != nil {
		t.Fatal(err)
	}
	if tc := c.Telemetry; !tc.Tracing || tc.TracesEndpoint != "http://127.0.0.1:4318/v1/traces" || tc.SamplerArg != 0.05 || tc.MetricsInterval != 0 || tc.ServiceName != "keel-prod" {
		t.Fatalf("overrides %+v", tc)
	}
}

func TestTelemetryErrors(t *testing.T) {
	for kv, want := range map[[2]string]string{
		{"OTEL_TRACES_EXPORTER", "jaeger"}:   `OTEL_TRACES_EXPORTER="jaeger": use "otlp"`,
		{"OTEL_TRACES_SAMPLER", "sometimes"}: `OTEL_TRACES_SAMPLER="sometimes": use one of`,
		{"OTEL_TRACES_SAMPLER_ARG", "1.5"}:   `OTEL_TRACES_SAMPLER_ARG="1.5": use a ratio`,
		{"METRICS_INTERVAL", "10ms"}:         `METRICS_INTERVAL="10ms": use 0 (off) or an interval of 1s or more`,
		{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}:  `OTEL_EXPORTER_OTLP_TIMEOUT="0s": use a positive number`,
		{"OTEL_TRACES_EXPORTER", "otlp"}:     `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="": tracing needs an http(s) URL`,
	} {
		_, err := Load(env(map[string]string{kv[0]: kv[1]}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: %v, want %q", kv[0], kv[1], err, want)
		}
	}
}
