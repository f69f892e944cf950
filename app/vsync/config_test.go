package vsync_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/vsync"
)

func TestDecodeConfigErrors(t *testing.T) {
	good := `"endpoint":"http://x","region":"r","bucket":"b","accessKeyId":"a","secretAccessKey":"s","prefix":"p/","env":"e"`
	tests := []struct {
		name string
		blob string
		want error
	}{
		{"empty", "", vsync.ErrConfigMissing},
		{"raw JSON", `{"v":1}`, vsync.ErrConfigMissing},
		{"other prefix", "vsync-cfg-v2:abc", vsync.ErrConfigMissing},
		{"standard base64 plus", "vsync-cfg-v1:ab+c", vsync.ErrConfigUnsupportedVersion},
		{"standard base64 slash", "vsync-cfg-v1:ab/c", vsync.ErrConfigUnsupportedVersion},
		{"padding", "vsync-cfg-v1:abc=", vsync.ErrConfigUnsupportedVersion},
		{"not base64url", "vsync-cfg-v1:a!b", vsync.ErrBundleCorrupt},
		{"space in body", "vsync-cfg-v1:ab cd", vsync.ErrBundleCorrupt},
		{"not gzip", "vsync-cfg-v1:aGVsbG8", vsync.ErrBundleCorrupt},
		{"truncated gzip", blobOf(`{"v":1}`)[:30], vsync.ErrBundleCorrupt},
		{"malformed JSON", blobOf(`{"v":1`), vsync.ErrBundleCorrupt},
		{"v not integer", blobOf(`{"v":"1"}`), vsync.ErrBundleCorrupt},
		{"v fractional", blobOf(`{"v":1.5}`), vsync.ErrBundleCorrupt},
		{"root array", blobOf(`[1]`), vsync.ErrBundleCorrupt},
		{"v missing", blobOf(`{` + good + `,"salt":"0123456789abcdef","iterations":5}`), vsync.ErrConfigUnsupportedVersion},
		{"unknown version checked first", blobOf(`{"v":2}`), vsync.ErrConfigUnsupportedVersion},
		{"field of wrong type", blobOf(`{"v":1,"bucket":5,"salt":"0123456789abcdef","iterations":5}`), vsync.ErrBundleCorrupt},
		{"iterations missing", blobOf(`{"v":1,"salt":"0123456789abcdef"}`), vsync.ErrBundleCorrupt},
		{"iterations zero", blobOf(`{"v":1,"salt":"0123456789abcdef","iterations":0}`), vsync.ErrBundleCorrupt},
		{"iterations negative before short salt", blobOf(`{"v":1,"salt":"x","iterations":-1}`), vsync.ErrBundleCorrupt},
		{"salt short", blobOf(`{"v":1,"salt":"0123456789abcde","iterations":5}`), vsync.ErrConfigUnsupportedVersion},
		{"iterations above ceiling", blobOf(fmt.Sprintf(`{"v":1,"salt":"0123456789abcdef","iterations":%d}`, vsync.MaxIterations+1)), vsync.ErrConfigUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vsync.DecodeConfig(tt.blob)
			wantSentinel(t, err, tt.want)
		})
	}
}

func TestDecodeConfigAccepts(t *testing.T) {
	cfg := testConfig("app/prod/")
	blob := mustBlob(t, cfg)
	for name, b := range map[string]string{
		"as written":        blob,
		"trailing newline":  blob + "\n",
		"trailing CRLF":     blob + "\r\n",
		"unknown fields":    blobOf(`{"v":1,"salt":"0123456789abcdef","iterations":5,"future":true}`),
		"missing strings":   blobOf(`{"v":1,"salt":"0123456789abcdef","iterations":5}`),
		"at the ceiling":    blobOf(fmt.Sprintf(`{"v":1,"salt":"0123456789abcdef","iterations":%d}`, vsync.MaxIterations)),
		"salt exactly 16 B": blobOf(`{"v":1,"salt":"0123456789abcdef","iterations":1}`),
	} {
		if _, err := vsync.DecodeConfig(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, err := vsync.DecodeConfig(blob)
	if err != nil || got != cfg {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, cfg)
	}
}

func TestEncodeConfigWireShape(t *testing.T) {
	blob := mustBlob(t, testConfig("p/"))
	body := strings.TrimPrefix(blob, "vsync-cfg-v1:")
	if body == blob || strings.ContainsAny(body, "+/=") {
		t.Fatalf("blob is not magic + base64url without padding: %q", blob)
	}
	js, err := vsync.DecodeConfig(blob)
	if err != nil {
		t.Fatal(err)
	}
	if js.Salt != testSalt {
		t.Fatalf("salt = %q, want it verbatim %q", js.Salt, testSalt)
	}
}

func TestEncodeConfigRefuses(t *testing.T) {
	for name, mutate := range map[string]func(*vsync.Config){
		"v 2":            func(c *vsync.Config) { c.V = 2 },
		"short salt":     func(c *vsync.Config) { c.Salt = "short" },
		"no iterations":  func(c *vsync.Config) { c.Iterations = 0 },
		"over ceiling":   func(c *vsync.Config) { c.Iterations = vsync.MaxIterations + 1 },
		"no bucket":      func(c *vsync.Config) { c.Bucket = "" },
		"prefix without": func(c *vsync.Config) { c.Prefix = "app/prod" },
	} {
		cfg := testConfig("p/")
		mutate(&cfg)
		if _, err := vsync.EncodeConfig(cfg); err == nil {
			t.Errorf("%s: EncodeConfig accepted %v", name, cfg)
		}
	}
}

func TestConfigNeverPrintsSecretKey(t *testing.T) {
	cfg := testConfig("p/")
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "config", cfg, "ptr", &cfg)
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, &cfg), logged.String()} {
		noLeak(t, "Config formatting", s)
	}
	if !strings.Contains(cfg.String(), "<redacted>") {
		t.Fatalf("String() = %q, want the secret marked redacted", cfg.String())
	}
}

func TestCanonicalName(t *testing.T) {
	for err, want := range map[error]string{
		vsync.ErrConfigMissing:                            "ConfigMissingError",
		vsync.ErrConfigUnsupportedVersion:                 "ConfigUnsupportedVersionError",
		vsync.ErrS3Unreachable:                            "S3UnreachableError",
		vsync.ErrManifestNotFound:                         "ManifestNotFoundError",
		vsync.ErrWrongPassphrase:                          "WrongPassphraseError",
		vsync.ErrBundleCorrupt:                            "BundleCorruptError",
		vsync.ErrUnsupportedSpecVersion:                   "UnsupportedSpecVersionError",
		fmt.Errorf("wrapped: %w", vsync.ErrBundleCorrupt): "BundleCorruptError",
		vsync.ErrObjectNotFound:                           "",
		fmt.Errorf("other"):                               "",
	} {
		if got := vsync.CanonicalName(err); got != want {
			t.Errorf("CanonicalName(%v) = %q, want %q", err, got, want)
		}
	}
}
