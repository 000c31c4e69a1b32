package github

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/leakguard/leakguard/patterns"
	"github.com/rs/zerolog"
)

// DefaultAPIURL is GitHub's REST API root.
const DefaultAPIURL = "https://api.github.com/"

// DefaultMaxResponseBytes caps one API response body (one page): a page of
// 100 repositories or alerts is well under 1 MiB.
const DefaultMaxResponseBytes = 16 << 20

// Options configures a Client.
type Options struct {
	// APIURL is the REST API root: DefaultAPIURL when empty; GitHub
	// Enterprise Server: https://HOST/api/v3/.
	APIURL string
	// Token authenticates (a personal access token or an App installation
	// token); zero means anonymous.
	Token patterns.Secret
	// HTTPClient supplies the base transport and timeout (nil: a client
	// with a 60 s timeout over http.DefaultTransport). It is not modified.
	HTTPClient *http.Client
	Now        func() time.Time // nil: time.Now
	Sleep      Sleeper          // nil: SleepContext
	Logger     zerolog.Logger
	OnWait     func(Wait) // optional: observe rate-limit waits
	UserAgent  string     // "" : "leakguard"
	// MaxResponseBytes caps every response body read from the API, error
	// responses included (0: DefaultMaxResponseBytes). A call whose
	// response is longer fails with ErrResponseTooLarge.
	MaxResponseBytes int64
}

// Client is the GitHub REST client of leakguard.
type Client struct {
	gh   *gh.Client
	base *url.URL
	log  zerolog.Logger
}

// New builds a Client: go-github over BodyLimitTransport over
// AuthTransport over RateLimitTransport over the base transport.
func New(o Options) (*Client, error) {
	base, err := parseAPIURL(o.APIURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 60 * time.Second}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	rl := &RateLimitTransport{Next: hc.Transport, Now: o.Now, Sleep: o.Sleep, Log: o.Logger, OnWait: o.OnWait}
	limit := o.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	hc.Transport = &BodyLimitTransport{Next: &AuthTransport{Next: rl, Token: o.Token, Host: base.Host}, Max: limit}
	gh := gh.NewClient(hc)
	gh.BaseURL = base
	gh.UserAgent = o.UserAgent
	if gh.UserAgent == "" {
		gh.UserAgent = "leakguard"
	}
	return &Client{gh: gh, base: base, log: o.Logger}, nil
}

// parseAPIURL checks an API root and gives it a trailing slash.
func parseAPIURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultAPIURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("github: bad API URL %q: want https://host/[path/]", s)
	}
	if u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("github: bad API URL: credentials and queries are not allowed in it (use GITHUB_TOKEN)")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// APIURL returns the API root in use.
func (c *Client) APIURL() string { return c.base.String() }

// GitHub returns the underlying go-github client.
func (c *Client) GitHub() *gh.Client { return c.gh }

// GitHosts returns the hosts the token may be sent to when cloning: the API
// host and, for api.HOST, HOST (github.com's clone URLs).
func (c *Client) GitHosts() []string {
	h := c.base.Host
	hosts := []string{h}
	if rest, ok := strings.CutPrefix(h, "api."); ok {
		hosts = append(hosts, rest)
	}
	return hosts
}
