package patterns

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/leakguard/leakguard"
)

// ConfigFileName is the configuration file read at the root of a scanned
// tree.
const ConfigFileName = ".leakguard.toml"

// MaxConfigSize bounds the size of a configuration file in bytes.
const MaxConfigSize = 1 << 20

// ErrConfig is returned for a malformed or inconsistent configuration.
var ErrConfig = errors.New("invalid configuration")

// Config is the token-format part of leakguard's configuration (TOML, from
// --config and from .leakguard.toml at a scanned root):
//
//	[prefixes]             # the prefix leakguard issues each token type with
//	user = "acme_"
//	[previous_prefixes]    # earlier prefixes still recognised as ours
//	user = ["acmeold_"]
//	disable = ["github-refresh"]   # vendor formats not to scan for (--config only)
//	[[format]]             # extra formats, declared as data
//	id = "acme-legacy"
//	prefixes = ["acmel_"]
//	...
//	[scopes]               # the only scopes tokens may be issued with
//	allowed = ["read", "write"]
//
// Changing a type's prefix never stops recognising the old one: the default
// prefix (lgu_, lgs_, lga_) and every prefix overridden by a later file stay
// recognised as that type's own tokens.
type Config struct {
	// Prefixes maps a token type (user, service, admin) to the prefix
	// leakguard issues it with. Types not listed keep DefaultPrefixes.
	Prefixes map[string]string `toml:"prefixes"`
	// PreviousPrefixes maps a token type to earlier prefixes that are still
	// recognised (scanned for, looked up and revoked) as that type.
	PreviousPrefixes map[string][]string `toml:"previous_prefixes"`
	// Disable lists ids of built-in vendor formats not to scan for.
	Disable []string `toml:"disable"`
	// Formats are additional formats to scan for. They may not be issued
	// and their ids may not start with "leakguard-".
	Formats []Format `toml:"format"`
	// Scopes restricts the scopes tokens are issued with (token issue,
	// POST /v1/tokens). Scanning ignores it.
	Scopes ScopesConfig `toml:"scopes"`
	// Sources lists the files merged into this configuration, in order.
	Sources []string `toml:"-"`
}

// ScopesConfig is the [scopes] section.
type ScopesConfig struct {
	// Allowed lists the only scopes a token may be issued with, each
	// following leakguard.CheckScope, each once. nil (no section, or no
	// allowed key): any scope of the rule; empty (allowed = []): none.
	Allowed []string `toml:"allowed"`
}

// ParseConfig decodes a TOML configuration. Unknown keys are errors, so a
// typo cannot silently change what is scanned for. Errors quote keys and
// values of the file, which may hold a token (a .leakguard.toml of a
// scanned tree is anyone's): token-shaped strings of the default catalog
// are redacted from them.
func ParseConfig(data []byte) (Config, error) {
	c, err := parseConfig(data)
	if err != nil {
		return Config{}, &configError{msg: Default().RedactTokens(err.Error()), err: err}
	}
	return c, nil
}

// configError is a configuration error with its message redacted. It
// unwraps to the original (ErrConfig and the rest for errors.Is), whose
// own message is not redacted.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.err }

// parseConfig is ParseConfig without the redaction.
func parseConfig(data []byte) (Config, error) {
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("%w: unknown keys %s", ErrConfig, strings.Join(keys, ", "))
	}
	if md.IsDefined("scopes", "allowed") && c.Scopes.Allowed == nil {
		c.Scopes.Allowed = []string{} // allowed = []: no scope at all
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads and parses the configuration file at path.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > MaxConfigSize {
		return Config{}, fmt.Errorf("config %s: %w: larger than %d bytes", path, ErrConfig, MaxConfigSize)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	c.Sources = []string{path}
	return c, nil
}

// LoadRootConfig reads ConfigFileName in the directory root. found is false
// when root is not a directory or holds no such file. A symlinked file is an
// error (a scanned tree must not make leakguard read files outside it), and
// so is "disable": a scanned tree may add formats but never switch one off.
func LoadRootConfig(root string) (c Config, found bool, err error) {
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return Config{}, false, nil
	}
	path := filepath.Join(root, ConfigFileName)
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, fmt.Errorf("config %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Config{}, false, fmt.Errorf("config %s: %w: not a regular file", path, ErrConfig)
	}
	c, err = LoadConfig(path)
	if err != nil {
		return Config{}, false, err
	}
	if len(c.Disable) > 0 {
		return Config{}, false, fmt.Errorf("config %s: %w: disable is honoured only in the --config file", path, ErrConfig)
	}
	return c, true, nil
}

// ResolveConfig merges, in increasing precedence, the ConfigFileName of
// each root (in order) and the explicit --config file (if not empty).
func ResolveConfig(explicit string, roots []string) (Config, error) {
	var c Config
	for _, r := range roots {
		rc, ok, err := LoadRootConfig(r)
		if err != nil {
			return Config{}, err
		}
		if ok {
			c = c.Merge(rc)
		}
	}
	if explicit != "" {
		ec, err := LoadConfig(explicit)
		if err != nil {
			return Config{}, err
		}
		c = c.Merge(ec)
	}
	return c, c.Validate()
}

// Merge returns c overlaid with over: over's issuing prefixes win (the
// prefixes they replace stay recognised as previous ones), previous
// prefixes and disabled ids are united, a format of over replaces one of c
// with the same id, and over's allowed scopes, if it lists them, replace
// c's.
func (c Config) Merge(over Config) Config {
	out := Config{
		Prefixes:         map[string]string{},
		PreviousPrefixes: map[string][]string{},
		Disable:          appendUnique(nil, c.Disable...),
		Sources:          append(append([]string(nil), c.Sources...), over.Sources...),
		Scopes:           c.Scopes,
	}
	if over.Scopes.Allowed != nil {
		out.Scopes = over.Scopes
	}
	for t, p := range c.Prefixes {
		out.Prefixes[t] = p
	}
	for t, ps := range c.PreviousPrefixes {
		out.PreviousPrefixes[t] = appendUnique(nil, ps...)
	}
	for t, p := range over.Prefixes {
		if old, ok := out.Prefixes[t]; ok && old != p {
			out.PreviousPrefixes[t] = appendUnique(out.PreviousPrefixes[t], old)
		}
		out.Prefixes[t] = p
	}
	for t, ps := range over.PreviousPrefixes {
		out.PreviousPrefixes[t] = appendUnique(out.PreviousPrefixes[t], ps...)
	}
	out.Disable = appendUnique(out.Disable, over.Disable...)
	out.Formats = mergeFormats(c.Formats, over.Formats)
	return out
}

func mergeFormats(base, over []Format) []Format {
	out := append([]Format(nil), base...)
	for _, f := range over {
		replaced := false
		for i := range out {
			if out[i].ID == f.ID {
				out[i], replaced = f, true
			}
		}
		if !replaced {
			out = append(out, f)
		}
	}
	return out
}

func appendUnique(dst []string, add ...string) []string {
	for _, s := range add {
		dup := false
		for _, d := range dst {
			dup = dup || d == s
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

// IssuePrefix is the prefix tokens of tokenType are issued with.
func (c Config) IssuePrefix(tokenType string) string {
	if p, ok := c.Prefixes[tokenType]; ok {
		return p
	}
	return DefaultPrefixes()[tokenType]
}

// OwnPrefixes maps each token type to the prefixes recognised as ours: the
// issuing prefix first, then previous prefixes, then the default.
func (c Config) OwnPrefixes() map[string][]string {
	out := map[string][]string{}
	for t, def := range DefaultPrefixes() {
		ps := appendUnique(nil, c.IssuePrefix(t))
		ps = appendUnique(ps, c.PreviousPrefixes[t]...)
		out[t] = appendUnique(ps, def)
	}
	return out
}

// Catalog builds the catalog the configuration describes: leakguard's own
// family with OwnPrefixes, the built-in vendors not disabled, then Formats.
func (c Config) Catalog() (*Catalog, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	own := c.OwnPrefixes()
	types := make([]string, 0, len(own))
	for t := range own {
		types = append(types, t)
	}
	sort.Strings(types)
	var formats []Format
	for _, t := range types {
		formats = append(formats, OwnFormatPrefixes(t, own[t]))
	}
	for _, v := range Vendors() {
		if !contains(c.Disable, v.ID) {
			formats = append(formats, v)
		}
	}
	cat, err := NewCatalog(append(formats, c.Formats...)...)
	if err != nil {
		return nil, c.wrap(err)
	}
	return cat, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// wrap adds ErrConfig and the configuration's files to err.
func (c Config) wrap(err error) error {
	if len(c.Sources) == 0 {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return fmt.Errorf("config %s: %w: %w", strings.Join(c.Sources, ", "), ErrConfig, err)
}

// Validate checks token types, prefixes, disabled ids and extra formats
// (each compiled and checked against its samples) without building a
// catalog; prefix clashes between formats are found by Catalog.
func (c Config) Validate() error {
	for _, t := range sortedKeys(c.Prefixes) {
		if err := checkTypedPrefixes("prefixes", t, []string{c.Prefixes[t]}); err != nil {
			return c.wrap(err)
		}
	}
	for _, t := range sortedKeys(c.PreviousPrefixes) {
		if err := checkTypedPrefixes("previous_prefixes", t, c.PreviousPrefixes[t]); err != nil {
			return c.wrap(err)
		}
	}
	for _, id := range c.Disable {
		if !isVendorID(id) {
			return c.wrap(fmt.Errorf("disable: %q is not a built-in vendor format", id))
		}
	}
	for i := range c.Formats {
		if err := checkExtraFormat(c.Formats[i]); err != nil {
			return c.wrap(fmt.Errorf("format[%d]: %w", i, err))
		}
	}
	if err := checkAllowedScopes(c.Scopes.Allowed); err != nil {
		return c.wrap(err)
	}
	return nil
}

// checkAllowedScopes checks that every allowed scope follows
// leakguard.CheckScope and is listed once. Its errors quote no value that
// fails the rule (a configuration may hold anything, a token included).
func checkAllowedScopes(allowed []string) error {
	seen := make(map[string]bool, len(allowed))
	for i, sc := range allowed {
		if err := leakguard.CheckScope(sc); err != nil {
			return fmt.Errorf("scopes.allowed[%d]: %w", i, err)
		}
		if seen[sc] {
			return fmt.Errorf("scopes.allowed: %q listed twice", sc)
		}
		seen[sc] = true
	}
	return nil
}

func checkTypedPrefixes(section, tokenType string, prefixes []string) error {
	if _, ok := DefaultPrefixes()[tokenType]; !ok {
		return fmt.Errorf("%s: unknown token type %q (want user, service or admin)", section, tokenType)
	}
	if err := checkPrefixes(prefixes); err != nil {
		return fmt.Errorf("%s.%s: %w", section, tokenType, err)
	}
	return nil
}

func isVendorID(id string) bool {
	for _, v := range Vendors() {
		if v.ID == id {
			return true
		}
	}
	return false
}

// checkExtraFormat checks a configured format on a copy.
func checkExtraFormat(f Format) error {
	if strings.HasPrefix(f.ID, "leakguard-") {
		return fmt.Errorf("id %q: the leakguard- ids are reserved for our own tokens", f.ID)
	}
	if f.Issued || f.TokenType != "" {
		return fmt.Errorf("%s: issued formats are configured with [prefixes], not [[format]]", f.ID)
	}
	f.Prefixes = append([]string(nil), f.Prefixes...)
	if err := f.Compile(); err != nil {
		return err
	}
	return CheckSamples(&f)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
