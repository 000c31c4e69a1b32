package gitlab

import (
	"sort"

	"github.com/leakguard/leakguard/patterns"
)

// Prefixes of GitLab's token type identifiers. GitLab names a type by its
// secrets analyzer's primary identifier, type and value concatenated:
// "gitleaks_rule_id_" and the gitleaks rule id. leakguard's own issued
// formats are offered as "leakguard_" and the format id.
const (
	GitleaksTypePrefix  = "gitleaks_rule_id_"
	LeakguardTypePrefix = "leakguard_"
)

// gitleaksRules maps gitleaks rule ids to the leakguard format that
// recognises the same tokens. gitleaks' github_app_token matches ghu_ and
// ghs_ tokens; it is offered as the user-to-server format, the one GitHub
// revokes.
var gitleaksRules = []struct{ rule, format string }{
	{"gitlab_personal_access_token", "gitlab-pat"},
	{"github_personal_access_token", "github-pat"},
	{"github_fine_grained_personal_access_token", "github-fine-grained-pat"},
	{"github_oauth", "github-oauth"},
	{"github_app_token", "github-user-to-server"},
	{"github_refresh_token", "github-refresh"},
}

// TypeFormats returns GitLab's token type identifiers this leakguard can
// take, each mapped to a leakguard format id: those of gitleaksRules whose
// format cat holds (a disabled or unknown format is not offered) and an
// issuer of patterns.Issuers revokes, and
// "leakguard_" + id for every format cat issues. cat nil: patterns.Default().
//
// The map names types for RevocableTypes and reports; it never decides
// where a token goes: a token's format is decided from the token itself
// (prefix and checksum), never from the type GitLab sent with it.
func TypeFormats(cat *patterns.Catalog) map[string]string {
	if cat == nil {
		cat = patterns.Default()
	}
	out := map[string]string{}
	for _, r := range gitleaksRules {
		_, known := cat.ByID(r.format)
		_, revocable := patterns.IssuerOf(patterns.Issuers(), r.format)
		if known && revocable {
			out[GitleaksTypePrefix+r.rule] = r.format
		}
	}
	for _, f := range cat.Formats() {
		if f.Issued {
			out[LeakguardTypePrefix+f.ID] = f.ID
		}
	}
	return out
}

// Types returns the keys of TypeFormats(cat), sorted: the answer of GET
// /v1/revocable_token_types.
func Types(cat *patterns.Catalog) []string {
	m := TypeFormats(cat)
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
