package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// QueryHook starts a span (or any measure) for one query named by its operation (SELECT,
// INSERT, ...) and returns what ends it with the query's error. The service passes its
// tracer's (telemetry.StartQuery); nil records nothing.
type QueryHook func(ctx context.Context, operation string) (context.Context, func(error))

// queryTracer is pgx's side of a QueryHook.
type queryTracer struct{ hook QueryHook }

type queryEnd struct{}

func (q queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	ctx, end := q.hook(ctx, operation(data.SQL))
	return context.WithValue(ctx, queryEnd{}, end)
}

func (q queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if end, ok := ctx.Value(queryEnd{}).(func(error)); ok {
		end(data.Err)
	}
}

// operation is a statement's first keyword: a bounded name, never the SQL or its arguments.
func operation(sql string) string {
	word, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	word = strings.ToUpper(word)
	switch word {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "CREATE", "ALTER", "DROP", "SET":
		return word
	}
	return "OTHER"
}
