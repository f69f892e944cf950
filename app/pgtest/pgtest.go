// Package pgtest runs a throwaway PostgreSQL server for tests and make dev: Debian's
// postgresql binaries (scripts/install-tools postgres), initdb and pg_ctl in a temporary
// directory, listening on a free loopback port, run as an unprivileged user (PostgreSQL
// refuses to run as root; as root it drops to the postgres user the package creates).
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Major is the PostgreSQL major version Debian bookworm serves and install-tools pins.
const Major = "15"

// Superuser is the cluster's superuser, signed in with Server.Password.
const Superuser = "postgres"

// Server is a running cluster.
type Server struct {
	Host     string
	Port     int
	Password string
	// CAFile is the PEM of the CA that signed the server's certificate (Options.TLS).
	CAFile string

	bin   string
	dir   string
	data  string
	runAs *user.User
}

// Options change the cluster.
type Options struct {
	// TLS turns ssl on with a certificate for 127.0.0.1 and localhost signed by a fresh CA.
	TLS bool
	// HBA lines go before initdb's pg_hba.conf rules (the first matching line decides): for
	// example, trust for a user that signs in with an IAM token, which only RDS can check.
	HBA []string
}

// BinDir returns the directory of initdb and pg_ctl: Debian's pinned major, else the newest
// major the distribution installed (install-tools says when it had to), else PATH's.
func BinDir() (string, error) {
	debian := "/usr/lib/postgresql/" + Major + "/bin"
	if _, err := os.Stat(filepath.Join(debian, "pg_ctl")); err == nil {
		return debian, nil
	}
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(found) > 0 {
		slices.SortFunc(found, func(a, b string) int { return cmp.Compare(major(a), major(b)) })
		return filepath.Dir(found[len(found)-1]), nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed (no " + debian + "/pg_ctl, none on PATH): run scripts/install-tools postgres")
}

// major is the version directory's number in /usr/lib/postgresql/N/bin/pg_ctl.
func major(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// Start creates and starts a cluster in a new temporary directory.
func Start(opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", bin: bin, Password: random()}
	if os.Geteuid() == 0 {
		if s.runAs, err = user.Lookup("postgres"); err != nil {
			return nil, errors.New("running as root and there is no postgres user to run PostgreSQL as: run scripts/install-tools postgres")
		}
	}
	if s.dir, err = os.MkdirTemp("", "keel-pg-"); err != nil {
		return nil, err
	}
	s.data = filepath.Join(s.dir, "data")
	if err := s.init(opts); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.StartAgain(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// init runs initdb and writes the server's settings.
func (s *Server) init(opts Options) error {
	if err := s.own(s.dir); err != nil {
		return err
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := s.writeFile(pwfile, s.Password+"\n"); err != nil {
		return err
	}
	if out, err := s.run("initdb", "-D", s.data, "-U", Superuser, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	addr, err := freePort()
	if err != nil {
		return err
	}
	s.Port = addr
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nmax_connections = 100\nfsync = off\nlog_min_messages = warning\n", s.Port, s.dir)
	if opts.TLS {
		if err := s.writeCerts(); err != nil {
			return err
		}
		conf += "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
	}
	if err := s.prependHBA(opts.HBA); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(conf)
	return err
}

func (s *Server) prependHBA(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	path := filepath.Join(s.data, "pg_hba.conf")
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return s.writeFile(path, strings.Join(lines, "\n")+"\n"+string(old))
}

// StartAgain starts the cluster (after Stop), on the same port.
func (s *Server) StartAgain() error {
	if out, err := s.run("pg_ctl", "-D", s.data, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the cluster at once, cutting open connections (pg_ctl's fast mode).
func (s *Server) Stop() error {
	if out, err := s.run("pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Close stops the cluster if it runs and removes its directory.
func (s *Server) Close() {
	if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
		_ = s.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

// URL is a connection URL for user with password on database db.
func (s *Server) URL(user, password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// SuperuserURL connects as the superuser to db.
func (s *Server) SuperuserURL(db string) string { return s.URL(Superuser, s.Password, db) }

// Exec runs SQL as the superuser on db.
func (s *Server) Exec(ctx context.Context, db, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.SuperuserURL(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// CreateDatabase creates a database with a fresh name and returns it.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	name := "db_" + random()[:12]
	return name, s.Exec(ctx, "postgres", "CREATE DATABASE "+name)
}

// Require starts a cluster for t, stopped and removed when t ends. Without PostgreSQL it skips
// t, naming the command that installs it, and under CI=true it fails t instead.
func Require(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		Unavailable(t, err)
	}
	t.Cleanup(s.Close)
	return s
}

// Unavailable skips t for err (fails it under CI=true, where PostgreSQL must be installed).
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required on CI: %v", err)
	}
	t.Skipf("skipped: %v", err)
}

// run runs one of the cluster's binaries as the cluster's user.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	cmd := exec.Command(path, args...)
	if s.runAs != nil {
		cmd = exec.Command("setpriv", append([]string{"--reuid=" + s.runAs.Uid, "--regid=" + s.runAs.Gid, "--init-groups", "--", path}, args...)...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	return cmd.CombinedOutput()
}

// own gives path to the cluster's user.
func (s *Server) own(path string) error {
	if s.runAs == nil {
		return nil
	}
	uid, _ := strconv.Atoi(s.runAs.Uid)
	gid, _ := strconv.Atoi(s.runAs.Gid)
	return os.Chown(path, uid, gid)
}

// writeFile writes a 0600 file owned by the cluster's user.
func (s *Server) writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	return s.own(path)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(port)
}

func random() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// QueryRow scans one row of sql, run as the superuser on db.
func (s *Server) QueryRow(ctx context.Context, db, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, s.SuperuserURL(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}
