package vsync

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const (
	configMagic = "vsync-cfg-v1:"

	// MaxIterations is this reader's ceiling on the PBKDF2 iteration count of a config blob
	// (upstream has none). The reference value is 600000; a blob above the ceiling is refused
	// with ErrConfigUnsupportedVersion so that a hostile or mistyped blob cannot make boot
	// spend minutes deriving a key.
	MaxIterations = 5_000_000

	minSaltLen = 16

	// maxConfigJSON bounds the decompressed blob: a real one is a few hundred bytes.
	maxConfigJSON = 64 << 10
)

// Config is the decoded VSYNC_CONFIG blob. Its String, GoString and LogValue never show
// SecretAccessKey; only EncodeConfig writes it.
type Config struct {
	V               int    `json:"v"`
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	Bucket          string `json:"bucket"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Prefix          string `json:"prefix"`
	Env             string `json:"env"`
	Salt            string `json:"salt"`
	Iterations      int    `json:"iterations"`
}

func (c Config) String() string {
	return fmt.Sprintf("vsync.Config{v=%d endpoint=%q region=%q bucket=%q accessKeyId=%q secretAccessKey=<redacted> prefix=%q env=%q iterations=%d}",
		c.V, c.Endpoint, c.Region, c.Bucket, c.AccessKeyID, c.Prefix, c.Env, c.Iterations)
}

// GoString keeps %#v from printing the secret key field by field.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from reflecting over the struct.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("region", c.Region),
		slog.String("bucket", c.Bucket),
		slog.String("prefix", c.Prefix),
		slog.String("env", c.Env),
		slog.Int("iterations", c.Iterations),
	)
}

// DecodeConfig parses a VSYNC_CONFIG blob, making the checks in the order the upstream Go
// reader makes them, so that each malformed input yields the same sentinel.
func DecodeConfig(blob string) (Config, error) {
	body, ok := strings.CutPrefix(blob, configMagic)
	if !ok {
		return Config{}, fmt.Errorf("%w: the value does not start with %q: set VSYNC_CONFIG to the token that `vault token` prints", ErrConfigMissing, configMagic)
	}
	if strings.ContainsAny(body, "+/=") {
		return Config{}, fmt.Errorf("%w: the body is standard base64 (has +, / or =); it must be base64url without padding", ErrConfigUnsupportedVersion)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Config{}, fmt.Errorf("%w: config is not base64url: %v", ErrBundleCorrupt, err)
	}
	js, err := gunzip(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%w: config: %v", ErrBundleCorrupt, err)
	}
	var version struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(js, &version); err != nil {
		return Config{}, fmt.Errorf("%w: config JSON is malformed or its v is not an integer", ErrBundleCorrupt)
	}
	if version.V != 1 {
		return Config{}, fmt.Errorf("%w: config v=%d, this reader understands v=1", ErrConfigUnsupportedVersion, version.V)
	}
	var cfg Config
	if err := json.Unmarshal(js, &cfg); err != nil {
		return Config{}, fmt.Errorf("%w: config JSON has a field of the wrong type", ErrBundleCorrupt)
	}
	if cfg.Iterations <= 0 {
		return Config{}, fmt.Errorf("%w: config iterations=%d, must be > 0", ErrBundleCorrupt, cfg.Iterations)
	}
	if len(cfg.Salt) < minSaltLen {
		return Config{}, fmt.Errorf("%w: config salt is %d bytes, at least %d are required", ErrConfigUnsupportedVersion, len(cfg.Salt), minSaltLen)
	}
	if cfg.Iterations > MaxIterations {
		return Config{}, fmt.Errorf("%w: config iterations=%d is above this reader's ceiling of %d", ErrConfigUnsupportedVersion, cfg.Iterations, MaxIterations)
	}
	return cfg, nil
}

func gunzip(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return nil, fmt.Errorf("not gzip data")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip header: %v", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxConfigJSON+1))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %v", err)
	}
	if len(js) > maxConfigJSON {
		return nil, fmt.Errorf("decompressed config is larger than %d bytes", maxConfigJSON)
	}
	return js, nil
}

// EncodeConfig produces the blob that DecodeConfig (and every upstream reader) accepts:
// the magic, then base64url without padding of the gzip of the JSON, keys in writer order.
func EncodeConfig(cfg Config) (string, error) {
	if err := cfg.validateForWrite(); err != nil {
		return "", err
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false) // match JSON.stringify, which the upstream CLI uses
	if err := enc.Encode(cfg); err != nil {
		return "", fmt.Errorf("vsync: encode config: %w", err)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, 6)
	if err != nil {
		return "", fmt.Errorf("vsync: encode config: %w", err)
	}
	if _, err := zw.Write(bytes.TrimSuffix(js.Bytes(), []byte("\n"))); err != nil {
		return "", fmt.Errorf("vsync: encode config: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("vsync: encode config: %w", err)
	}
	return configMagic + base64.RawURLEncoding.EncodeToString(gz.Bytes()), nil
}

// validateForWrite refuses what a reader would refuse, and what would make a blob that reads
// but can never work, so that a bad token is caught where it is minted.
func (c Config) validateForWrite() error {
	switch {
	case c.V != 1:
		return fmt.Errorf("%w: v=%d, only v=1 can be written", ErrConfigUnsupportedVersion, c.V)
	case c.Iterations <= 0 || c.Iterations > MaxIterations:
		return fmt.Errorf("vsync: iterations=%d, must be between 1 and %d", c.Iterations, MaxIterations)
	case len(c.Salt) < minSaltLen:
		return fmt.Errorf("vsync: salt is %d bytes, at least %d are required", len(c.Salt), minSaltLen)
	case c.Bucket == "":
		return fmt.Errorf("vsync: bucket is empty")
	case c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/"):
		return fmt.Errorf("vsync: prefix %q must end with / (or be empty)", c.Prefix)
	}
	return nil
}
