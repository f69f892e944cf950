package rehearsal

import (
	"sync"
	"time"
)

// clock compresses the template's waits by an explicit speed factor. Scaled: health-check
// intervals, grace period, deregistration delay, bake times, alarm periods, the slow requests'
// length (measured against the deregistration delay). Not scaled: what bounds the real
// binary's own behaviour (health-check timeouts, the stop timeout), so that a slow boot or a
// slow drain of the real process is never hidden by the factor.
type clock struct {
	speed float64
	start time.Time
}

// scale turns a template duration into real time.
func (c clock) scale(d time.Duration) time.Duration { return time.Duration(float64(d) / c.speed) }

// since is the real time since the rehearsal started.
func (c clock) since() time.Duration { return time.Since(c.start) }

// Event is one line of the timeline.
type Event struct {
	At     ms     `json:"at_ms"` // real time since the start
	Kind   string `json:"kind"`  // task, target, traffic, alarm, deployment, breaker
	Task   string `json:"task,omitempty"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// timeline records events in order; safe for concurrent use.
type timeline struct {
	clock  clock
	mu     sync.Mutex
	events []Event
}

func (t *timeline) add(kind, task, state, detail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, Event{At: ms(t.clock.since()), Kind: kind, Task: task, State: state, Detail: detail})
}

func (t *timeline) all() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}
