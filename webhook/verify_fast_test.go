package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// verifySeeds are verify bodies: the fast path's shape and its near misses.
var verifySeeds = []string{
	`{"token":"lgs_abc"}`, ` { "token" : "lgs_abc" } ` + "\n", `{"token":""}`,
	`{"token":"a\"b"}`, `{"token":"a\\b"}`, `{"token":"\u00e9"}`, "{\"token\":\"\xff\"}",
	"{\"token\":\"a\tb\"}", `{"TOKEN":"x"}`, `{"token":"x","token":"y"}`, `{"token":"x","other":1}`,
	`{"token":1}`, `{"token":null}`, `{"token":"x"}{}`, `{"token":"x"} x`, `{"token":"x"`, ``, ` `,
	`[]`, `null`, `"x"`, `{}`, `{"token":"<>&"}`, `{"token":"x"}` + strings.Repeat(" ", 2000),
	`{"token":"` + strings.Repeat("a", 1100) + `"}`,
	// What only the strict decoder refuses, or reads as the fast path would.
	`{"token":"x","Token":"y"}`, `{"Token":"x"}`, `{"tok\u0065n":"x"}`, `{"token":"\u0000"}`,
	"{\"token\":\"x\"}\xff", "{\"token\":\"x\xc3\"}", `{"token":"x","token":"x"}`, `{"token":"x","tokens":1}`,
	`{"token":"lgu_` + strings.Repeat("A", 36) + `"}`, "{\"token\":\"a\u202eb\"}",
}

// FuzzDecodeVerify holds decodeVerify to decode: same value, same error,
// for any body, body cap, read chunking and read error at a position in
// the body. (A read error tied to the number of Read calls rather than to
// a position, like iotest.TimeoutReader's, can differ: the two read in
// different chunks. A real body's errors come at a position or a time.)
func FuzzDecodeVerify(f *testing.F) {
	for _, s := range verifySeeds {
		f.Add([]byte(s), uint16(0), uint8(0))
		f.Add([]byte(s), uint16(len(s)), uint8(1))
		f.Add([]byte(s), uint16(len(s)/2+1), uint8(2))
		f.Add([]byte(s), uint16(0), uint8(3))
		f.Add([]byte(s), uint16(0), uint8(4))
	}
	f.Fuzz(func(t *testing.T, body []byte, maxBody uint16, chunking uint8) {
		s := &Server{cfg: Config{MaxBodyBytes: DefaultMaxBodyBytes}}
		if maxBody > 0 {
			s.cfg.MaxBodyBytes = int64(maxBody)
		}
		request := func() *http.Request {
			var r io.Reader = bytes.NewReader(body)
			switch chunking % 5 {
			case 1:
				r = iotest.OneByteReader(r)
			case 2:
				r = iotest.HalfReader(r)
			case 3:
				r = iotest.DataErrReader(r)
			case 4: // a connection lost half way
				r = io.MultiReader(iotest.HalfReader(bytes.NewReader(body[:len(body)/2])),
					iotest.ErrReader(io.ErrUnexpectedEOF))
			}
			return httptest.NewRequest("POST", "/v1/tokens/verify", r)
		}
		var want verifyRequest
		wantErr := s.decode(httptest.NewRecorder(), request(), &want)
		got, gotErr := s.decodeVerify(httptest.NewRecorder(), request())
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("decodeVerify = %q, %v; decode = %q, %v", got.Token, gotErr, want.Token, wantErr)
		}
		if gotErr != nil && (errors.Is(gotErr, ErrTooLarge) != errors.Is(wantErr, ErrTooLarge)) {
			t.Fatalf("error kinds differ: %v vs %v", gotErr, wantErr)
		}
	})
}

// FuzzAppendVerify holds appendVerify to json.Encoder: when it encodes a
// response, its bytes are encoding/json's.
func FuzzAppendVerify(f *testing.F) {
	f.Add(true, "tok_1", "o@example.org", "service", int64(1700000000), int64(5), "", "", 0, true, false, "read write")
	f.Add(false, "", "", "", int64(0), int64(0), "revoked", "token revoked: leaked <here> & there", 3600, false, true, "")
	f.Add(false, "x\"y", "é", "\n", int64(-62135596800), int64(0), "a\\b", "\u2028", -7200, true, true, "a\"b é")
	f.Add(true, "id", "o", "t", int64(253402300800), int64(1), "", "", 0, true, true, "deploy:prod") // year 10000
	f.Add(true, "id", "o", "t", int64(1700000000), int64(0), "", "", 86400, true, false, " nil")     // offset 24h
	f.Fuzz(func(t *testing.T, valid bool, id, owner, typ string, sec, nsec int64, reason, msg string,
		offset int, hasExpires, hasInvalid bool, scopes string) {
		at := time.Unix(sec, nsec).In(time.FixedZone("z", offset))
		v := VerifyAnswer{Valid: valid, ID: id, Owner: owner, Type: typ, InvalidReason: reason, Message: msg,
			Scopes: fuzzScopes(scopes)}
		if hasExpires {
			v.ExpiresAt = &at
		}
		if hasInvalid {
			u := at.UTC()
			v.InvalidAt = &u
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		encErr := enc.Encode(v)
		got, ok := appendVerify(nil, &v)
		if ok && (encErr != nil || !bytes.Equal(got, want.Bytes())) {
			t.Fatalf("appendVerify = %q, json = %q, %v", got, want.Bytes(), encErr)
		}
		if !ok && encErr == nil && plainResponse(v) {
			t.Fatalf("appendVerify declined a plain response json encodes as %q", want.Bytes())
		}
	})
}

// fuzzScopes splits s at spaces into scopes: [] for "", nil when s
// starts with a space (both must encode as encoding/json does).
func fuzzScopes(s string) []string {
	if strings.HasPrefix(s, " ") {
		return nil
	}
	return append([]string{}, strings.Fields(s)...)
}

// plainResponse reports whether every string of v is plainJSON.
func plainResponse(v VerifyAnswer) bool {
	for _, s := range append([]string{v.ID, v.Owner, v.Type, v.InvalidReason, v.Message}, v.Scopes...) {
		for i := 0; i < len(s); i++ {
			if !plainJSON(s[i]) {
				return false
			}
		}
	}
	return true
}

// TestWriteVerifyMatchesWriteJSON compares whole responses, headers and
// status included, on the fast and the fallback path.
func TestWriteVerifyMatchesWriteJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    VerifyAnswer
	}{
		{"valid", VerifyAnswer{Valid: true, ID: "tok_1", Owner: "o@example.org", Type: "service", ExpiresAt: &at}},
		{"valid with scopes", VerifyAnswer{Valid: true, ID: "tok_1", Owner: "o", Type: "user", Scopes: []string{"read", "deploy:prod"}}},
		{"no scopes", VerifyAnswer{Valid: true, ID: "tok_1", Owner: "o", Type: "user", Scopes: []string{}}},
		{"invalid", VerifyAnswer{Message: "unknown token", Scopes: []string{}}},
		{"odd scope falls back", VerifyAnswer{Valid: true, Scopes: []string{"é"}}},
		{"revoked", VerifyAnswer{ID: "t", InvalidAt: &at, InvalidReason: "revoked", Message: "revoked: <x> & y"}},
		{"escaped falls back", VerifyAnswer{Message: "quote \" and é"}},
		{"bad time falls back", VerifyAnswer{Valid: true, ExpiresAt: &far}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			writeJSON(want, http.StatusOK, tt.v)
			writeVerify(got, &tt.v)
			if got.Code != want.Code || got.Body.String() != want.Body.String() {
				t.Errorf("writeVerify: %d %q, writeJSON: %d %q", got.Code, got.Body, want.Code, want.Body)
			}
			if g, w := fmt.Sprint(got.Header()), fmt.Sprint(want.Header()); g != w {
				t.Errorf("headers %s, want %s", g, w)
			}
		})
	}
}
