package vsync

import (
	"encoding/json"
	"fmt"
	"time"
)

const (
	manifestMagic = "RQEM0001"
	tsLen         = 15 // YYYYMMDD-HHmmss
	minManifest   = len(manifestMagic) + tsLen
	tsLayout      = "20060102-150405"

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

// encodeManifest is the header plus an empty payload: readers ignore the payload.
func encodeManifest(ts string) []byte {
	return []byte(manifestMagic + ts)
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
