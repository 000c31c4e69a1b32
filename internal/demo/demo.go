// Package demo is `leakguard demo`: a scripted tour of one token's life on
// a throw-away embedded SQLite store — issue, leak into a file, scan,
// revoke, verify, audit trail, signed owner notification — printed step by
// step. It never prints the plaintext token.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/webhook"
)

// actor is the actor of the demo's revocation.
const actor = "leakguard-demo"

// demo is one run of `leakguard demo`: a throw-away store in dir and the
// objects the steps share.
type demo struct {
	out  io.Writer
	dir  string
	now  func() time.Time
	log  zerolog.Logger
	st   *sqlite.Store
	mgr  *lifecycle.Manager
	cat  *patterns.Catalog
	step int
}

// Options are what a demo run needs.
type Options struct {
	Out  io.Writer        // the tour
	Now  func() time.Time // nil: time.Now
	Log  zerolog.Logger
	Keep bool // keep the temporary directory (store and leaked file) and say where it is
}

// Run walks a token through its life on an embedded SQLite store in a new
// temporary directory, printing each step on o.Out.
func Run(ctx context.Context, o Options) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	dir, err := os.MkdirTemp("", "leakguard-demo-")
	if err != nil {
		return err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	d := &demo{out: o.Out, dir: dir, now: o.Now, log: o.Log, cat: patterns.Default()}
	if err := d.run(ctx); err != nil {
		return err
	}
	if o.Keep {
		fmt.Fprintf(o.Out, "\nKept %s (store: leakguard.db).\n", dir)
	}
	return nil
}

func (d *demo) run(ctx context.Context) error {
	st, err := sqlite.Open(ctx, filepath.Join(d.dir, "leakguard.db"), sqlite.Options{Log: d.log, Now: d.now})
	if err != nil {
		return err
	}
	defer st.Close()
	d.st = st
	d.mgr = lifecycle.New(st, d.cat, lifecycle.Options{Policy: lifecycle.DefaultPolicy(), Now: d.now, Logger: d.log})
	defer d.mgr.Close()
	fmt.Fprintf(d.out, "leakguard demo: one token's life, on a throw-away SQLite store in %s\n", d.dir)
	is, err := d.issue(ctx)
	if err != nil {
		return err
	}
	path, err := d.leak(is.Secret)
	if err != nil {
		return err
	}
	f, err := d.scan(path)
	if err != nil {
		return err
	}
	if err := d.revoke(ctx, f); err != nil {
		return err
	}
	if err := d.verify(ctx, is.Secret); err != nil {
		return err
	}
	_ = d.mgr.Close() // flush the verified_invalid event
	if err := d.events(ctx, is.Token.ID); err != nil {
		return err
	}
	return d.notify(ctx)
}

// title prints the next step's heading.
func (d *demo) title(format string, a ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.step, fmt.Sprintf(format, a...))
}

func (d *demo) say(format string, a ...any) { fmt.Fprintf(d.out, "   "+format+"\n", a...) }

func redactedOf(cat *patterns.Catalog, s patterns.Secret) string {
	if f, ok := cat.Identify(s.Reveal()); ok {
		return s.Redact(patterns.PrefixOf(f, s.Reveal()))
	}
	return patterns.Redacted
}

func (d *demo) issue(ctx context.Context) (lifecycle.Issued, error) {
	d.title("Issue a token")
	d.say(`$ leakguard token issue --owner demo@example.org --name "deploy key"`)
	is, err := d.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "demo@example.org", Name: "deploy key",
		Type: patterns.TypeUser, Actor: actor, Source: "cli"})
	if err != nil {
		return is, err
	}
	d.say("issued %s: %s (type %s, expires %s under the default 90-day policy)", is.Token.ID,
		redactedOf(d.cat, is.Secret), is.Token.Type, is.Token.ExpiresAt.Format(time.RFC3339))
	d.say("`token issue` prints the plaintext once; the store keeps only its SHA-256 and last 4 characters.")
	v, err := d.mgr.Verify(ctx, is.Secret)
	if err != nil {
		return is, err
	}
	d.say("$ leakguard token verify  →  valid=%v", v.Valid)
	return is, nil
}

// leak writes the token into a config file, as a careless commit would.
func (d *demo) leak(s patterns.Secret) (string, error) {
	d.title("Leak it: paste it into a config file")
	app := filepath.Join(d.dir, "app")
	if err := os.MkdirAll(app, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(app, "settings.py")
	body := "# settings for the deploy job\nDEBUG = False\nAPI_TOKEN = \"" + s.Reveal() + "\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return "", err
	}
	d.say("%s line 3:  API_TOKEN = \"%s\"", path, redactedOf(d.cat, s))
	return path, nil
}

// scan finds the token in the file with the scanner, as `leakguard scan` does.
func (d *demo) scan(path string) (scanner.Finding, error) {
	d.title("Scan for it")
	d.say("$ leakguard scan --format json %s", filepath.Dir(path))
	fh, err := os.Open(path)
	if err != nil {
		return scanner.Finding{}, err
	}
	defer fh.Close()
	var found []scanner.Finding
	err = scanner.New(d.cat).Scan(fh, func(m scanner.Match) error {
		found = append(found, scanner.NewFinding(m, leakguard.SourceFile, path))
		return nil
	})
	if err != nil {
		return scanner.Finding{}, err
	}
	if len(found) != 1 {
		return scanner.Finding{}, fmt.Errorf("scan found %d tokens, want 1", len(found))
	}
	f := found[0]
	f.Status = leakguard.StateActive
	if t, err := d.st.TokenByHash(context.Background(), f.TokenHash); err == nil {
		f.Status = t.State(d.mgr.Now())
	}
	d.printJSON(f)
	return f, nil
}

func (d *demo) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		d.say("(%v)", err)
		return
	}
	d.say("%s", b)
}

// revoke kills the leaked token the way `scan --revoke` and the GitHub
// partner endpoint do: through the revoker, with the leak's location.
func (d *demo) revoke(ctx context.Context, f scanner.Finding) error {
	d.title("Revoke it, saying where it leaked")
	rv := revoker.New(d.st, d.cat, revoker.Options{Now: d.now, Logger: d.log})
	res, err := rv.Revoke(ctx, revoker.Report{Secret: f.Secret, Source: f.Source, Path: f.Path, Line: f.Line, Actor: actor})
	if err != nil {
		return err
	}
	if res.Token == nil {
		return fmt.Errorf("revoke: token not found (%s)", res.Status)
	}
	d.say("$ leakguard scan --revoke %s", filepath.Dir(f.Path))
	d.say("%s: %s, reason %q", res.Token.ID, res.Status, res.Token.InvalidReason)
	f.Action = leakguard.ActionRevoked
	d.printJSON(f)
	return nil
}

func (d *demo) verify(ctx context.Context, s patterns.Secret) error {
	d.title("Verify it again")
	v, err := d.mgr.Verify(ctx, s)
	if err != nil {
		return err
	}
	d.say("$ leakguard token verify  →  valid=%v (exit 1)", v.Valid)
	d.say("%s", v.Message)
	return nil
}

func (d *demo) events(ctx context.Context, id string) error {
	d.title("Its audit trail")
	d.say("$ curl -H 'Authorization: Bearer …' localhost:8080/v1/tokens/%s/events", id)
	evs, err := d.mgr.Events(ctx, id)
	if err != nil {
		return err
	}
	for _, e := range evs {
		d.say("%s  %-16s actor=%s source=%s  %s", e.At.UTC().Format(time.RFC3339), e.Kind, orDash(e.Actor), orDash(e.Source), e.Detail)
	}
	return nil
}

// notify delivers the outbox to a local receiver, signed, as `serve
// --notify-url` does.
func (d *demo) notify(ctx context.Context) error {
	d.title("Tell the owner: the outbox's token.revoked event, signed (Standard Webhooks)")
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	got := make(chan http.Header, 4)
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<16))
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dl := webhook.NewDeliverer(d.st, webhook.DelivererOptions{URL: srv.URL, Secret: key, Now: d.now, Logger: d.log})
	if _, err := dl.DeliverOnce(ctx); err != nil {
		return err
	}
	select {
	case h := <-got:
		d.say("POST %s", srv.URL)
		for _, k := range []string{webhook.HeaderWebhookID, webhook.HeaderWebhookTimestamp, webhook.HeaderWebhookSignature} {
			d.say("%s: %s", k, h.Get(k))
		}
		d.say("%s", strings.TrimSpace(string(body)))
	default:
		d.say("(no event was waiting in the outbox)")
	}
	var left []store.Notification
	left, _ = d.st.ClaimNotifications(ctx, d.now().Add(time.Hour), 10, time.Second)
	d.say("outbox now holds %d undelivered events", len(left))
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
