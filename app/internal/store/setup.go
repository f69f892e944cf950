package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// Admin is the database's master credential, which only the one-time setup holds.
type Admin struct {
	Host, Name, User, Password string
	Port                       int
	// CAFile replaces the embedded RDS CA bundle (see tlsConfig).
	CAFile string
}

// validRole is an unquoted PostgreSQL identifier: what IAM's rds-db:connect resource names too.
var validRole = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Setup creates, idempotently, the service's login role, its rds_iam membership (on RDS) and
// a schema it owns, named like it (first on PostgreSQL's default search_path "$user", public).
// It returns what it did or skipped, one line each.
func Setup(ctx context.Context, a Admin, role string) ([]string, error) {
	if !validRole.MatchString(role) {
		return nil, &Error{Class: ClassConfig, Detail: fmt.Sprintf("DB_USER=%q: use a lower-case identifier (letters, digits, _), as in the task role's rds-db:connect resource", role)}
	}
	conn, err := a.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var done []string
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var err error
		done, err = setup(ctx, tx, a, role)
		return err
	})
	return done, wrap(err, a.Password)
}

func setup(ctx context.Context, tx pgx.Tx, a Admin, role string) ([]string, error) {
	id, master, db := pgx.Identifier{role}.Sanitize(), pgx.Identifier{a.User}.Sanitize(), pgx.Identifier{a.Name}.Sanitize()
	var done []string
	exists := func(name string) (bool, error) {
		var ok bool
		err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&ok)
		return ok, err
	}
	ok, err := exists(role)
	if err != nil {
		return nil, err
	}
	if ok {
		done = append(done, "role "+role+": exists")
	} else {
		if _, err := tx.Exec(ctx, "CREATE ROLE "+id+" LOGIN"); err != nil {
			return nil, err
		}
		done = append(done, "role "+role+": created (LOGIN, no password)")
	}
	iam, err := exists("rds_iam")
	if err != nil {
		return nil, err
	}
	if iam {
		if _, err := tx.Exec(ctx, "GRANT rds_iam TO "+id); err != nil {
			return nil, err
		}
		done = append(done, "rds_iam: granted to "+role+" (it signs in with IAM tokens only)")
	} else {
		done = append(done, "rds_iam: no such role (not RDS): skipped; locally the role signs in with a password an operator sets")
	}
	// The master may create a schema owned by the role only as a member of it (RDS's master is
	// not a superuser).
	stmts := []string{
		"GRANT " + id + " TO " + master,
		"GRANT CONNECT ON DATABASE " + db + " TO " + id,
		"CREATE SCHEMA IF NOT EXISTS " + id + " AUTHORIZATION " + id,
		"ALTER SCHEMA " + id + " OWNER TO " + id,
		"ALTER ROLE " + id + " IN DATABASE " + db + " SET search_path TO " + id,
	}
	for _, sql := range stmts {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, err
		}
	}
	return append(done, "schema "+role+": owned by "+role+", its search_path in "+a.Name), nil
}

// connect signs in as the master over TLS verified like the service's connections.
func (a Admin) connect(ctx context.Context) (*pgx.Conn, error) {
	var missing []error
	for _, v := range [][2]string{{"DB_MASTER_USER", a.User}, {"DB_MASTER_PASSWORD", a.Password}, {"DB_HOST", a.Host}, {"DB_NAME", a.Name}} {
		if v[1] == "" {
			missing = append(missing, fmt.Errorf("%s is not set", v[0]))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, &Error{Class: ClassConfig, Detail: err.Error() + " (the dbsetup task definition injects them)"}
	}
	u := url.URL{Scheme: "postgres", User: url.User(a.User), Host: net.JoinHostPort(a.Host, strconv.Itoa(a.Port)), Path: "/" + a.Name, RawQuery: "sslmode=verify-full"}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, &Error{Class: ClassConfig, Detail: "DB_HOST, DB_PORT or DB_NAME do not form a connection"}
	}
	if cfg.TLSConfig, err = tlsConfig(a.Host, a.CAFile); err != nil {
		return nil, err
	}
	cfg.Fallbacks, cfg.Password = nil, a.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	return conn, wrap(err, a.Password)
}
