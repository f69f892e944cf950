package vsync

import (
	"bytes"
	"context"
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

// Published describes the generation a Publish made current. Recovered lists the write
// failures it met and resolved by re-reading (for example a manifest write whose response was
// lost but which the store had applied), for tools to print.
type Published struct {
	TS         string
	Generation int
	Recovered  []string
}

// MinIterations is the writer's floor on the PBKDF2-HMAC-SHA256 iteration count: OWASP's
// Password Storage Cheat Sheet (2023 revision onwards) recommends 600,000 for
// PBKDF2-HMAC-SHA256, sized so that an offline guess of the passphrase from a leaked bundle
// costs about as much as the other recommended schemes. Readers still open vaults below it
// (with a warning): refusing them would strand services that upstream writers published.
const MinIterations = 600_000

// PublishOption adjusts Publish.
type PublishOption func(*publishOptions)

type publishOptions struct {
	minIterations int
}

// WithIterationFloor replaces MinIterations as the writer's floor. It exists for tests, which
// cannot spend a full derivation per publish; tools that publish real vaults do not lower it.
func WithIterationFloor(n int) PublishOption {
	return func(o *publishOptions) { o.minIterations = n }
}

// metaAttempts bounds the compare-and-swap loop on latest.meta.
const metaAttempts = 5

// verifyTimeout bounds the re-reads that establish what a failed write did when the caller's
// ctx has already ended: the outcome must still be told truthfully.
const verifyTimeout = 10 * time.Second

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
// that points at a missing bundle. The manifest payload carries the generation and the key
// parameters (see manifestPayload), so that readers pair bundle and generation from one read
// and writers can check continuity.
//
// After any failed write, Publish re-reads what it wrote before deciding: an error is a
// *PublishError whose Outcome says what the store holds, and success is reported whenever the
// manifest names this publish's bundle, even if the write's own response was an error.
func Publish(ctx context.Context, store ObjectStore, cfg Config, passphrase string, r Release, now time.Time, opts ...PublishOption) (Published, error) {
	o := publishOptions{minIterations: MinIterations}
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkPublishable(cfg, passphrase, o); err != nil {
		return Published{}, err
	}
	h, err := readHead(ctx, store, cfg.Prefix)
	if err != nil {
		return Published{}, err
	}
	envelope, err := seal(ctx, cfg, passphrase, r)
	if err != nil {
		return Published{}, err
	}
	next := Published{TS: nextTS(h.ts, now), Generation: h.gen + 1}
	w := &publishWrite{ctx: ctx, store: store, cfg: cfg, envelope: envelope, next: next,
		bundleKey: cfg.Prefix + bundlePfx + next.TS, head: h, now: now}
	return w.run()
}

// publishWrite is one Publish past its checks: the writes and the re-reads that tell what a
// failed write did.
type publishWrite struct {
	ctx       context.Context
	store     ObjectStore
	cfg       Config
	envelope  []byte
	next      Published
	bundleKey string
	head      head
	now       time.Time
}

// bundleAttempts bounds how many timestamps a publish tries for its bundle. A bundle key can be
// taken by a publish that died after its bundle write (nothing names that bundle) or by one
// racing this one; either way the next second is free to try, and the conditional manifest
// write still decides which of two live publishes wins.
const bundleAttempts = 3

func (w *publishWrite) run() (Published, error) {
	var err error
	for range bundleAttempts {
		if err = w.writeBundle(); !errors.Is(err, errBundleTaken) {
			break
		}
		w.next.TS = nextTS(w.next.TS, w.now)
		w.bundleKey = w.cfg.Prefix + bundlePfx + w.next.TS
	}
	if err != nil {
		return Published{}, err
	}
	if err := w.writeManifest(); err != nil {
		return Published{}, err
	}
	if err := w.writeMeta(); err != nil {
		return w.next, err
	}
	return w.next, nil
}

func (w *publishWrite) fail(outcome Outcome, step, detail string, err error) *PublishError {
	return &PublishError{Outcome: outcome, Attempt: Published{TS: w.next.TS, Generation: w.next.Generation}, Step: step, Detail: detail, Err: err}
}

// verifyCtx is the caller's ctx, or a short detached one when it has ended.
func (w *publishWrite) verifyCtx() (context.Context, context.CancelFunc) {
	if w.ctx.Err() == nil {
		return w.ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(w.ctx), verifyTimeout)
}

// errBundleTaken marks a bundle key that holds another publish's bundle.
var errBundleTaken = errors.New("vsync: bundle key taken")

// writeBundle creates v=<ts>. On an error it reads the key back: the bundle is ours when it
// holds exactly our envelope (a lost response, then a retry answered 412); a different body
// means another publish took the same timestamp.
func (w *publishWrite) writeBundle() error {
	err := w.store.PutObject(w.ctx, w.bundleKey, w.envelope, Condition{IfNoneMatch: true})
	if err == nil {
		return nil
	}
	ctx, cancel := w.verifyCtx()
	defer cancel()
	got, _, rerr := w.store.GetObject(ctx, w.bundleKey)
	switch {
	case rerr == nil && bytes.Equal(got, w.envelope):
		w.recovered("bundle", err, "the store holds this publish's bundle")
		return nil
	case rerr == nil:
		return w.fail(NotPublished, "bundle", fmt.Sprintf("%s already holds another publish's bundle (a concurrent publish, or one that died after writing it): retry", w.bundleKey), fmt.Errorf("%w: %w", errBundleTaken, err))
	case errors.Is(rerr, ErrObjectNotFound) && errors.Is(err, ErrPreconditionFailed):
		// Refused as existing, yet not readable: a versioned bucket whose current version of
		// the key is the delete marker of a removed bundle (a failed publish in this second).
		return w.fail(NotPublished, "bundle", fmt.Sprintf("%s is taken by a removed bundle: retry", w.bundleKey), fmt.Errorf("%w: %w", errBundleTaken, err))
	case errors.Is(rerr, ErrObjectNotFound):
		return w.fail(NotPublished, "bundle", "the bundle was not stored: retry", err)
	default:
		pe := w.fail(NotPublished, "bundle", fmt.Sprintf("the manifest was not touched; whether the bundle was stored could not be read back (%v)", rerr), err)
		pe.Leftover = w.bundleKey
		return pe
	}
}

// writeManifest swaps the manifest to the new bundle if it is unchanged since read. On an
// error it re-reads the manifest: naming our bundle means the write happened; naming another
// means ours lost, and only then is our bundle removed.
func (w *publishWrite) writeManifest() error {
	cond := Condition{IfMatch: w.head.manifestETag, IfNoneMatch: w.head.manifestETag == ""}
	err := w.store.PutObject(w.ctx, w.cfg.Prefix+manifestKey, w.manifestBody(), cond)
	if err == nil {
		return nil
	}
	ctx, cancel := w.verifyCtx()
	defer cancel()
	cur, _, rerr := w.store.GetObject(ctx, w.cfg.Prefix+manifestKey)
	var ts string
	switch {
	case errors.Is(rerr, ErrObjectNotFound):
	case rerr != nil:
		pe := w.fail(OutcomeUnknown, "manifest", fmt.Sprintf("re-reading the manifest failed (%v); run `vault status` to see which bundle it names", rerr), err)
		pe.Leftover = w.bundleKey
		return pe
	default:
		ts, _ = ParseManifest(cur)
	}
	if ts == w.next.TS {
		w.recovered("manifest", err, "the manifest names this publish's bundle")
		return nil
	}
	detail := "the manifest could not be written and still names the previous bundle: retry"
	if ts != w.head.ts {
		detail = fmt.Sprintf("another publish changed the manifest since this one read it (it now names %q): retry on top of it", ts)
	}
	pe := w.fail(NotPublished, "manifest", detail, err)
	pe.Leftover = w.removeBundle(ctx)
	return pe
}

// removeBundle deletes our unreferenced bundle and returns its key when it may remain.
func (w *publishWrite) removeBundle(ctx context.Context) string {
	if deleteChecked(ctx, w.store, w.bundleKey) {
		return ""
	}
	return w.bundleKey
}

// writeMeta raises latest.meta to the new generation unless it already holds a newer one,
// by compare-and-swap on its ETag. Every failed put is followed by a re-read: a meta at or
// past our generation means done, whoever wrote it.
func (w *publishWrite) writeMeta() error {
	key, etag := w.cfg.Prefix+metaKey, w.head.metaETag
	body := encodeMeta(w.next.Generation, w.now)
	var lastErr error
	for range metaAttempts {
		err := w.store.PutObject(w.ctx, key, body, Condition{IfMatch: etag, IfNoneMatch: etag == ""})
		if err == nil {
			return nil
		}
		lastErr = err
		ctx, cancel := w.verifyCtx()
		cur, curETag, rerr := w.store.GetObject(ctx, key)
		cancel()
		switch {
		case errors.Is(rerr, ErrObjectNotFound):
			etag = ""
		case rerr != nil:
			return w.fail(PublishedMetaBehind, "latest.meta", fmt.Sprintf("re-reading latest.meta failed (%v); publish again to raise it", rerr), err)
		case parseGeneration(cur) >= w.next.Generation:
			w.recovered("latest.meta", err, fmt.Sprintf("latest.meta holds generation %d", parseGeneration(cur)))
			return nil
		default:
			etag = curETag
		}
		if !errors.Is(err, ErrPreconditionFailed) {
			break // a failure other than a lost race: do not hammer the store
		}
	}
	return w.fail(PublishedMetaBehind, "latest.meta", "running services will not report it as new until latest.meta is raised; publish again", lastErr)
}

func (w *publishWrite) recovered(step string, err error, found string) {
	w.next.Recovered = append(w.next.Recovered, fmt.Sprintf("%s write failed (%v), but %s", step, err, found))
}

func (w *publishWrite) manifestBody() []byte {
	return encodeManifest(w.next.TS, newManifestPayload(w.next.Generation, w.cfg))
}

func checkPublishable(cfg Config, passphrase string, o publishOptions) error {
	cfg.V = 1
	if err := cfg.validateForWrite(); err != nil {
		return err
	}
	if cfg.Iterations < o.minIterations {
		return fmt.Errorf("%w: iterations=%d is below the writer's floor of %d (OWASP's current guidance for PBKDF2-HMAC-SHA256): a lower count makes guessing the passphrase from a copied bundle that much cheaper; use %d or more (a new count is a re-key: mint a new token with it)", ErrWeakIterations, cfg.Iterations, o.minIterations, MinIterations)
	}
	if passphrase == "" {
		return errors.New("vsync: the passphrase is empty")
	}
	return nil
}

func seal(ctx context.Context, cfg Config, passphrase string, r Release) ([]byte, error) {
	plaintext, err := EncodeVault(r.KV, r.Assets)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	if len(plaintext) > MaxSealedVault {
		return nil, fmt.Errorf("vsync: the encoded vault is %d bytes, over the %d bytes readers accept (MaxVaultBytes=%d of content, base64 for assets): make it smaller", len(plaintext), MaxSealedVault, MaxVaultBytes)
	}
	key, err := deriveKeyContext(ctx, passphrase, cfg.Salt, cfg.Iterations)
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

// ReadRelease fetches and decrypts the current release, for tools that re-seal it (passphrase
// rotation). It returns the same errors as Open.
func ReadRelease(ctx context.Context, f Fetcher, cfg Config, passphrase string) (Release, Published, error) {
	rel, err := fetchRelease(ctx, f, cfg.Prefix)
	if err != nil {
		return Release{}, Published{}, err
	}
	key, err := deriveKeyContext(ctx, passphrase, cfg.Salt, cfg.Iterations)
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

// deleteChecked deletes key and reports whether it is gone, reading it back when the delete
// failed (its response may have been lost after the store applied it).
func deleteChecked(ctx context.Context, store ObjectStore, key string) bool {
	if store.DeleteObject(ctx, key) == nil {
		return true
	}
	_, _, err := store.GetObject(ctx, key)
	return errors.Is(err, ErrObjectNotFound)
}
