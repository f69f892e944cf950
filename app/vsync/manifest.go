package vsync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

const (
	manifestMagic = "RQEM0001"
	tsLen         = 15 // YYYYMMDD-HHmmss
	minManifest   = len(manifestMagic) + tsLen
	tsLayout      = "20060102-150405"

	// MaxVaultBytes is the writer's cap on a vault's content (kv names and values, asset names
	// and bytes): every task holds the whole vault in memory and fetches it at boot.
	MaxVaultBytes = 4 << 20
	// MaxSealedVault is the cap on the encoded vault (the JSON that is encrypted): the content
	// cap base64-encoded (assets travel as base64, 4 bytes per 3; kv values are JSON-escaped,
	// which for text costs far less), plus maxFraming for names, quotes and separators.
	// Publish refuses more, so a reader never refuses what the writer wrote.
	MaxSealedVault = (MaxVaultBytes+2)/3*4 + maxFraming
	maxFraming     = 64 << 10
	// maxBundle is the most an RQE1 bundle of a vault can hold: the sealed vault plus the
	// envelope's fixed overhead (magic, version, nonce, tag). The reader refuses more.
	maxBundle int64 = MaxSealedVault + int64(minEnvelope)
	// maxSmallObject bounds the manifest and latest.meta reads: this writer's are under 200
	// bytes; upstream's test fixtures append payloads of a few KiB to the manifest.
	maxSmallObject = 64 << 10

	manifestKey = "manifest"
	metaKey     = "latest.meta"
	bundlePfx   = "v="
)

// ParseManifest returns the bundle timestamp of an RQEM0001 manifest: the 8-byte magic, then
// the 15-byte ASCII timestamp; whatever follows is opaque and ignored.
func ParseManifest(b []byte) (string, error) {
	if len(b) < minManifest {
		return "", fmt.Errorf("%w: manifest is %d bytes, shorter than the %d-byte header", ErrBundleCorrupt, len(b), minManifest)
	}
	if string(b[:len(manifestMagic)]) != manifestMagic {
		return "", fmt.Errorf("%w: manifest does not start with %q", ErrBundleCorrupt, manifestMagic)
	}
	ts := b[len(manifestMagic):minManifest]
	for _, c := range ts {
		if c > 0x7f {
			return "", fmt.Errorf("%w: manifest timestamp is not ASCII", ErrBundleCorrupt)
		}
	}
	return string(ts), nil
}

// VerifyManifest checks that the manifest names wantTS. Open does not call it (upstream has no
// anti-rollback check on the read path); tools that know the expected timestamp do.
func VerifyManifest(b []byte, wantTS string) error {
	ts, err := ParseManifest(b)
	if err != nil {
		return err
	}
	if ts != wantTS {
		return fmt.Errorf("%w: manifest names %q, expected %q", ErrBundleCorrupt, ts, wantTS)
	}
	return nil
}

// manifestPayload is what this writer puts after the manifest header. Upstream readers ignore
// the payload. This reader takes Gen from it when the key parameters are present too (so a
// bare {"gen":N}, as in the upstream vectors, stays ignored), and writers compare the key
// parameters before publishing (CheckContinuity). SaltSHA256 is a fingerprint: the salt
// itself is in every token, but the manifest need not repeat it.
type manifestPayload struct {
	Gen        int    `json:"gen"`
	Iterations int    `json:"iterations,omitempty"`
	SaltSHA256 string `json:"salt_sha256,omitempty"`
}

func newManifestPayload(gen int, cfg Config) manifestPayload {
	return manifestPayload{Gen: gen, Iterations: cfg.Iterations, SaltSHA256: saltFingerprint(cfg.Salt)}
}

// keyed reports whether the payload records the key parameters, which only this writer does.
func (p manifestPayload) keyed() bool { return p.Iterations > 0 && p.SaltSHA256 != "" }

// parsePayload reads the payload after the header; anything else is the zero payload.
func parsePayload(manifest []byte) manifestPayload {
	var p manifestPayload
	if len(manifest) <= minManifest || json.Unmarshal(manifest[minManifest:], &p) != nil {
		return manifestPayload{}
	}
	return p
}

// saltFingerprint is the hex SHA-256 of the salt string's bytes (as fed to PBKDF2).
func saltFingerprint(salt string) string {
	sum := sha256.Sum256([]byte(salt))
	return hex.EncodeToString(sum[:])
}

func encodeManifest(ts string, p manifestPayload) []byte {
	payload, _ := json.Marshal(p)
	return append([]byte(manifestMagic+ts), payload...)
}

// Timestamp formats t as a bundle timestamp (UTC, YYYYMMDD-HHmmss).
func Timestamp(t time.Time) string { return t.UTC().Format(tsLayout) }

// meta is the optional <prefix>latest.meta object; readers use only Gen.
type meta struct {
	Gen       int    `json:"gen"`
	PrevGen   int    `json:"prev_gen"`
	RotatedAt string `json:"rotated_at"`
}

// parseGeneration reads gen from latest.meta; anything unreadable is generation 0, as upstream.
func parseGeneration(b []byte) int {
	var m struct {
		Gen int `json:"gen"`
	}
	if json.Unmarshal(b, &m) != nil {
		return 0
	}
	return m.Gen
}

func encodeMeta(gen int, at time.Time) []byte {
	b, _ := json.Marshal(meta{Gen: gen, PrevGen: gen - 1, RotatedAt: at.UTC().Format(time.RFC3339)})
	return b
}
