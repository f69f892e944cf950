package config

import (
	"fmt"
	"time"
)

// Database is how the service reaches its PostgreSQL database. With Host set the database is
// keel-managed: the service signs in as User with a short-lived IAM token, over TLS verified
// against the pinned RDS CA bundle. Without it, the vault's DATABASE_URL (a database keel does
// not manage) is used when present; with neither, the service runs without a database.
type Database struct {
	Host   string
	Port   int
	Name   string
	User   string
	Region string
	// IAM is DB_AUTH=iam, the only way a keel-managed database signs the service in.
	IAM bool
	// CAFile replaces the embedded RDS CA bundle (a private CA, or a test's).
	CAFile string
	// PoolMax bounds the pool's connections; PoolAcquireTimeout bounds how long a request waits
	// for one before it is answered 503.
	PoolMax            int
	PoolAcquireTimeout time.Duration
	// QueryTimeout is each request's deadline for its database work.
	QueryTimeout time.Duration
	// SetupRetry is how often a service whose keel-managed database has no role for it yet
	// (make db-setup has not run) tries again.
	SetupRetry time.Duration
}

// Managed says whether keel manages the database (DB_HOST is set).
func (d Database) Managed() bool { return d.Host != "" }

func (r *reader) database() Database {
	d := Database{
		Host:               r.str("DB_HOST"),
		Port:               r.int("DB_PORT", 5432),
		Name:               r.str("DB_NAME"),
		User:               r.str("DB_USER"),
		Region:             r.str("DB_REGION"),
		CAFile:             r.str("DB_TLS_CA_FILE"),
		PoolMax:            r.int("DB_POOL_MAX", 10),
		PoolAcquireTimeout: r.duration("DB_POOL_ACQUIRE_TIMEOUT", 2*time.Second),
		QueryTimeout:       r.duration("DB_QUERY_TIMEOUT", 5*time.Second),
		SetupRetry:         r.duration("DB_SETUP_RETRY", 15*time.Second),
	}
	switch auth := r.str("DB_AUTH"); auth {
	case "iam":
		d.IAM = true
	case "":
	default:
		r.fail("DB_AUTH", auth, "use iam (IAM database authentication), or leave it unset with DATABASE_URL in the vault")
	}
	if d.Port < 1 || d.Port > 65535 {
		r.fail("DB_PORT", fmt.Sprint(d.Port), "use a TCP port from 1 to 65535 (PostgreSQL's is 5432)")
	}
	if d.PoolMax < 1 || d.PoolMax > 1000 {
		r.fail("DB_POOL_MAX", fmt.Sprint(d.PoolMax), "use 1 to 1000 connections per task")
	}
	for _, v := range []struct {
		name  string
		value time.Duration
	}{{"DB_POOL_ACQUIRE_TIMEOUT", d.PoolAcquireTimeout}, {"DB_QUERY_TIMEOUT", d.QueryTimeout}, {"DB_SETUP_RETRY", d.SetupRetry}} {
		if v.value <= 0 {
			r.fail(v.name, v.value.String(), "use a positive duration such as 2s")
		}
	}
	r.managedDatabase(d)
	return d
}

// managedDatabase checks that a keel-managed database is fully described.
func (r *reader) managedDatabase(d Database) {
	if !d.Managed() && !d.IAM {
		return
	}
	if !d.IAM {
		r.fail("DB_AUTH", "", "set DB_AUTH=iam with DB_HOST: a keel-managed database signs the service in with IAM tokens")
	}
	for _, v := range [][2]string{{"DB_HOST", d.Host}, {"DB_NAME", d.Name}, {"DB_USER", d.User}, {"DB_REGION", d.Region}} {
		if v[1] == "" {
			r.fail(v[0], "", "set it with the other DB_* variables (the task definition of a stage with a database sets them all)")
		}
	}
}

func (r *reader) str(name string) string {
	v, _ := r.get(name)
	return v
}
