package patterns

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixture(name string) string { return filepath.Join("testdata", "config", name) }

func TestLoadConfigFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		wantErr string // substring; "" means success
	}{
		{"issuer.toml", ""},
		{"custom_format.toml", ""},
		{"structure_format.toml", ""},
		{"signature_format.toml", ""},
		{"bad_structure.toml", "structure is for formats without a checksum"},
		{"bad_signature.toml", "prefixes or a signature, not both"},
		{"disable.toml", ""},
		{"unknown_key.toml", "unknown keys prefixs"},
		{"bad_type.toml", `unknown token type "robot"`},
		{"bad_sample.toml", "rejects true_positives[0]"},
		{"reserved_id.toml", "reserved"},
		{"not_toml.toml", "invalid configuration"},
		{"scopes.toml", ""},
		{"bad_scope.toml", "scopes.allowed[1]: invalid scope"},
		{"missing.toml", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(fixture(tt.file))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				if _, err := c.Catalog(); err != nil {
					t.Errorf("Catalog: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadConfig = %v, want error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestIssuerConfigCatalog(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(fixture("issuer.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := c.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ  string
		want []string
	}{
		{TypeUser, []string{"acme_", "acmeold_", "lgu_"}},
		{TypeService, []string{"acmes_", "lgs_"}},
		{TypeAdmin, []string{"lga_"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			f, ok := cat.Issued(tt.typ)
			if !ok {
				t.Fatal("no issued format")
			}
			if !reflect.DeepEqual(f.Prefixes, tt.want) {
				t.Errorf("prefixes %q, want %q", f.Prefixes, tt.want)
			}
			if got, want := c.IssuePrefix(tt.typ), tt.want[0]; got != want {
				t.Errorf("IssuePrefix = %q, want %q", got, want)
			}
			s, err := f.Generate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := cat.Identify(s.Reveal()); !ok || got != f || PrefixOf(f, s.Reveal()) != tt.want[0] {
				t.Errorf("issued token %s not identified as %s", s.Redact(PrefixOf(f, s.Reveal())), f.ID)
			}
		})
	}
}

func TestCustomFormatAndDisable(t *testing.T) {
	t.Parallel()
	c, err := ResolveConfig(fixture("disable.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := LoadConfig(fixture("custom_format.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := c.Merge(custom).Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.ByID("github-refresh"); ok {
		t.Error("disabled github-refresh is still in the catalog")
	}
	f, ok := cat.ByID("acme-legacy")
	if !ok {
		t.Fatal("configured format missing")
	}
	if g, ok := cat.Identify(f.TruePositives[0]); !ok || g != f {
		t.Error("configured format's sample not identified")
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		toml string
		want string
	}{
		{"prefix too short", "[prefixes]\nuser = \"a_\"", "length 2"},
		{"prefix with space", "[prefixes]\nuser = \"a b_\"", "not printable"},
		{"unknown previous type", "[previous_prefixes]\nbot = [\"abc_\"]", "unknown token type"},
		{"disable unknown", "disable = [\"nope\"]", "not a built-in vendor format"},
		{"disable own", "disable = [\"leakguard-user\"]", "not a built-in vendor format"},
		{"issued extra format", "[[format]]\nid = \"x\"\nprefixes = [\"xxx_\"]\nalphabet = \"a-z\"\nbody_min = 5\nissued = true", "[prefixes]"},
		{"bad extra format", "[[format]]\nid = \"x\"\nprefixes = [\"xxx_\"]\nalphabet = \"a-z\"", "body length"},
		{"wrong type", "[prefixes]\nuser = 3", "invalid configuration"},
		{"scope with a space", "[scopes]\nallowed = [\"read all\"]", "scopes.allowed[0]: invalid scope"},
		{"empty scope", "[scopes]\nallowed = [\"\"]", "scopes.allowed[0]: invalid scope"},
		{"scope listed twice", "[scopes]\nallowed = [\"read\", \"write\", \"read\"]", `"read" listed twice`},
		{"scope not a string", "[scopes]\nallowed = [1]", "invalid configuration"},
		{"scopes not a list", "[scopes]\nallowed = \"read\"", "invalid configuration"},
		{"unknown scopes key", "[scopes]\ndefault = [\"read\"]", "unknown keys scopes.default"},
		{"unknown checksum key", "[[format]]\nid = \"x\"\nprefixes = [\"xxx_\"]\nalphabet = \"a-z\"\nbody_min = 5\nchecksum = { algo = \"none\" }", "format.checksum.algo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tt.toml))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig = %v, want ErrConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestCatalogClash(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, toml string }{
		{"vendor prefix", "[prefixes]\nuser = \"ghp_\""},
		{"another type's default", "[prefixes]\nuser = \"lgs_\""},
		{"vendor id", "[[format]]\nid = \"github-pat\"\nprefixes = [\"xxx_\"]\nalphabet = \"a-z\"\nbody_min = 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseConfig([]byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Catalog(); !errors.Is(err, ErrConfig) || !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("Catalog = %v, want ErrConfig and ErrInvalidFormat", err)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	base := Config{
		Prefixes:         map[string]string{TypeUser: "aaa_", TypeAdmin: "adm_"},
		PreviousPrefixes: map[string][]string{TypeUser: {"old_"}},
		Disable:          []string{"npm-access-token"},
		Formats:          []Format{{ID: "x", Description: "base"}, {ID: "y"}},
		Sources:          []string{"a.toml"},
	}
	over := Config{
		Prefixes:         map[string]string{TypeUser: "bbb_", TypeAdmin: "adm_"},
		PreviousPrefixes: map[string][]string{TypeUser: {"old_", "older_"}},
		Disable:          []string{"npm-access-token", "github-refresh"},
		Formats:          []Format{{ID: "x", Description: "over"}, {ID: "z"}},
		Sources:          []string{"b.toml"},
	}
	got := base.Merge(over)
	if want := map[string]string{TypeUser: "bbb_", TypeAdmin: "adm_"}; !reflect.DeepEqual(got.Prefixes, want) {
		t.Errorf("Prefixes = %v, want %v", got.Prefixes, want)
	}
	if want := []string{"old_", "aaa_", "older_"}; !reflect.DeepEqual(got.PreviousPrefixes[TypeUser], want) {
		t.Errorf("previous user = %q, want %q (the replaced prefix stays recognised)", got.PreviousPrefixes[TypeUser], want)
	}
	if _, ok := got.PreviousPrefixes[TypeAdmin]; ok {
		t.Error("an unchanged prefix became a previous one")
	}
	if want := []string{"npm-access-token", "github-refresh"}; !reflect.DeepEqual(got.Disable, want) {
		t.Errorf("Disable = %q, want %q", got.Disable, want)
	}
	var ids []string
	for _, f := range got.Formats {
		ids = append(ids, f.ID+"/"+f.Description)
	}
	if want := []string{"x/over", "y/", "z/"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Formats = %q, want %q", ids, want)
	}
	if want := []string{"a.toml", "b.toml"}; !reflect.DeepEqual(got.Sources, want) {
		t.Errorf("Sources = %q, want %q", got.Sources, want)
	}
	if base.Prefixes[TypeUser] != "aaa_" || len(base.PreviousPrefixes[TypeUser]) != 1 {
		t.Error("Merge modified its receiver")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRootConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mk := func(name, content string) string {
		t.Helper()
		root := filepath.Join(dir, name)
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if content != "" {
			writeFile(t, filepath.Join(root, ConfigFileName), content)
		}
		return root
	}
	plain := mk("plain", "")
	issuer := mk("issuer", "[prefixes]\nuser = \"acme_\"\n")
	disabling := mk("disabling", "disable = [\"github-pat\"]\n")
	linked := mk("linked", "")
	if err := os.Symlink(filepath.Join(issuer, ConfigFileName), filepath.Join(linked, ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(issuer, ConfigFileName)
	tests := []struct {
		name      string
		root      string
		wantFound bool
		wantErr   string
	}{
		{"no file", plain, false, ""},
		{"issuer", issuer, true, ""},
		{"root is a file", file, false, ""},
		{"root missing", filepath.Join(dir, "nope"), false, ""},
		{"disable refused", disabling, false, "only in the --config file"},
		{"symlink refused", linked, false, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, found, err := LoadRootConfig(tt.root)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || found != tt.wantFound {
				t.Errorf("found, err = %v, %v; want %v, nil", found, err, tt.wantFound)
			}
		})
	}
}

func TestResolveConfigPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r1, r2 := filepath.Join(dir, "r1"), filepath.Join(dir, "r2")
	for _, r := range []string{r1, r2} {
		if err := os.Mkdir(r, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(r1, ConfigFileName), "[prefixes]\nuser = \"one_\"\nservice = \"svc_\"\n")
	writeFile(t, filepath.Join(r2, ConfigFileName), "[prefixes]\nuser = \"two_\"\n")
	explicit := filepath.Join(dir, "explicit.toml")
	writeFile(t, explicit, "[prefixes]\nuser = \"flag_\"\n")

	c, err := ResolveConfig(explicit, []string{r1, r2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.IssuePrefix(TypeUser), "flag_"; got != want {
		t.Errorf("user prefix %q, want %q (--config wins)", got, want)
	}
	if got, want := c.IssuePrefix(TypeService), "svc_"; got != want {
		t.Errorf("service prefix %q, want %q", got, want)
	}
	if got, want := c.OwnPrefixes()[TypeUser], []string{"flag_", "one_", "two_", "lgu_"}; !reflect.DeepEqual(got, want) {
		t.Errorf("user prefixes %q, want %q (every prefix stays recognised)", got, want)
	}
	if got, want := len(c.Sources), 3; got != want {
		t.Errorf("%d sources, want %d", got, want)
	}
	if _, err := ResolveConfig(filepath.Join(dir, "missing.toml"), nil); err == nil {
		t.Error("a missing --config file is not an error")
	}
}

func TestLoadConfigTooLarge(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.toml")
	writeFile(t, path, "# "+strings.Repeat("x", MaxConfigSize)+"\n")
	if _, err := LoadConfig(path); !errors.Is(err, ErrConfig) {
		t.Errorf("LoadConfig = %v, want ErrConfig", err)
	}
}

func TestEmptyConfigIsDefault(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := c.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cat.String(), Default().String(); got != want {
		t.Errorf("empty config catalog %s, want %s", got, want)
	}
}

func TestScopesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		toml string
		want []string // nil: any scope
	}{
		{"no section", "", nil},
		{"section without allowed", "[scopes]", nil},
		{"allowed none", "[scopes]\nallowed = []", []string{}},
		{"allowed", "[scopes]\nallowed = [\"write\", \"read\"]", []string{"write", "read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseConfig([]byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Scopes.Allowed; (got == nil) != (tt.want == nil) || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Scopes.Allowed = %#v, want %#v", got, tt.want)
			}
		})
	}
	base := Config{Scopes: ScopesConfig{Allowed: []string{"read"}}}
	if got := base.Merge(Config{}).Scopes.Allowed; strings.Join(got, ",") != "read" {
		t.Errorf("merge without scopes = %q, want the base's", got)
	}
	if got := base.Merge(Config{Scopes: ScopesConfig{Allowed: []string{}}}).Scopes.Allowed; got == nil || len(got) != 0 {
		t.Errorf("merge with allowed = [] = %#v, want empty", got)
	}
	if got := base.Merge(Config{Scopes: ScopesConfig{Allowed: []string{"write"}}}).Scopes.Allowed; strings.Join(got, ",") != "write" {
		t.Errorf("merge with allowed = %q, want over's", got)
	}
}
