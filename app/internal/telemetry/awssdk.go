package telemetry

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// AWSMiddleware gives every AWS SDK operation (all its attempts) a client span, a child of the
// span in the caller's context: add it to a client's APIOptions (the vault's S3 client gets it
// through vsync.WithS3Options).
func (t *Telemetry) AWSMiddleware() func(*middleware.Stack) error {
	tracer := t.tracer()
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("keel/telemetry/span",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				service, operation := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
				ctx, span := tracer.Start(ctx, service+"."+operation, trace.WithSpanKind(trace.SpanKindClient),
					trace.WithAttributes(attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", service), attribute.String("rpc.method", operation)))
				defer span.End()
				out, md, err := next.HandleInitialize(ctx, in)
				if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
					span.SetAttributes(attribute.Int("http.response.status_code", raw.StatusCode))
				}
				if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
					span.SetAttributes(attribute.String("aws.request_id", id))
				}
				if err != nil {
					span.SetStatus(codes.Error, errorType(err)) // the class, not the text: it names keys
				}
				return out, md, err
			}), middleware.After)
	}
}

func errorType(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}
