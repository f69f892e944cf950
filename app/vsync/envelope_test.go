package vsync_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/keelstack/keel/app/vsync"
)

func TestDeriveKey(t *testing.T) {
	// RFC 7914 section 11, PBKDF2-HMAC-SHA256("passwd", "salt", 1), first 32 bytes.
	want, _ := hex.DecodeString("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
	if got := vsync.DeriveKey("passwd", "salt", 1); !bytes.Equal(got, want) {
		t.Fatalf("DeriveKey = %x, want %x", got, want)
	}
	// The salt string's bytes are the salt: never base64-decoded.
	verbatim, _ := pbkdf2.Key(sha256.New, testPass, []byte(testSalt), testIter, 32)
	if got := vsync.DeriveKey(testPass, testSalt, testIter); !bytes.Equal(got, verbatim) {
		t.Fatal("DeriveKey does not use the salt string verbatim")
	}
	if vsync.DeriveKey(testPass, testSalt, 0) != nil {
		t.Fatal("DeriveKey with 0 iterations should return nil")
	}
}

func TestEnvelope(t *testing.T) {
	key := vsync.DeriveKey(testPass, testSalt, testIter)
	sealed, err := vsync.SealEnvelope(key, []byte(secretVal))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vsync.OpenEnvelope(key, sealed); err != nil || string(got) != secretVal {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	empty, _ := vsync.SealEnvelope(key, nil)
	if len(empty) != 32 {
		t.Fatalf("empty-plaintext envelope is %d bytes, want 32", len(empty))
	}
	if got, err := vsync.OpenEnvelope(key, empty); err != nil || len(got) != 0 {
		t.Fatalf("empty round trip = %q, %v", got, err)
	}

	wrongKey := vsync.DeriveKey("other", testSalt, testIter)
	tampered := bytes.Clone(sealed)
	tampered[20] ^= 1
	version2 := bytes.Clone(sealed)
	version2[3] = '2'
	badMagic := bytes.Clone(sealed)
	badMagic[0] = 'X'
	tests := []struct {
		name     string
		key, env []byte
		want     error
	}{
		{"31 bytes", key, sealed[:31], vsync.ErrBundleCorrupt},
		{"30-byte vector", key, make([]byte, 30), vsync.ErrBundleCorrupt},
		{"bad magic", key, badMagic, vsync.ErrBundleCorrupt},
		{"version 2", key, version2, vsync.ErrUnsupportedSpecVersion},
		{"wrong key", wrongKey, sealed, vsync.ErrWrongPassphrase},
		{"tampered", key, tampered, vsync.ErrWrongPassphrase},
		{"truncated tag", key, sealed[:len(sealed)-1], vsync.ErrWrongPassphrase},
		{"short key", key[:16], sealed, vsync.ErrWrongPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vsync.OpenEnvelope(tt.key, tt.env)
			wantSentinel(t, err, tt.want)
		})
	}
}

func TestParseManifest(t *testing.T) {
	const ts = "20260523-114201"
	if got, err := vsync.ParseManifest([]byte("RQEM0001" + ts + `{"gen":42}`)); err != nil || got != ts {
		t.Fatalf("ParseManifest = %q, %v", got, err)
	}
	if got, err := vsync.ParseManifest([]byte("RQEM0001" + ts)); err != nil || got != ts {
		t.Fatalf("header only = %q, %v", got, err)
	}
	for name, b := range map[string]string{
		"22 bytes":       "RQEM0001" + ts[:14],
		"other version":  "RQEM0002" + ts,
		"other magic":    "RQEX0001" + ts,
		"non-ASCII ts":   "RQEM0001" + "2026052\xff-114201",
		"empty":          "",
		"magic only":     "RQEM0001",
		"lowercase rqem": "rqem0001" + ts,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := vsync.ParseManifest([]byte(b))
			wantSentinel(t, err, vsync.ErrBundleCorrupt)
		})
	}
	if err := vsync.VerifyManifest([]byte("RQEM0001"+ts), ts); err != nil {
		t.Fatalf("VerifyManifest same ts: %v", err)
	}
	wantSentinel(t, vsync.VerifyManifest([]byte("RQEM0001"+ts), "20260523-114202"), vsync.ErrBundleCorrupt)
}
