package patterns

// Vendors returns the built-in catalog of third-party token formats whose
// checksum schemes are public. Each entry cites its source.
func Vendors() []Format {
	return []Format{
		githubFormat("github-pat", "GitHub personal access token (classic)", "ghp_"),
		githubFormat("github-oauth", "GitHub OAuth access token", "gho_"),
		githubFormat("github-user-to-server", "GitHub App user-to-server token", "ghu_"),
		githubFormat("github-server-to-server", "GitHub App installation (server-to-server) token", "ghs_"),
		githubFormat("github-refresh", "GitHub App refresh token", "ghr_"),
	}
}

// githubFormat declares GitHub's 2021 token scheme: prefix, 30 base62
// characters, CRC32 (IEEE) of those 30 characters in base62 padded to 6.
// Source: https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
func githubFormat(id, desc, prefix string) Format {
	return Format{
		ID:          id,
		Description: desc,
		Prefixes:    []string{prefix},
		Alphabet:    "0-9A-Za-z",
		BodyMin:     30,
		BodyMax:     30,
		Checksum:    Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6, Covers: CoversBody},
		Source:      "https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/",
	}
}
