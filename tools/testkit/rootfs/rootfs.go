// Package rootfs lays out the service image's root filesystem without a container engine:
// what gcr.io/distroless/static-debian12:nonroot holds that the service uses (users, CA
// certificates, /tmp, the nonroot home), no shell, and the binary where the Dockerfile copies
// it.
package rootfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Build writes the root filesystem into dir (which must exist) with binary as /server, and
// makes dir's parents traversable by uid 65532.
func Build(dir, binary string) error {
	files := map[string]string{
		"etc/passwd":        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":         "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
		"etc/nsswitch.conf": "hosts: files dns\n",
	}
	if ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		files["etc/ssl/certs/ca-certificates.crt"] = string(ca)
	}
	for name, content := range files {
		if err := write(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"tmp", "home/nonroot", "proc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chown(filepath.Join(dir, "home/nonroot"), 65532, 65532); err != nil && !os.IsPermission(err) {
		return err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "server"), bin, 0o755); err != nil {
		return err
	}
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("make %s traversable for uid 65532: %w", d, err)
			}
		}
	}
	return nil
}

// Size is the total size of the regular files under dir.
func Size(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			total += fi.Size()
		}
		return err
	})
	return total, err
}

func write(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, mode)
}
