package vsync

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// Client is an opened vault: the decrypted bundle in memory plus what is needed to ask S3
// whether a newer generation exists. It is safe for concurrent use.
type Client struct {
	cfg       Config
	fetcher   Fetcher
	lookupEnv func(string) (string, bool)
	gen       int

	mu       sync.RWMutex
	closed   bool
	kv       map[string]string
	assets   map[string][]byte
	defaults map[string]string
}

// Vsync is the name the published guide uses for Client.
type Vsync = Client

// Source says which tier of the fallback chain answered a lookup.
type Source string

const (
	SourceVault   Source = "vault"
	SourceEnv     Source = "env"
	SourceDefault Source = "default"
	SourceMissing Source = "missing"
)

func (s Source) String() string { return string(s) }

// Open reads VSYNC_CONFIG[_FILE] and VSYNC_PASSPHRASE[_FILE] once, then fetches, decrypts and
// parses the bundle. ctx bounds every S3 call; its deadline is the boot deadline.
func Open(ctx context.Context, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	blob, err := o.input("VSYNC_CONFIG")
	if err != nil {
		return nil, err
	}
	passphrase, err := o.input("VSYNC_PASSPHRASE")
	if err != nil {
		return nil, err
	}
	return open(ctx, blob, passphrase, o)
}

// OpenWith is Open with the two inputs given; unlike Open it refuses empty ones up front.
func OpenWith(ctx context.Context, config, passphrase string, opts ...Option) (*Client, error) {
	if config == "" {
		return nil, fmt.Errorf("%w: the config argument is empty", ErrConfigMissing)
	}
	if passphrase == "" {
		return nil, fmt.Errorf("%w: the passphrase argument is empty", ErrConfigMissing)
	}
	return open(ctx, config, passphrase, newOptions(opts))
}

func open(ctx context.Context, blob, passphrase string, o *options) (*Client, error) {
	cfg, err := DecodeConfig(blob)
	if err != nil {
		return nil, err
	}
	fetcher := o.fetcher
	if fetcher == nil {
		fetcher = NewS3Fetcher(cfg, o.s3Options...)
	}
	if cfg.Iterations < MinIterations {
		o.warn(fmt.Sprintf("vsync: the vault's key uses %d PBKDF2 iterations, below the %d that current guidance (OWASP) asks of PBKDF2-HMAC-SHA256: re-key the vault with a higher count (publish it under the new count, then mint a new token)", cfg.Iterations, MinIterations))
	}
	// PBKDF2 dominates boot: run it while the objects are in flight.
	derivation := startDerivation(ctx, passphrase, cfg.Salt, cfg.Iterations)
	rel, err := fetchRelease(ctx, fetcher, cfg.Prefix)
	if err != nil {
		derivation.abandon()
		return nil, err
	}
	key, err := derivation.wait(ctx)
	if err != nil {
		return nil, err
	}
	kv, assets, err := rel.decrypt(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:       cfg,
		fetcher:   fetcher,
		lookupEnv: o.lookupEnv,
		gen:       rel.gen,
		kv:        kv,
		assets:    assets,
		defaults:  o.defaults,
	}, nil
}

// GetEnv looks key up in the vault, then the process environment (at call time), then the
// defaults.
func (c *Client) GetEnv(key string) (string, bool) {
	v, src := c.lookup(key)
	return v, src != SourceMissing
}

// HasEnv reports whether any tier has key.
func (c *Client) HasEnv(key string) bool {
	_, src := c.lookup(key)
	return src != SourceMissing
}

// EnvSource reports which tier answers for key.
func (c *Client) EnvSource(key string) Source {
	_, src := c.lookup(key)
	return src
}

func (c *Client) lookup(key string) (string, Source) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return "", SourceMissing
	}
	if v, ok := c.kv[key]; ok {
		return v, SourceVault
	}
	if v, ok := c.lookupEnv(key); ok {
		return v, SourceEnv
	}
	if v, ok := c.defaults[key]; ok {
		return v, SourceDefault
	}
	return "", SourceMissing
}

// GetAsContent returns a copy of the asset name, or else the bytes of the vault value name.
func (c *Client) GetAsContent(name string) ([]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, errClosed
	}
	if b, ok := c.assets[name]; ok {
		return slices.Clone(b), nil
	}
	if v, ok := c.kv[name]; ok {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("vsync: asset %q not in vault", name)
}

// Keys lists the vault's kv names, sorted (an extension over upstream G4, named as in the
// v0.15 design). Names only: tools print them, never the values.
func (c *Client) Keys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.kv))
}

// Files lists the vault's asset names, sorted (an extension, as Keys).
func (c *Client) Files() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.assets))
}

// Generation is the generation paired with the opened bundle: from the manifest that named it
// when this writer published it, else from latest.meta (0 when there was none, or when
// publishes kept landing between the reads; see fetchRelease).
func (c *Client) Generation() int { return c.gen }

// RemoteGeneration reads the generation a fresh Open would pair with the current bundle: the
// manifest's (which also classifies errors as Open does), or for vaults from upstream writers
// latest.meta's. Both reads are bounded to a few KiB. It does not change the local generation.
func (c *Client) RemoteGeneration(ctx context.Context) (int64, error) {
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed {
		return 0, errClosed
	}
	gen, err := remoteGeneration(ctx, c.fetcher, c.cfg.Prefix)
	return int64(gen), err
}

// HasNewVersion reports whether S3 holds a newer generation than the one opened.
func (c *Client) HasNewVersion(ctx context.Context) (bool, error) {
	remote, err := c.RemoteGeneration(ctx)
	if err != nil {
		return false, err
	}
	return remote > int64(c.gen), nil
}

// Close drops the vault from memory. It is idempotent and always returns nil; Generation and
// String keep working.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	clear(c.kv)
	for _, b := range c.assets {
		clear(b)
	}
	c.kv, c.assets, c.defaults = nil, nil, nil
	return nil
}

func (c *Client) String() string {
	return fmt.Sprintf("<vsync:redacted gen=%d env=%s>", c.gen, c.cfg.Env)
}

// GoString keeps %#v from printing the vault maps.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps slog from reflecting over the vault maps.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }
