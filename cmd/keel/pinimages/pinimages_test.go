package pinimages

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/keelstack/keel/cmd/internal/cli"
	"github.com/keelstack/keel/tools/pin"
)

// TestMain lets a test run the command as a process (PINIMAGES_MAIN=1), to see its exit status.
func TestMain(m *testing.M) {
	if os.Getenv("PINIMAGES_MAIN") == "1" {
		os.Exit(cli.Run(context.Background(), "pin-images", Run, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// testRegistry is go-containerregistry's in-memory registry on loopback, standing in for
// Docker Hub and gcr.io: push puts an image under a base image's name.
type testRegistry struct {
	t    *testing.T
	host string
}

func startRegistry(t *testing.T) *testRegistry {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, host: strings.TrimPrefix(srv.URL, "http://")}
}

// push stores a random image (an index of two when multi) under repo:tag and returns the
// digest the registry serves for the tag.
func (r *testRegistry) push(repoTag string, multi bool) string {
	r.t.Helper()
	ref, err := name.NewTag(r.host + "/" + repoTag)
	if err != nil {
		r.t.Fatal(err)
	}
	var d v1.Hash
	if multi {
		idx, err := random.Index(64, 1, 2)
		if err == nil {
			err = remote.WriteIndex(ref, idx)
		}
		if err == nil {
			d, err = idx.Digest()
		}
		if err != nil {
			r.t.Fatal(err)
		}
	} else {
		img, err := random.Image(64, 1)
		if err == nil {
			err = remote.Write(ref, img)
		}
		if err == nil {
			d, err = img.Digest()
		}
		if err != nil {
			r.t.Fatal(err)
		}
	}
	return d.String()
}

func (r *testRegistry) flags(path string) []string {
	return []string{"--dockerfile", path, "--registry", "docker.io=" + r.host, "--registry", "gcr.io=" + r.host}
}

// repoDockerfile copies the repository's Dockerfile into a temporary directory.
func repoDockerfile(t *testing.T) (path string, original []byte) {
	t.Helper()
	original, err := os.ReadFile(filepath.Join("..", "..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(path, original, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, original
}

func pinImages(t *testing.T, args []string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, io.Discard)
	return out.String(), err
}

// TestPinRepositoryDockerfile pins the repository's own Dockerfile against stand-ins of its
// base images: every tag becomes tag@digest, nothing else moves, a second run changes nothing,
// and a tag that moved gets its new digest.
func TestPinRepositoryDockerfile(t *testing.T) {
	reg := startRegistry(t)
	path, original := repoDockerfile(t)
	images, err := pin.Images(original)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 3 {
		t.Fatalf("the Dockerfile pulls %v, want the syntax frontend, the Go builder and distroless", images)
	}
	want := map[string]string{} // the digest each tag must get
	for _, im := range images {
		if im.Pinned() {
			t.Fatalf("the committed Dockerfile pins %s: digests come from make pin-images, never typed in", im)
		}
		tag, err := name.NewTag(im.Ref)
		if err != nil {
			t.Fatal(err)
		}
		want[im.Ref] = reg.push(tag.RepositoryStr()+":"+tag.TagStr(), strings.HasPrefix(im.Ref, "golang:"))
	}

	out, err := pinImages(t, reg.flags(path))
	if err != nil {
		t.Fatalf("pin-images: %v", err)
	}
	pinned, _ := os.ReadFile(path)
	for ref, digest := range want {
		if !bytes.Contains(pinned, []byte(ref+"@"+digest)) || !strings.Contains(out, ref+"@"+digest) {
			t.Errorf("%s was not pinned to %s:\n%s\n%s", ref, digest, out, pinned)
		}
	}
	stripped := regexp.MustCompile(`@sha256:[0-9a-f]{64}`).ReplaceAll(pinned, nil)
	if !bytes.Equal(stripped, original) {
		t.Errorf("pin-images changed more than the references:\n%s", pinned)
	}
	if f, err := pin.Check(pinned); err != nil || len(f) != 0 {
		t.Errorf("the pinned Dockerfile still has pin findings: %v %v", f, err)
	}

	out, err = pinImages(t, reg.flags(path))
	again, _ := os.ReadFile(path)
	if err != nil || !bytes.Equal(again, pinned) || !strings.Contains(out, "every image in") {
		t.Errorf("a second run is not a no-op: %v\n%s\n%s", err, out, again)
	}

	moved := reg.push("distroless/static-debian12:nonroot", false)
	if _, err := pinImages(t, reg.flags(path)); err != nil {
		t.Fatal(err)
	}
	repinned, _ := os.ReadFile(path)
	runtime := "gcr.io/distroless/static-debian12:nonroot"
	if !bytes.Contains(repinned, []byte(runtime+"@"+moved)) || !bytes.Equal(bytes.ReplaceAll(repinned, []byte(moved), []byte(want[runtime])), pinned) {
		t.Errorf("after the tag moved, want only its digest changed:\n%s", repinned)
	}
}

// TestMissingTag: a tag the registry does not have stops the command with the image's name
// and a non-zero exit, and the Dockerfile stays as it was (the other images resolve).
func TestMissingTag(t *testing.T) {
	reg := startRegistry(t)
	path, original := repoDockerfile(t)
	reg.push("docker/dockerfile:1", false)
	reg.push("distroless/static-debian12:nonroot", false)
	// library/golang:1.26-bookworm is not pushed.

	cmd := exec.Command(os.Args[0], reg.flags(path)...)
	cmd.Env = append(os.Environ(), "PINIMAGES_MAIN=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("want a non-zero exit, got %v:\n%s", err, out)
	}
	if !strings.Contains(string(out), "golang:1.26-bookworm: the tag does not exist in "+reg.host+"/library/golang") {
		t.Errorf("the error does not name the image:\n%s", out)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, original) {
		t.Errorf("the Dockerfile changed although an image did not resolve:\n%s", now)
	}
}

func TestBadRegistryFlag(t *testing.T) {
	path, _ := repoDockerfile(t)
	if _, err := pinImages(t, []string{"--dockerfile", path, "--registry", "docker.io"}); err == nil || !strings.Contains(err.Error(), "want FROM=TO") {
		t.Errorf("--registry without =: %v", err)
	}
}
