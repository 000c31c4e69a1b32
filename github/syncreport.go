package github

import (
	"fmt"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// Finding reports the outcome's alert as a finding (source github-alert,
// path security/secret-scanning/N); the secret is only hashed and
// redacted, with the catalog's rule and prefix when it is a token of cat.
func (out Outcome) Finding(cat *patterns.Catalog) scanner.Finding {
	a := out.Alert
	f := scanner.Finding{
		Rule: a.SecretType, Source: leakguard.SourceGitHubAlert, Repository: a.Repository, URL: a.URL,
		Status: leakguard.StateUnknown, Action: leakguard.ActionNone,
	}
	if !a.Secret.IsZero() {
		f.TokenHash = a.Secret.Hash()
		f.Redacted = a.Secret.Redact("")
		if fm, ok := cat.Identify(a.Secret.Reveal()); ok {
			f.Rule, f.Validation = fm.ID, fm.Validation()
			for _, p := range fm.Prefixes {
				if strings.HasPrefix(a.Secret.Reveal(), p) {
					f.Redacted = a.Secret.Redact(p)
				}
			}
		}
	}
	if out.Token.State != "" {
		f.Status = out.Token.State
	}
	if out.Token.Action != "" {
		f.Action = out.Token.Action
	}
	if r := out.Token.Report; r != nil {
		f.Issuer, f.IssuerState = r.Issuer, string(r.State)
	}
	f.Path = fmt.Sprintf("security/secret-scanning/%d", a.Number)
	return f
}

// Summary is the one-line summary of a sync: "github alerts: 3 alerts, 2
// of our tokens, 1 revoked now, 1 resolved, 0 failed".
func (s SyncStats) Summary() string {
	alerts := "alerts"
	if s.Alerts == 1 {
		alerts = "alert"
	}
	reported := ""
	if s.Reported > 0 {
		reported = fmt.Sprintf(", %d reported to their issuers", s.Reported)
	}
	return fmt.Sprintf("github alerts: %d %s, %d of our tokens, %d revoked now%s, %d resolved, %d failed",
		s.Alerts, alerts, s.Ours, s.Revoked, reported, s.Resolved, s.Failed)
}
