package scanner

import (
	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
)

// Match is one valid token (checksum- or structure-valid, as its format
// declares) in a stream.
type Match struct {
	Format *patterns.Format // the format it is a token of
	Prefix string           // which of the format's prefixes
	Secret patterns.Secret  // the token; redacts itself
	Hash   string           // SHA-256 hex of the full token
	Offset int64            // byte offset of the prefix in the stream
	Line   int              // 1-based line of the prefix
	Column int              // 1-based byte column of the prefix in its line
	// Column16 is the same column in UTF-16 code units (SARIF's default
	// columnKind), or 0 when unknown (a line longer than Scan keeps).
	Column16 int
	// Allowed is true when the match's line carries an inline-allow marker
	// (MarkerLeakguard or MarkerGitleaks) within AllowWindow bytes of the
	// token; consumers normally drop such matches.
	Allowed bool
	// Encoding says how the token was written when not as itself
	// (docs/findings.md#encodings): "base64", "hex", "percent",
	// "backslash" or "html", or two of these outermost first
	// ("base64/percent"). Offset, Line and Column then point at the
	// encoded form of the token's first byte.
	Encoding string
	// Entry is set by ScanBlob for a token inside an archive: the "!" path
	// below the scanned blob ("!lib/app.jar!config.yml").
	Entry string
}

// Redacted is the report form of the token: prefix, "…", last 4; for a
// prefix-less format, "…", its signature, "…", last 4
// (patterns.Format.Redact).
func (m Match) Redacted() string { return m.Format.Redact(m.Secret, m.Prefix) }

// Finding is what every scanning path reports (docs/findings.md#finding). Its JSON form
// is the contract's JSON Lines object; it never contains the plaintext.
type Finding struct {
	Rule      string `json:"rule"`
	TokenHash string `json:"token_hash"`
	Redacted  string `json:"redacted"`
	Path      string `json:"path,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	// Column16 is Column in UTF-16 code units, for SARIF; 0 if unknown.
	Column16 int              `json:"-"`
	Commit   string           `json:"commit,omitempty"`
	Author   string           `json:"author,omitempty"`
	Source   leakguard.Source `json:"source"`
	Status   leakguard.State  `json:"status,omitempty"`
	Action   leakguard.Action `json:"action,omitempty"`
	// Issuer and IssuerState say, for another issuer's token that a run
	// reported (or found reported) to that issuer's revocation service
	// (scan --revoke-others), which issuer and where the report stands:
	// pending, accepted, already_invalid or rejected (docs/issuers.md).
	Issuer      string `json:"issuer,omitempty"`
	IssuerState string `json:"issuer_state,omitempty"`
	// Repository is "owner/name" for findings of GitHub sources.
	Repository string `json:"repository,omitempty"`
	// URL links to the finding on GitHub (a blob link at its commit and
	// line, or a secret-scanning alert).
	URL string `json:"url,omitempty"`
	// Validation says how the token was validated: "checksum",
	// "structure" or "prefix" (patterns.Format.Validation). Absent when
	// leakguard did not validate it (a GitHub alert outside the catalog).
	Validation string `json:"validation,omitempty"`
	// Encoding copies Match.Encoding: how the token was encoded in the
	// scanned bytes ("base64", "base64/percent", …); absent for a token
	// written as itself.
	Encoding string `json:"encoding,omitempty"`

	// Secret is the token itself, for in-process consumers that must
	// re-verify it; never serialised.
	Secret patterns.Secret `json:"-"`
	// Issued is true for formats this installation issues (looked up and
	// revocable); TokenType is their store type.
	Issued    bool   `json:"-"`
	TokenType string `json:"-"`
	// Description is the format's description, for reports.
	Description string `json:"-"`
	// Allowed copies Match.Allowed: the line carries an inline-allow marker.
	Allowed bool `json:"-"`
}

// NewFinding builds a Finding from a match at a location.
func NewFinding(m Match, source leakguard.Source, path string) Finding {
	return Finding{
		Rule:        m.Format.ID,
		TokenHash:   m.Hash,
		Redacted:    m.Redacted(),
		Path:        path,
		Line:        m.Line,
		Column:      m.Column,
		Column16:    m.Column16,
		Source:      source,
		Secret:      m.Secret,
		Issued:      m.Format.Issued,
		TokenType:   m.Format.TokenType,
		Description: m.Format.Description,
		Allowed:     m.Allowed,
		Validation:  m.Format.Validation(),
		Encoding:    m.Encoding,
	}
}
