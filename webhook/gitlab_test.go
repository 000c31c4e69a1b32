package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/gitlab/gitlabtest"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// gitLabEnv is a server with GitLab's Token Revocation API on, whose
// reports of other issuers' tokens go to fake GitHub and GitLab issuers.
type gitLabEnv struct {
	*env
	bearer patterns.Secret
	gh     *githubtest.CredentialsServer
	gl     *gitlabtest.Server
}

func newGitLabEnv(t testing.TB) *gitLabEnv {
	t.Helper()
	g := &gitLabEnv{bearer: patterns.NewSecret("gitlab-shared-revocation-token-0123456789"),
		gh: githubtest.NewCredentialsServer(), gl: gitlabtest.New()}
	t.Cleanup(g.gh.Close)
	t.Cleanup(g.gl.Close)
	g.env = newEnv(t, func(c *webhook.Config) {
		ghs, err := github.NewCredentialsRevoker(g.gh.URL(), nil, false)
		if err != nil {
			t.Fatal(err)
		}
		gls, err := gitlab.NewSelfRevoker(g.gl.URL(), nil, false)
		if err != nil {
			t.Fatal(err)
		}
		c.GitLabToken = g.bearer
		c.Reporter = issuers.NewReporter(c.Manager.Store(), patterns.Default(), issuers.Options{
			Senders: map[string]issuers.Sender{"github": ghs, "gitlab": gls}, MaxWait: time.Millisecond,
		})
	})
	return g
}

// gitLabBatch is a revoke_tokens body.
func gitLabBatch(t testing.TB, items ...[3]string) []byte {
	t.Helper()
	var b []map[string]string
	for _, it := range items {
		b = append(b, map[string]string{"type": it[0], "token": it[1], "location": it[2]})
	}
	return jsonBody(t, b)
}

// glpat is GitLab's sample personal access token (routable: not generated).
func glpat(t testing.TB) patterns.Secret {
	t.Helper()
	f, _ := patterns.Default().ByID("gitlab-pat")
	return patterns.NewSecret(f.TruePositives[0])
}

func TestGitLabRevocationAPI(t *testing.T) {
	t.Parallel()
	g := newGitLabEnv(t)
	ctx := context.Background()
	ours := g.issue(t, patterns.TypeUser)
	ghp, gl := generate(t, "github-pat"), glpat(t)
	body := gitLabBatch(t,
		[3]string{"leakguard_leakguard-user", ours.Reveal(), "https://gitlab.example.org/acme/app/-/blob/main/.env"},
		// the type is GitLab's guess: the token itself decides where it goes
		[3]string{"gitleaks_rule_id_gitlab_personal_access_token", ghp.Reveal(), "https://gitlab.example.org/acme/app/-/blob/main/ci.yml"},
		[3]string{"gitleaks_rule_id_gitlab_personal_access_token", gl.Reveal(), "https://gitlab.example.org/acme/app/-/blob/main/deploy.sh"},
		[3]string{"leakguard_leakguard-user", ours.Reveal(), "https://gitlab.example.org/acme/app/-/blob/main/.env"})
	post := func(body []byte, bearer patterns.Secret) (*http.Response, []byte) {
		return g.api(t, "POST", "/v1/gitlab/revoke_tokens", bearer, string(body))
	}

	resp, out := post(body, g.bearer)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204: %s", resp.StatusCode, redact(string(out)))
	}
	tok, err := g.raw.TokenByHash(ctx, ours.Hash())
	if err != nil || tok.Valid || tok.InvalidReason != "leaked: gitlab https://gitlab.example.org/acme/app/-/blob/main/.env" ||
		tok.RevokedBy != webhook.ActorGitLab {
		t.Fatalf("our token after the batch: %+v, %v", tok, err)
	}
	if got := g.gh.Received(); len(got) != 1 || got[0] != ghp.Hash() {
		t.Fatalf("GitHub received %v, want the ghp_ token once", got)
	}
	if calls := g.gl.Calls(); len(calls) != 1 || calls[0].Hash != gl.Hash() {
		t.Fatalf("GitLab received %v, want the glpat- token once", calls)
	}

	// A replay changes nothing and sends nothing again.
	if resp, out := post(body, g.bearer); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("replay: status %d: %s", resp.StatusCode, redact(string(out)))
	}
	if len(g.gh.Received()) != 1 || len(g.gl.Calls()) != 1 {
		t.Fatalf("the replay was sent again: github %d, gitlab %d", len(g.gh.Received()), len(g.gl.Calls()))
	}
	evs, err := g.raw.Events(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	leaks := 0
	for _, ev := range evs {
		if ev.Kind == store.EventLeakReported {
			leaks++
		}
	}
	if leaks != 1 {
		t.Errorf("%d leak_reported events after a replay, want 1", leaks)
	}

	// A throttled issuer: 429 with Retry-After, and the report waits.
	ghp2 := generate(t, "github-pat")
	g.gh.Throttle(10, time.Time{})
	resp, out = post(gitLabBatch(t, [3]string{"gitleaks_rule_id_github_personal_access_token", ghp2.Reveal(), "x"}), g.bearer)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("throttled: status %d Retry-After %q, want 429 with Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"), out)
	}
	reps, err := g.raw.ListIssuerReports(ctx, store.IssuerReportFilter{State: store.IssuerReportPending})
	if err != nil || len(reps) != 1 || reps[0].Hash != ghp2.Hash() {
		t.Fatalf("pending reports %+v, %v: want the throttled one", reps, err)
	}

	for _, tc := range []struct {
		name   string
		body   []byte
		bearer patterns.Secret
		status int
	}{
		{"no bearer", body, patterns.Secret{}, http.StatusUnauthorized},
		{"wrong bearer", body, patterns.NewSecret("nope"), http.StatusUnauthorized},
		{"a leakguard admin token is not GitLab's", body, g.admin, http.StatusUnauthorized},
		{"not an array", []byte(`{"type":"x"}`), g.bearer, http.StatusBadRequest},
		{"unsupported type", gitLabBatch(t, [3]string{"gitleaks_rule_id_aws_access_key", ghp.Reveal(), "x"}), g.bearer, http.StatusBadRequest},
		{"no token", []byte(`[{"type":"leakguard_leakguard-user","location":"x"}]`), g.bearer, http.StatusBadRequest},
	} {
		resp, out := post(tc.body, tc.bearer)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, redact(string(out)))
		}
		if strings.Contains(string(out), ghp.Reveal()) || strings.Contains(string(out), ours.Reveal()) {
			t.Errorf("%s: the answer quotes a token", tc.name)
		}
	}

	resp, out = g.api(t, "GET", "/v1/gitlab/revocable_token_types", g.bearer, "")
	var types gitlab.RevocableTypes
	if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &types) != nil ||
		!strings.Contains(strings.Join(types.Types, ","), "gitleaks_rule_id_gitlab_personal_access_token") {
		t.Fatalf("types: %d %s", resp.StatusCode, out)
	}
}

// Without a configured token the routes do not exist.
func TestGitLabRoutesOffByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	resp, _ := e.api(t, "GET", "/v1/gitlab/revocable_token_types", patterns.NewSecret("x"), "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

// gitLabOpenAPICases are TestOpenAPI's requests of the GitLab routes.
func gitLabOpenAPICases(t testing.TB, g *gitLabEnv) []openAPICase {
	t.Helper()
	ours, ghp := g.issue(t, patterns.TypeUser), generate(t, "github-pat")
	ok := gitLabBatch(t, [3]string{"leakguard_leakguard-user", ours.Reveal(), "https://gitlab.example.org/a/b/-/blob/main/x"},
		[3]string{"gitleaks_rule_id_github_personal_access_token", ghp.Reveal(), "https://gitlab.example.org/a/b/-/blob/main/y"})
	throttled := gitLabBatch(t, [3]string{"gitleaks_rule_id_github_personal_access_token", generate(t, "github-pat").Reveal(), "z"})
	busy := newGitLabEnv(t) // GitHub throttles every report
	busy.gh.Throttle(1000, time.Time{})
	const types, revoke = "/v1/gitlab/revocable_token_types", "/v1/gitlab/revoke_tokens"
	return []openAPICase{
		{name: "gitlab types", srv: g.env, method: "GET", path: types, bearer: g.bearer, status: 200},
		{name: "gitlab types wrong bearer", srv: g.env, method: "GET", path: types, bearer: g.admin, status: 401},
		{name: "gitlab revoke", srv: g.env, method: "POST", path: revoke, bearer: g.bearer, body: ok, status: 204},
		{name: "gitlab replay", srv: g.env, method: "POST", path: revoke, bearer: g.bearer, body: ok, status: 204},
		{name: "gitlab unsupported type", srv: g.env, method: "POST", path: revoke, bearer: g.bearer, status: 400,
			body: gitLabBatch(t, [3]string{"gitleaks_rule_id_aws_access_key", ghp.Reveal(), "x"})},
		{name: "gitlab not an array", srv: g.env, method: "POST", path: revoke, bearer: g.bearer, status: 400, offSpec: true,
			body: []byte(`{"type":"x"}`)},
		{name: "gitlab unauthorised", srv: g.env, method: "POST", path: revoke, bearer: g.admin, body: ok, status: 401},
		{name: "gitlab throttled", srv: busy.env, method: "POST", path: revoke, bearer: busy.bearer, body: throttled, status: 429},
	}
}
