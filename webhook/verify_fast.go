package webhook

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// The verify route is the hot path (issue #4): it decodes its body and
// encodes its answer without reflection when the input is of the simple
// shape nearly every request has, and falls back to decode and writeJSON
// for anything else, so that every byte it reads or writes is the same
// as theirs. FuzzDecodeVerify and FuzzAppendVerify hold it to that.

// Header values writeJSON sets, shared read-only so that setting them does
// not allocate. Nothing modifies a header value slice in place.
var (
	hdrJSON    = []string{"application/json"}
	hdrNosniff = []string{"nosniff"}
	hdrNoStore = []string{"no-store"}
)

// setJSONHeaders sets writeJSON's headers on h.
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNosniff
	h["Cache-Control"] = hdrNoStore
}

// fastBufSize is the size of the pooled buffers; a verify body or answer
// longer than this takes the slow path.
const fastBufSize = 1 << 10

// fastBufs pools the buffers verify bodies are read into and answers
// written from. A pool holds no state anyone can observe.
var fastBufs = sync.Pool{New: func() any { b := make([]byte, 0, fastBufSize); return &b }}

// decodeVerify reads the verify body like decode(w, r, &req) would, with the
// same value, errors and reads of r.Body: a body read to its end within
// fastBufSize and MaxBodyBytes that parseVerifyBody understands is taken
// as is; any other goes through decode, fed what was already read.
func (s *Server) decodeVerify(w http.ResponseWriter, r *http.Request) (verifyRequest, error) {
	bp := fastBufs.Get().(*[]byte)
	defer fastBufs.Put(bp)
	limit := min(int64(fastBufSize), s.cfg.MaxBodyBytes)
	buf, readErr := readUpTo((*bp)[:0], r.Body, int(limit))
	*bp = buf[:0]
	if readErr == io.EOF {
		if tok, ok := parseVerifyBody(buf); ok {
			return verifyRequest{Token: string(tok)}, nil
		}
	}
	var rest io.Reader = r.Body
	switch {
	case readErr == io.EOF:
		rest = http.NoBody
	case readErr != nil:
		rest = errReader{readErr}
	}
	var req verifyRequest
	err := s.decodeBody(w, io.NopCloser(io.MultiReader(bytes.NewReader(buf), rest)), &req)
	return req, err
}

// readUpTo appends from r to buf until r ends (io.EOF), fails, or limit
// bytes are read (nil error: r may hold more).
func readUpTo(buf []byte, r io.Reader, limit int) ([]byte, error) {
	for len(buf) < limit {
		n, err := r.Read(buf[len(buf):limit])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// parseVerifyBody parses b if it is exactly {"token":"..."} (JSON
// whitespace allowed around each token) and the value holds only printable
// ASCII other than '"' and '\', which encoding/json decodes to itself.
// Such a body is ASCII with one key, spelled as the json tag, so the strict
// decoder (decode.go) reads it to the same value. ok is false for anything
// else, valid JSON included.
func parseVerifyBody(b []byte) (tok []byte, ok bool) {
	b = skipWS(b)
	if b, ok = cutPrefix(b, `{`); !ok {
		return nil, false
	}
	if b, ok = cutPrefix(skipWS(b), `"token"`); !ok {
		return nil, false
	}
	if b, ok = cutPrefix(skipWS(b), `:`); !ok {
		return nil, false
	}
	if b, ok = cutPrefix(skipWS(b), `"`); !ok {
		return nil, false
	}
	i := 0
	for i < len(b) && plainJSON(b[i]) {
		i++
	}
	tok, b = b[:i], b[i:]
	if b, ok = cutPrefix(b, `"`); !ok {
		return nil, false
	}
	if b, ok = cutPrefix(skipWS(b), `}`); !ok {
		return nil, false
	}
	return tok, len(skipWS(b)) == 0
}

// plainJSON reports whether c stands for itself in a JSON string, both
// decoded and encoded by encoding/json without HTML escaping.
func plainJSON(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}

func skipWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// writeVerify writes v with status 200 exactly as writeJSON would, without
// reflection when appendVerify can encode it.
func writeVerify(w http.ResponseWriter, v *VerifyAnswer) {
	bp := fastBufs.Get().(*[]byte)
	defer fastBufs.Put(bp)
	b, ok := appendVerify((*bp)[:0], v)
	if !ok {
		writeJSON(w, http.StatusOK, *v)
		return
	}
	if cap(b) <= 4*fastBufSize {
		*bp = b[:0]
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// errNotPlain stops appendVerify at a value it leaves to encoding/json.
var errNotPlain = errors.New("not plain")

// appendVerify appends v's JSON as json.Encoder (SetEscapeHTML(false))
// writes it, newline included. ok is false when a string holds a byte
// other than plainJSON's or a time is not valid RFC 3339; the caller then
// uses encoding/json.
func appendVerify(b []byte, v *VerifyAnswer) (_ []byte, ok bool) {
	var err error
	b = append(b, `{"valid":`...)
	if v.Valid {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = appendField(b, `,"id":`, v.ID, true, &err)
	b = appendField(b, `,"owner":`, v.Owner, true, &err)
	b = appendField(b, `,"type":`, v.Type, true, &err)
	b = appendStrings(b, `,"scopes":`, v.Scopes, &err)
	b = appendTime(b, `,"expires_at":`, v.ExpiresAt, &err)
	b = appendTime(b, `,"invalid_at":`, v.InvalidAt, &err)
	b = appendField(b, `,"invalid_reason":`, v.InvalidReason, true, &err)
	b = appendField(b, `,"message":`, v.Message, true, &err)
	if v.RotateBy != nil {
		b = appendTime(b, `,"rotate_by":`, v.RotateBy, &err)
	}
	b = append(b, "}\n"...)
	return b, err == nil
}

// appendField appends key and the string s, nothing when omitEmpty and s
// is empty; a byte that is not plainJSON sets *err.
func appendField(b []byte, key, s string, omitEmpty bool, err *error) []byte {
	if omitEmpty && s == "" {
		return b
	}
	for i := 0; i < len(s); i++ {
		if !plainJSON(s[i]) {
			*err = errNotPlain
			return b
		}
	}
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendStrings appends key and ss as a JSON array, null when nil; a
// byte that is not plainJSON sets *err.
func appendStrings(b []byte, key string, ss []string, err *error) []byte {
	b = append(b, key...)
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, "", s, false, err)
	}
	return append(b, ']')
}

// appendTime appends key and t as time.Time.MarshalJSON does, or null.
func appendTime(b []byte, key string, t *time.Time, err *error) []byte {
	b = append(b, key...)
	if t == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	out, e := t.AppendText(b)
	if e != nil {
		*err = e
		return b
	}
	return append(out, '"')
}
