package telemetry

import (
	"io"
	"sync"
)

// LineWriter serializes writes to W: the JSON logs and the EMF lines go to one stdout, and a
// write of more than PIPE_BUF bytes to a pipe may otherwise interleave with another.
type LineWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
