package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
)

// The fuzz targets below send text to every route of the token API that
// takes some, on SQLite and on PostgreSQL (which answered 500 to NUL and
// invalid UTF-8), and hold every answer to:
//   - never a 5xx, and the same status and error code on every store;
//   - no token-shaped string of the catalog in any answer (but the token a
//     create returns), any stored text read back, or any log line;
//   - exactly the status the text rules give: 400 bad_request for text a
//     label may not hold (textRefused), naming no value, and the route's
//     ordinary answer otherwise.
// Their seeds run with the normal tests.

// textSeeds are values of each class, and ordinary ones.
func textSeeds() []string {
	f, _ := patterns.Default().Issued(patterns.TypeUser)
	tok, _ := f.Generate(nil)
	return []string{
		"alice@example.org", "", " ", "  padded  ", "a\x00b", "\x00", "a\xffb", "\xc3", "\xed\xa0\x80",
		"a\x1b[31mb", "a\ab", "a\r\nb", "line\n", "a\tb", "a\x7fb", "a\u0085b", "a\u009bb", "a\u202eb",
		"\u2066x\u2069", "a\u2028b", "caf\u00e9 \u65e5\u672c \U0001F511", "pasted " + tok.Reveal() + " here",
		tok.Reveal(), "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", "active", "revoked", "10", "0", "1001",
		"tok_" + strings.Repeat("0", 32), strings.Repeat("x", 201), strings.Repeat("y", 1001), "%00", `"\`,
	}
}

// textRefused reports whether the text rules refuse s in a field of at
// most max bytes. It restates the rules on its own: valid UTF-8, and no
// C0 or C1 control, DEL, U+2028/U+2029 or bidi embedding, override or
// isolate control.
func textRefused(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return true
		}
	}
	return false
}

// apiFuzz is a fuzz target's servers.
type apiFuzz struct {
	envs []*textEnv
	cat  *patterns.Catalog
}

func newAPIFuzz(f *testing.F) *apiFuzz {
	fz := &apiFuzz{envs: textEnvs(f), cat: patterns.Default()}
	for _, s := range textSeeds() {
		f.Add(s)
	}
	return fz
}

// answer is one server's answer to a request.
type answer struct {
	status      int
	code, msg   string
	body        string
	issuedToken string // a create's new token, the one token an answer may hold
}

// want is what a request must get: a status and, for an error, its code.
type want struct {
	status int
	code   string
}

var (
	wantBadRequest = want{http.StatusBadRequest, "bad_request"}
	wantInvalid    = want{http.StatusBadRequest, "invalid"}
)

// call sends one request to every server and checks the answers against
// each other, against w (unless w.status is 0: any), and for tokens. The
// value v, refused or not, is never quoted in an error. It returns each
// server's answer.
func (fz *apiFuzz) call(t *testing.T, v string, w want, req func(e *textEnv) (method, target string, body []byte)) []answer {
	t.Helper()
	out := make([]answer, len(fz.envs))
	for i, e := range fz.envs {
		method, target, body := req(e)
		rec := e.call(method, target, body)
		a := answer{status: rec.Code, body: rec.Body.String()}
		a.code, a.msg = apiError(rec.Body.Bytes())
		if rec.Code == http.StatusCreated {
			var c struct{ Token string }
			_ = json.Unmarshal(rec.Body.Bytes(), &c)
			a.issuedToken = c.Token
		}
		out[i] = a
		switch {
		case a.status >= 500:
			t.Fatalf("%s: %s %q: %d %s", e.name, method, target, a.status, a.body)
		case i > 0 && (a.status != out[0].status || a.code != out[0].code):
			t.Fatalf("%s %q: %s answers %d %s, %s answers %d %s", method, target,
				fz.envs[0].name, out[0].status, out[0].body, e.name, a.status, a.body)
		case w.status != 0 && (a.status != w.status || a.code != w.code):
			t.Fatalf("%s: %s %q: %d %s, want %d %s", e.name, method, target, a.status, a.body, w.status, w.code)
		case a.code != "" && len(v) > 0 && strings.Contains(a.msg, v) && textRefused(v, 1<<20):
			t.Fatalf("%s: error %q quotes the refused value", e.name, a.msg)
		}
		fz.noTokens(t, e.name+" answer", strings.ReplaceAll(a.body, a.issuedToken+`"`, `"`))
		fz.noTokens(t, e.name+" log", e.log.take())
	}
	return out
}

// noTokens fails if text holds a token-shaped string of the catalog.
func (fz *apiFuzz) noTokens(t *testing.T, where, text string) {
	t.Helper()
	if fz.cat.RedactTokens(text) != text {
		t.Fatalf("%s holds a token: %q", where, text)
	}
}

// readBack checks what the servers store for token id (its record and
// audit trail, as the API shows them) for tokens.
func (fz *apiFuzz) readBack(t *testing.T, e *textEnv, id string) {
	t.Helper()
	for _, target := range []string{"/v1/tokens/" + id, "/v1/tokens/" + id + "/events"} {
		rec := e.call("GET", target, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: GET %s = %d %s", e.name, target, rec.Code, rec.Body)
		}
		fz.noTokens(t, e.name+" stored token", rec.Body.String())
	}
}

// issueVictim issues a user token on every server, by their id.
func (fz *apiFuzz) issueVictim(t *testing.T) map[*textEnv]lifecycle.Issued {
	t.Helper()
	out := map[*textEnv]lifecycle.Issued{}
	for _, e := range fz.envs {
		iss, err := e.mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "o", Name: "victim", Actor: "t", Source: "t"})
		if err != nil {
			t.Fatal(err)
		}
		out[e] = iss
	}
	return out
}

// storedAs is a free-text field as the Manager stores it.
func (fz *apiFuzz) storedAs(s string) string { return fz.cat.RedactTokens(strings.TrimSpace(s)) }

func FuzzCreateTokenText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range []string{"owner", "name"} {
			fields := map[string]string{"owner": `"o"`, "name": `"n"`, field: jsonString(v)}
			body := []byte(`{"owner":` + fields["owner"] + `,"name":` + fields["name"] + `}`)
			w := want{status: http.StatusCreated}
			switch stored := fz.storedAs(v); {
			case !utf8.ValidString(v), textRefused(stored, 200):
				w = wantBadRequest
			case stored == "":
				w = wantInvalid // required
			}
			out := fz.call(t, v, w, func(*textEnv) (string, string, []byte) { return "POST", "/v1/tokens", body })
			if w.status == http.StatusCreated {
				for i, e := range fz.envs {
					var c struct{ ID string }
					_ = json.Unmarshal([]byte(out[i].body), &c)
					fz.readBack(t, e, c.ID)
				}
			}
		}
	})
}

func FuzzRevokeText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		// v as the id of the token to revoke: no token has it.
		w := want{status: http.StatusNotFound, code: "not_found"}
		switch id := fz.storedAs(v); {
		case !utf8.ValidString(v), textRefused(id, 200):
			w = wantBadRequest
		case id == "":
			w = wantInvalid // one of token, hash or id is required
		}
		fz.call(t, v, w, func(*textEnv) (string, string, []byte) {
			return "POST", "/v1/tokens/revoke", []byte(`{"id":` + jsonString(v) + `,"reason":"r"}`)
		})
		// v as the reason a fresh token is revoked with.
		victims := fz.issueVictim(t)
		w = want{status: http.StatusOK}
		if reason := fz.storedAs(v); !utf8.ValidString(v) || reason == "" || textRefused(reason, 1000) {
			w = wantBadRequest
		}
		fz.call(t, v, w, func(e *textEnv) (string, string, []byte) {
			return "POST", "/v1/tokens/revoke", []byte(`{"id":"` + victims[e].Token.ID + `","reason":` + jsonString(v) + `}`)
		})
		for e, iss := range victims {
			fz.readBack(t, e, iss.Token.ID)
		}
	})
}

func FuzzListText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		list := func(param string, w want) {
			fz.call(t, v, w, func(*textEnv) (string, string, []byte) {
				return "GET", "/v1/tokens?" + url.Values{param: {v}}.Encode(), nil
			})
		}
		ok := want{status: http.StatusOK}
		for _, param := range []string{"owner", "cursor"} {
			if textRefused(fz.cat.RedactTokens(v), 200) {
				list(param, wantBadRequest)
			} else {
				list(param, ok)
			}
		}
		switch v {
		case "", "active", "revoked", "expired":
			list("state", ok)
		default:
			if textRefused(v, 200) {
				list("state", wantBadRequest)
			} else {
				list("state", wantInvalid) // unknown state
			}
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 1000 {
			list("limit", ok)
		} else {
			list("limit", wantBadRequest)
		}
	})
}

func FuzzTokenIDText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		w := want{status: http.StatusNotFound, code: "not_found"}
		switch {
		case v == "" || v == "." || v == ".." || strings.Contains(v, "/"):
			w = want{} // not a single path segment: the router's answer, whatever it is
		case textRefused(fz.cat.RedactTokens(v), 200):
			w = wantBadRequest
		}
		for _, suffix := range []string{"", "/events"} {
			fz.call(t, v, w, func(*textEnv) (string, string, []byte) {
				return "GET", "/v1/tokens/" + url.PathEscape(v) + suffix, nil
			})
		}
	})
}

func FuzzLeakText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range []string{"path", "url"} {
			victims := fz.issueVictim(t)
			w := want{status: http.StatusOK}
			if !utf8.ValidString(v) || len(v) > map[string]int{"path": 4096, "url": 2048}[field] {
				w = wantBadRequest
			}
			out := fz.call(t, "", w, func(e *textEnv) (string, string, []byte) {
				return "POST", "/v1/tokens/leaks", []byte(`{"token_hash":"` + victims[e].Token.Hash +
					`","source":"file","line":7,"` + field + `":` + jsonString(v) + `}`)
			})
			if out[0].status != http.StatusOK {
				continue
			}
			for e, iss := range victims {
				if !strings.Contains(out[0].body, `"action":"revoked"`) {
					t.Fatalf("%s: leak report %s, want the token revoked", e.name, out[0].body)
				}
				fz.readBack(t, e, iss.Token.ID)
			}
		}
	})
}

// FuzzBypassText sends v as each text field of a bypass report: too long
// or invalid UTF-8 is refused, as a reason, repository or ref blank once
// cleaned; anything else is recorded on the token, with no token shape
// left in the answer, the stored event or the log.
func FuzzBypassText(f *testing.F) {
	fz := newAPIFuzz(f)
	max := map[string]int{"repository": 4096, "ref": 4096, "pusher": 2048, "reason": 2048}
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range []string{"repository", "ref", "pusher", "reason"} {
			victims := fz.issueVictim(t)
			w := want{status: http.StatusOK}
			if !utf8.ValidString(v) || len(v) > max[field] || (field != "pusher" && labelBlank(v)) {
				w = wantBadRequest
			}
			fields := map[string]string{"repository": `"/srv/git/app.git"`, "ref": `"refs/heads/main"`,
				"pusher": `"alice"`, "reason": `"test fixture"`, field: jsonString(v)}
			out := fz.call(t, "", w, func(e *textEnv) (string, string, []byte) {
				return "POST", "/v1/tokens/bypasses", []byte(`{"token_hash":"` + victims[e].Token.Hash + `","source":"git"` +
					`,"repository":` + fields["repository"] + `,"ref":` + fields["ref"] +
					`,"pusher":` + fields["pusher"] + `,"reason":` + fields["reason"] + `}`)
			})
			if out[0].status != http.StatusOK {
				continue
			}
			for e, iss := range victims {
				if !strings.Contains(out[0].body, `"recorded":true`) {
					t.Fatalf("%s: bypass report %s, want it recorded", e.name, out[0].body)
				}
				fz.readBack(t, e, iss.Token.ID)
			}
		}
	})
}

// labelBlank reports whether s is blank once what a label may not hold
// (textRefused's characters) is dropped and surrounding space trimmed.
func labelBlank(s string) bool {
	kept := strings.Map(func(r rune) rune {
		if textRefused(string(r), 4) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(kept) == ""
}

func FuzzVerifyText(f *testing.F) {
	fz := newAPIFuzz(f)
	f.Fuzz(func(t *testing.T, v string) {
		w := want{} // 200 for a well-formed token, 400 malformed_token for anything else
		if !utf8.ValidString(v) {
			w = wantBadRequest
		} else if textRefused(v, 1<<20) {
			w = want{http.StatusBadRequest, "malformed_token"}
		}
		out := fz.call(t, v, w, func(*textEnv) (string, string, []byte) {
			return "POST", "/v1/tokens/verify", []byte(`{"token":` + jsonString(v) + `}`)
		})
		if s := out[0].status; s != http.StatusOK && s != http.StatusBadRequest {
			t.Fatalf("verify = %d %s, want 200 or 400", s, out[0].body)
		}
	})
}
