package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/store"
)

// Actor and source of the sweeper's events and notifications.
const SweeperActor = "sweeper"

// noticeLookback bounds how far back the 0d stage looks for tokens that
// reached their expiry while no sweeper ran.
const noticeLookback = 30 * Day

// Stage is one token.expiring notice: sent once per token when its expiry
// is within Window.
type Stage struct {
	Name   string        // "7d", "1d", "0d"
	Window time.Duration // how long before expiry
}

// Stages are the expiring-notice stages, widest first: 7 days, 1 day, and 0
// (the token has reached its expiry).
func Stages() []Stage {
	return []Stage{{"7d", 7 * Day}, {"1d", Day}, {"0d", 0}}
}

// Sweep sends due token.expiring notices and marks expired tokens (an
// expired event each). Each stage's notice goes out once per token (the
// store records it with the event and the outbox entry in one
// transaction). A stage is skipped for a token that was issued inside its
// window (a 3-day token gets no 7-day notice) or that is already inside a
// narrower stage's window (after downtime, only the narrowest due notice
// goes out). The 0d notice runs before expiry is marked, so a crash between
// the two loses nothing. Sweep is safe to run concurrently from several
// processes.
func (m *Manager) Sweep(ctx context.Context) error {
	now := m.Now()
	stages := Stages()
	sent := 0
	for i, s := range stages {
		narrower := time.Duration(-1)
		if i+1 < len(stages) {
			narrower = stages[i+1].Window
		}
		n, err := m.sweepStage(ctx, now, s, narrower)
		if err != nil {
			return err
		}
		sent += n
	}
	expired, err := m.st.ExpireDue(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep: expire due tokens: %w", err)
	}
	if sent > 0 || len(expired) > 0 {
		m.log.Info().Int("notices", sent).Int("expired", len(expired)).Msg("sweep")
	}
	return nil
}

// sweepStage records stage s for every eligible token and returns how many
// notices it sent. narrower is the next stage's window (-1: none).
func (m *Manager) sweepStage(ctx context.Context, now time.Time, s Stage, narrower time.Duration) (int, error) {
	from, to := now, now.Add(s.Window)
	if s.Window == 0 {
		from, to = now.Add(-noticeLookback), now
	}
	ts, err := m.st.ExpiringBefore(ctx, from, to, s.Name)
	if err != nil {
		return 0, fmt.Errorf("sweep: tokens expiring before %s: %w", to.Format(time.RFC3339), err)
	}
	sent := 0
	for _, t := range ts {
		if !eligible(t, now, s, narrower) {
			continue
		}
		ok, err := m.notice(ctx, now, t, s)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// eligible reports whether t should get stage s's notice now.
func eligible(t *store.Token, now time.Time, s Stage, narrower time.Duration) bool {
	if t.ExpiresAt == nil || !t.Valid {
		return false
	}
	if s.Window > 0 && t.CreatedAt.After(t.ExpiresAt.Add(-s.Window)) {
		// Issued inside the window: the owner chose that lifetime. A token
		// issued inside even the narrowest window (under a day to live)
		// still gets that stage's one notice, at half its lifetime.
		if narrower > 0 {
			return false
		}
		half := t.CreatedAt.Add(t.ExpiresAt.Sub(t.CreatedAt) / 2)
		return !now.Before(half) && now.Before(*t.ExpiresAt)
	}
	if s.Window > 0 && narrower >= 0 && !t.ExpiresAt.After(now.Add(narrower)) {
		return false // a narrower stage is due: send only that one
	}
	return true
}

// notice records stage s for t with its event and outbox entry.
func (m *Manager) notice(ctx context.Context, now time.Time, t *store.Token, s Stage) (bool, error) {
	typ, reason := store.NotifyExpiring, "expires on "+t.ExpiresAt.UTC().Format(time.RFC3339)
	if s.Window == 0 {
		typ, reason = store.NotifyExpired, "expired on "+t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	n, err := store.NewNotification(typ, t, reason, SweeperActor, now)
	if err != nil {
		return false, fmt.Errorf("sweep: %w", err)
	}
	ev := store.Event{TokenID: t.ID, Kind: store.EventExpiringNotice, At: now, Actor: SweeperActor,
		Source: SweeperActor, Detail: "stage " + s.Name + ": " + reason}
	ok, err := m.st.RecordNotice(ctx, store.NoticeRequest{TokenID: t.ID, Stage: s.Name, Event: ev, Notify: n})
	if err != nil {
		return false, fmt.Errorf("sweep: record %s notice for %s: %w", s.Name, t.ID, err)
	}
	return ok, nil
}
