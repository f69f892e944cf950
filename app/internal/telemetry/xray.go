package telemetry

import (
	"context"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// xrayHeader is the header the ALB adds to every request it forwards
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html):
// "Root=1-{8 hex digits: epoch seconds}-{24 hex digits}", with ";Parent={16 hex};Sampled={0|1}"
// when an upstream X-Ray-instrumented caller sent it, and "Self=..." fields the ALB adds for
// itself. Fields are separated by ";" and may come in any order
// (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
const xrayHeader = "X-Amzn-Trace-Id"

// xrayPropagator reads and writes X-Amzn-Trace-Id. go.opentelemetry.io/contrib/propagators/aws
// is not served to this build; this is the part of it the service needs, plus the ALB's case
// of a Root without a Parent: that trace ID is kept (albRoot) for the service's own root span,
// so that the trace, the ALB's access log and the service's log line share one ID.
type xrayPropagator struct{}

var _ propagation.TextMapPropagator = xrayPropagator{}

type albRootKey struct{}

func (xrayPropagator) Fields() []string { return []string{xrayHeader} }

func (xrayPropagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	tid := sc.TraceID().String()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	carrier.Set(xrayHeader, "Root=1-"+tid[:8]+"-"+tid[8:]+";Parent="+sc.SpanID().String()+";Sampled="+sampled)
}

func (xrayPropagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	h := carrier.Get(xrayHeader)
	if h == "" {
		return ctx
	}
	var root trace.TraceID
	var parent trace.SpanID
	var sampled string
	var hasRoot, hasParent bool
	for rest := h; rest != ""; {
		var field string
		field, rest, _ = strings.Cut(rest, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			root, hasRoot = parseXRayTraceID(v)
		case "Parent":
			b, err := hex.DecodeString(v)
			hasParent = err == nil && len(b) == 8
			copy(parent[:], b)
			hasParent = hasParent && parent.IsValid()
		case "Sampled":
			sampled = v
		}
	}
	switch {
	case !hasRoot:
		return ctx
	case hasParent && (sampled == "0" || sampled == "1"):
		flags := trace.TraceFlags(0)
		if sampled == "1" {
			flags = trace.FlagsSampled
		}
		return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: root, SpanID: parent, TraceFlags: flags, Remote: true,
		}))
	default: // the ALB's own Root, or a caller that left the sampling decision to us
		return context.WithValue(ctx, albRootKey{}, root)
	}
}

// parseXRayTraceID reads "1-5759e988-bd862e3fe1be46a994272793" (version 1, 8 + 24 hex digits).
func parseXRayTraceID(v string) (trace.TraceID, bool) {
	var id trace.TraceID
	parts := strings.Split(v, "-")
	if len(parts) != 3 || parts[0] != "1" || len(parts[1]) != 8 || len(parts[2]) != 24 {
		return id, false
	}
	b, err := hex.DecodeString(parts[1] + parts[2])
	if err != nil {
		return id, false
	}
	copy(id[:], b)
	return id, id.IsValid()
}
