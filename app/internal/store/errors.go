package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The error classes an operator reads in the boot line and a client never sees in detail.
const (
	ClassConfig      = "DatabaseConfigError"      // DATABASE_URL or DB_* unusable
	ClassCredentials = "DatabaseCredentialsError" // no AWS credentials to sign an IAM token
	ClassUnreachable = "DatabaseUnreachableError" // no connection: DNS, refused, timeout, pool exhausted
	ClassTLS         = "DatabaseTLSError"         // the server's certificate did not verify
	ClassAuth        = "DatabaseAuthError"        // the server refused the sign-in
	ClassSetup       = "DatabaseSetupError"       // database, role, schema or grants missing: run dbsetup
	ClassMigration   = "DatabaseMigrationError"   // a migration failed
	ClassQuery       = "DatabaseQueryError"       // the server rejected a statement
)

// ErrUnavailable marks an error a client should retry later (503): the database or a pooled
// connection could not be had in time.
var ErrUnavailable = errors.New("database unavailable")

// ErrNotFound is a missing row.
var ErrNotFound = errors.New("not found")

// Error is every error that leaves this package: a class and a detail from which the DSN, the
// password and any IAM token have been removed.
type Error struct {
	Class  string
	Detail string
	err    error
}

func (e *Error) Error() string { return e.Class + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.err }

// Is makes every error of a class that clients should retry match ErrUnavailable.
func (e *Error) Is(target error) bool {
	return target == ErrUnavailable && (e.Class == ClassUnreachable || e.Class == ClassCredentials || e.Class == ClassTLS)
}

// Class returns err's class, or "" when err is not one of this package's.
func Class(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

// wrap classifies err and scrubs every secret from its text. The wrapped chain is kept for
// errors.Is/As; callers log Error(), which is scrubbed.
func wrap(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Class: classify(err), Detail: scrub(err.Error(), secrets), err: err}
}

// iamToken matches an RDS IAM token (a presigned query string) wherever it appears: tokens
// change per connection, so they are found by shape rather than listed.
var iamToken = regexp.MustCompile(`\S*X-Amz-(Signature|Credential|Security-Token)=\S*`)

// scrub replaces each secret and anything shaped like an IAM token with a marker; secrets
// shorter than 4 characters are skipped (they would mangle the message, not hide anything).
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return iamToken.ReplaceAllString(s, "[redacted token]")
}

func classify(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "28"): // invalid_authorization_specification, invalid_password
			return ClassAuth
		case pg.Code == "3D000" || pg.Code == "3F000" || pg.Code == "42501": // no database, no schema, no privilege
			return ClassSetup
		case strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57"): // connection exception, operator intervention (shutdown)
			return ClassUnreachable
		}
		return ClassQuery
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) ||
		strings.Contains(err.Error(), "server refused TLS connection") {
		return ClassTLS
	}
	var netErr net.Error
	var connect *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connect) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) {
		return ClassUnreachable
	}
	return ClassQuery
}
