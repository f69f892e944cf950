// Package vsynctest provides the stores and S3 servers that tests of vsync and of its users
// (and `make dev`) publish to and read from: an in-memory store with real conditional-put
// semantics, the in-process gofakes3 server and a versitygw process, both on loopback with
// SigV4, and a fault proxy to put in front of either (FaultProxy).
package vsynctest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/keelstack/keel/app/vsync"
)

// MemStore is a vsync.ObjectStore and vsync.Fetcher in memory. Fault, when set, runs before
// every read and write and may fail or block it.
type MemStore struct {
	mu      sync.Mutex
	objects map[string]memObject
	seq     int
	fault   func(ctx context.Context, op, key string) error
}

type memObject struct {
	body []byte
	etag string
}

func NewMemStore() *MemStore { return &MemStore{objects: map[string]memObject{}} }

// SetFault installs (or, with nil, removes) a fault hook; op is "get", "put", "delete" or
// "list".
func (m *MemStore) SetFault(f func(ctx context.Context, op, key string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = f
}

func (m *MemStore) runFault(ctx context.Context, op, key string) error {
	m.mu.Lock()
	f := m.fault
	m.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(ctx, op, key)
}

func (m *MemStore) Fetch(ctx context.Context, key string) ([]byte, error) {
	b, _, err := m.GetObject(ctx, key)
	return b, err
}

func (m *MemStore) GetObject(ctx context.Context, key string) ([]byte, string, error) {
	if err := m.runFault(ctx, "get", key); err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", vsync.ErrObjectNotFound, key)
	}
	return slices.Clone(o.body), o.etag, nil
}

func (m *MemStore) PutObject(ctx context.Context, key string, body []byte, cond vsync.Condition) error {
	if err := m.runFault(ctx, "put", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, exists := m.objects[key]
	if cond.IfNoneMatch && exists || cond.IfMatch != "" && (!exists || o.etag != cond.IfMatch) {
		return fmt.Errorf("%w: %s", vsync.ErrPreconditionFailed, key)
	}
	m.seq++
	m.objects[key] = memObject{body: slices.Clone(body), etag: `"` + strconv.Itoa(m.seq) + `"`}
	return nil
}

func (m *MemStore) DeleteObject(ctx context.Context, key string) error {
	if err := m.runFault(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// Put stores body unconditionally: for tests that plant malformed objects.
func (m *MemStore) Put(key string, body []byte) {
	if err := m.PutObject(context.Background(), key, body, vsync.Condition{}); err != nil {
		panic(err)
	}
}

// Delete removes key: for tests that take an object away.
func (m *MemStore) Delete(key string) { _ = m.DeleteObject(context.Background(), key) }

// Get returns key's body, or nil.
func (m *MemStore) Get(key string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.objects[key].body)
}

// Keys lists the stored keys, sorted.
func (m *MemStore) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.objects))
	for k := range m.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
