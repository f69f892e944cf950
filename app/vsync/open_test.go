package vsync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// env is a fake process environment for WithEnv.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func openWithEnv(t *testing.T, store *vsynctest.MemStore, e env, warn func(string)) (*vsync.Client, error) {
	t.Helper()
	if warn == nil {
		warn = func(string) {}
	}
	return vsync.Open(context.Background(), vsync.WithFetcher(store), vsync.WithEnv(e.lookup), vsync.WithWarnings(warn))
}

func TestOpenInputs(t *testing.T) {
	store, cfg := published(t, "app/")
	blob := mustBlob(t, cfg)
	tests := []struct {
		name string
		env  env
		want error // nil: opens
	}{
		{"plain values", env{"VSYNC_CONFIG": blob, "VSYNC_PASSPHRASE": testPass}, nil},
		{"files", env{"VSYNC_CONFIG_FILE": writeFile(t, blob, 0o600), "VSYNC_PASSPHRASE_FILE": writeFile(t, testPass, 0o400)}, nil},
		{"file wins over value", env{"VSYNC_CONFIG": "junk", "VSYNC_CONFIG_FILE": writeFile(t, blob, 0o600), "VSYNC_PASSPHRASE": testPass}, nil},
		{"empty _FILE counts as unset", env{"VSYNC_CONFIG": blob, "VSYNC_CONFIG_FILE": "", "VSYNC_PASSPHRASE": testPass}, nil},
		{"trailing whitespace stripped from files", env{"VSYNC_CONFIG_FILE": writeFile(t, blob+"\r\n\t \n", 0o600), "VSYNC_PASSPHRASE_FILE": writeFile(t, testPass+" \n", 0o600)}, nil},
		{"leading whitespace kept in files", env{"VSYNC_CONFIG": blob, "VSYNC_PASSPHRASE_FILE": writeFile(t, " "+testPass, 0o600)}, vsync.ErrWrongPassphrase},
		{"value taken verbatim", env{"VSYNC_CONFIG": blob, "VSYNC_PASSPHRASE": testPass + " "}, vsync.ErrWrongPassphrase},
		{"empty passphrase accepted by Open", env{"VSYNC_CONFIG": blob, "VSYNC_PASSPHRASE": ""}, vsync.ErrWrongPassphrase},
		{"empty config", env{"VSYNC_CONFIG": "", "VSYNC_PASSPHRASE": testPass}, vsync.ErrConfigMissing},
		{"no config", env{"VSYNC_PASSPHRASE": testPass}, vsync.ErrConfigMissing},
		{"no passphrase", env{"VSYNC_CONFIG": blob}, vsync.ErrConfigMissing},
		{"missing file", env{"VSYNC_CONFIG_FILE": "/nonexistent/vsync", "VSYNC_PASSPHRASE": testPass}, vsync.ErrConfigMissing},
		{"world-writable file", env{"VSYNC_CONFIG_FILE": writeFile(t, blob, 0o602), "VSYNC_PASSPHRASE": testPass}, vsync.ErrConfigMissing},
		{"world-writable 0666", env{"VSYNC_CONFIG": blob, "VSYNC_PASSPHRASE_FILE": writeFile(t, testPass, 0o666)}, vsync.ErrConfigMissing},
		{"directory", env{"VSYNC_CONFIG_FILE": t.TempDir(), "VSYNC_PASSPHRASE": testPass}, vsync.ErrConfigMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := openWithEnv(t, store, tt.env, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if v, _ := c.GetEnv("DATABASE_URL"); v != secretVal {
					t.Fatalf("DATABASE_URL = %q", v)
				}
				return
			}
			wantSentinel(t, err, tt.want)
			noLeak(t, "Open error", err.Error())
		})
	}
}

func TestOpenNamesTheMissingPairConfigFirst(t *testing.T) {
	_, err := openWithEnv(t, vsynctest.NewMemStore(), env{}, nil)
	if !errors.Is(err, vsync.ErrConfigMissing) || !strings.Contains(err.Error(), "VSYNC_CONFIG") || strings.Contains(err.Error(), "VSYNC_PASSPHRASE") {
		t.Fatalf("error = %v, want ConfigMissing naming VSYNC_CONFIG", err)
	}
	_, err = openWithEnv(t, vsynctest.NewMemStore(), env{"VSYNC_CONFIG": "x"}, nil)
	if !strings.Contains(err.Error(), "VSYNC_PASSPHRASE") {
		t.Fatalf("error = %v, want it to name VSYNC_PASSPHRASE", err)
	}
}

func TestOpenWarnsOnReadableFile(t *testing.T) {
	store, cfg := published(t, "")
	for mode, wantWarn := range map[os.FileMode]bool{0o600: false, 0o640: true, 0o604: true, 0o620: false} {
		var warnings []string
		e := env{"VSYNC_CONFIG": mustBlob(t, cfg), "VSYNC_PASSPHRASE_FILE": writeFile(t, testPass, mode)}
		collect := func(m string) {
			if strings.Contains(m, "VSYNC_PASSPHRASE_FILE") {
				warnings = append(warnings, m)
			}
		}
		if _, err := openWithEnv(t, store, e, collect); err != nil {
			t.Fatalf("mode %o: %v", mode, err)
		}
		if got := len(warnings) > 0; got != wantWarn {
			t.Errorf("mode %04o: warned=%v, want %v (%q)", mode, got, wantWarn, warnings)
		}
	}
}

func TestOpenWithRefusesEmpty(t *testing.T) {
	store, cfg := published(t, "")
	blob := mustBlob(t, cfg)
	for _, args := range [][2]string{{"", testPass}, {blob, ""}} {
		_, err := vsync.OpenWith(context.Background(), args[0], args[1], vsync.WithFetcher(store))
		wantSentinel(t, err, vsync.ErrConfigMissing)
	}
	if _, err := vsync.OpenWith(context.Background(), blob, testPass, vsync.WithFetcher(store)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenObjectErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		mutate func(*vsynctest.MemStore, vsync.Config)
		want   error
	}{
		{"manifest missing", func(s *vsynctest.MemStore, c vsync.Config) { s.Delete(c.Prefix + "manifest") }, vsync.ErrManifestNotFound},
		{"manifest short", func(s *vsynctest.MemStore, c vsync.Config) { s.Put(c.Prefix+"manifest", []byte("RQEM0001")) }, vsync.ErrBundleCorrupt},
		{"manifest points nowhere", func(s *vsynctest.MemStore, c vsync.Config) {
			s.Put(c.Prefix+"manifest", []byte("RQEM000120990101-000000"))
		}, vsync.ErrBundleCorrupt},
		{"bundle version 2", func(s *vsynctest.MemStore, c vsync.Config) {
			key := bundleKey(s, c)
			b := s.Get(key)
			b[3] = '2'
			s.Put(key, b)
		}, vsync.ErrUnsupportedSpecVersion},
		{"bundle truncated", func(s *vsynctest.MemStore, c vsync.Config) { s.Put(bundleKey(s, c), []byte("RQE1")) }, vsync.ErrBundleCorrupt},
		{"fetcher failure", func(s *vsynctest.MemStore, c vsync.Config) {
			s.SetFault(func(context.Context, string, string) error { return errors.New("connection reset") })
		}, vsync.ErrS3Unreachable},
		{"fetcher sentinel passes through", func(s *vsynctest.MemStore, c vsync.Config) {
			s.SetFault(func(context.Context, string, string) error { return vsync.ErrBundleCorrupt })
		}, vsync.ErrBundleCorrupt},
		{"deadline", func(s *vsynctest.MemStore, c vsync.Config) {
			s.SetFault(func(ctx context.Context, _, _ string) error { <-ctx.Done(); return ctx.Err() })
		}, vsync.ErrS3Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, cfg := published(t, "app/")
			tt.mutate(store, cfg)
			ctx, cancel := context.WithTimeout(ctx, 200e6)
			defer cancel()
			_, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store))
			wantSentinel(t, err, tt.want)
		})
	}
}

func bundleKey(s *vsynctest.MemStore, c vsync.Config) string {
	ts, err := vsync.ParseManifest(s.Get(c.Prefix + "manifest"))
	if err != nil {
		panic(err)
	}
	return c.Prefix + "v=" + ts
}
