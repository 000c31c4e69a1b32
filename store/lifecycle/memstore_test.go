package lifecycle

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/leakguard/leakguard/store"
)

// memStore is a small in-memory store.Store for the lifecycle's unit tests.
// It counts calls so tests can check that some paths touch no store.
type memStore struct {
	mu      sync.Mutex
	tokens  map[string]*store.Token
	byHash  map[string]string
	events  []store.Event
	notices map[string]bool
	outbox  []store.Notification
	calls   int
}

func newMemStore() *memStore {
	return &memStore{tokens: map[string]*store.Token{}, byHash: map[string]string{}, notices: map[string]bool{}}
}

func (s *memStore) lock() func() {
	s.mu.Lock()
	s.calls++
	return s.mu.Unlock
}

func (s *memStore) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func clone(t *store.Token) *store.Token { c := *t; return &c }

func (s *memStore) CreateToken(_ context.Context, t *store.Token, ev store.Event) error {
	defer s.lock()()
	if err := t.Validate(); err != nil {
		return err
	}
	if _, ok := s.tokens[t.ID]; ok {
		return store.ErrConflict
	}
	if _, ok := s.byHash[t.Hash]; ok {
		return store.ErrConflict
	}
	s.tokens[t.ID], s.byHash[t.Hash] = clone(t), t.ID
	s.events = append(s.events, ev)
	return nil
}

func (s *memStore) TokenByHash(_ context.Context, h string) (*store.Token, error) {
	defer s.lock()()
	id, ok := s.byHash[h]
	if !ok {
		return nil, store.ErrNotFound
	}
	return clone(s.tokens[id]), nil
}

func (s *memStore) TokenByID(_ context.Context, id string) (*store.Token, error) {
	defer s.lock()()
	t, ok := s.tokens[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return clone(t), nil
}

func (s *memStore) ListTokens(_ context.Context, f store.ListFilter) ([]*store.Token, error) {
	defer s.lock()()
	var out []*store.Token
	for _, t := range s.tokens {
		if (f.Owner == "" || t.Owner == f.Owner) && (f.State == "" || t.State(f.Now) == f.State) && t.ID > f.After {
			out = append(out, clone(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *memStore) Revoke(_ context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	defer s.lock()()
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	id := req.ID
	if id == "" {
		id = s.byHash[req.Hash]
	}
	t, ok := s.tokens[id]
	if !ok {
		return nil, false, store.ErrNotFound
	}
	if !t.Valid {
		return clone(t), true, nil
	}
	at := req.At
	t.Valid, t.InvalidAt, t.InvalidReason, t.RevokedBy = false, &at, req.Reason, req.Actor
	s.events = append(s.events, store.Event{TokenID: id, Kind: req.Kind, At: at, Actor: req.Actor, Source: req.Source, Detail: req.Reason})
	if req.Notify != nil {
		s.outbox = append(s.outbox, *req.Notify)
	}
	return clone(t), false, nil
}

func (s *memStore) ExpireDue(_ context.Context, now time.Time) ([]*store.Token, error) {
	defer s.lock()()
	var out []*store.Token
	for _, t := range s.tokens {
		if t.Valid && t.ExpiresAt != nil && !t.ExpiresAt.After(now) {
			at := *t.ExpiresAt
			t.Valid, t.InvalidAt, t.InvalidReason = false, &at, store.ReasonExpired
			s.events = append(s.events, store.Event{TokenID: t.ID, Kind: store.EventExpired, At: at})
			out = append(out, clone(t))
		}
	}
	return out, nil
}

func (s *memStore) ExpiringBefore(_ context.Context, now, deadline time.Time, stage string) ([]*store.Token, error) {
	defer s.lock()()
	var out []*store.Token
	for _, t := range s.tokens {
		if t.Valid && t.ExpiresAt != nil && now.Before(*t.ExpiresAt) && !t.ExpiresAt.After(deadline) && !s.notices[t.ID+"/"+stage] {
			out = append(out, clone(t))
		}
	}
	return out, nil
}

func (s *memStore) RecordNotice(_ context.Context, req store.NoticeRequest) (bool, error) {
	defer s.lock()()
	k := req.TokenID + "/" + req.Stage
	if s.notices[k] {
		return false, nil
	}
	s.notices[k] = true
	s.events = append(s.events, req.Event)
	if req.Notify != nil {
		s.outbox = append(s.outbox, *req.Notify)
	}
	return true, nil
}

func (s *memStore) TouchLastUsed(_ context.Context, id string, at time.Time) error {
	defer s.lock()()
	t, ok := s.tokens[id]
	if !ok {
		return store.ErrNotFound
	}
	if t.LastUsedAt == nil || t.LastUsedAt.Before(at) {
		t.LastUsedAt = &at
	}
	return nil
}

func (s *memStore) AppendEvent(_ context.Context, ev store.Event) error {
	defer s.lock()()
	if _, ok := s.tokens[ev.TokenID]; !ok {
		return store.ErrNotFound
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *memStore) Events(_ context.Context, id string) ([]store.Event, error) {
	defer s.lock()()
	var out []store.Event
	for _, e := range s.events {
		if e.TokenID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *memStore) Outbox() []store.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Notification(nil), s.outbox...)
}

func (s *memStore) ClaimNotifications(context.Context, time.Time, int, time.Duration) ([]store.Notification, error) {
	return nil, nil
}
func (s *memStore) MarkDelivered(context.Context, string) error                 { return nil }
func (s *memStore) MarkFailed(context.Context, string, time.Time, string) error { return nil }
func (s *memStore) Ping(context.Context) error                                  { return nil }
func (s *memStore) Close() error                                                { return nil }
