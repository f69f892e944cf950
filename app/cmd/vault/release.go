package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keelstack/keel/app/internal/dotenv"
	"github.com/keelstack/keel/app/vsync"
)

// Limits: every task holds the whole bundle in memory, and boots by fetching it.
const (
	maxAsset = 1 << 20
	maxTotal = 4 << 20
)

// assetFlags collects repeated --asset name=path.
type assetFlags []string

func (a *assetFlags) String() string     { return strings.Join(*a, ",") }
func (a *assetFlags) Set(v string) error { *a = append(*a, v); return nil }

// loadRelease reads the env file and the assets into a release, refusing anything a reader
// could not use or a task should not hold.
func loadRelease(envFile string, assets assetFlags) (vsync.Release, error) {
	if envFile == "" {
		return vsync.Release{}, fmt.Errorf("%w: --env-file is required", errUsage)
	}
	f, err := os.Open(envFile)
	if err != nil {
		return vsync.Release{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	defer f.Close()
	kv, err := dotenv.Parse(f, envFile)
	if err != nil {
		return vsync.Release{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	rel := vsync.Release{KV: kv, Assets: map[string][]byte{}}
	total := 0
	for _, k := range kv {
		total += len(k)
	}
	for _, a := range assets {
		name, path, ok := strings.Cut(a, "=")
		if !ok || name == "" || path == "" {
			return vsync.Release{}, fmt.Errorf("%w: --asset %q: want name=path", errUsage, a)
		}
		if _, dup := rel.Assets[name]; dup {
			return vsync.Release{}, fmt.Errorf("%w: --asset %s is given twice", errUsage, name)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return vsync.Release{}, fmt.Errorf("%w: --asset %s: %v", errUsage, name, err)
		}
		if fi.Size() > maxAsset {
			return vsync.Release{}, fmt.Errorf("%w: --asset %s: %s is %d bytes, over the %d-byte limit per asset", errUsage, name, filepath.Base(path), fi.Size(), maxAsset)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return vsync.Release{}, fmt.Errorf("%w: --asset %s: %v", errUsage, name, err)
		}
		rel.Assets[name] = b
		total += len(b)
	}
	if total > maxTotal {
		return vsync.Release{}, fmt.Errorf("%w: the vault would hold %d bytes, over the %d-byte limit", errUsage, total, maxTotal)
	}
	return rel, nil
}
