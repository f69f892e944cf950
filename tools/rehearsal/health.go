package rehearsal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"
)

// checkLoop health-checks t on the target group's schedule until its checks are stopped
// (deregistration) or the balancer closes. Checks are independent requests (3.2, TGHC).
func (b *balancer) checkLoop(ctx context.Context, t *target) {
	hc := b.plan.HealthCheck
	for {
		ok := b.probe(ctx, t.url.String()+hc.Path)
		if ctx.Err() != nil {
			return
		}
		b.observe(t, ok)
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.clock.scale(hc.Interval)):
		}
	}
}

func (b *balancer) probe(ctx context.Context, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return matches(b.plan.HealthCheck.Matcher, resp.StatusCode)
}

// observe moves t between states. A newly registered target needs one passing check; the
// healthy threshold applies only to recovery from unhealthy (1.3, LBHC/TGHC). Unhealthy
// after UnhealthyThresholdCount consecutive failures (3.2).
func (b *balancer) observe(t *target, ok bool) {
	b.mu.Lock()
	from := t.state
	hc := b.plan.HealthCheck
	switch {
	case from == stateDraining || from == stateUnused:
	case ok && from == stateInitial:
		t.state = stateHealthy
	case ok && from == stateUnhealthy:
		t.passes++
		if t.passes >= hc.Healthy {
			t.state = stateHealthy
		}
	case ok:
		t.fails = 0
	case !ok && from != stateUnhealthy:
		t.fails++
		if t.fails >= hc.Unhealthy {
			t.state = stateUnhealthy
		}
	default:
		t.passes = 0
	}
	to := t.state
	if to != from {
		t.passes, t.fails = 0, 0
	}
	b.mu.Unlock()
	if to != from {
		b.tl.add("target", t.task.id, to, "health check "+hc.Path)
	}
}

// matches reports whether code satisfies an ALB matcher: "200", "200,202" or "200-299".
func matches(matcher string, code int) bool {
	for _, part := range strings.Split(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if code >= l && code <= h {
			return true
		}
	}
	return false
}

// Container health states (1.3, DC).
const (
	containerUnknown   = "UNKNOWN"
	containerHealthy   = "HEALTHY"
	containerUnhealthy = "UNHEALTHY"
)

// containerCheckLoop runs the task definition's health-check command inside the task's
// environment: the real binary's `healthcheck` for keel. Failures in the start period do not
// count; Retries consecutive failures make the container UNHEALTHY (CDK HealthCheck, CDEF).
func (tk *task) containerCheckLoop(ctx context.Context, cc ContainerCheck, clk clock, tl *timeline) {
	fails := 0
	for {
		ok := tk.runCheck(ctx, cc)
		if ctx.Err() != nil {
			return
		}
		inStart := time.Since(tk.started) < clk.scale(cc.StartPeriod)
		tk.mu.Lock()
		from := tk.container
		switch {
		case ok:
			fails = 0
			tk.container = containerHealthy
		case !inStart:
			fails++
			if fails >= cc.Retries {
				tk.container = containerUnhealthy
			}
		}
		to := tk.container
		tk.mu.Unlock()
		if to != from {
			tl.add("container", tk.id, to, strings.Join(cc.Command, " "))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(clk.scale(cc.Interval)):
		}
	}
}

// runCheck runs one check. ["CMD", "/server", args...]: the image's /server is the task's binary.
func (tk *task) runCheck(ctx context.Context, cc ContainerCheck) bool {
	ctx, cancel := context.WithTimeout(ctx, cc.Timeout)
	defer cancel()
	args := cc.Command[1:]
	bin := args[0]
	if path.Base(bin) == "server" {
		bin = tk.bin
	}
	cmd := exec.CommandContext(ctx, bin, args[1:]...)
	cmd.Env = tk.env
	return cmd.Run() == nil
}

// checkCommand validates a container check the rehearsal can run.
func checkCommand(cc *ContainerCheck) error {
	if cc == nil {
		return nil
	}
	if len(cc.Command) < 2 || cc.Command[0] != "CMD" {
		return fmt.Errorf("container health check %q: the rehearsal runs [\"CMD\", ...] checks only", cc.Command)
	}
	return nil
}
