package gitlab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/leakguard/leakguard/patterns"
)

// Routes of GitLab's Token Revocation API, relative to its root; requests
// carry the API token GitLab was configured with in Authorization.
const (
	// RevocableTypesPath answers RevocableTypes.
	RevocableTypesPath = "/v1/revocable_token_types"
	// RevokeTokensPath takes a JSON array of LeakedToken.
	RevokeTokensPath = "/v1/revoke_tokens"
)

// Limits of a revoke_tokens request.
const (
	// DefaultMaxRevokeBody is DecodeRevokeTokens' body cap when given none.
	DefaultMaxRevokeBody = 1 << 20
	// MaxRevokeTokens is how many tokens one request may carry.
	MaxRevokeTokens = 1000
	// maxTypeLen and maxTokenLen bound one item's fields.
	maxTypeLen  = 256
	maxTokenLen = 4096
)

// Errors of DecodeRevokeTokens; neither ever carries a token.
var (
	// ErrInvalidRevokeTokens is a body that is not a JSON array of
	// objects each with a non-empty string "type" and "token" (a 400).
	ErrInvalidRevokeTokens = errors.New("gitlab: invalid revoke_tokens request")
	// ErrRevokeTokensTooLarge is a body over its byte cap or over
	// MaxRevokeTokens items (a 413).
	ErrRevokeTokensTooLarge = errors.New("gitlab: revoke_tokens request too large")
)

// RevocableTypes is the answer of GET /v1/revocable_token_types: the
// identifiers of the token types this service revokes (Types).
type RevocableTypes struct {
	Types []string `json:"types"`
}

// LeakedToken is one item of POST /v1/revoke_tokens: a token GitLab's
// secret detection found, the identifier of its type (a key of
// TypeFormats, which is advisory: the format is decided from the token
// itself) and where it was found.
//
// Token is a patterns.Secret: marshalling a LeakedToken redacts it.
// UnmarshalJSON (and DecodeRevokeTokens) read it from the wire.
type LeakedToken struct {
	Type     string          `json:"type"`
	Token    patterns.Secret `json:"token"`
	Location string          `json:"location,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: a JSON object with a
// non-empty string "type" and "token" (exact names), an optional string
// "location", and any other field, ignored. Errors wrap
// ErrInvalidRevokeTokens and never quote the input.
func (t *LeakedToken) UnmarshalJSON(b []byte) error {
	lt, problem := decodeItem(b)
	if problem != "" {
		return fmt.Errorf("%w: %s", ErrInvalidRevokeTokens, problem)
	}
	*t = lt
	return nil
}

// decodeItem decodes one item, or says in fixed words what is wrong.
func decodeItem(b []byte) (LeakedToken, string) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return LeakedToken{}, "not a JSON object"
	}
	typ, problem := stringField(m, "type", maxTypeLen, true)
	if problem != "" {
		return LeakedToken{}, problem
	}
	tok, problem := stringField(m, "token", maxTokenLen, true)
	if problem != "" {
		return LeakedToken{}, problem
	}
	loc, problem := stringField(m, "location", maxTokenLen, false)
	if problem != "" {
		return LeakedToken{}, problem
	}
	return LeakedToken{Type: typ, Token: patterns.NewSecret(tok), Location: loc}, ""
}

// stringField returns m[name], a JSON string of at most max bytes;
// required: present and non-empty; otherwise absent or null is "". The
// problem, if any, is said in fixed words.
func stringField(m map[string]json.RawMessage, name string, max int, required bool) (string, string) {
	raw, ok := m[name]
	var s string
	if ok && string(raw) != "null" {
		if json.Unmarshal(raw, &s) != nil {
			return "", fmt.Sprintf("field %q is not a string", name)
		}
	}
	if required && s == "" {
		return "", fmt.Sprintf("field %q is missing or empty", name)
	}
	if len(s) > max {
		return "", fmt.Sprintf("field %q is longer than %d bytes", name, max)
	}
	return s, ""
}

// DecodeRevokeTokens reads the body of POST /v1/revoke_tokens: a JSON
// array of at most MaxRevokeTokens LeakedToken, nothing after it. It reads
// at most max bytes (<= 0: DefaultMaxRevokeBody); a longer body is
// ErrRevokeTokensTooLarge, never parsed in part. A malformed body is
// ErrInvalidRevokeTokens. No error quotes the body.
func DecodeRevokeTokens(r io.Reader, max int64) ([]LeakedToken, error) {
	if max <= 0 {
		max = DefaultMaxRevokeBody
	}
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("gitlab: read revoke_tokens request: %w", err)
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrRevokeTokensTooLarge, max)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("%w: want a JSON array", ErrInvalidRevokeTokens)
	}
	out := []LeakedToken{}
	for dec.More() {
		if len(out) == MaxRevokeTokens {
			return nil, fmt.Errorf("%w: more than %d tokens", ErrRevokeTokensTooLarge, MaxRevokeTokens)
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return nil, syntaxError(err)
		}
		lt, problem := decodeItem(item)
		if problem != "" {
			return nil, fmt.Errorf("%w: item %d: %s", ErrInvalidRevokeTokens, len(out), problem)
		}
		out = append(out, lt)
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the array", ErrInvalidRevokeTokens)
	}
	return out, nil
}

// syntaxError reports malformed JSON by offset only: encoding/json's own
// message may quote a character of the input.
func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: malformed JSON at byte %d", ErrInvalidRevokeTokens, se.Offset)
	}
	return fmt.Errorf("%w: malformed JSON", ErrInvalidRevokeTokens)
}
