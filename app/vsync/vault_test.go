package vsync_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/vsync"
)

func TestParseVault(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		kv     map[string]string
		assets map[string][]byte
	}{
		{"flat", `{"A":"1","B":""}`, map[string]string{"A": "1", "B": ""}, nil},
		{"nested", `{"kv":{"A":"1"},"assets":{"f":"aGk="}}`, map[string]string{"A": "1"}, map[string][]byte{"f": []byte("hi")}},
		{"assets only", `{"assets":{"f":""}}`, nil, map[string][]byte{"f": {}}},
		{"kv only, other keys ignored", `{"kv":{"A":"1"},"other":5}`, map[string]string{"A": "1"}, nil},
		{"duplicate keys, last wins", `{"A":"1","A":"2"}`, map[string]string{"A": "2"}, nil},
		{"null kv", `{"kv":null}`, nil, nil},
		{"empty", `{}`, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv, assets, err := vsync.ParseVault([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(kv, tt.kv) || !maps.EqualFunc(assets, tt.assets, func(a, b []byte) bool { return string(a) == string(b) }) {
				t.Fatalf("got %v %v, want %v %v", kv, assets, tt.kv, tt.assets)
			}
		})
	}
}

func TestParseVaultErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":          `{"A":`,
		"array":             `["A"]`,
		"null":              `null`,
		"string":            `"A"`,
		"number value":      `{"PIN":123456789}`,
		"object value":      `{"A":{"B":"c"}}`,
		"kv not object":     `{"kv":"x"}`,
		"kv number value":   `{"kv":{"PIN":123456789}}`,
		"asset not base64":  `{"assets":{"f":"***"}}`,
		"asset unpadded":    `{"assets":{"f":"aGk"}}`,
		"asset not string":  `{"assets":{"f":5}}`,
		"trailing garbage":  `{"A":"1"} x`,
		"empty plaintext":   ``,
		"number root value": `123456789`,
	} {
		_, _, err := vsync.ParseVault([]byte(in))
		wantSentinel(t, err, vsync.ErrBundleCorrupt)
		if err != nil && (strings.Contains(err.Error(), "123456789") || strings.Contains(err.Error(), "aGk")) {
			t.Errorf("%s: error quotes a value: %v", name, err)
		}
	}
}

func TestEncodeVaultRoundTrip(t *testing.T) {
	for name, rel := range map[string]vsync.Release{
		"with assets":              testRelease,
		"without assets":           {KV: map[string]string{"A": "1"}},
		"keys named kv and assets": {KV: map[string]string{"kv": "x", "assets": "y"}},
		"nothing":                  {},
	} {
		b, err := vsync.EncodeVault(rel.KV, rel.Assets)
		if err != nil {
			t.Fatal(err)
		}
		kv, assets, err := vsync.ParseVault(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(kv) != len(rel.KV) || !maps.Equal(kv, rel.KV) && len(rel.KV) > 0 || len(assets) != len(rel.Assets) {
			t.Fatalf("%s: got %v %v", name, kv, assets)
		}
	}
}
