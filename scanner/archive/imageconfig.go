package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A container image's config (the OCI image configuration, which Docker
// also writes) is JSON: the image's Env, Cmd, Entrypoint, Labels and the
// history of the commands that built it (history[].created_by). Walk opens
// it as an archive of its string values, each an entry named
// "image-config" and the value's path in jq's syntax:
// "image-config.config.Env[1]", "image-config.config.Labels[\"org.example.token\"]",
// "image-config.history[0].created_by" (without "image-config", the jq
// filter that prints the value). So a Dockerfile's `ENV API_TOKEN=...` is
// found at <config>!image-config.config.Env[n] and at
// <config>!image-config.history[m].created_by: the path says that the
// image config holds it, and in which field. Sources: the OCI image spec,
// config.md ("rootfs" with "diff_ids" is required), and Docker's
// image/spec/v1.2.md.

// maxImageConfig bounds the config read into memory; a bigger one is
// scanned as plain text.
const maxImageConfig = 8 << 20

// isImageConfig reports whether head, the first bytes of a file, is a
// whole image config: JSON whose top-level object has a "rootfs" object
// with a "diff_ids" array. Only a head that starts with '{' and mentions
// both names is decoded.
func isImageConfig(head []byte) bool {
	j := bytes.TrimLeft(head, " \t\r\n")
	if len(j) == 0 || j[0] != '{' || !bytes.Contains(j, []byte(`"rootfs"`)) || !bytes.Contains(j, []byte(`"diff_ids"`)) {
		return false
	}
	var cfg struct {
		RootFS *struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	return json.Unmarshal(j, &cfg) == nil && cfg.RootFS != nil && cfg.RootFS.DiffIDs != nil
}

// imageConfigRoot names the config in its entries' names.
const imageConfigRoot = "image-config"

// walkImageConfig visits every string value of the config at p as an entry
// at p + "!image-config" + its jq path, in document order. Bytes after the JSON
// value (never there in a config Detect recognised from a whole file) are
// one more entry, at p + "!(after the config)".
func (b *Budget) walkImageConfig(r io.Reader, p string, visit Visit) {
	data, err := io.ReadAll(io.LimitReader(r, maxImageConfig+1))
	if err != nil {
		b.Problem(p, fmt.Errorf("image config: %w", err))
		return
	}
	if len(data) > maxImageConfig {
		visit(p+"!(image config over "+mib(maxImageConfig)+")", io.MultiReader(bytes.NewReader(data), r))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	n := 0
	err = walkJSON(dec, imageConfigRoot, func(path, value string) error {
		if n++; n > b.lim.MaxEntries {
			return fmt.Errorf("%w: more than %d fields: the rest is not scanned", ErrBudget, b.lim.MaxEntries)
		}
		visit(p+"!"+path, bytes.NewReader([]byte(value)))
		return nil
	})
	if err != nil {
		b.Problem(p, fmt.Errorf("image config: %w", err))
		return
	}
	if rest := data[dec.InputOffset():]; len(bytes.TrimSpace(rest)) > 0 {
		visit(p+"!(after the config)", bytes.NewReader(rest))
	}
}

// walkJSON reads one JSON value from dec and calls emit for each string
// value in it (not object keys) with its path: keys joined with '.'
// (quoted in brackets unless they are identifiers), array indexes in
// brackets.
func walkJSON(dec *json.Decoder, path string, emit func(path, value string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case string:
		return emit(path, v)
	case json.Delim:
		switch v {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if err := walkJSON(dec, jsonKey(path, key), emit); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walkJSON(dec, path+"["+strconv.Itoa(i)+"]", emit); err != nil {
					return err
				}
			}
		default:
			return errors.New("unexpected " + v.String())
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	return nil // a number, a boolean or null
}

// jsonKey appends key to path: ".key" for an identifier, else ["key"].
func jsonKey(path, key string) string {
	ident := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			ident = false
			break
		}
	}
	switch {
	case !ident:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}
