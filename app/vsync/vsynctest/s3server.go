package vsynctest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rclone/gofakes3"
	"github.com/rclone/gofakes3/s3mem"

	"github.com/keelstack/keel/app/vsync"
)

// Test credentials: made up, loopback only.
const (
	Region    = "us-east-1"
	Bucket    = "vault"
	AccessKey = "keeltestroot"
	SecretKey = "keeltestroot-secret-0123456789"
)

// S3Server is an S3-compatible server on loopback with SigV4 authentication.
type S3Server struct {
	Name     string
	Endpoint string
	stop     func()
	bin      string // versitygw's binary, for its admin commands
	// mode switches the gofakes3 front: "" serves, "500" fails every request, "hang" blocks.
	mode atomic.Value
}

// Stop shuts the server down; requests then fail with connection refused.
func (s *S3Server) Stop() { s.stop() }

// Fail makes every request answer 500 (mode "500"), hang until the client gives up ("hang"),
// or serve normally (""). Only the in-process server supports it.
func (s *S3Server) Fail(mode string) { s.mode.Store(mode) }

// Config is a reader config for this server under prefix, with the root test key.
func (s *S3Server) Config(prefix, env, salt string, iterations int) vsync.Config {
	return vsync.Config{V: 1, Endpoint: s.Endpoint, Region: Region, Bucket: Bucket,
		AccessKeyID: AccessKey, SecretAccessKey: SecretKey, Prefix: prefix, Env: env, Salt: salt, Iterations: iterations}
}

// Store is a writer on the bucket with the root test key.
func (s *S3Server) Store() *vsync.S3Store {
	creds := credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")
	return vsync.NewS3Store(vsync.NewS3Client(s.Endpoint, Region, creds), Bucket)
}

// StoreWithTimeout is Store with each S3 attempt bounded by timeout, for tests whose server
// holds a response past it (the default per-attempt bound is 15 s).
func (s *S3Server) StoreWithTimeout(timeout time.Duration) *vsync.S3Store {
	creds := credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")
	client := vsync.NewS3Client(s.Endpoint, Region, creds, func(o *s3.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
	})
	return vsync.NewS3Store(client, Bucket)
}

// StartGoFakeS3 runs the in-process gofakes3 server (with SigV4 checking) holding Bucket.
func StartGoFakeS3(t testing.TB) *S3Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(context.Background(), Bucket); err != nil {
		t.Fatalf("gofakes3: create bucket: %v", err)
	}
	faker := gofakes3.New(backend, gofakes3.WithV4Auth(map[string]string{AccessKey: SecretKey}), gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &S3Server{Name: "gofakes3"}
	s.mode.Store("")
	inner := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.mode.Load().(string) {
		case "500":
			http.Error(w, "injected failure", http.StatusInternalServerError)
		case "hang":
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		default:
			inner.ServeHTTP(w, r)
		}
	}))
	s.Endpoint = srv.URL
	s.stop = func() { srv.CloseClientConnections(); srv.Close() }
	t.Cleanup(srv.Close)
	return s
}

// VersityGWEnv names the versitygw binary for tests; scripts/install-tools provides it and
// `make test` sets it.
const VersityGWEnv = "KEEL_VERSITYGW"

// VersityGWPath returns the versitygw binary, or "" when the environment has none. On CI a
// missing binary fails the test: the suite must not skip silently there.
func VersityGWPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv(VersityGWEnv)
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set on CI: run scripts/install-tools versitygw (make test does)", VersityGWEnv)
		}
		return ""
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v", VersityGWEnv, path, err)
	}
	return path
}

// StartS3Server runs versitygw when the environment provides it (CI always does: see
// VersityGWPath), else the in-process gofakes3, for tests that need one real S3 server.
func StartS3Server(t testing.TB) *S3Server {
	t.Helper()
	if bin := VersityGWPath(t); bin != "" {
		return StartVersityGW(t, bin)
	}
	t.Logf("%s not set: running against gofakes3 (make test sets it)", VersityGWEnv)
	return StartGoFakeS3(t)
}

// StartVersityGW runs a versitygw process for a test (see LaunchVersityGW), stopped at cleanup.
func StartVersityGW(t testing.TB, bin string) *S3Server {
	t.Helper()
	s, err := LaunchVersityGW(bin, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// LaunchVersityGW runs versitygw (posix backend under dir, IAM directory so that unknown keys
// get a real 403) on addr ("" for a free loopback port), holding Bucket, with the root test
// key. posixArgs go to the posix backend (for example --versioning-dir DIR, outside dir/data).
// The caller stops it.
func LaunchVersityGW(bin, dir, addr string, posixArgs ...string) (*S3Server, error) {
	data, iam := filepath.Join(dir, "data"), filepath.Join(dir, "iam")
	for _, d := range []string{data, iam} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if addr == "" {
		var err error
		if addr, err = LoopbackAddr(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, append(append([]string{"--port", addr, "--iam-dir", iam, "posix"}, posixArgs...), data)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	var once sync.Once
	s := &S3Server{Name: "versitygw", Endpoint: "http://" + addr, bin: bin}
	s.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			logf.Close()
		})
	}
	if err := waitCreateBucket(s); err != nil {
		s.Stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("versitygw did not come up: %v\n%s", err, log)
	}
	return s, nil
}

// AddReader creates a user that may only GET objects under prefix: what a vault token's key
// should be able to do, and nothing more.
func (s *S3Server) AddReader(ctx context.Context, accessKey, secretKey, prefix string) error {
	if s.bin == "" {
		return fmt.Errorf("%w (this is %s)", errNotVersity, s.Name)
	}
	out, err := exec.CommandContext(ctx, s.bin, "admin", "--access", AccessKey, "--secret", SecretKey, "--endpoint-url", s.Endpoint,
		"create-user", "--access", accessKey, "--secret", secretKey, "--role", "user").CombinedOutput()
	if err != nil {
		return fmt.Errorf("versitygw admin create-user: %v: %s", err, out)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[%q]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/%s*"]}]}`,
		accessKey, Bucket, prefix)
	client := vsync.NewS3Client(s.Endpoint, Region, credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""))
	_, err = client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(Bucket), Policy: aws.String(policy)})
	return err
}

func waitCreateBucket(s *S3Server) error {
	client := vsync.NewS3Client(s.Endpoint, Region, credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(Bucket)})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// LoopbackAddr is a free host:port on 127.0.0.1, for servers that tests and tools start.
func LoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RefusedEndpoint is an http endpoint on loopback where nothing listens.
func RefusedEndpoint(t testing.TB) string {
	t.Helper()
	addr, err := LoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

var (
	errNotInProcess = errors.New("vsynctest: fault injection needs the in-process server")
	errNotVersity   = errors.New("vsynctest: users need the versitygw server")
)

// CanFail reports whether Fail works on s.
func (s *S3Server) CanFail() error {
	if s.Name != "gofakes3" {
		return fmt.Errorf("%w (this is %s)", errNotInProcess, s.Name)
	}
	return nil
}
