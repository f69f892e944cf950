package infra

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/pin"
)

// TestImageAsset: each stage builds the root Dockerfile for its task's platform.
func TestImageAsset(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		paths, _ := filepath.Glob(filepath.Join(a.outdir, "assembly-"+name, name+"Service*.assets.json"))
		if len(paths) != 1 {
			t.Fatalf("%s: %d asset manifests", name, len(paths))
		}
		b, _ := os.ReadFile(paths[0])
		var manifest struct {
			DockerImages map[string]struct {
				Source struct {
					Directory  string `json:"directory"`
					Dockerfile string `json:"dockerFile"`
					Platform   string `json:"platform"`
				} `json:"source"`
			} `json:"dockerImages"`
		}
		if err := json.Unmarshal(b, &manifest); err != nil || len(manifest.DockerImages) != 1 {
			t.Fatalf("%s: asset manifest: %v, %d images", name, err, len(manifest.DockerImages))
		}
		for _, img := range manifest.DockerImages {
			want := map[bool]string{true: "linux/arm64", false: "linux/amd64"}[a.built[name].Settings.Task.ARM64]
			if img.Source.Platform != want || img.Source.Dockerfile != "Dockerfile" {
				t.Errorf("%s: image platform %q file %q, want %s from Dockerfile", name, img.Source.Platform, img.Source.Dockerfile, want)
			}
			staged := filepath.Join(a.outdir, "assembly-"+name, img.Source.Directory)
			var names []string
			entries, _ := os.ReadDir(staged)
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if got := strings.Join(names, " "); got != ".dockerignore Dockerfile app" {
				t.Errorf("%s: staged build context holds %q, want .dockerignore, Dockerfile and app/ only", name, got)
			}
		}
	}
}

// TestImageHashIgnoresInfraAndTests: the asset hash (which decides whether deploys roll the
// service) depends on app/ sources and the Dockerfile only, and so on the bases' digests and
// the Go version written there.
func TestImageHashIgnoresInfraAndTests(t *testing.T) {
	root := testenv.RepoRoot(t)
	hash := func(dir string) string {
		scope := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Hash"), nil)
		return *awsecrassets.NewDockerImageAsset(scope, jsii.String("Image"), &awsecrassets.DockerImageAssetProps{
			Directory: jsii.String(dir), IgnoreMode: awscdk.IgnoreMode_DOCKER,
		}).AssetHash()
	}
	copyOf := func(t *testing.T) string {
		dir := t.TempDir()
		for _, p := range []string{"Dockerfile", ".dockerignore", "app"} {
			copyTree(t, filepath.Join(root, p), filepath.Join(dir, p))
		}
		return dir
	}
	repo := hash(root)
	if got := hash(copyOf(t)); got != repo {
		t.Fatalf("the repository hashes as %s but its Dockerfile and app/ alone as %s: something outside app/ is in the build context", repo, got)
	}
	for name, change := range map[string]func(dir string){
		"infra change":    func(d string) { write(t, filepath.Join(d, "infra", "new.go"), "package infra") },
		"test change":     func(d string) { write(t, filepath.Join(d, "test", "e2e", "x_test.go"), "package e2e") },
		"app test change": func(d string) { write(t, filepath.Join(d, "app", "vsync", "new_test.go"), "package vsync") },
		"README change":   func(d string) { write(t, filepath.Join(d, "README.md"), "# changed") },
	} {
		dir := copyOf(t)
		change(dir)
		if got := hash(dir); got != repo {
			t.Errorf("%s changed the image hash", name)
		}
	}
	dir := copyOf(t)
	write(t, filepath.Join(dir, "app", "cmd", "server", "new.go"), "package main")
	if hash(dir) == repo {
		t.Error("a change to the server's source left the image hash unchanged")
	}

	// The bases' digests and the Go version live in the Dockerfile: a new digest alone (a
	// patched distroless or Go image) or a Go release moves the hash, so the next deploy ships it.
	dockerfileOf := func(t *testing.T, dt []byte) string {
		dir := copyOf(t)
		write(t, filepath.Join(dir, "Dockerfile"), string(dt))
		return dir
	}
	committed, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	pinTo := func(digit string) []byte {
		dt, _, err := pin.Rewrite(committed, func(string) (string, error) { return "sha256:" + strings.Repeat(digit, 64), nil })
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	pinnedA, pinnedB := pinTo("a"), pinTo("b")
	hashA, hashB := hash(dockerfileOf(t, pinnedA)), hash(dockerfileOf(t, pinnedB))
	if hashA == hashB || hashA == repo {
		t.Errorf("a digest change alone left the image hash unchanged (%s, %s, repository %s)", hashA, hashB, repo)
	}
	goRelease := regexp.MustCompile(`golang:(\d+\.\d+)-`).ReplaceAll(pinnedA, []byte("golang:${1}.99-"))
	if bytes.Equal(goRelease, pinnedA) || hash(dockerfileOf(t, goRelease)) == hashA {
		t.Error("a Go version change in the Dockerfile left the image hash unchanged")
	}
	infraOnly := dockerfileOf(t, pinnedA)
	write(t, filepath.Join(infraOnly, "infra", "stage", "new.go"), "package stage")
	if hash(infraOnly) != hashA {
		t.Error("an infra-only change moved the hash of a pinned image")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(to, strings.TrimPrefix(path, from))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
