package settings

// Telemetry is what the service measures and traces. Metrics are EMF lines on stdout
// (no agent, no sidecar); traces go straight to X-Ray's OTLP endpoint in the stage's region
// (the README's "Metrics, traces and the dashboard" says why no collector sidecar).
type Telemetry struct {
	// Tracing turns on OpenTelemetry traces; off, the service still puts a trace ID on every
	// log line and exports nothing.
	Tracing bool `json:"tracing"`
	// SampleRatio is the share of new traces recorded (0 to 1); a caller's sampled decision
	// (traceparent or X-Amzn-Trace-Id Sampled=1) is always followed.
	SampleRatio float64 `json:"sampleRatio"`
	// MetricsIntervalSeconds is how often the aggregated metrics are written: CloudWatch
	// stores each line's values as one data point per metric.
	MetricsIntervalSeconds int `json:"metricsIntervalSeconds"`
}

// defaultTelemetry: dev traces nothing (a deploy loop is no load to trace and saves the
// span ingestion); staging records a tenth of its requests, prod one in twenty.
func defaultTelemetry(stage string) Telemetry {
	t := Telemetry{MetricsIntervalSeconds: 60}
	switch stage {
	case "staging":
		t.Tracing, t.SampleRatio = true, 0.1
	case "prod":
		t.Tracing, t.SampleRatio = true, 0.05
	}
	return t
}

func (s Stage) validateTelemetry(p *problems) {
	t := s.Telemetry
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		p.add("telemetry.sampleRatio", t.SampleRatio, "use a ratio from 0 to 1, such as 0.05 for one request in twenty")
	}
	if t.Tracing && t.SampleRatio == 0 {
		p.add("telemetry.sampleRatio", 0, "tracing is on but samples nothing (only callers' sampled traces would be kept); set a ratio such as 0.05, or telemetry.tracing false")
	}
	// CloudWatch keeps 60 s data points for 15 days; 1 to 59 s would be high-resolution
	// metrics, priced higher; past an hour a dashboard's minute graphs go blank.
	if t.MetricsIntervalSeconds != 0 && (t.MetricsIntervalSeconds < 60 || t.MetricsIntervalSeconds > 3600) {
		p.add("telemetry.metricsIntervalSeconds", t.MetricsIntervalSeconds, "use 60 to 3600 seconds, or 0 to turn the service's metrics off")
	}
}
