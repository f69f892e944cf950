package main

import (
	"fmt"
	"io"
)

// maxSecretFile bounds a _FILE input: passphrases and keys are short; anything bigger is a
// wrong path.
const maxSecretFile = 64 << 10

// readSecretFile reads a secret from path, which must be a regular file: checked on the opened
// descriptor, so that a FIFO or a device named by mistake (or swapped in after a check) cannot
// block the command or feed it without end.
func readSecretFile(path string) ([]byte, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): point it at a file holding the secret", path, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d bytes: is it the right file?", path, maxSecretFile)
	}
	return b, nil
}
