package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// Every JSON route of the token API reads its body through decode, one
// strict decoder: a body is one JSON object in valid UTF-8 (RFC 8259 §8.1;
// encoding/json would silently turn invalid bytes into U+FFFD), whose keys
// are each given once and spelled exactly as the request's json tags.
// encoding/json alone takes the last of two equal keys and matches keys
// case-insensitively, so {"type":"user","TYPE":"admin"} would ask for an
// admin token that a log or proxy reading the first key calls a user one.
// The fast verify path (verify_fast.go) takes only bodies this decoder
// reads to the same value, and gives every other body to it.

// decode reads one JSON object of at most MaxBodyBytes into dst, a pointer
// to a request struct: invalid UTF-8, a repeated key, a key that is not
// exactly one of dst's json field names, wrong types, trailing data and
// oversize bodies are errors that name the problem and quote no input
// value (a refused key is quoted; fail redacts token-shaped strings from
// every message).
func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return s.decodeBody(w, r.Body, dst)
}

// decodeBody is decode of body, r.Body or what stands for it. The body is
// read into a pooled buffer: json.Unmarshal copies what it keeps.
func (s *Server) decodeBody(w http.ResponseWriter, body io.ReadCloser, dst any) error {
	bp := fastBufs.Get().(*[]byte)
	defer fastBufs.Put(bp)
	data, err := readAll((*bp)[:0], http.MaxBytesReader(w, body, s.cfg.MaxBodyBytes))
	if cap(data) <= 4*fastBufSize {
		*bp = data[:0]
	}
	if err != nil {
		return jsonError(err)
	}
	return decodeStrict(data, dst)
}

// readAll is io.ReadAll appending to buf.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// decodeStrict is decode of a body already read.
func decodeStrict(data []byte, dst any) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: body is not valid UTF-8", ErrBadRequest)
	}
	rest := skipWS(data)
	if len(rest) == 0 || rest[0] != '{' || !json.Valid(data) {
		return decodeOther(data, dst)
	}
	ks := keyScan{b: data, i: len(data) - len(rest)}
	if err := ks.object(deref(reflect.TypeOf(dst))); err != nil {
		return err
	}
	// Every key is one of dst's fields: nothing is left for
	// DisallowUnknownFields to refuse.
	if err := json.Unmarshal(data, dst); err != nil {
		return jsonError(err)
	}
	return nil
}

// decodeOther is decodeStrict of a body that is empty, not an object or
// not valid JSON: encoding/json says what is wrong with it (a null body
// decodes to nothing).
func decodeOther(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrBadRequest)
	}
	return nil
}

// keyScan walks a JSON text json.Valid accepted, to check the keys of its
// objects: a key given twice in one object is refused, and so is a key of
// an object decoded into a struct that is not exactly one of the struct's
// json field names. It allocates only to read an escaped key or to report
// an error (this is the verify route's fallback).
type keyScan struct {
	b []byte
	i int
}

// object checks the object at s.i, decoded into t (nil: unknown, only
// repeated keys are refused), and moves past it.
func (s *keyScan) object(t reflect.Type) error {
	fields := jsonFields(t)
	var seenBuf [8][]byte
	seen := seenBuf[:0]
	s.i++ // '{'
	for {
		s.skipWS()
		switch s.b[s.i] {
		case '}':
			s.i++
			return nil
		case ',':
			s.i++
			s.skipWS()
		}
		key := s.str()
		if bytes.IndexByte(key, '\\') >= 0 {
			key = unescape(key)
		}
		for _, k := range seen {
			if bytes.Equal(k, key) {
				return fmt.Errorf("%w: field %q given more than once", ErrBadRequest, key)
			}
		}
		seen = append(seen, key)
		ft, err := fieldType(t, fields, key)
		if err != nil {
			return err
		}
		s.skipWS()
		s.i++ // ':'
		if err := s.value(ft); err != nil {
			return err
		}
	}
}

// value checks the value at s.i, decoded into t, and moves past it.
func (s *keyScan) value(t reflect.Type) error {
	s.skipWS()
	switch s.b[s.i] {
	case '{':
		return s.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = deref(t.Elem())
		}
		s.i++
		for {
			s.skipWS()
			switch s.b[s.i] {
			case ']':
				s.i++
				return nil
			case ',':
				s.i++
			}
			if err := s.value(elem); err != nil {
				return err
			}
		}
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.b) && strings.IndexByte(",]} \t\r\n", s.b[s.i]) < 0 {
			s.i++
		}
	}
	return nil
}

// str returns the content of the string at s.i, escapes as written, and
// moves past its closing quote.
func (s *keyScan) str() []byte {
	s.i++ // '"'
	start := s.i
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
	return s.b[start : s.i-1]
}

func (s *keyScan) skipWS() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// unescape decodes the escapes of a valid JSON string's content as
// encoding/json does (a lone surrogate becomes U+FFFD).
func unescape(raw []byte) []byte {
	var v string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	_ = json.Unmarshal(q, &v)
	return []byte(v)
}

// unmarshalerType is json.Unmarshaler: a type that decodes itself takes
// whatever keys it likes.
var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// fieldType returns the type key decodes into in an object of type t, or
// an error if t is a struct without a field of exactly that json name.
func fieldType(t reflect.Type, fields map[string]reflect.Type, key []byte) (reflect.Type, error) {
	switch {
	case t == nil || reflect.PointerTo(t).Implements(unmarshalerType):
		return nil, nil
	case t.Kind() == reflect.Map:
		return deref(t.Elem()), nil
	case t.Kind() != reflect.Struct:
		return nil, nil
	}
	if ft, ok := fields[string(key)]; ok {
		return ft, nil
	}
	for name := range fields {
		if strings.EqualFold(name, string(key)) {
			return nil, fmt.Errorf("%w: unknown field %q (field names are case-sensitive: %q)", ErrBadRequest, key, name)
		}
	}
	return nil, fmt.Errorf("%w: unknown field %q", ErrBadRequest, key)
}

// jsonFieldCache maps a struct type to its json field names and types.
var jsonFieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields returns the json field names of struct type t (nil for other
// types) as encoding/json decodes them: the tag's name, else the Go name;
// "-" and unexported fields left out, embedded structs' fields promoted.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := jsonFieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(m, t)
	jsonFieldCache.Store(t, m)
	return m
}

func addFields(m map[string]reflect.Type, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
			continue
		case f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct:
			addFields(m, deref(f.Type))
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		m[name] = deref(f.Type)
	}
}

// deref returns the type t points to, or t.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonError turns a reading or decoding error into ErrBadRequest or
// ErrTooLarge.
func jsonError(err error) error {
	var (
		maxErr  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return fmt.Errorf("%w: body larger than %d bytes", ErrTooLarge, maxErr.Limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty body", ErrBadRequest)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: truncated JSON", ErrBadRequest)
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: malformed JSON at byte %d", ErrBadRequest, syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return fmt.Errorf("%w: body must be a JSON object", ErrBadRequest)
		}
		return fmt.Errorf("%w: field %q must be %s, not %s", ErrBadRequest, typeErr.Field, typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("%w: %s", ErrBadRequest, strings.TrimPrefix(err.Error(), "json: "))
	}
	return fmt.Errorf("%w: invalid JSON", ErrBadRequest)
}
