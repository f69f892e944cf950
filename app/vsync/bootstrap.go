package vsync

import (
	"fmt"
	"io"
	"io/fs"
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

// readInputFile reads a _FILE input. The checks run on the opened descriptor, so that the
// file cannot be swapped between check and read: the open is non-blocking (a FIFO with no
// writer would otherwise block it, and boot, forever), then only a regular file is read.
func (o *options) readInputFile(env, path string) (string, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s=%s: %v", ErrConfigMissing, env, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("%w: %s=%s: %v", ErrConfigMissing, env, path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s=%s is not a regular file (it is a %s): point it at a file holding the value", ErrConfigMissing, env, path, fileKind(fi.Mode()))
	}
	if runtime.GOOS != "windows" {
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
	if fi.Size() > maxInputFile {
		return "", fmt.Errorf("%w: %s=%s is larger than %d bytes", ErrConfigMissing, env, path, maxInputFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return "", fmt.Errorf("%w: %s=%s: read: %v", ErrConfigMissing, env, path, err)
	}
	if len(b) > maxInputFile {
		return "", fmt.Errorf("%w: %s=%s is larger than %d bytes", ErrConfigMissing, env, path, maxInputFile)
	}
	return strings.TrimRight(string(b), "\r\n\t "), nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "non-regular file"
}
