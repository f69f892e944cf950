package cost

import (
	"strconv"
	"time"
)

// The service's own metrics (app/internal/telemetry), counted as CloudWatch counts custom
// metrics: one per name and dimension combination. Per route: Requests, Errors4xx, Errors5xx
// and Latency under {Service, Route}; the same four under {Service}; seven gauges under
// {Service} (the vault's two, admission's three, the pool's two: app/internal/server).
// ServiceRoutes is the route patterns of app/internal/httpapi (six) and the
// unmatched bucket; test/infra recounts both against the code and the binary's output.
const (
	PerRouteMetrics = 4
	RollupMetrics   = 4
	GaugeMetrics    = 7
	ServiceRoutes   = 7
)

// Sizes that no template says, measured on the service's own output: an EMF line is about
// 500 bytes (a route's line 470, the gauges' 230); a span as X-Ray's Transaction Search stores
// it (a JSON document in the aws/spans log group) about 1 KiB.
const (
	emfLineBytes = 500
	spanBytes    = 1024
)

// telemetry prices what the service's telemetry adds: the dashboard, the custom metrics its
// EMF lines define, those lines' log ingestion, and the spans it sends to X-Ray, which
// Transaction Search bills as CloudWatch Logs ingestion.
func (m model) telemetry(t taskCounts) []item {
	env := containerEnvironment(t.task)
	out := []item{both("CloudWatch dashboards", "cloudwatch.dashboard", float64(len(m.stage.resources("AWS::CloudWatch::Dashboard"))),
		"dashboards in the templates (the account's first three are free: not counted)")}
	if interval, err := time.ParseDuration(env["METRICS_INTERVAL"]); err == nil && interval > 0 {
		metrics := float64(ServiceRoutes*PerRouteMetrics + RollupMetrics + GaugeMetrics)
		perTask := m.hours * 3600 / interval.Seconds() * float64(ServiceRoutes+1) * emfLineBytes / gib
		out = append(out,
			both("Service custom metrics (EMF)", "cloudwatch.metric", metrics, "metric × dimension combinations the service writes: 6 routes × 4 + 4 + 2"),
			item{name: "Service metric lines ingested (EMF)", price: "logs.ingest", minQty: float64(t.min) * perTask, maxQty: float64(t.max) * perTask,
				basis: "7 EMF lines of ~500 B per task and METRICS_INTERVAL"})
	}
	if env["OTEL_TRACES_EXPORTER"] == "otlp" {
		ratio, _ := strconv.ParseFloat(env["OTEL_TRACES_SAMPLER_ARG"], 64)
		gb := m.usage.RequestsPerSecond * ratio * m.hours * 3600 * spanBytes / gib
		out = append(out, both("Trace spans ingested (X-Ray Transaction Search)", "logs.ingest", gb, "usage: requestsPerSecond × OTEL_TRACES_SAMPLER_ARG × ~1 KiB a span"))
	}
	return out
}

// containerEnvironment is the first container's environment in a task definition.
func containerEnvironment(task resource) map[string]string {
	env := map[string]string{}
	containers, _ := task.Props["ContainerDefinitions"].([]any)
	if len(containers) == 0 {
		return env
	}
	vars, _ := containers[0].(map[string]any)["Environment"].([]any)
	for _, v := range vars {
		kv, _ := v.(map[string]any)
		name, _ := kv["Name"].(string)
		value, _ := kv["Value"].(string)
		env[name] = value
	}
	return env
}
