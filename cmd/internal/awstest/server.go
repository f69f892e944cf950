// Package awstest serves, on loopback, the AWS APIs the day-2 commands call, for their tests:
// moto's server (moto_server) for what it implements, and in front of it a small stand-in for
// the operations moto lacks (ECS service deployments and revisions, CloudFormation drift
// detection), answering with the response shapes of the AWS API reference. It can also refuse
// or throttle any operation, the way AWS does.
package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is moto behind the stand-in. Point the SDK at URL (AWS_ENDPOINT_URL).
type Server struct {
	URL string

	mu     sync.Mutex
	ecs    ecsState
	drift  driftState
	faults map[string]string // operation → AWS error code it answers with
	calls  []string          // every operation received, in order
}

// Start runs moto_server on a free loopback port and the stand-in in front of it, and points
// the AWS SDK of this process at them (test credentials, two attempts, no instance metadata).
// Without moto_server the test is skipped, saying why; under CI=true it fails instead.
func Start(t *testing.T) *Server {
	t.Helper()
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		msg := "moto_server is not on PATH (it ships with Python's moto: pip install 'moto[server]'); the day-2 commands' AWS tests need it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	port := freePort(t)
	cmd := exec.Command(moto, "-H", "127.0.0.1", "-p", port)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Env = append(os.Environ(), "MOTO_ECS_SERVICE_RUNNING=2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	motoURL := "http://127.0.0.1:" + port
	waitUp(t, motoURL, &log)

	s := &Server{faults: map[string]string{}}
	target, _ := url.Parse(motoURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := operation(r, body)
		s.mu.Lock()
		s.calls = append(s.calls, op)
		code := s.faults[op]
		s.mu.Unlock()
		if code != "" {
			writeFault(w, r, code)
			return
		}
		if s.standIn(w, r, op, body) {
			return
		}
		if isCBOR(r) {
			cborToJSON(w, r, motoURL, op, body)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	s.URL = front.URL
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": s.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_MAX_ATTEMPTS": "2", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
	} {
		t.Setenv(k, v)
	}
	return s
}

// Fail makes operation (e.g. "DescribeStacks") answer with the AWS error code
// (AccessDeniedException, ThrottlingException, ...) until cleared with Fail(op, "").
func (s *Server) Fail(op, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.faults, op)
		return
	}
	s.faults[op] = code
}

// Calls returns the operations received since the last call, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// operation names the API operation of a request: X-Amz-Target for the JSON protocols
// (ECS, CloudWatch Logs, CloudWatch), the Action parameter for the query protocol
// (CloudFormation, Elastic Load Balancing).
func operation(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if strings.Contains(r.URL.Path, "/operation/") { // Smithy RPC v2 CBOR: /service/S/operation/OP
		return r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	}
	if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
		return v.Get("Action")
	}
	return r.URL.Query().Get("Action")
}

// writeFault answers as AWS does: a JSON error for the JSON protocols, an XML ErrorResponse
// for the query protocol; 400 for throttling and refusals (AccessDenied is 400 on the query
// APIs, 400 AccessDeniedException on JSON ones), as the SDK's retryer expects.
func writeFault(w http.ResponseWriter, r *http.Request, code string) {
	if isCBOR(r) {
		writeCBOR(w, http.StatusBadRequest, map[string]any{"__type": code, "message": "stand-in: " + code})
		return
	}
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "stand-in: " + code})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>stand-in: %s</Message></Error><RequestId>standin</RequestId></ErrorResponse>`, code, code)
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func waitUp(t *testing.T, base string, log *bytes.Buffer) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/moto-api/"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("moto_server did not answer within 30s:\n%s", log.String())
}
