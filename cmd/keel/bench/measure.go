package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// timed runs a command and returns its wall time and the peak RSS of the largest process in
// its tree (wait4's ru_maxrss), in seconds and MiB.
func (b *bench) timed(dir string, env []string, name string, args ...string) (float64, float64, error) {
	cmd := exec.CommandContext(b.ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s %v: %w\n%s", name, args, err, out.String())
	}
	wall := time.Since(start).Seconds()
	rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	return wall, rss, nil
}

// repeat measures fn b.runs times and returns the medians of its two results.
func (b *bench) repeat(fn func() (float64, float64, error)) (float64, float64, error) {
	var as, bs []float64
	for range b.runs {
		x, y, err := fn()
		if err != nil {
			return 0, 0, err
		}
		as, bs = append(as, x), append(bs, y)
	}
	return median(as), median(bs), nil
}
