package vsync

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxInputFile bounds a _FILE read: a config blob is well under 4 KiB.
const maxInputFile = 1 << 20

// input resolves one bootstrap pair: NAME_FILE when set and non-empty, else NAME verbatim
// (even empty), else ErrConfigMissing.
func (o *options) input(name string) (string, error) {
	if path, ok := o.lookupEnv(name + "_FILE"); ok && path != "" {
		return o.readInputFile(name+"_FILE", path)
	}
	if v, ok := o.lookupEnv(name); ok {
		return v, nil
	}
	return "", fmt.Errorf("%w: neither %s nor %s_FILE is set: set one of them (the _FILE form names a file holding the value)", ErrConfigMissing, name, name)
}

func (o *options) readInputFile(env, path string) (string, error) {
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrConfigMissing, env, path, err)
		}
		mode := fi.Mode().Perm()
		if mode&0o002 != 0 {
			return "", fmt.Errorf("%w: %s=%s is world-writable (mode %04o): refusing it; run chmod o-w on it", ErrConfigMissing, env, path, mode)
		}
		if mode&0o044 != 0 {
			o.warn(fmt.Sprintf("vsync: %s=%s is readable by group or others (mode %04o): chmod 600 it", env, path, mode))
		}
	} else {
		o.warn("vsync: file permission checks are skipped on Windows")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s=%s: %v", ErrConfigMissing, env, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return "", fmt.Errorf("%w: %s=%s: read: %v", ErrConfigMissing, env, path, err)
	}
	if len(b) > maxInputFile {
		return "", fmt.Errorf("%w: %s=%s is larger than %d bytes", ErrConfigMissing, env, path, maxInputFile)
	}
	return strings.TrimRight(string(b), "\r\n\t "), nil
}
