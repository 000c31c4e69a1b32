package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Visibility values for Selector.Visibility.
const (
	VisibilityAll      = "all"
	VisibilityPublic   = "public"
	VisibilityPrivate  = "private"
	VisibilityInternal = "internal"
)

// Selector says which repositories to enumerate: an organisation's (or a
// user's) or one named repository.
type Selector struct {
	Org        string // owner whose repositories are listed
	Repo       string // "owner/name": just this one (filters do not apply)
	Forks      bool   // include forks
	Archived   bool   // include archived repositories
	Visibility string // all (default), public, private or internal
}

// Validate checks a Selector.
func (s Selector) Validate() error {
	if (s.Org == "") == (s.Repo == "") {
		return errors.New("github: exactly one of an organisation or a repository (owner/name) is needed")
	}
	if s.Repo != "" {
		if _, _, err := SplitRepo(s.Repo); err != nil {
			return err
		}
	}
	switch s.Visibility {
	case "", VisibilityAll, VisibilityPublic, VisibilityPrivate, VisibilityInternal:
		return nil
	}
	return fmt.Errorf("github: bad visibility %q: want all, public, private or internal", s.Visibility)
}

// SplitRepo splits "owner/name".
func SplitRepo(full string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(full, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("github: bad repository %q: want owner/name", full)
	}
	return owner, name, nil
}

// Repo is one repository to scan.
type Repo struct {
	FullName      string    `json:"full_name"`
	CloneURL      string    `json:"clone_url"`
	HTMLURL       string    `json:"html_url"`
	DefaultBranch string    `json:"default_branch,omitempty"`
	Fork          bool      `json:"fork,omitempty"`
	Archived      bool      `json:"archived,omitempty"`
	Visibility    string    `json:"visibility,omitempty"`
	Size          int       `json:"size,omitempty"` // KiB, as GitHub reports
	PushedAt      time.Time `json:"pushed_at,omitzero"`
}

// Skipped is a repository left out, with the reason.
type Skipped struct {
	Repo   string
	Reason string
}

// Repositories enumerates the selected repositories, following pagination.
// Forks and archived repositories left out by the selector are returned as
// skipped with the reason.
func (c *Client) Repositories(ctx context.Context, sel Selector) ([]Repo, []Skipped, error) {
	if err := sel.Validate(); err != nil {
		return nil, nil, err
	}
	if sel.Repo != "" {
		owner, name, _ := SplitRepo(sel.Repo)
		r, _, err := c.gh.Repositories.Get(ctx, owner, name)
		if err != nil {
			return nil, nil, fmt.Errorf("github: get repository %s: %w", sel.Repo, err)
		}
		return []Repo{toRepo(r)}, nil, nil
	}
	all, err := c.listOwner(ctx, sel)
	if err != nil {
		return nil, nil, err
	}
	var keep []Repo
	var skipped []Skipped
	for _, r := range all {
		if reason := sel.excludes(r); reason != "" {
			skipped = append(skipped, Skipped{Repo: r.FullName, Reason: reason})
			continue
		}
		keep = append(keep, r)
	}
	return keep, skipped, nil
}

// excludes returns why the selector leaves r out, or "".
func (s Selector) excludes(r Repo) string {
	switch {
	case r.Fork && !s.Forks:
		return "fork (include with --forks)"
	case r.Archived && !s.Archived:
		return "archived (include with --archived)"
	case s.Visibility != "" && s.Visibility != VisibilityAll && r.Visibility != "" && r.Visibility != s.Visibility:
		return "visibility " + r.Visibility
	}
	return ""
}

// listOwner lists an organisation's repositories, or a user's when the
// owner is not an organisation.
func (c *Client) listOwner(ctx context.Context, sel Selector) ([]Repo, error) {
	typ := "all"
	if sel.Visibility == VisibilityPublic || sel.Visibility == VisibilityPrivate {
		typ = sel.Visibility
	}
	opts := &gh.RepositoryListByOrgOptions{Type: typ, Sort: "full_name", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []Repo
	for {
		page, resp, err := c.gh.Repositories.ListByOrg(ctx, sel.Org, opts)
		if err != nil {
			if len(out) == 0 && resp != nil && resp.StatusCode == http.StatusNotFound {
				return c.listUser(ctx, sel.Org, typ)
			}
			return nil, fmt.Errorf("github: list repositories of %s: %w", sel.Org, err)
		}
		for _, r := range page {
			out = append(out, toRepo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// listUser lists a user's repositories (GET /users/{user}/repos).
func (c *Client) listUser(ctx context.Context, user, typ string) ([]Repo, error) {
	if typ == VisibilityPrivate {
		typ = "owner" // the users endpoint lists public repositories only
	}
	opts := &gh.RepositoryListByUserOptions{Type: typ, Sort: "full_name", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []Repo
	for {
		page, resp, err := c.gh.Repositories.ListByUser(ctx, user, opts)
		if err != nil {
			return nil, fmt.Errorf("github: list repositories of %s: %w", user, err)
		}
		for _, r := range page {
			out = append(out, toRepo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func toRepo(r *gh.Repository) Repo {
	out := Repo{
		FullName: r.GetFullName(), CloneURL: r.GetCloneURL(), HTMLURL: r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(), Fork: r.GetFork(), Archived: r.GetArchived(),
		Visibility: r.GetVisibility(), Size: r.GetSize(), PushedAt: r.GetPushedAt().Time,
	}
	if out.Visibility == "" {
		out.Visibility = VisibilityPublic
		if r.GetPrivate() {
			out.Visibility = VisibilityPrivate
		}
	}
	return out
}
