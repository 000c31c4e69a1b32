package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDecodeStrict: the one decoder every JSON route uses refuses repeated
// keys, keys that match a field only when case is ignored, and invalid
// UTF-8, and says which, quoting no value.
func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	type nested struct {
		A string `json:"a"`
	}
	type withNested struct {
		Items []nested `json:"items"`
		Plain string   // no tag: its Go name
		Skip  string   `json:"-"`
	}
	tests := []struct {
		name, body string
		dst        func() any
		want       string // "" for success, else a substring of the error
	}{
		{"plain", `{"owner":"o","name":"n"}`, func() any { return &createRequest{} }, ""},
		{"escaped key is the same key", `{"\u006fwner":"o"}`, func() any { return &createRequest{} }, ""},
		{"escaped value", `{"owner":"\u00e9\ud83d\udd11"}`, func() any { return &createRequest{} }, ""},
		{"null body", `null`, func() any { return &createRequest{} }, ""},
		{"duplicate", `{"type":"user","type":"admin"}`, func() any { return &createRequest{} }, `field "type" given more than once`},
		{"escaped duplicate", `{"type":"user","\u0074ype":"admin"}`, func() any { return &createRequest{} }, `field "type" given more than once`},
		{"upper case", `{"TYPE":"admin"}`, func() any { return &createRequest{} }, `unknown field "TYPE" (field names are case-sensitive: "type")`},
		{"long s folds to s", `{"token_ha\u017fh":"x"}`, func() any { return &revokeRequest{} }, `unknown field`},
		{"kelvin folds to k", `{"to\u212aen":"x"}`, func() any { return &verifyRequest{} }, `unknown field`},
		{"unknown", `{"admin":true}`, func() any { return &createRequest{} }, `unknown field "admin"`},
		{"duplicate in nested object", `{"items":[{"a":"1","a":"2"}]}`, func() any { return &withNested{} }, `field "a" given more than once`},
		{"case in nested object", `{"items":[{"A":"1"}]}`, func() any { return &withNested{} }, `unknown field "A"`},
		{"untagged field by Go name", `{"Plain":"x"}`, func() any { return &withNested{} }, ""},
		{"untagged field lower case", `{"plain":"x"}`, func() any { return &withNested{} }, `case-sensitive: "Plain"`},
		{"dash-tagged field", `{"Skip":"x"}`, func() any { return &withNested{} }, `unknown field "Skip"`},
		{"invalid UTF-8 in a value", "{\"owner\":\"\xff\"}", func() any { return &createRequest{} }, "body is not valid UTF-8"},
		{"invalid UTF-8 after the object", "{\"owner\":\"o\"}\xc0", func() any { return &createRequest{} }, "body is not valid UTF-8"},
		{"truncated", `{"owner":`, func() any { return &createRequest{} }, "truncated JSON"},
		{"truncated after a key", `{"owner"`, func() any { return &createRequest{} }, "truncated JSON"},
		{"empty", ``, func() any { return &createRequest{} }, "empty body"},
		{"malformed", `{"owner" "o"}`, func() any { return &createRequest{} }, "malformed JSON"},
		{"trailing", `{"owner":"o"}{}`, func() any { return &createRequest{} }, "trailing data"},
		{"wrong type", `{"owner":1}`, func() any { return &createRequest{} }, `field "owner" must be string`},
		{"array", `[]`, func() any { return &createRequest{} }, "body must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := decodeStrict([]byte(tc.body), tc.dst())
			if tc.want == "" {
				if err != nil {
					t.Fatalf("decodeStrict(%s) = %v, want nil", tc.body, err)
				}
				return
			}
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decodeStrict(%s) = %v, want a bad request with %q", tc.body, err, tc.want)
			}
		})
	}
}

// refKeys is keyScan's reference: the same key rules, read with
// encoding/json's own tokenizer (slower, and allocating per token).
func refKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return refValue(dec, deref(t))
}

func refValue(dec *json.Decoder, t reflect.Type) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		fields := jsonFields(t)
		var seen []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key := tok.(string)
			for _, k := range seen {
				if k == key {
					return fmt.Errorf("%w: field %q given more than once", ErrBadRequest, key)
				}
			}
			seen = append(seen, key)
			ft, err := fieldType(t, fields, []byte(key))
			if err != nil {
				return err
			}
			if err := refValue(dec, ft); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = deref(t.Elem())
		}
		for dec.More() {
			if err := refValue(dec, elem); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// FuzzKeyScan holds keyScan to refKeys on every JSON object decodeStrict
// gives it (valid JSON in valid UTF-8), for each request type and an
// untyped one.
func FuzzKeyScan(f *testing.F) {
	for _, s := range []string{
		`{"owner":"o","name":"n"}`, `{"type":"a","type":"b"}`, `{"TYPE":"a"}`, `{"t\u0079pe":"a","type":"b"}`,
		`{"token_hashes":["a","b"],"x":{"y":1,"y":2}}`, `{"a":[{"b":1},{"b":2,"b":3}]}`, `{"a":{"b":{"c":[1,2,{"d":null,"d":true}]}}}`,
		`{"\ud800":1,"\udc00":2}`, ` { "line" : -1.5e3 , "path" : "a\"b\\" } `, `{"":1,"":2}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	types := []reflect.Type{reflect.TypeFor[createRequest](), reflect.TypeFor[revokeRequest](),
		reflect.TypeFor[statusRequest](), reflect.TypeFor[leakRequest](), reflect.TypeFor[map[string]any](), nil}
	f.Fuzz(func(t *testing.T, data []byte) {
		rest := bytes.TrimLeft(data, " \t\r\n")
		if !utf8.Valid(data) || !json.Valid(data) || len(rest) == 0 || rest[0] != '{' {
			return // decodeStrict gives keyScan nothing else
		}
		for _, typ := range types {
			ks := keyScan{b: data, i: len(data) - len(rest)}
			got, want := ks.object(typ), refKeys(data, typ)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%v: keyScan = %v, reference = %v", typ, got, want)
			}
			if got == nil && len(bytes.TrimLeft(data[ks.i:], " \t\r\n")) != 0 {
				t.Fatalf("keyScan stopped at %d of %d", ks.i, len(data))
			}
		}
	})
}
