package vsync_test

import (
	"testing"

	"github.com/keelstack/keel/app/vsync"
)

// Each target asserts: no panic, and every error is one of the seven classified sentinels.
// Seeds live in testdata/fuzz/<Target>; `make fuzz` runs each target for a bounded time.

func checkClassified(t *testing.T, err error) {
	if err != nil && vsync.CanonicalName(err) == "" {
		t.Fatalf("unclassified error: %v", err)
	}
}

func FuzzDecodeConfig(f *testing.F) {
	f.Add(mustBlob(f, testConfig("p/")))
	f.Add(blobOf(`{"v":2}`))
	f.Fuzz(func(t *testing.T, blob string) {
		cfg, err := vsync.DecodeConfig(blob)
		checkClassified(t, err)
		if err == nil && (cfg.V != 1 || cfg.Iterations < 1 || cfg.Iterations > vsync.MaxIterations || len(cfg.Salt) < 16) {
			t.Fatalf("accepted an invalid config: %v", cfg)
		}
	})
}

func FuzzOpenEnvelope(f *testing.F) {
	key := vsync.DeriveKey(testPass, testSalt, 1)
	sealed, _ := vsync.SealEnvelope(key, []byte(`{"A":"1"}`))
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, envelope []byte) {
		_, err := vsync.OpenEnvelope(key, envelope)
		checkClassified(t, err)
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("RQEM000120260523-114201{\"gen\":42}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := vsync.ParseManifest(b)
		checkClassified(t, err)
		if err == nil && len(ts) != 15 {
			t.Fatalf("timestamp %q is not 15 bytes", ts)
		}
	})
}

func FuzzParseVault(f *testing.F) {
	f.Add([]byte(`{"kv":{"A":"1"},"assets":{"f":"aGk="}}`))
	f.Add([]byte(`{"A":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := vsync.ParseVault(b)
		checkClassified(t, err)
	})
}
