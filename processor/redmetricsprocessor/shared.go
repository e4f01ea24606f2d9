package redmetricsprocessor

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// core is the state that the logs and traces instances of one component ID
// share: one aggregator, one flush loop, one snapshot registration.
type core interface {
	start(ctx context.Context, host component.Host) error
	shutdown(ctx context.Context) error
}

// sharedCores hands out one core per *Config (the collector passes the same
// pointer to every signal of one component ID), reference-counted so the
// last instance to shut down stops it. Each factory owns its own map.
type sharedCores[T core] struct {
	mu sync.Mutex
	m  map[*Config]*sharedCore[T]
}

type sharedCore[T core] struct {
	core  T
	refs  int
	start sync.Once
	err   error
}

func newSharedCores[T core]() *sharedCores[T] {
	return &sharedCores[T]{m: map[*Config]*sharedCore[T]{}}
}

// acquire returns the core for cfg, creating it on first use, and a handle
// for one instance.
func (s *sharedCores[T]) acquire(cfg *Config, create func() (T, error)) (*handle[T], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.m[cfg]
	if !ok {
		c, err := create()
		if err != nil {
			return nil, err
		}
		sc = &sharedCore[T]{core: c}
		s.m[cfg] = sc
	}
	sc.refs++
	return &handle[T]{parent: s, cfg: cfg, shared: sc}, nil
}

func (s *sharedCores[T]) release(cfg *Config) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.m[cfg]
	sc.refs--
	if sc.refs > 0 {
		var zero T
		return zero, false
	}
	delete(s.m, cfg)
	return sc.core, true
}

// handle is one instance's view of a shared core: Start starts the core
// once, Shutdown releases it once; the last release shuts it down.
type handle[T core] struct {
	parent   *sharedCores[T]
	cfg      *Config
	shared   *sharedCore[T]
	shutOnce sync.Once
}

func (h *handle[T]) Start(ctx context.Context, host component.Host) error {
	h.shared.start.Do(func() { h.shared.err = h.shared.core.start(ctx, host) })
	return h.shared.err
}

func (h *handle[T]) Shutdown(ctx context.Context) error {
	var err error
	h.shutOnce.Do(func() {
		if c, last := h.parent.release(h.cfg); last {
			err = c.shutdown(ctx)
		}
	})
	return err
}
