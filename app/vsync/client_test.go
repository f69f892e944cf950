package vsync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

func openPublished(t testing.TB, e env) (*vsync.Client, *publishedStore) {
	t.Helper()
	store, cfg := published(t, "app/")
	c, err := vsync.OpenWith(context.Background(), mustBlob(t, cfg), testPass,
		vsync.WithFetcher(store), vsync.WithEnv(e.lookup),
		vsync.WithDefaults(map[string]string{"FEATURE": "default", "PORT": "8080", "EMPTY_ENV": "default"}))
	if err != nil {
		t.Fatal(err)
	}
	return c, &publishedStore{store, cfg}
}

func TestFallbackChain(t *testing.T) {
	e := env{"FEATURE": "env", "REGION": "eu", "EMPTY_ENV": ""}
	c, _ := openPublished(t, e)
	tests := []struct {
		key   string
		value string
		ok    bool
		src   vsync.Source
	}{
		{"FEATURE", "on", true, vsync.SourceVault},
		{"REGION", "eu", true, vsync.SourceEnv},
		{"EMPTY_ENV", "", true, vsync.SourceEnv},
		{"PORT", "8080", true, vsync.SourceDefault},
		{"NOPE", "", false, vsync.SourceMissing},
	}
	for _, tt := range tests {
		v, ok := c.GetEnv(tt.key)
		if v != tt.value || ok != tt.ok || c.HasEnv(tt.key) != tt.ok || c.EnvSource(tt.key) != tt.src {
			t.Errorf("%s: GetEnv=%q,%v HasEnv=%v EnvSource=%v; want %q,%v %v", tt.key, v, ok, c.HasEnv(tt.key), c.EnvSource(tt.key), tt.value, tt.ok, tt.src)
		}
	}
	e["PORT"] = "9090" // the env tier is read at lookup time
	if v, _ := c.GetEnv("PORT"); v != "9090" || c.EnvSource("PORT").String() != "env" {
		t.Fatalf("PORT after env change = %q from %v", v, c.EnvSource("PORT"))
	}
}

func TestAssetsAndClose(t *testing.T) {
	c, _ := openPublished(t, env{})
	b, err := c.GetAsContent("tls/key.pem")
	if err != nil || string(b) != string(testRelease.Assets["tls/key.pem"]) {
		t.Fatalf("GetAsContent = %q, %v", b, err)
	}
	b[0] = 'X'
	if again, _ := c.GetAsContent("tls/key.pem"); again[0] == 'X' {
		t.Fatal("GetAsContent returned the vault's own slice, not a copy")
	}
	if b, err := c.GetAsContent("DATABASE_URL"); err != nil || string(b) != secretVal {
		t.Fatalf("kv through GetAsContent = %q, %v", b, err)
	}
	if _, err := c.GetAsContent("nope"); err == nil {
		t.Fatal("GetAsContent of a missing name succeeded")
	}
	if got := strings.Join(c.Keys(), ","); got != "DATABASE_URL,FEATURE" {
		t.Fatalf("Keys = %s", got)
	}
	if got := strings.Join(c.Files(), ","); got != "tls/key.pem" {
		t.Fatalf("Files = %s", got)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if v, ok := c.GetEnv("FEATURE"); ok || v != "" || c.HasEnv("PORT") || c.EnvSource("FEATURE") != vsync.SourceMissing {
		t.Fatal("lookups answer after Close")
	}
	if _, err := c.GetAsContent("tls/key.pem"); err == nil {
		t.Fatal("GetAsContent answers after Close")
	}
	if _, err := c.RemoteGeneration(context.Background()); err == nil {
		t.Fatal("RemoteGeneration answers after Close")
	}
	if c.Generation() != 1 || c.String() != "<vsync:redacted gen=1 env=test>" {
		t.Fatalf("after Close: Generation=%d String=%s", c.Generation(), c)
	}
}

func TestClientNeverPrintsVault(t *testing.T) {
	c, _ := openPublished(t, env{})
	noLeak(t, "Client formatting", fmt.Sprintf("%v %+v %#v %s", c, c, c, c))
	if got := c.String(); got != "<vsync:redacted gen=1 env=test>" {
		t.Fatalf("String = %q", got)
	}
}

func TestGenerations(t *testing.T) {
	ctx := context.Background()
	c, p := openPublished(t, env{})
	if c.Generation() != 1 {
		t.Fatalf("Generation = %d, want 1", c.Generation())
	}
	if newer, err := c.HasNewVersion(ctx); err != nil || newer {
		t.Fatalf("HasNewVersion before a publish = %v, %v", newer, err)
	}
	if _, err := vsync.Publish(ctx, p.store, p.cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
		t.Fatal(err)
	}
	if remote, err := c.RemoteGeneration(ctx); err != nil || remote != 2 {
		t.Fatalf("RemoteGeneration = %d, %v; want 2", remote, err)
	}
	if newer, err := c.HasNewVersion(ctx); err != nil || !newer {
		t.Fatalf("HasNewVersion after a publish = %v, %v", newer, err)
	}
	if c.Generation() != 1 {
		t.Fatal("RemoteGeneration changed the local generation")
	}

	// An upstream writer's manifest carries no generation: latest.meta is the only source.
	ts, _ := vsync.ParseManifest(p.store.Get(p.cfg.Prefix + "manifest"))
	p.store.Put(p.cfg.Prefix+"manifest", []byte("RQEM0001"+ts))
	if remote, err := c.RemoteGeneration(ctx); err != nil || remote != 2 {
		t.Fatalf("RemoteGeneration from latest.meta = %d, %v; want 2", remote, err)
	}
	p.store.Delete(p.cfg.Prefix + "latest.meta")
	if remote, err := c.RemoteGeneration(ctx); err != nil || remote != 0 {
		t.Fatalf("RemoteGeneration without latest.meta = %d, %v; want 0", remote, err)
	}
	p.store.Put(p.cfg.Prefix+"latest.meta", []byte("not json"))
	if remote, err := c.RemoteGeneration(ctx); err != nil || remote != 0 {
		t.Fatalf("RemoteGeneration with junk latest.meta = %d, %v; want 0", remote, err)
	}
	fresh, err := vsync.OpenWith(ctx, mustBlob(t, p.cfg), testPass, vsync.WithFetcher(p.store))
	if err != nil || fresh.Generation() != 0 {
		t.Fatalf("Open without a readable latest.meta: gen %d, %v", fresh.Generation(), err)
	}

	p.store.Delete(p.cfg.Prefix + "manifest")
	_, err = c.RemoteGeneration(ctx)
	wantSentinel(t, err, vsync.ErrManifestNotFound)
	_, err = c.HasNewVersion(ctx)
	wantSentinel(t, err, vsync.ErrManifestNotFound)
}
