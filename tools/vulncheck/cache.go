package vulncheck

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SourceKey hashes what a passing scan's result depends on: every .go, go.mod and go.sum file
// under the module directories, the extra files (the Dockerfile that builds the binary), and
// the labels (govulncheck's version, the database snapshot, the Go toolchain). A change in
// any of them scans again.
func SourceKey(root string, modules, extra, labels []string) (string, error) {
	h := sha256.New()
	for _, l := range labels {
		fmt.Fprintf(h, "label %s\n", l)
	}
	add := func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "file %s\n", rel)
		h.Write(b)
		return nil
	}
	for _, m := range modules {
		err := filepath.WalkDir(filepath.Join(root, m), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if name := d.Name(); strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
				return add(path)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	for _, f := range extra {
		if err := add(filepath.Join(root, f)); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
