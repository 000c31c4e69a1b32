package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
	"github.com/leakguard/leakguard/patterns"
)

// Alert states and the resolution leakguard sets.
const (
	AlertOpen         = "open"
	AlertResolved     = "resolved"
	ResolutionRevoked = "revoked"
)

// Alert is one secret-scanning alert. Its secret is a patterns.Secret from
// the moment the API page is decoded.
type Alert struct {
	Number      int
	Repository  string // owner/name
	URL         string // html_url: the alert on github.com
	APIURL      string // url: the alert in the API
	State       string // open or resolved
	Resolution  string
	SecretType  string
	DisplayName string
	Secret      patterns.Secret
}

// Alerts lists an organisation's secret-scanning alerts in state ("" =
// every state), following pagination, and calls each for every alert. The
// plaintext secret of each alert is wrapped before each sees it and the
// go-github copy is cleared.
func (c *Client) Alerts(ctx context.Context, org, state string, each func(Alert) error) error {
	opts := &gh.SecretScanningAlertListOptions{State: state, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gh.SecretScanning.ListAlertsForOrg(ctx, org, opts)
		alerts := takeAlerts(page)
		if err != nil {
			return fmt.Errorf("github: list secret-scanning alerts of %s: %w", org, err)
		}
		for _, a := range alerts {
			if err := each(a); err != nil {
				return err
			}
		}
		switch {
		case resp.NextPage != 0:
			opts.ListOptions.Page = resp.NextPage
		case resp.After != "":
			opts.After = resp.After
		default:
			return nil
		}
	}
}

// takeAlerts converts a decoded page, wrapping every secret and clearing
// go-github's plaintext field.
func takeAlerts(page []*gh.SecretScanningAlert) []Alert {
	out := make([]Alert, 0, len(page))
	for _, a := range page {
		if a == nil {
			continue
		}
		secret := patterns.NewSecret(a.GetSecret())
		a.Secret = nil
		out = append(out, Alert{
			Number: a.GetNumber(), Repository: a.GetRepository().GetFullName(),
			URL: a.GetHTMLURL(), APIURL: a.GetURL(), State: a.GetState(), Resolution: a.GetResolution(),
			SecretType: a.GetSecretType(), DisplayName: a.GetSecretTypeDisplayName(), Secret: secret,
		})
	}
	return out
}

// alertUpdate is the PATCH body. go-github v60's
// SecretScanningAlertUpdateOptions has no resolution_comment, so the
// request is built here through the same client.
type alertUpdate struct {
	State             string `json:"state"`
	Resolution        string `json:"resolution,omitempty"`
	ResolutionComment string `json:"resolution_comment,omitempty"`
}

// maxComment bounds a resolution comment.
const maxComment = 1000

// Resolve marks an alert resolved with resolution "revoked" and a comment
// (which must not contain the secret; it is redacted should it appear).
func (c *Client) Resolve(ctx context.Context, a Alert, comment string) error {
	owner, name, err := SplitRepo(a.Repository)
	if err != nil {
		return err
	}
	if !a.Secret.IsZero() {
		comment = strings.ReplaceAll(comment, a.Secret.Reveal(), patterns.Redacted)
	}
	if len(comment) > maxComment {
		comment = strings.ToValidUTF8(comment[:maxComment], "")
	}
	u := fmt.Sprintf("repos/%s/%s/secret-scanning/alerts/%d", owner, name, a.Number)
	req, err := c.gh.NewRequest("PATCH", u, alertUpdate{State: AlertResolved, Resolution: ResolutionRevoked, ResolutionComment: comment})
	if err != nil {
		return fmt.Errorf("github: resolve alert %s#%d: %w", a.Repository, a.Number, err)
	}
	if _, err := c.gh.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("github: resolve alert %s#%d: %w", a.Repository, a.Number, err)
	}
	return nil
}
