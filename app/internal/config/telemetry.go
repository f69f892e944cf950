package config

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Telemetry is the service's metrics and tracing settings. The tracing ones are the
// OpenTelemetry SDK's standard environment variables (OTEL_*), read here rather than by the
// SDK so that a bad value stops the boot with the others.
type Telemetry struct {
	// ServiceName is OTEL_SERVICE_NAME: the traces' service.name and the metrics' Service
	// dimension.
	ServiceName string
	// MetricsNamespace is METRICS_NAMESPACE, the CloudWatch namespace of the EMF lines.
	MetricsNamespace string
	// MetricsInterval is METRICS_INTERVAL: how often the aggregated metrics are written;
	// 0 turns metrics off.
	MetricsInterval time.Duration
	// Tracing is on when OTEL_TRACES_EXPORTER is "otlp". Unlike the SDK's default (otlp),
	// unset means "none": a process with nowhere to send spans does not try.
	Tracing bool
	// TracesEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT
	// with /v1/traces appended (the OTLP exporter specification's rule).
	TracesEndpoint string
	// Sampler is OTEL_TRACES_SAMPLER and SamplerArg OTEL_TRACES_SAMPLER_ARG (the ratio of the
	// traceidratio samplers).
	Sampler    string
	SamplerArg float64
	// ExportTimeout is OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds in the specification).
	ExportTimeout time.Duration
}

// samplers are the OTEL_TRACES_SAMPLER values the service understands.
var samplers = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

func (r *reader) telemetry() Telemetry {
	t := Telemetry{
		ServiceName:      r.string("OTEL_SERVICE_NAME", "keel"),
		MetricsNamespace: r.string("METRICS_NAMESPACE", "keel"),
		MetricsInterval:  r.duration("METRICS_INTERVAL", time.Minute),
		Sampler:          r.string("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
		SamplerArg:       r.ratio("OTEL_TRACES_SAMPLER_ARG", 1),
		ExportTimeout:    time.Duration(r.int("OTEL_EXPORTER_OTLP_TIMEOUT", 10000)) * time.Millisecond,
	}
	if t.MetricsInterval != 0 && t.MetricsInterval < time.Second {
		r.fail("METRICS_INTERVAL", t.MetricsInterval.String(), "use 0 (off) or an interval of 1s or more, such as 60s")
	}
	switch exporter := r.string("OTEL_TRACES_EXPORTER", "none"); exporter {
	case "none":
	case "otlp":
		t.Tracing = true
	default:
		r.fail("OTEL_TRACES_EXPORTER", exporter, `use "otlp" (OTLP over HTTP) or "none"`)
	}
	if !slices.Contains(samplers, t.Sampler) {
		r.fail("OTEL_TRACES_SAMPLER", t.Sampler, "use one of "+strings.Join(samplers, ", "))
	}
	if t.ExportTimeout <= 0 {
		r.fail("OTEL_EXPORTER_OTLP_TIMEOUT", t.ExportTimeout.String(), "use a positive number of milliseconds such as 10000")
	}
	t.TracesEndpoint = r.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if base := r.string("OTEL_EXPORTER_OTLP_ENDPOINT", ""); t.TracesEndpoint == "" && base != "" {
		t.TracesEndpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
	}
	if t.Tracing {
		if u, err := url.Parse(t.TracesEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", t.TracesEndpoint, "tracing needs an http(s) URL such as https://xray.eu-west-1.amazonaws.com/v1/traces (or OTEL_EXPORTER_OTLP_ENDPOINT)")
		}
	}
	return t
}

func (r *reader) string(name, def string) string {
	if v, ok := r.get(name); ok {
		return v
	}
	return def
}

// ratio reads a number from 0 to 1.
func (r *reader) ratio(name string, def float64) float64 {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		r.fail(name, v, "use a ratio from 0 to 1 such as 0.05")
		return def
	}
	return f
}
