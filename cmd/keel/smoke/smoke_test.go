package smoke

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// stage answers like a service mid-deploy: booting, then the old version, then the new one.
func stage(t *testing.T, answers ...string) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(answers)-1)
		if answers[i] == "503" {
			http.Error(w, `{"status":"booting"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, answers[i])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "devServiceABC.assets.json"), []byte(`{"dockerImages":{"h":{"source":{"dockerBuildArgs":{"VERSION":"abc123"}}}}}`), 0o644)
	old, fresh := `{"status":"fresh","version":"old","gen":1}`, `{"status":"fresh","version":"abc123","gen":2}`
	stale := `{"status":"stale","version":"abc123","gen":2}`

	var out bytes.Buffer
	srv := stage(t, "503", old, stale, fresh)
	if err := run(context.Background(), []string{"--url", srv.URL, "--assembly", dir, "--interval", "1ms"}, noEnv, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "serves version abc123, generation 2, fresh") {
		t.Fatalf("output:\n%s", out.String())
	}

	srv = stage(t, old)
	err := run(context.Background(), []string{"--url", srv.URL, "--version", "abc123", "--interval", "1ms", "--timeout", "300ms"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), `did not serve version abc123 fresh`) || !strings.Contains(err.Error(), `version "old"`) {
		t.Fatalf("an old version passed: %v", err)
	}
	if err := run(context.Background(), []string{"--url", srv.URL}, noEnv, &out, &out); err == nil {
		t.Fatal("no expected version was accepted")
	}
}

func noEnv(string) string { return "" }

// TestSmokeSendsToken: behind the edge rule, /healthz is 404 without the token header and
// the service's answer with it; smoke sends the token from its environment, never a flag.
func TestSmokeSendsToken(t *testing.T) {
	const token = "Zx9token"
	fresh := `{"status":"fresh","version":"abc123","gen":2}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Keel-Smoke") != token {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		fmt.Fprint(w, fresh)
	}))
	t.Cleanup(srv.Close)
	args := []string{"--url", srv.URL, "--version", "abc123", "--interval", "1ms", "--timeout", "300ms"}
	var out bytes.Buffer
	if err := run(context.Background(), args, func(k string) string { return map[string]string{"KEEL_SMOKE_TOKEN": token}[k] }, &out, &out); err != nil {
		t.Fatalf("with the token: %v\n%s", err, out.String())
	}
	err := run(context.Background(), args, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "KEEL_SMOKE_TOKEN") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("without the token: %v", err)
	}
	if strings.Contains(out.String()+err.Error(), token) {
		t.Fatal("the token reached the output")
	}
}
