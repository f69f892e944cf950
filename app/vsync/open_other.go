//go:build !unix

package vsync

import "os"

// openNonBlocking is a plain open where O_NONBLOCK does not exist; FIFOs are a Unix matter.
func openNonBlocking(path string) (*os.File, error) { return os.Open(path) }
