package patterns

import "strings"

// Vendors returns the built-in catalog of third-party token formats whose
// checksum schemes are public, each citing its source. Their samples were
// built with straight ports of each vendor's published generator (see
// vendors_test.go and microsoft_test.go, which re-derive every one), with
// obviously fake bodies, or are the vendor's own published test tokens.
//
// Known and accepted misses: GitLab tokens under an instance-specific
// custom prefix (add them with a [[format]] in the configuration), the
// unversioned routable GitLab form of 2024-11..2025-04, and Review Board
// tokens minted by Djblets 3.0, whose checksum has its letter case swapped.
// GitLab's alphabet contains '.', '-' and '_', so under docs/token-format.md#boundaries'
// boundary rule a GitLab token directly followed by one of them (a full stop
// ending a sentence) is not a match. Atlassian tokens of another length than
// the 192 characters every known one has are not matched (the checksum
// validator allows any). A Microsoft identifiable key directly after an
// alphabet character (the 'D' of a URL-encoded "%3D") is not a match:
// prefix-less keys need a boundary on both sides.
//
// Vendor API tokens with a public checksum scheme are scarce. Checked and
// left out (2026-05): Cloudflare's cfk_/cfut_/cfat_ and Zuplo's zpka_
// (both documented as checksummed, the algorithm is not published);
// GitLab's other tokens (gldt-, glagent-, glcbt-, glft-, glptt-, glimt-,
// glffct-, glsoat-, gloas-: not routable, no checksum, per
// .rubocop_todo/gitlab/token_without_routable.yml and the models); Grafana
// satokengen keys other than glsa_ (the service id is a free-form slug);
// Sentry sntryu_/sntrys_, Sourcegraph, Doppler, Tailscale, Supabase,
// Linear, Shopify, Heroku, PyPI (no checksum, or none documented);
// Atlassian's ATCTT3 admin keys (no published checksum); and Microsoft's
// CASK keys: the current specification (microsoft/cask docs/CaskSecret.md)
// dropped its checksum in 2025 (a key is valid by its "QJJQ" signature,
// sizes and timestamp ranges), and the older "JQQJ" form accepts its
// checksum in two encodings, truncated to 3 of 4 bytes in the 84-character
// form (security-utilities LegacyCommonAnnotatedSecurityKey.cs), which a
// declaration cannot state exactly.
//
// GitHub's fine-grained personal access tokens (github_pat_) have no
// public checksum; they are in the catalog validated by structure (see
// githubFineGrainedFormat).
//
// So the default catalog has 28 prefixes and 12 signatures: leakguard's own
// 3 prefixes; vendor API tokens 13 (GitHub 6, npm, GitLab 3, Review Board,
// Grafana, Atlassian); age identities, a public Bech32 encoding;
// OptionalFormats' 11 real checksummed secret-key prefixes (Nostr nsec1 and
// ten BIP-32/SLIP-0132 extended private key prefixes), which Vendors
// includes; and 12 Microsoft identifiable keys, anchored on their signature
// (microsoft.go).
func Vendors() []Format {
	return append([]Format{
		githubFormat("github-pat", "GitHub personal access token (classic)", "ghp_",
			"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",
			"ghp_LeakguardSampleGhp0123456789012QgbKJ", "ghp_LeakguardSampleGhp0123456789007INaG"),
		githubFineGrainedFormat(),
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
		atlassianFormat(),
		ageSecretKeyFormat(),
	}, append(OptionalFormats(), microsoftFormats()...)...)
}

// OptionalFormats returns real, checksummed secret-key encodings: Nostr
// nsec keys and BIP-32/SLIP-0132 extended private keys. Vendors includes
// them. They were once kept out of Default because their prefixes (nsec1,
// xprv, tprv, ...) have no byte that is rare in source text, which cost the
// scanner's byte-anchor prefilter ~3x throughput; the scanner now anchors
// every prefix on a byte pair ("c1", and "rv" shared by all ten BIP-32
// prefixes) found in one vectorised pass, and holds >5 GB/s per core with
// them (benchmarks/README.md). The name stays for callers that list them.
func OptionalFormats() []Format {
	return []Format{nostrSecretKeyFormat(), bip32PrivateKeyFormat()}
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

// githubFineGrainedFormat declares GitHub's fine-grained personal access
// tokens: "github_pat_", 22 base62 characters, "_", 59 base62 characters
// (82 after the prefix). GitHub publishes no checksum for them, so they are
// validated by structure: both lengths exact, the "_" between the two parts
// and nowhere else, and (the boundary rule, '_' being in the alphabet) no
// alphanumeric or '_' right after. The prefix is GitHub's documented one;
// the shape is the one GitHub issues, as secret scanners match it
// (github_pat_[0-9a-zA-Z]{22}_[0-9a-zA-Z]{59}).
// Source: https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens
func githubFineGrainedFormat() Format {
	const (
		pre   = "github_pat_"
		head  = "LeakguardSampleGhpat01"                                      // 22
		tail  = "LeakguardSampleGithubFineGrainedPat012345678901234567890123" // 59
		head2 = "11LeakguardSample00000"
		tail2 = "LeakguardSampleFineGrained987654321098765432109876543210987"
		tp    = pre + head + "_" + tail
	)
	return Format{
		ID:            "github-fine-grained-pat",
		Description:   "GitHub fine-grained personal access token",
		Prefixes:      []string{pre},
		Alphabet:      "0-9A-Za-z_",
		BodyMin:       82,
		BodyMax:       82,
		Checksum:      Checksum{Algorithm: AlgoNone},
		Structure:     Structure{Segments: []int{22, 59}, Separator: "_"},
		Source:        "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
		TruePositives: []string{tp, pre + head2 + "_" + tail2},
		FalsePositives: []string{
			tp + "0",                                            // an alphanumeric glued on: second part of 60
			tp + "_",                                            // '_' is in the alphabet, so it is glued on too
			pre + head + "_" + tail[:58],                        // second part of 58
			pre + head[:21] + "_" + tail + "0",                  // '_' at position 21 (length right)
			pre + head + "0_" + tail[1:],                        // '_' at position 23 (length right)
			pre + head + "0" + tail,                             // no '_' (82 alphanumerics)
			pre + head + "_" + tail[:30] + "_" + tail[31:],      // a second '_'
			pre + head + "_" + tail[:30] + "-" + tail[31:],      // '-' is not in the alphabet
			pre + head + "_" + tail[:30] + "\u00e9" + tail[32:], // non-ASCII
			"github_pa_" + head + "_" + tail,                    // not the prefix
		},
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

// atlassianFormat declares Atlassian API tokens (Jira, Confluence,
// Bitbucket Cloud): "ATATT3", 177 characters of base64url (A-Za-z0-9_-),
// "=", then 8 hex digits: the CRC32 (IEEE) of everything before them,
// prefix and "=" included, written in upper case. The scheme is the one
// DataDog's sensitive-data scanner validates, whose two test tokens are
// 192 characters with "=" 9 from the end; its validator reads the hex in
// either case and allows '=' (and any length) before the checksum, so
// leakguard allows '=' in the body and either letter case, but only the
// 192-character length every issued token and published pattern has.
// Source: DataDog/dd-sensitive-data-scanner
// sds/src/secondary_validation/atlassian_token_checksum.rs
// (AtlassianTokenChecksum.is_valid_match).
func atlassianFormat() Format {
	const pre = "ATATT3"
	f := Format{
		ID:          "atlassian-api-token",
		Description: "Atlassian API token (Jira, Confluence, Bitbucket Cloud)",
		Prefixes:    []string{pre},
		Alphabet:    "0-9A-Za-z_=-",
		BodyMin:     177,
		BodyMax:     177,
		Checksum: Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncHexAnyCase, Length: 8,
			Covers: CoversAll, Separator: "="},
		Source: "https://github.com/DataDog/dd-sensitive-data-scanner/blob/main/sds/src/secondary_validation/atlassian_token_checksum.rs",
	}
	body := sampleBody("Atlassian", 177)
	tp := f.WithChecksum(pre, body)
	bodyOnly := f
	bodyOnly.Checksum.Covers = CoversPrefixBody // the "=" not covered
	f.TruePositives = []string{
		tp,
		tp[:len(tp)-8] + strings.ToLower(tp[len(tp)-8:]), // the checksum in lower case
		f.WithChecksum(pre, body[:100]+"-_="+body[103:]),
	}
	f.FalsePositives = []string{
		bumpLast(&f, tp),                 // the last checksum digit changed
		pre + "M" + tp[len(pre)+1:],      // a body character changed
		tp + "A",                         // one more alphabet character
		tp + "=",                         // '=' is in the alphabet too
		f.WithChecksum(pre, body[1:]),    // one character short, its checksum valid
		bodyOnly.WithChecksum(pre, body), // the checksum without the "="
		strings.TrimSuffix(tp, tp[len(tp)-9:]) + "-" + tp[len(tp)-8:], // '-' for '='
		"ATATT2" + tp[len(pre):], // another prefix
	}
	return f
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

// ageSecretKeyFormat declares age X25519 identities: Bech32 with the HRP
// "AGE-SECRET-KEY-", 32 key bytes (52 characters), upper case.
// Source: FiloSottile/age x25519.go (X25519Identity.String,
// bech32.Encode("AGE-SECRET-KEY-", ...) then strings.ToUpper) and
// internal/bech32/bech32.go (BIP-173). The sample body reads
// LEAKGUARDSAMPLEAGESECRETKEY in Bech32's own alphabet.
func ageSecretKeyFormat() Format {
	const tp = "AGE-SECRET-KEY-1LEAKGUARDSAMPLEAGESECRETKEYQQQQQQQQQQQQQQQQQQQQQQQQQGJXR92"
	return Format{
		ID:            "age-secret-key",
		Description:   "age encryption identity (X25519 private key)",
		Prefixes:      []string{"AGE-SECRET-KEY-1"},
		Alphabet:      bech32CharsetUpper,
		BodyMin:       52,
		BodyMax:       52,
		Checksum:      Checksum{Algorithm: AlgoBech32, Encoding: EncBech32Upper, Length: 6, Covers: CoversPrefixBody},
		Source:        "https://github.com/FiloSottile/age/blob/main/x25519.go",
		TruePositives: []string{tp},
		FalsePositives: []string{
			tp[:len(tp)-1] + "3", // wrong checksum
			strings.ToLower(tp),  // lower case: age writes identities in upper case
			"AGE-SECRET-KEY-1LEAKGUARDSAMPLEAGESECRETKEYQQQQQQQQQQQQQQQQQQQQQQQQGJXR92", // 51 characters
			strings.Replace(tp, "SAMPLE", "SAMPLB", 1),                                  // 'B' is not a Bech32 character
		},
	}
}

// nostrSecretKeyFormat declares Nostr private keys as NIP-19 shows them:
// Bech32 (not Bech32m) with the HRP "nsec", 32 key bytes, lower case. The
// second true positive is NIP-19's own example.
// Source: nostr-protocol/nips 19.md ("Bare keys and ids").
func nostrSecretKeyFormat() Format {
	const tp = "nsec1leakguardsamplensecqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqf8s4w3"
	return Format{
		ID:          "nostr-secret-key",
		Description: "Nostr private key (NIP-19 nsec)",
		Prefixes:    []string{"nsec1"},
		Alphabet:    bech32Charset,
		BodyMin:     52,
		BodyMax:     52,
		Checksum:    Checksum{Algorithm: AlgoBech32, Encoding: EncBech32, Length: 6, Covers: CoversPrefixBody},
		Source:      "https://github.com/nostr-protocol/nips/blob/master/19.md",
		TruePositives: []string{tp,
			"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"},
		FalsePositives: []string{
			tp[:len(tp)-1] + "4", // wrong checksum
			"nsec1leakguardsamplensecqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqf8s4w3",  // 51 characters
			strings.Replace(tp, "sample", "sampie", 1),                        // 'i' is not Bech32
			"nsec1leakguardsamplensecqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqp53yqnr", // valid checksum, non-zero padding
		},
	}
}

// bip32PrivateKeyFormat declares BIP-32 extended private keys: 78 bytes
// (version, depth, parent fingerprint, child number, chain code, 0x00, key)
// in Base58Check, 111 characters whose first four spell the version. The
// prefixes are the Bitcoin private-key versions of BIP-32 (xprv, tprv) and
// of the SLIP-0132 registry (yprv zprv Yprv Zprv uprv vprv Uprv Vprv).
// The samples' chain code and key are the ASCII text "leakguard sample
// ...". Sources: bitcoin/bips bip-0032.mediawiki ("Serialization format");
// satoshilabs/slips slip-0132.md; Bitcoin Core src/base58.cpp
// (EncodeBase58Check).
func bip32PrivateKeyFormat() Format {
	const tp = "xprv9s21ZrQH143K38x5Z81Dcc352QXqx4QdD9Kzb2iAorZDSTCbZAjdnGib7LmKrxznD759FPSSDRxtQMe8Z82TRxvvSsusCNPJmTUmzE2NCsR"
	return Format{
		ID:          "bip32-extended-private-key",
		Description: "BIP-32 extended private key (HD wallet master or account key)",
		Prefixes:    []string{"xprv", "yprv", "zprv", "Yprv", "Zprv", "tprv", "uprv", "vprv", "Uprv", "Vprv"},
		Alphabet:    base58Alphabet,
		BodyMin:     107,
		BodyMax:     107,
		Checksum:    Checksum{Algorithm: AlgoBase58Check, Encoding: EncBase58, Covers: CoversPrefixBody},
		Source:      "https://github.com/satoshilabs/slips/blob/master/slip-0132.md",
		TruePositives: []string{tp,
			"zprvAWgYBBk7JR8GjjLKDqaU2nE5NLpjqJPd3NNS9pVwZsJyYeq44V4m2Q2s9kgVrnJd2PJkkLdZ8kfzAvsFzWrV2SJ8BZJiNC2HJuc4mMLWEqG",
			"tprv8ZgxMBicQKsPdxBcDgrinFf4LXx4BaSdYhF7TT8dHq3hE3wgYY5PJ2632WvysLP6aYbvFV4CNnYgsDBsgLNQF2CWyX8Arj7MgZECRx9dQZJ",
			"Vprv16YtLrHXxePM68mu3SmMzEUVPGbmXJeAV7G3TNZFZgNSzkDRjQHSzZxrYmtVuTLvCpuP1YMKoaQ3Xd5u9Jr5ubVh1i6RQnH9SsnNUeUrsRy",
		},
		FalsePositives: []string{
			tp[:len(tp)-1] + "S",               // wrong checksum
			tp[:len(tp)-1],                     // 110 characters
			strings.Replace(tp, "Zr", "Z0", 1), // '0' is not Base58
			"xpub" + tp[4:],                    // public keys are not secrets
		},
	}
}
