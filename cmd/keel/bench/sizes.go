package bench

import (
	"os"
	"path/filepath"

	"github.com/keelstack/keel/tools/testkit/dockerfile"
	"github.com/keelstack/keel/tools/testkit/rootfs"
)

const mib = 1 << 20

// sizes builds the server as the Dockerfile does for the deployed platform (linux/arm64) and
// lays out the image's root filesystem around it.
func (b *bench) sizes() error {
	bin, err := b.buildServer("arm64")
	if err != nil {
		return err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return err
	}
	size := float64(fi.Size()) / mib
	t, met := target(size, 20, true, "<= 20 MiB")
	b.report.add(figure{Name: "server binary, linux/arm64", Value: size, Unit: "MiB", Target: t, Met: met})
	dir := filepath.Join(b.work, "rootfs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := rootfs.Build(dir, bin); err != nil {
		return err
	}
	total, err := rootfs.Size(dir)
	if err != nil {
		return err
	}
	b.report.add(figure{Name: "image root filesystem", Value: float64(total) / mib, Unit: "MiB",
		Note: "binary, users, CA bundle; distroless's own tzdata and licences not counted"})
	return nil
}

// buildServer runs the Dockerfile's go build for arch.
func (b *bench) buildServer(arch string) (string, error) {
	dt, err := os.ReadFile("Dockerfile")
	if err != nil {
		return "", err
	}
	gb, err := dockerfile.ExtractGoBuild(dt)
	if err != nil {
		return "", err
	}
	out := filepath.Join(b.work, "server-"+arch)
	return out, gb.Run("app", out, map[string]string{"TARGETOS": "linux", "TARGETARCH": arch, "VERSION": "bench"})
}
