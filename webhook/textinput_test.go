package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/store/storetest"
	"github.com/leakguard/leakguard/webhook"
)

// dumpStore is a store that can write every row it holds.
type dumpStore interface {
	store.Store
	storetest.Dumper
}

// logSink collects log lines from the server, the Manager and the
// revoker; take returns and forgets what was written so far.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// textEnv is a server over one real store, called through its handler,
// with every log line captured.
type textEnv struct {
	name  string
	st    dumpStore
	mgr   *lifecycle.Manager
	h     http.Handler
	log   *logSink
	admin patterns.Secret
}

// openTextStore opens a fresh store of kind "sqlite" or "postgres" (nil
// when PostgreSQL is unreachable and not required).
func openTextStore(t testing.TB, kind string) dumpStore {
	t.Helper()
	ctx := context.Background()
	if kind == "sqlite" {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	if !postgresReachable(t) {
		return nil
	}
	dsn, schema := testenv.PostgresSchema(t)
	st, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// postgresReachable reports whether the shared PostgreSQL answers; when
// it does not and LEAKGUARD_REQUIRE_SERVICES=1, t fails.
func postgresReachable(t testing.TB) bool {
	t.Helper()
	ok := true
	probe := &skipRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		testenv.PostgresDSN(probe)
	}()
	if probe.skipped {
		if testenv.RequireServices() {
			t.Fatal("PostgreSQL unreachable")
		}
		t.Log("PostgreSQL unreachable: SQLite only")
		ok = false
	}
	return ok
}

// skipRecorder turns a Skip into a flag (and a panic that ends the probe).
type skipRecorder struct {
	testing.TB
	skipped bool
}

func (s *skipRecorder) Skipf(format string, args ...any) { s.skipped = true; panic("skip") }

// textEnvs returns a server over SQLite and one over PostgreSQL (when
// reachable): every answer must be the same on both.
func textEnvs(t testing.TB) []*textEnv {
	t.Helper()
	var envs []*textEnv
	for _, kind := range []string{"sqlite", "postgres"} {
		if st := openTextStore(t, kind); st != nil {
			envs = append(envs, newTextEnv(t, kind, st))
		}
	}
	return envs
}

func newTextEnv(t testing.TB, name string, st dumpStore) *textEnv {
	t.Helper()
	e := &textEnv{name: name, st: st, log: &logSink{}}
	logger := zerolog.New(e.log)
	cat := patterns.Default()
	e.mgr = lifecycle.New(st, cat, lifecycle.Options{Logger: logger})
	t.Cleanup(func() { _ = e.mgr.Close() })
	srv, err := webhook.New(webhook.Config{Manager: e.mgr, Revoker: revoker.New(st, cat, revoker.Options{Logger: logger}),
		Senders: []webhook.Sender{}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e.h = srv.Handler()
	iss, err := e.mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "admin@example.org", Name: "admin",
		Type: patterns.TypeAdmin, Actor: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = iss.Secret
	return e
}

// call sends one request, as an admin, and returns the recorded answer.
func (e *textEnv) call(method, target string, body []byte) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("Authorization", "Bearer "+e.admin.Reveal())
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// dump returns every stored row as text.
func (e *textEnv) dump(t testing.TB) string {
	t.Helper()
	var b bytes.Buffer
	if err := e.st.Dump(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// counts returns how many tokens there are and how many events id has.
func (e *textEnv) counts(t testing.TB, id string) [2]int {
	t.Helper()
	ctx := context.Background()
	ts, err := e.st.ListTokens(ctx, store.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.st.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return [2]int{len(ts), len(evs)}
}

// jsonString writes s as a JSON string the way a careless client might:
// quotes, backslashes and C0 controls escaped, every other byte as is
// (invalid UTF-8 included).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// apiError is the error body of a response, if it is one.
func apiError(body []byte) (code, msg string) {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Code, e.Error.Message
}

// sampleTokens is one true-positive sample of each format of the default
// catalog, by format id and prefix.
func sampleTokens() map[string]string {
	out := map[string]string{}
	for _, f := range patterns.Default().Formats() {
		for _, tp := range f.TruePositives {
			p, _, _ := f.Split(tp)
			out[f.ID+"/"+p] = tp
		}
	}
	return out
}

// TestAPIRedactsPastedTokens pastes a token of every default format into
// every free-text field of the API, on SQLite and PostgreSQL: the
// responses, the stored rows and the log hold "[REDACTED]" in its place.
func TestAPIRedactsPastedTokens(t *testing.T) {
	t.Parallel()
	for _, e := range textEnvs(t) {
		t.Run(e.name, func(t *testing.T) {
			var answers []string
			for id, tok := range sampleTokens() {
				pasted := "pasted " + tok + " here"
				for _, field := range []string{"owner", "name"} {
					fields := map[string]string{"owner": "o@example.org", "name": "n", field: pasted}
					body, _ := json.Marshal(fields)
					w := e.call("POST", "/v1/tokens", body)
					if w.Code != http.StatusCreated {
						t.Fatalf("%s in %s: create = %d %s", id, field, w.Code, w.Body)
					}
					var created struct{ ID, Token string }
					_ = json.Unmarshal(w.Body.Bytes(), &created)
					answers = append(answers, strings.ReplaceAll(w.Body.String(), created.Token, ""))
					rec := e.call("GET", "/v1/tokens/"+created.ID, nil)
					if !strings.Contains(rec.Body.String(), patterns.Redacted) {
						t.Errorf("%s in %s: record %s, want the token redacted", id, field, rec.Body)
					}
					answers = append(answers, rec.Body.String())
					revoke, _ := json.Marshal(map[string]string{"id": created.ID, "reason": pasted})
					w = e.call("POST", "/v1/tokens/revoke", revoke)
					if w.Code != http.StatusOK {
						t.Fatalf("%s in reason: revoke = %d %s", id, w.Code, w.Body)
					}
					answers = append(answers, w.Body.String())
					answers = append(answers, e.call("GET", "/v1/tokens/"+created.ID+"/events", nil).Body.String())
				}
				w := e.call("GET", "/v1/tokens?owner="+url.QueryEscape(pasted), nil)
				// Owners are stored redacted and the filter is redacted alike: it
				// finds the tokens issued with a token pasted there.
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"owner":"pasted `+patterns.Redacted+` here"`) {
					t.Errorf("%s: list by owner = %d %s, want the tokens issued with it", id, w.Code, w.Body)
				}
				answers = append(answers, w.Body.String())
			}
			_ = e.mgr.Close()
			where := map[string]string{"responses": strings.Join(answers, "\n"), "rows": e.dump(t), "log": e.log.take()}
			for id, tok := range sampleTokens() {
				for name, text := range where {
					if strings.Contains(text, tok) {
						t.Errorf("%s: the %s hold the plaintext token", id, name)
					}
				}
			}
		})
	}
}

// badInput is a value of each class the API refuses in its text fields.
var badInput = []struct{ name, value, names string }{
	{"NUL", "a\x00b", "U+0000"},
	{"invalid UTF-8", "a\xffb", ""},
	{"ESC", "a\x1b[31mb", "U+001B"},
	{"BEL", "a\ab", "U+0007"},
	{"CR LF", "a\r\nb", "U+000D"},
	{"TAB", "a\tb", "U+0009"},
	{"DEL", "a\x7fb", "U+007F"},
	{"C1", "a\u009bb", "U+009B"},
	{"RLO", "a\u202eb", "U+202E"},
	{"FSI", "a\u2068b", "U+2068"},
	{"line separator", "a\u2028b", "U+2028"},
	{"too long", strings.Repeat("x", 1001), "longer than"},
}

// textRoute sends a value in one text field of one route.
type textRoute struct {
	name, field string
	req         func(v string) (method, target string, body []byte)
}

func textRoutes(victimID string) []textRoute {
	body := func(fields string) []byte { return []byte("{" + fields + "}") }
	return []textRoute{
		{"create", "owner", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens", body(`"owner":` + jsonString(v) + `,"name":"n"`)
		}},
		{"create", "name", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens", body(`"owner":"o","name":` + jsonString(v))
		}},
		{"create", "type", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens", body(`"owner":"o","name":"n","type":` + jsonString(v))
		}},
		{"create", "expires_in", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens", body(`"owner":"o","name":"n","expires_in":` + jsonString(v))
		}},
		{"revoke", "reason", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens/revoke", body(`"id":"` + victimID + `","reason":` + jsonString(v))
		}},
		{"revoke", "id", func(v string) (string, string, []byte) {
			return "POST", "/v1/tokens/revoke", body(`"id":` + jsonString(v) + `,"reason":"r"`)
		}},
		{"list", "owner", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens?owner=" + url.QueryEscape(v), nil
		}},
		{"list", "state", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens?state=" + url.QueryEscape(v), nil
		}},
		{"list", "cursor", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens?cursor=" + url.QueryEscape(v), nil
		}},
		{"list", "limit", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens?limit=" + url.QueryEscape(v), nil
		}},
		{"get", "id", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens/" + url.PathEscape(v), nil
		}},
		{"events", "id", func(v string) (string, string, []byte) {
			return "GET", "/v1/tokens/" + url.PathEscape(v) + "/events", nil
		}},
	}
}

// TestAPIRefusesBadTextOnEveryStore: a value of each refused class in each
// text field of each route is 400 bad_request, naming the field and
// quoting nothing of the value, on SQLite and PostgreSQL alike; nothing
// is written.
func TestAPIRefusesBadTextOnEveryStore(t *testing.T) {
	t.Parallel()
	for _, e := range textEnvs(t) {
		t.Run(e.name, func(t *testing.T) {
			victim, err := e.mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "o", Name: "victim", Actor: "t", Source: "t"})
			if err != nil {
				t.Fatal(err)
			}
			before := e.counts(t, victim.Token.ID)
			for _, rt := range textRoutes(victim.Token.ID) {
				for _, c := range badInput {
					method, target, body := rt.req(c.value)
					w := e.call(method, target, body)
					code, msg := apiError(w.Body.Bytes())
					if w.Code != http.StatusBadRequest || code != "bad_request" {
						t.Errorf("%s %s %s: %d %s, want 400 bad_request", rt.name, rt.field, c.name, w.Code, w.Body)
						continue
					}
					if c.name == "invalid UTF-8" && body != nil {
						continue // the body as a whole is refused, before any field is looked at
					}
					names := c.names
					if rt.field == "limit" {
						names = "" // a number: any text that is not one is refused alike
					}
					if !strings.Contains(msg, rt.field) || !strings.Contains(msg, names) {
						t.Errorf("%s %s %s: message %q must name the field and %s", rt.name, rt.field, c.name, msg, c.names)
					}
					if strings.Contains(msg, c.value) || (len(c.value) > 3 && strings.Contains(msg, c.value[1:len(c.value)-1])) {
						t.Errorf("%s %s %s: message %q quotes the value", rt.name, rt.field, c.name, msg)
					}
				}
			}
			if after := e.counts(t, victim.Token.ID); after != before {
				t.Errorf("tokens and victim's events %v → %v: refused requests wrote", before, after)
			}
			if v, err := e.mgr.Verify(context.Background(), victim.Secret); err != nil || !v.Valid {
				t.Errorf("victim = %+v, %v; want still valid", v, err)
			}
		})
	}
}
