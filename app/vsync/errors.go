package vsync

import "errors"

// The seven sentinels of the vsync runtime clients, plus ErrObjectNotFound for Fetchers.
// Every error this package returns wraps exactly one of them (except the handle-state and
// asset-name errors, which upstream leaves unclassified too). Details added by wrapping never
// contain a passphrase, a secret key or a vault value.
var (
	ErrConfigMissing            = errors.New("vsync: config missing")
	ErrConfigUnsupportedVersion = errors.New("vsync: config version unsupported")
	ErrS3Unreachable            = errors.New("vsync: s3 unreachable")
	ErrManifestNotFound         = errors.New("vsync: manifest not found")
	ErrWrongPassphrase          = errors.New("vsync: wrong passphrase")
	ErrBundleCorrupt            = errors.New("vsync: bundle corrupt")
	ErrUnsupportedSpecVersion   = errors.New("vsync: unsupported spec version")

	// ErrObjectNotFound is what a Fetcher returns (wrapped or not) for a missing object.
	ErrObjectNotFound = errors.New("vsync: object not found")
	// ErrPreconditionFailed is what an ObjectStore returns when a conditional put does not
	// hold (the key exists for a create, or changed since it was read).
	ErrPreconditionFailed = errors.New("vsync: precondition failed")

	// ErrWeakIterations is the writer refusing an iteration count below MinIterations.
	ErrWeakIterations = errors.New("vsync: iteration count below the writer's floor")

	errClosed = errors.New("vsync: handle is closed")
)

var canonicalNames = []struct {
	err  error
	name string
}{
	{ErrConfigMissing, "ConfigMissingError"},
	{ErrConfigUnsupportedVersion, "ConfigUnsupportedVersionError"},
	{ErrS3Unreachable, "S3UnreachableError"},
	{ErrManifestNotFound, "ManifestNotFoundError"},
	{ErrWrongPassphrase, "WrongPassphraseError"},
	{ErrBundleCorrupt, "BundleCorruptError"},
	{ErrUnsupportedSpecVersion, "UnsupportedSpecVersionError"},
}

// CanonicalName maps err to the cross-language name of its sentinel (for example
// "WrongPassphraseError"), or "" when err wraps none of the seven.
func CanonicalName(err error) string {
	for _, c := range canonicalNames {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return ""
}

// isSentinel reports whether err already carries one of the seven classifications.
func isSentinel(err error) bool { return CanonicalName(err) != "" }
