package vsync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

const (
	testPass  = "correct horse battery staple"
	testSalt  = "20ZiDJFKLLkDsDUiWSMn3g=="
	testIter  = 1000
	secretVal = "s3cr3t-value-that-must-never-leak"
)

// lowFloor lets the suite publish with testIter iterations: a full 600000-iteration
// derivation per publish would make it slow. TestPublishRefusesWeakIterations shows the floor.
var lowFloor = vsync.WithIterationFloor(testIter)

var testRelease = vsync.Release{
	KV:     map[string]string{"DATABASE_URL": secretVal, "FEATURE": "on"},
	Assets: map[string][]byte{"tls/key.pem": []byte("-----asset bytes-----\x00\xff")},
}

func testConfig(prefix string) vsync.Config {
	return vsync.Config{V: 1, Region: "us-east-1", Bucket: "vault", AccessKeyID: "AKTEST",
		SecretAccessKey: "secret-key-that-must-never-leak", Prefix: prefix, Env: "test",
		Salt: testSalt, Iterations: testIter}
}

func mustBlob(t testing.TB, cfg vsync.Config) string {
	t.Helper()
	blob, err := vsync.EncodeConfig(cfg)
	if err != nil {
		t.Fatalf("EncodeConfig: %v", err)
	}
	return blob
}

// blobOf builds a blob around raw JSON, for malformed-config cases.
func blobOf(js string) string {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(js))
	zw.Close()
	return "vsync-cfg-v1:" + base64.RawURLEncoding.EncodeToString(gz.Bytes())
}

// published returns a store holding testRelease published once under prefix.
func published(t testing.TB, prefix string) (*vsynctest.MemStore, vsync.Config) {
	t.Helper()
	store := vsynctest.NewMemStore()
	cfg := testConfig(prefix)
	if _, err := vsync.Publish(context.Background(), store, cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return store, cfg
}

func wantSentinel(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if name := vsync.CanonicalName(err); name == "" {
		t.Fatalf("CanonicalName(%v) is empty", err)
	}
}

// noLeak fails if s contains any secret of the fixtures.
func noLeak(t testing.TB, what, s string) {
	t.Helper()
	for _, secret := range []string{testPass, secretVal, "secret-key-that-must-never-leak"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s leaks a secret: %q", what, s)
		}
	}
}
