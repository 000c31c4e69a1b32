package patterns

// Issuer is another issuer's revocation service, declared as data beside
// the formats it can revoke (docs/issuers.md): leakguard sends a leaked
// token of one of Formats to Endpoint, and only there.
type Issuer struct {
	// ID names the issuer in reports and the store ("github", "gitlab").
	ID string
	// Name is the issuer's display name.
	Name string
	// Formats are the ids of the formats whose tokens it revokes.
	Formats []string
	// Protocol names the wire protocol: ProtocolGitHubCredentialsRevoke or
	// ProtocolGitLabSelfRevoke.
	Protocol string
	// Endpoint is the default base URL (the API root); EnvURL names the
	// environment variable that overrides it.
	Endpoint string
	EnvURL   string
	// Batch is how many tokens one request carries at most.
	Batch int
	// PerHour is how many requests the issuer allows an hour from one
	// client; 0: no published limit (leakguard still honours Retry-After
	// and rate-limit headers).
	PerHour int
	// Accepted are the HTTP statuses that mean "accepted: it will be (or
	// was) revoked"; AlreadyInvalid those that mean the token was dead
	// already; Throttled those that mean "try again later". Any other
	// 4xx is a final rejection, any 5xx or transport error is retried.
	Accepted, AlreadyInvalid, Throttled []int
	// Source cites the issuer's documentation of the protocol.
	Source string
}

// Issuer protocols.
const (
	// ProtocolGitHubCredentialsRevoke: POST {api}/credentials/revoke with
	// {"credentials":[...]}, unauthenticated.
	ProtocolGitHubCredentialsRevoke = "github-credentials-revoke"
	// ProtocolGitLabSelfRevoke: DELETE {gitlab}/api/v4/personal_access_tokens/self
	// authenticated with the leaked token itself.
	ProtocolGitLabSelfRevoke = "gitlab-self-revoke"
)

// Issuers returns the built-in issuer table.
func Issuers() []Issuer {
	return []Issuer{
		{
			ID:   "github",
			Name: "GitHub",
			Formats: []string{"github-pat", "github-fine-grained-pat", "github-oauth",
				"github-user-to-server", "github-refresh"},
			Protocol: ProtocolGitHubCredentialsRevoke,
			Endpoint: "https://api.github.com/",
			EnvURL:   "LEAKGUARD_GITHUB_API_URL",
			Batch:    1000,
			PerHour:  60,
			Accepted: []int{202},
			// 422 is "validation failed, or the endpoint has been spammed";
			// the credentials leakguard sends are checksum- or
			// structure-valid, so it is read as throttling, retried with
			// backoff and, past the attempts, left pending.
			Throttled: []int{403, 422, 429},
			Source:    "https://docs.github.com/en/rest/credentials/revoke",
		},
		{
			ID:             "gitlab",
			Name:           "GitLab",
			Formats:        []string{"gitlab-pat"},
			Protocol:       ProtocolGitLabSelfRevoke,
			Endpoint:       "https://gitlab.com/",
			EnvURL:         "LEAKGUARD_GITLAB_URL",
			Batch:          1,
			Accepted:       []int{204},
			AlreadyInvalid: []int{401},
			Throttled:      []int{429},
			Source:         "https://docs.gitlab.com/api/personal_access_tokens/#revoke-a-personal-access-token",
		},
	}
}

// IssuerOf returns the issuer of issuers that revokes tokens of formatID.
func IssuerOf(issuers []Issuer, formatID string) (Issuer, bool) {
	for _, is := range issuers {
		for _, f := range is.Formats {
			if f == formatID {
				return is, true
			}
		}
	}
	return Issuer{}, false
}

// DefaultEndpoint is the built-in table's endpoint of the issuer that
// speaks protocol ("" when none does).
func DefaultEndpoint(protocol string) string {
	for _, is := range Issuers() {
		if is.Protocol == protocol {
			return is.Endpoint
		}
	}
	return ""
}
