package patterns

import "strings"

// Vendors returns the built-in catalog of third-party token formats whose
// checksum schemes are public, each citing its source. Their samples were
// built with straight ports of each vendor's published generator (see
// vendors_test.go, which re-derives every one), with obviously fake bodies.
//
// Known and accepted misses: GitLab tokens under an instance-specific
// custom prefix (add them with a [[format]] in the configuration), the
// unversioned routable GitLab form of 2024-11..2025-04, and Review Board
// tokens minted by Djblets 3.0, whose checksum has its letter case swapped.
// GitLab's alphabet contains '.', '-' and '_', so under CONTRACT §1's
// boundary rule a GitLab token directly followed by one of them (a full stop
// ending a sentence) is not a match. Atlassian's ATATT3 tokens are not
// included: their checksum scheme is not publicly documented.
func Vendors() []Format {
	return []Format{
		githubFormat("github-pat", "GitHub personal access token (classic)", "ghp_",
			"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",
			"ghp_LeakguardSampleGhp0123456789012QgbKJ", "ghp_LeakguardSampleGhp0123456789007INaG"),
		githubFormat("github-oauth", "GitHub OAuth access token", "gho_",
			"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",
			"gho_LeakguardSampleGho0123456789010QxwuY", "gho_LeakguardSampleGho012345678902DFPw1"),
		githubFormat("github-user-to-server", "GitHub App user-to-server token", "ghu_",
			"ghu_LeakguardSampleGhu0123456789012oOZOX",
			"ghu_LeakguardSampleGhu0123456789012oOZOY", "ghu_LeakguardSampleGhu012345678902uJE4y"),
		githubFormat("github-server-to-server", "GitHub App installation (server-to-server) token", "ghs_",
			"ghs_LeakguardSampleGhs01234567890113GxaC",
			"ghs_LeakguardSampleGhs01234567890113GxaD", "ghs_LeakguardSampleGhs0123456789025NlrA"),
		githubFormat("github-refresh", "GitHub App refresh token", "ghr_",
			"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",
			"ghr_LeakguardSampleGhr0123456789014Bv3Ly", "ghr_LeakguardSampleGhr012345678904I4OeB"),
		npmFormat(),
		gitlabPATFormat(),
		gitlabRunnerFormat(),
		reviewBoardFormat(),
		grafanaFormat(),
	}
}

// githubFormat declares GitHub's 2021 token scheme: prefix, 30 base62
// characters, CRC32 (IEEE) of those 30 characters in base62 padded to 6.
// Source: https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
func githubFormat(id, desc, prefix, tp string, fps ...string) Format {
	return Format{
		ID:             id,
		Description:    desc,
		Prefixes:       []string{prefix},
		Alphabet:       "0-9A-Za-z",
		BodyMin:        30,
		BodyMax:        30,
		Checksum:       Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6, Covers: CoversBody},
		Source:         "https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/",
		TruePositives:  []string{tp},
		FalsePositives: append(fps, tp+"0", prefix+tp[len(prefix):len(tp)-6]),
	}
}

// npmFormat declares npm's access tokens, which since 2021 follow GitHub's
// scheme: "npm_", 30 base62 characters, CRC32 in base62 padded to 6.
// Source: https://github.blog/2021-09-23-announcing-npms-new-access-token-format/
func npmFormat() Format {
	f := githubFormat("npm-access-token", "npm access token", "npm_",
		"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",
		"npm_LeakguardSampleNpm0123456789011XOn0i", "npm_LeakguardSampleNpm012345678903tJJfl")
	f.Source = "https://github.blog/2021-09-23-announcing-npms-new-access-token-format/"
	return f
}

// gitlabRoutable declares GitLab's routable tokens:
// <prefix><payload>.<version>.<length><crc>, where payload is unpadded
// base64url of 16 random bytes, the routing payload and its length byte
// (27..300 characters; the generator emits at most 235), version and length
// are 2 base36 digits each, and crc is the CRC32 (zlib) of everything before
// it, prefix included, in lower-case base36 padded to 7. The body is the
// payload plus ".vv.ll" (6 characters).
// Sources: gitlab-org/gitlab lib/authn/token_field/generator/routable_token.rb
// (generate_token, append_crc) and lib/authn/token_field/decoders/v1/
// routable_payload.rb; the handbook's "Routable tokens" design document.
func gitlabRoutable(id, desc string, prefixes ...string) Format {
	return Format{
		ID:          id,
		Description: desc,
		Prefixes:    prefixes,
		Alphabet:    "0-9A-Za-z_.-",
		BodyMin:     27 + 6,
		BodyMax:     300 + 6,
		Checksum:    Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase36, Length: 7, Covers: CoversPrefixBody},
		Source:      "https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/authn/token_field/generator/routable_token.rb",
	}
}

// gitlabPATFormat: personal access tokens are routable (payload o: and u:)
// since the routable_pat flag was removed in 2025 (app/models/
// personal_access_token.rb, PERSONAL_TOKEN_PREFIX = 'glpat-').
func gitlabPATFormat() Format {
	f := gitlabRoutable("gitlab-pat", "GitLab personal access token (routable)", "glpat-")
	f.TruePositives = []string{
		"glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0bvdja3",
		"glpat-bGVha2d1YXJkLXNhbXBsZWM6MQpvOjEKdToxegw.01.13179jq7f",
	}
	f.FalsePositives = []string{
		"glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0bvdja4",
		"glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0BVDJA3",
		"glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0bvdja3.",
		"glpat-LeakguardSampleLegacy0", // legacy 20-character form: no checksum
	}
	return f
}

// gitlabRunnerFormat: runner authentication tokens (glrt-, and glrtr- for
// runners registered with a registration token) use the same routable
// scheme with a t: (runner type) routing key (app/models/ci/runner.rb,
// CREATED_RUNNER_TOKEN_PREFIX and REGISTRATION_RUNNER_TOKEN_PREFIX). The
// glrtr- true positive is GitLab's own test vector from
// spec/lib/authn/token_field/decoders/v1/routable_payload_spec.rb.
func gitlabRunnerFormat() Format {
	f := gitlabRoutable("gitlab-runner-token", "GitLab runner authentication token (routable)", "glrt-", "glrtr-")
	f.TruePositives = []string{
		"glrt-bGVha2d1YXJkLXNhbXBsZWM6MQpnOjgKbzoxCnQ6Mg8.01.171wuce9h",
		"glrtr-W5m1cHR6skC98Bx7XkuYjmM6MQpnOjgKbzpyegp0OjIQ.01.181uebm4k",
	}
	f.FalsePositives = []string{
		"glrt-bGVha2d1YXJkLXNhbXBsZWM6MQpnOjgKbzoxCnQ6Mg8.01.171wuce9i",
		"glrtr-W5m1cHR6skC98Bx7XkuYjmM6MQpnOjgKbzpyegp0OjIQ.01.181uebm4l", // GitLab's own bad-CRC vector
		"glrt-W5m1cHR6skC98Bx7XkuYjmM6MQpnOjgKbzpyegp0OjIQ.01.181uebm4k",  // CRC covers the prefix
	}
	return f
}

// reviewBoardFormat declares Review Board API tokens, made by Djblets'
// VendorChecksumTokenGenerator with token_type "rbp": "rbp_", base62
// entropy up to a total length of 255 (245 characters), then the CRC32 of
// the entropy alone in base62, zero-filled to 6.
// Source: djblets/secrets/token_generators/vendor_checksum.py (Djblets 3.0+);
// reviewboard/webapi/models.py passes token_info={'token_type': 'rbp'}.
func reviewBoardFormat() Format {
	body := "LeakguardSampleRbp" + strings.Repeat("0123456789", 23)[:245-18]
	tp := "rbp_" + body + "1sEkc2"
	return Format{
		ID:             "reviewboard-api-token",
		Description:    "Review Board API token (Djblets vendor-checksum format)",
		Prefixes:       []string{"rbp_"},
		Alphabet:       "0-9A-Za-z",
		BodyMin:        245,
		BodyMax:        245,
		Checksum:       Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6, Covers: CoversBody},
		Source:         "https://github.com/djblets/djblets/blob/master/djblets/secrets/token_generators/vendor_checksum.py",
		TruePositives:  []string{tp},
		FalsePositives: []string{tp[:len(tp)-1] + "3", "rbp_" + body[:244] + "1vd6Us", tp[:len(tp)-1]},
	}
}

// grafanaFormat declares Grafana service-account tokens:
// "glsa_" + 32 alphanumeric characters + "_" + 8 hex digits, the CRC32
// (IEEE) of "glsa_<secret>" written as its little-endian bytes in hex. The
// first true positive is Grafana's own test vector.
// Source: grafana/grafana pkg/components/satokengen/tokengen.go
// (PrefixedKey.CalculateChecksum) and tokengen_test.go.
func grafanaFormat() Format {
	return Format{
		ID:          "grafana-service-account-token",
		Description: "Grafana service account token",
		Prefixes:    []string{"glsa_"},
		Alphabet:    "0-9A-Za-z_",
		BodyMin:     32,
		BodyMax:     32,
		Checksum: Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncHexLE, Length: 8,
			Covers: CoversPrefixBody, Separator: "_"},
		Source: "https://github.com/grafana/grafana/blob/main/pkg/components/satokengen/tokengen.go",
		TruePositives: []string{
			"glsa_iNValIdinValiDinvalidinvalidinva_5b582697",
			"glsa_LeakguardSampleGlsa0123456789012_c9473a52",
		},
		FalsePositives: []string{
			"glsa_LeakguardSampleGlsa0123456789012_c9473a53",
			"glsa_LeakguardSampleGlsa0123456789012_523a47c9", // big-endian checksum
			"glsa_LeakguardSampleGlsa012345678901_a78fcf5d",  // 31-character secret
			"glsa_LeakguardSampleGlsa0123456789012c9473a52",  // separator missing
		},
	}
}
