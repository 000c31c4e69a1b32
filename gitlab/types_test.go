package gitlab_test

import (
	"slices"
	"testing"

	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/patterns"
)

func TestTypes(t *testing.T) {
	t.Parallel()
	own, err := patterns.NewCatalog(patterns.OwnFormats(map[string]string{patterns.TypeUser: "acme_"})...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cat  *patterns.Catalog
		want []string
	}{
		{"default", nil, []string{
			"gitleaks_rule_id_github_app_token",
			"gitleaks_rule_id_github_fine_grained_personal_access_token",
			"gitleaks_rule_id_github_oauth",
			"gitleaks_rule_id_github_personal_access_token",
			"gitleaks_rule_id_github_refresh_token",
			"gitleaks_rule_id_gitlab_personal_access_token",
			"leakguard_leakguard-admin",
			"leakguard_leakguard-service",
			"leakguard_leakguard-user",
		}},
		{"own formats only", own, []string{"leakguard_leakguard-user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := gitlab.Types(tt.cat); !slices.Equal(got, tt.want) {
				t.Errorf("Types = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTypeFormats(t *testing.T) {
	t.Parallel()
	cat := patterns.Default()
	m := gitlab.TypeFormats(cat)
	for typ, want := range map[string]string{
		"gitleaks_rule_id_gitlab_personal_access_token":              "gitlab-pat",
		"gitleaks_rule_id_github_personal_access_token":              "github-pat",
		"gitleaks_rule_id_github_oauth":                              "github-oauth",
		"gitleaks_rule_id_github_app_token":                          "github-user-to-server",
		"gitleaks_rule_id_github_refresh_token":                      "github-refresh",
		"gitleaks_rule_id_github_fine_grained_personal_access_token": "github-fine-grained-pat",
		"gitleaks_rule_id_npm_access_token":                          "", // no issuer revokes npm tokens for us
		"leakguard_leakguard-user":                                   "leakguard-user",
	} {
		if got := m[typ]; got != want {
			t.Errorf("TypeFormats[%q] = %q, want %q", typ, got, want)
		}
	}
	// Every format named is one the catalog holds.
	for typ, id := range m {
		if _, ok := cat.ByID(id); !ok {
			t.Errorf("%s maps to %s, not in the catalog", typ, id)
		}
	}
}
