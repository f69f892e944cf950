package store

import (
	"context"
	"net"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keelstack/keel/app/internal/config"
)

// Target is where the pool connects: a keel-managed database (Database.Managed) signed in with
// Tokens over verified TLS, or URL, a DATABASE_URL for a database keel does not manage.
type Target struct {
	Database config.Database
	URL      string
	// Tokens signs the managed database's passwords; nil means IAMTokens (tests inject one).
	Tokens TokenSource
	// Queries is told of every query (a span each); nil records nothing.
	Queries QueryHook
}

// Configured says whether there is a database to connect to.
func (t Target) Configured() bool { return t.Database.Managed() || t.URL != "" }

// secrets are the strings no error may carry: the URL and its password.
func (t Target) secrets() []string {
	out := []string{t.URL}
	if u, err := url.Parse(t.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	if c, err := pgconn.ParseConfig(t.URL); err == nil {
		out = append(out, c.Password)
	}
	return out
}

// poolConfig builds the pool's configuration for t.
func (t Target) poolConfig(ctx context.Context) (*pgxpool.Config, error) {
	db := t.Database
	var cfg *pgxpool.Config
	if !db.Managed() {
		c, err := pgxpool.ParseConfig(t.URL)
		if err != nil {
			// pgx's message quotes the string it could not parse; say only where it came from.
			return nil, &Error{Class: ClassConfig, Detail: "DATABASE_URL is not a PostgreSQL connection URL or key=value string; fix the vault's value"}
		}
		cfg = c
	} else {
		c, err := t.managedConfig(ctx)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	cfg.MaxConns = int32(min(db.PoolMax, 1000)) //nolint:gosec // bounded by config's validation
	// A request waits for a new connection no longer than for a pooled one: past that it is a
	// 503 either way.
	cfg.ConnConfig.ConnectTimeout = db.PoolAcquireTimeout
	cfg.ConnConfig.RuntimeParams["application_name"] = "keel"
	if t.Queries != nil {
		cfg.ConnConfig.Tracer = queryTracer{t.Queries}
	}
	return cfg, nil
}

// managedConfig signs in with a fresh IAM token per new connection (the BeforeConnect hook) and
// verifies the server against the pinned CA bundle, with no plaintext or unverified fallback.
func (t Target) managedConfig(ctx context.Context) (*pgxpool.Config, error) {
	db := t.Database
	u := url.URL{Scheme: "postgres", User: url.User(db.User), Host: net.JoinHostPort(db.Host, strconv.Itoa(db.Port)), Path: "/" + db.Name, RawQuery: "sslmode=verify-full"}
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, &Error{Class: ClassConfig, Detail: "DB_HOST, DB_PORT, DB_NAME or DB_USER do not form a connection: " + err.Error()}
	}
	tlsCfg, err := tlsConfig(db.Host, db.CAFile)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.TLSConfig, cfg.ConnConfig.Fallbacks = tlsCfg, nil
	tokens := t.Tokens
	if tokens == nil {
		if tokens, err = IAMTokens(ctx, db.Host, db.Port, db.Region, db.User); err != nil {
			return nil, err
		}
	}
	cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		token, err := tokens(ctx)
		if err != nil {
			return err
		}
		cc.Password = token
		return nil
	}
	return cfg, nil
}
