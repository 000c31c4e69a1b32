package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// SARIF constants.
const (
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	SARIFVersion = "2.1.0"
	// ToolURI is the tool's informationUri.
	ToolURI = "https://github.com/leakguard/leakguard"
	// FingerprintKey names the partialFingerprints entry: a hash of rule
	// and token hash, so an alert survives the line moving.
	FingerprintKey = "leakguardToken/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	TokenHash string `json:"token_hash"`
	Redacted  string `json:"redacted"`
	Source    string `json:"source"`
	Commit    string `json:"commit,omitempty"`
	Author    string `json:"author,omitempty"`
	Status    string `json:"status,omitempty"`
	Action    string `json:"action,omitempty"`
	// Validation is Finding.Validation: checksum, structure or prefix.
	Validation string `json:"validation,omitempty"`
	// Encoding is Finding.Encoding: how the token was encoded there.
	Encoding string `json:"encoding,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

// WriteSARIF writes a SARIF 2.1.0 log with one run, as GitHub code scanning
// accepts it. Results carry the redacted token and its hash, never the
// plaintext; findings without a path (stdin) have no location.
func WriteSARIF(w io.Writer, findings []scanner.Finding, o Options) error {
	rules, index := sarifRules(findings, o.Catalog)
	results := make([]sarifResult, 0, len(findings))
	for _, f := range findings {
		results = append(results, sarifResultOf(f, index[f.Rule], o.Root))
	}
	log := sarifLog{
		Schema:  SARIFSchema,
		Version: SARIFVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "leakguard", InformationURI: ToolURI, Version: o.Version, Rules: rules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	return nil
}

// sarifRules returns the rules (the catalog's formats, then any rule of a
// finding outside it) and each rule id's index.
func sarifRules(findings []scanner.Finding, cat *patterns.Catalog) ([]sarifRule, map[string]int) {
	var rules []sarifRule
	index := map[string]int{}
	add := func(id, desc string, prefixes []string, issued bool, validation string) {
		if _, ok := index[id]; ok {
			return
		}
		index[id] = len(rules)
		rules = append(rules, sarifRuleOf(id, desc, prefixes, issued, validation))
	}
	if cat != nil {
		for _, f := range cat.Formats() {
			add(f.ID, f.Description, f.Prefixes, f.Issued, f.Validation())
		}
	}
	for _, f := range findings {
		add(f.Rule, f.Description, nil, f.Issued, f.Validation)
	}
	return rules, index
}

func sarifRuleOf(id, desc string, prefixes []string, issued bool, validation string) sarifRule {
	if desc == "" {
		desc = id + " token"
	}
	full := "A " + validAdjective(validation) + " " + desc + " was found"
	if len(prefixes) > 0 {
		full += " (prefix " + strings.Join(prefixes, ", ") + ")"
	}
	full += ". Whoever can read this location can use the token."
	fix := "Revoke or rotate the token at its issuer, then remove it from the code and its history. " +
		"If it is a deliberate test value, add its token hash to .leakguardignore."
	if issued {
		fix = "This is a token of your own installation: `leakguard scan --revoke` revokes it. " + fix
	}
	severity := "8.0"
	if issued {
		severity = "9.0"
	}
	return sarifRule{
		ID:                   id,
		Name:                 ruleName(id),
		ShortDescription:     sarifText{Text: "Leaked " + desc},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifHelp{Text: fix, Markdown: "**" + desc + "**\n\n" + fix},
		DefaultConfiguration: sarifConfig{Level: "error"},
		Properties: sarifRuleProps{
			Tags:             []string{"security", "secret", "external/cwe/cwe-798"},
			Precision:        "very-high",
			SecuritySeverity: severity,
		},
	}
}

// validAdjective says in a rule's description how its tokens were
// validated; "checksum-valid" also stands for an unknown validation (rules
// of findings outside the catalog), as before validation was reported.
func validAdjective(validation string) string {
	switch validation {
	case patterns.ValidationStructure:
		return "structure-valid"
	case patterns.ValidationPrefix:
		return "prefix-matched"
	}
	return "checksum-valid"
}

// ruleName turns "github-pat" into "GithubPat".
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func sarifResultOf(f scanner.Finding, ruleIndex int, root string) sarifResult {
	msg := f.Description
	if msg == "" {
		msg = f.Rule
	}
	msg += " " + f.Redacted + " (sha256 " + leakguard.ShortHash(f.TokenHash) + ")"
	if f.Encoding != "" {
		msg += " encoded as " + f.Encoding
	}
	if f.Commit != "" {
		msg += " added in commit " + f.Commit
	}
	r := sarifResult{
		RuleID:              f.Rule,
		RuleIndex:           ruleIndex,
		Level:               "error",
		Message:             sarifText{Text: msg},
		PartialFingerprints: map[string]string{FingerprintKey: Fingerprint(f.Rule, f.TokenHash)},
		Properties: sarifResultProps{
			TokenHash: f.TokenHash, Redacted: f.Redacted, Source: string(f.Source),
			Commit: f.Commit, Author: f.Author, Status: string(f.Status), Action: string(f.Action),
			Validation: f.Validation, Encoding: f.Encoding,
		},
	}
	if f.Path != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: ArtifactURI(f.Path, root)}}}
		if f.Line > 0 {
			// SARIF counts columns in UTF-16 code units (the default
			// columnKind); the byte column stands in when the scanner could
			// not know (a line longer than it keeps). Tokens are ASCII, so
			// the end is start + length in either unit.
			col := f.Column
			if f.Column16 > 0 {
				col = f.Column16
			}
			reg := &sarifRegion{StartLine: f.Line, StartColumn: col}
			if col > 0 && f.Secret.Len() > 0 && f.Encoding == "" { // an encoded token is longer
				reg.EndColumn = col + f.Secret.Len()
			}
			loc.PhysicalLocation.Region = reg
		}
		r.Locations = []sarifLocation{loc}
	}
	return r
}

// Fingerprint is the stable identity of a finding for SARIF consumers: the
// SHA-256 of rule and token hash, so it does not change when lines move.
func Fingerprint(rule, tokenHash string) string {
	sum := sha256.Sum256([]byte(rule + "\x00" + tokenHash))
	return hex.EncodeToString(sum[:16])
}

// ArtifactURI makes a finding's path a SARIF artifact URI: forward slashes,
// no leading "./", relative to root when the path is absolute and inside
// it (else a file:// URI), each segment percent-encoded.
func ArtifactURI(path, root string) string {
	if filepath.IsAbs(path) {
		rel, err := filepath.Rel(root, path)
		if root == "" || err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
			return u.String()
		}
		path = rel
	}
	p := filepath.ToSlash(filepath.Clean(path))
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
