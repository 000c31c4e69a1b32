package rediscache

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakguard/leakguard/store"
)

// memStore is a tiny in-memory fake of the database side, with counters
// and hooks so tests can see which calls reached "the database" and can
// stop a read between its database access and its return.
type memStore struct {
	mu     sync.Mutex
	byID   map[string]*store.Token
	byHash map[string]string
	events map[string][]store.Event

	hashReads atomic.Int64 // TokenByHash calls
	idReads   atomic.Int64 // TokenByID calls
	// afterRead, if set, runs after TokenByHash read the map and before it
	// returns (with the lock released).
	afterRead func(hash string)
	closed    atomic.Bool
}

var _ store.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{byID: map[string]*store.Token{}, byHash: map[string]string{},
		events: map[string][]store.Event{}}
}

func clone(t *store.Token) *store.Token { c := *t; return &c }

func (m *memStore) CreateToken(_ context.Context, t *store.Token, ev store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.ID == "" || t.Hash == "" || t.Type == "" || t.Owner == "" {
		return store.ErrInvalid
	}
	if _, ok := m.byID[t.ID]; ok {
		return store.ErrConflict
	}
	if _, ok := m.byHash[t.Hash]; ok {
		return store.ErrConflict
	}
	m.byID[t.ID], m.byHash[t.Hash] = clone(t), t.ID
	ev.TokenID = t.ID
	m.events[t.ID] = append(m.events[t.ID], ev)
	return nil
}

func (m *memStore) TokenByHash(_ context.Context, hash string) (*store.Token, error) {
	m.hashReads.Add(1)
	m.mu.Lock()
	var t *store.Token
	if id, ok := m.byHash[hash]; ok {
		t = clone(m.byID[id])
	}
	hook := m.afterRead
	m.mu.Unlock()
	if hook != nil {
		hook(hash)
	}
	if t == nil {
		return nil, store.ErrNotFound
	}
	return t, nil
}

func (m *memStore) TokenByID(_ context.Context, id string) (*store.Token, error) {
	m.idReads.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.byID[id]; ok {
		return clone(t), nil
	}
	return nil, store.ErrNotFound
}

func (m *memStore) ListTokens(_ context.Context, f store.ListFilter) ([]*store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*store.Token
	for _, t := range m.byID {
		if (f.Owner == "" || t.Owner == f.Owner) && (f.State == "" || t.State(f.Now) == f.State) {
			out = append(out, clone(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) Revoke(_ context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.Reason == "" || (req.ID == "" && req.Hash == "") {
		return nil, false, store.ErrInvalid
	}
	id := req.ID
	if id == "" {
		id = m.byHash[req.Hash]
	}
	t, ok := m.byID[id]
	if !ok {
		return nil, false, store.ErrNotFound
	}
	if !t.Valid {
		return clone(t), true, nil
	}
	at := req.At
	if at.IsZero() {
		at = time.Now().UTC()
	}
	t.Valid, t.InvalidAt, t.InvalidReason, t.RevokedBy = false, &at, req.Reason, req.Actor
	m.events[id] = append(m.events[id], store.Event{TokenID: id, Kind: store.EventRevoked, At: at})
	return clone(t), false, nil
}

func (m *memStore) ExpireDue(_ context.Context, now time.Time) ([]*store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*store.Token
	for _, t := range m.byID {
		if t.Valid && t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
			at := *t.ExpiresAt
			t.Valid, t.InvalidAt, t.InvalidReason = false, &at, store.ReasonExpired
			out = append(out, clone(t))
		}
	}
	return out, nil
}

func (m *memStore) ExpiringBefore(context.Context, time.Time, time.Time, string) ([]*store.Token, error) {
	return nil, nil
}

func (m *memStore) RecordNotice(context.Context, store.NoticeRequest) (bool, error) { return true, nil }

func (m *memStore) TouchLastUsed(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.byID[id]
	if !ok {
		return store.ErrNotFound
	}
	if t.LastUsedAt == nil || t.LastUsedAt.Before(at) {
		t.LastUsedAt = &at
	}
	return nil
}

func (m *memStore) AppendEvent(_ context.Context, ev store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[ev.TokenID]; !ok {
		return store.ErrNotFound
	}
	m.events[ev.TokenID] = append(m.events[ev.TokenID], ev)
	return nil
}

func (m *memStore) Events(_ context.Context, id string) ([]store.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.Event(nil), m.events[id]...), nil
}

func (m *memStore) ClaimNotifications(context.Context, time.Time, int, time.Duration) ([]store.Notification, error) {
	return nil, nil
}

func (m *memStore) MarkDelivered(context.Context, string) error { return nil }

func (m *memStore) MarkFailed(context.Context, string, time.Time, string) error { return nil }

func (m *memStore) Ping(context.Context) error { return nil }

func (m *memStore) Close() error { m.closed.Store(true); return nil }
