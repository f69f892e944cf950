// Command pinimages is `make pin-images`: it resolves every image the Dockerfile pulls (the
// `# syntax=` frontend and each stage's base) from name:tag to the digest the registry serves
// for that tag now, and rewrites the Dockerfile to name:tag@sha256:…. Run it where the
// registries are reachable and commit the result; run it again to move the digests.
package pinimages

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/keelstack/keel/tools/pin"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pin-images", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("dockerfile", "Dockerfile", "the Dockerfile to pin in place")
	timeout := fs.Duration("timeout", time.Minute, "bound on all registry requests together")
	hosts := hostMap{}
	fs.Var(hosts, "registry", "`FROM=TO`: ask registry TO for the images of registry FROM (docker.io, gcr.io, …), for tests against a local registry; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: pass the file with --dockerfile", fs.Args())
	}
	dt, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	resolve := func(tagged string) (string, error) { return resolveDigest(ctx, tagged, hosts) }
	out, changed, err := pin.Rewrite(dt, resolve)
	if err != nil {
		return fmt.Errorf("%s is unchanged:\n%w", *path, err)
	}
	if len(changed) == 0 {
		fmt.Fprintf(stdout, "pin-images: every image in %s is pinned to its tag's current digest\n", *path)
		return nil
	}
	if err := writeAtomic(*path, out); err != nil {
		return err
	}
	for _, im := range changed {
		fmt.Fprintf(stdout, "%s:%d: %s\n", *path, im.Line, im)
	}
	fmt.Fprintf(stdout, "pin-images: pinned %d image(s) in %s; review and commit it\n", len(changed), *path)
	return nil
}

// resolveDigest asks the image's registry (or its stand-in from hosts) for the digest the tag
// points at now: for a multi-platform image, the index's digest, so each platform still gets
// its own image. HEAD, not GET: Docker Hub does not count HEAD requests against its pull limit.
func resolveDigest(ctx context.Context, tagged string, hosts hostMap) (string, error) {
	tag, err := name.NewTag(tagged)
	if err != nil {
		return "", err
	}
	if to, ok := hosts[tag.RegistryStr()]; ok {
		if tag, err = name.NewTag(to + "/" + tag.RepositoryStr() + ":" + tag.TagStr()); err != nil {
			return "", err
		}
	}
	desc, err := remote.Head(tag, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if terr := (*transport.Error)(nil); errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("the tag does not exist in %s (check the name and tag)", tag.Context())
	}
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// hostMap maps a registry host to the one that serves its images instead.
type hostMap map[string]string

func (h hostMap) String() string { return fmt.Sprint(map[string]string(h)) }

func (h hostMap) Set(v string) error {
	from, to, ok := strings.Cut(v, "=")
	if !ok || from == "" || to == "" {
		return fmt.Errorf("%q: want FROM=TO, e.g. docker.io=127.0.0.1:5000", v)
	}
	reg, err := name.NewRegistry(from) // docker.io and index.docker.io are one registry
	if err != nil {
		return err
	}
	h[reg.RegistryStr()] = to
	return nil
}

// writeAtomic replaces path with dt, keeping its mode, through a temporary file beside it: an
// interrupted run leaves the old file whole.
func writeAtomic(path string, dt []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pin-images-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(dt)
	if err == nil {
		err = tmp.Chmod(info.Mode().Perm())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
