package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// StartQuery is the hook for database clients: a client span for one query, a child of the
// span in ctx, ended by the returned function with the query's error. pgx calls it from a
// pgx.QueryTracer (TraceQueryStart starts, TraceQueryEnd ends with data.Err); operation is the
// statement's verb or name, never its text with values.
func (t *Telemetry) StartQuery(ctx context.Context, system, operation string) (context.Context, func(error)) {
	ctx, span := t.tracer().Start(ctx, operation, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.operation.name", operation)))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, errorType(err))
		}
		span.End()
	}
}
