package vsync

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

const (
	envelopeMagic   = "RQE"
	envelopeVersion = '1'
	nonceSize       = 12
	tagSize         = 16
	keySize         = 32
	// minEnvelope is magic, version, nonce and tag: the envelope of an empty plaintext.
	minEnvelope = len(envelopeMagic) + 1 + nonceSize + tagSize
)

// DeriveKey is PBKDF2-HMAC-SHA256 of the passphrase over the salt string's UTF-8 bytes (used
// verbatim, never base64-decoded), 32 bytes long. It returns nil for iterations < 1.
func DeriveKey(passphrase, salt string, iterations int) []byte {
	key, err := deriveKey(passphrase, salt, iterations)
	if err != nil {
		return nil
	}
	return key
}

func deriveKey(passphrase, salt string, iterations int) ([]byte, error) {
	if iterations < 1 {
		return nil, fmt.Errorf("%w: iterations=%d, must be > 0", ErrBundleCorrupt, iterations)
	}
	key, err := pbkdf2.Key(sha256.New, passphrase, []byte(salt), iterations, keySize)
	if err != nil {
		return nil, fmt.Errorf("vsync: derive key: %w", err)
	}
	return key, nil
}

// OpenEnvelope decrypts an RQE1 envelope: "RQE" '1' nonce(12) ciphertext tag(16), AES-256-GCM,
// no additional data. A failed authentication is ErrWrongPassphrase whatever its cause, since
// GCM cannot tell a wrong key from a tampered or truncated body.
func OpenEnvelope(key, envelope []byte) ([]byte, error) {
	if len(envelope) < minEnvelope {
		return nil, fmt.Errorf("%w: envelope is %d bytes, shorter than the %d-byte minimum", ErrBundleCorrupt, len(envelope), minEnvelope)
	}
	if string(envelope[:3]) != envelopeMagic {
		return nil, fmt.Errorf("%w: envelope does not start with %q", ErrBundleCorrupt, envelopeMagic)
	}
	if envelope[3] != envelopeVersion {
		return nil, fmt.Errorf("%w: envelope version byte is 0x%02x, this reader understands '1'", ErrUnsupportedSpecVersion, envelope[3])
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongPassphrase, err)
	}
	nonce := envelope[4 : 4+nonceSize]
	plaintext, err := aead.Open(nil, nonce, envelope[4+nonceSize:], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: the bundle does not decrypt with this passphrase (or was altered)", ErrWrongPassphrase)
	}
	return plaintext, nil
}

// SealEnvelope encrypts plaintext into an RQE1 envelope under a fresh random nonce.
func SealEnvelope(key, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("vsync: seal: %w", err)
	}
	out := make([]byte, 4+nonceSize, minEnvelope+len(plaintext))
	copy(out, envelopeMagic)
	out[3] = envelopeVersion
	if _, err := rand.Read(out[4:]); err != nil {
		return nil, fmt.Errorf("vsync: seal: nonce: %w", err)
	}
	return aead.Seal(out, out[4:4+nonceSize], plaintext, nil), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
