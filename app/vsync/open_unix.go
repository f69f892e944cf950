//go:build unix

package vsync

import (
	"os"
	"syscall"
)

// openNonBlocking opens path read-only without blocking on a FIFO that has no writer.
// O_NONBLOCK only changes how FIFOs and devices open and read; for a regular file, the only
// kind that is then read, it has no effect.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}
