package stage

import (
	"fmt"
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// MetricsNamespace is the CloudWatch namespace of the service's EMF metrics.
const MetricsNamespace = "keel"

// ServiceName is the service's name in its traces (service.name) and metrics (the Service
// dimension): one per stage, so that stages sharing an account stay apart.
func ServiceName(stage string) string { return StackName(stage) }

// withTelemetry adds the telemetry settings to the container's environment, as the
// OpenTelemetry SDK's standard variables (and the service's METRICS_* for EMF).
func withTelemetry(env map[string]string, s settings.Stage) map[string]string {
	out := maps.Clone(env)
	out["OTEL_SERVICE_NAME"] = ServiceName(s.Name)
	out["METRICS_NAMESPACE"] = MetricsNamespace
	out["METRICS_INTERVAL"] = sec(s.Telemetry.MetricsIntervalSeconds).String()
	out["OTEL_TRACES_EXPORTER"] = "none"
	if s.Telemetry.Tracing {
		out["OTEL_TRACES_EXPORTER"] = "otlp"
		out["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = XRayTracesEndpoint(s.Region)
		out["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
		out["OTEL_TRACES_SAMPLER_ARG"] = fmt.Sprint(s.Telemetry.SampleRatio)
	}
	return out
}

// XRayTracesEndpoint is X-Ray's OTLP/HTTP traces endpoint in region (it needs CloudWatch
// Transaction Search turned on in the account once).
func XRayTracesEndpoint(region string) string {
	return "https://xray." + region + ".amazonaws.com/v1/traces"
}

// grantTracing lets the task send spans: X-Ray authorizes its OTLP endpoint as
// xray:PutTraceSegments, an action without resource-level permissions (Service
// Authorization Reference, AWS X-Ray).
func grantTracing(svc *service.Service, s settings.Stage) {
	if !s.Telemetry.Tracing {
		return
	}
	svc.TaskDefinition.AddToTaskRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("xray:PutTraceSegments"),
		Resources: jsii.Strings("*"),
	}))
	suppressWildcard(svc.TaskDefinition.TaskRole(), nil,
		"xray:PutTraceSegments (which authorizes X-Ray's OTLP endpoint) has no resource-level permissions: IAM requires Resource *.")
}
