package vsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ObjectStore is what the writer needs from S3. S3Store implements it. Conditional puts
// (If-None-Match: *, If-Match: etag) are how two concurrent publishes are kept from
// corrupting each other; a server that ignores the headers degrades to last-writer-wins.
type ObjectStore interface {
	GetObject(ctx context.Context, key string) (body []byte, etag string, err error)
	PutObject(ctx context.Context, key string, body []byte, cond Condition) error
	DeleteObject(ctx context.Context, key string) error
}

// Condition is a put precondition; the zero value is an unconditional put.
type Condition struct {
	IfNoneMatch bool   // create only
	IfMatch     string // replace only this ETag
}

// Release is a vault's content: kv values and binary assets.
type Release struct {
	KV     map[string]string
	Assets map[string][]byte
}

// Published describes the generation a Publish made current.
type Published struct {
	TS         string
	Generation int
}

// metaAttempts bounds the compare-and-swap loop on latest.meta.
const metaAttempts = 5

// head is the current state under a prefix, with the ETags that conditional puts compare.
type head struct {
	ts           string
	gen          int
	manifestETag string
	metaETag     string
}

// Publish seals r under passphrase (with cfg's salt and iterations) and makes it the next
// generation under cfg.Prefix. Order: the bundle v=<ts> (create-only), then the manifest
// (only if unchanged since read), then latest.meta. A reader therefore never sees a manifest
// that points at a missing bundle, and a reader that opens between the manifest and the meta
// write sees an older generation number, so it later reports stale rather than fresh. The
// manifest payload carries the generation too, so that a concurrent publisher that reads
// the new manifest before the meta is written still counts up from it.
func Publish(ctx context.Context, store ObjectStore, cfg Config, passphrase string, r Release, now time.Time) (Published, error) {
	if err := checkPublishable(cfg, passphrase); err != nil {
		return Published{}, err
	}
	h, err := readHead(ctx, store, cfg.Prefix)
	if err != nil {
		return Published{}, err
	}
	envelope, err := seal(cfg, passphrase, r)
	if err != nil {
		return Published{}, err
	}
	next := Published{TS: nextTS(h.ts, now), Generation: h.gen + 1}
	bundleKey := cfg.Prefix + bundlePfx + next.TS
	if err := store.PutObject(ctx, bundleKey, envelope, Condition{IfNoneMatch: true}); err != nil {
		return Published{}, fmt.Errorf("vsync: publish: write bundle %s: %w (another publish may be under way: retry)", bundleKey, err)
	}
	manifestCond := Condition{IfMatch: h.manifestETag, IfNoneMatch: h.manifestETag == ""}
	if err := store.PutObject(ctx, cfg.Prefix+manifestKey, manifestBody(next), manifestCond); err != nil {
		// Nothing points at the new bundle: remove it, the previous generation stays current.
		_ = store.DeleteObject(context.WithoutCancel(ctx), bundleKey)
		return Published{}, fmt.Errorf("vsync: publish: the manifest changed since this publish read it, or could not be written; nothing was changed, retry: %w", err)
	}
	if err := raiseMeta(ctx, store, cfg.Prefix, next, h.metaETag, now); err != nil {
		return next, fmt.Errorf("vsync: publish: bundle %s is current but latest.meta was not updated to gen %d; running services will not see it as new: %w", next.TS, next.Generation, err)
	}
	return next, nil
}

func checkPublishable(cfg Config, passphrase string) error {
	cfg.V = 1
	if err := cfg.validateForWrite(); err != nil {
		return err
	}
	if passphrase == "" {
		return errors.New("vsync: the passphrase is empty")
	}
	return nil
}

func seal(cfg Config, passphrase string, r Release) ([]byte, error) {
	plaintext, err := EncodeVault(r.KV, r.Assets)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	key, err := deriveKey(passphrase, cfg.Salt, cfg.Iterations)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return SealEnvelope(key, plaintext)
}

func readHead(ctx context.Context, store ObjectStore, prefix string) (head, error) {
	var h head
	manifest, etag, err := store.GetObject(ctx, prefix+manifestKey)
	switch {
	case errors.Is(err, ErrObjectNotFound):
	case err != nil:
		return head{}, fmt.Errorf("vsync: publish: read manifest: %w", err)
	default:
		if h.ts, err = ParseManifest(manifest); err != nil {
			return head{}, fmt.Errorf("vsync: publish: the current manifest is unreadable, refusing to overwrite it: %w", err)
		}
		h.manifestETag = etag
		h.gen = parseGeneration(manifest[minManifest:])
	}
	metaBody, metaETag, err := store.GetObject(ctx, prefix+metaKey)
	switch {
	case errors.Is(err, ErrObjectNotFound):
	case err != nil:
		return head{}, fmt.Errorf("vsync: publish: read latest.meta: %w", err)
	default:
		h.metaETag = metaETag
		h.gen = max(h.gen, parseGeneration(metaBody))
	}
	return h, nil
}

// nextTS is now, or one second after the current bundle when the clock has not moved past it,
// so that bundle keys stay unique and increasing.
func nextTS(current string, now time.Time) string {
	ts := Timestamp(now)
	if cur, err := time.Parse(tsLayout, current); err == nil && ts <= current {
		ts = Timestamp(cur.Add(time.Second))
	}
	return ts
}

func manifestBody(p Published) []byte {
	payload, _ := json.Marshal(struct {
		Gen int `json:"gen"`
	}{p.Generation})
	return append(encodeManifest(p.TS), payload...)
}

// raiseMeta sets latest.meta to next.Generation unless it already holds a newer one, by
// compare-and-swap on its ETag.
func raiseMeta(ctx context.Context, store ObjectStore, prefix string, next Published, etag string, now time.Time) error {
	body := encodeMeta(next.Generation, now)
	for range metaAttempts {
		err := store.PutObject(ctx, prefix+metaKey, body, Condition{IfMatch: etag, IfNoneMatch: etag == ""})
		if !errors.Is(err, ErrPreconditionFailed) {
			return err
		}
		cur, curETag, err := store.GetObject(ctx, prefix+metaKey)
		switch {
		case errors.Is(err, ErrObjectNotFound):
			etag = ""
		case err != nil:
			return err
		case parseGeneration(cur) >= next.Generation:
			return nil // a newer publish already recorded its generation
		default:
			etag = curETag
		}
	}
	return fmt.Errorf("latest.meta kept changing over %d attempts", metaAttempts)
}

// ReadRelease fetches and decrypts the current release, for tools that re-seal it (passphrase
// rotation). It returns the same errors as Open.
func ReadRelease(ctx context.Context, f Fetcher, cfg Config, passphrase string) (Release, Published, error) {
	rel, err := fetchRelease(ctx, f, cfg.Prefix)
	if err != nil {
		return Release{}, Published{}, err
	}
	key, err := deriveKey(passphrase, cfg.Salt, cfg.Iterations)
	if err != nil {
		return Release{}, Published{}, err
	}
	defer clear(key)
	kv, assets, err := rel.decrypt(key)
	if err != nil {
		return Release{}, Published{}, err
	}
	return Release{KV: kv, Assets: assets}, Published{TS: rel.ts, Generation: rel.gen}, nil
}
