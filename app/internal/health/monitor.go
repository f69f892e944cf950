// Package health tracks the service's lifecycle (booting, ready, draining) and whether the
// vault it booted with is still the newest one in S3.
package health

import (
	"sync"

	"github.com/keelstack/keel/app/vsync"
)

// Phase is where the service is in its life.
type Phase int

const (
	Booting Phase = iota
	Ready
	Draining
)

func (p Phase) String() string {
	return [...]string{"booting", "ready", "draining"}[p]
}

// Vault is what the service uses of an opened vault: the upstream vsync API only, so that
// *vsync.Client of either module is one.
type Vault interface {
	GetEnv(key string) (string, bool)
	EnvSource(key string) vsync.Source
	Generation() int
	Close() error
	String() string // <vsync:redacted gen=N env=E>
}

// Monitor holds the phase, and once ready the vault and its freshness.
type Monitor struct {
	mu        sync.RWMutex
	phase     Phase
	vault     Vault
	freshness *Freshness
}

// Ready records a successful boot.
func (m *Monitor) Ready(v Vault, f *Freshness) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase, m.vault, m.freshness = Ready, v, f
}

// Drain records that shutdown has begun; health checks fail from now on.
func (m *Monitor) Drain() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase = Draining
}

// State returns the phase, and the vault and freshness when they exist (nil while booting).
func (m *Monitor) State() (Phase, Vault, *Freshness) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.phase, m.vault, m.freshness
}
