// Package endpoint holds the rules every outbound adapter of leakguard
// shares for a URL it sends something worth protecting to (a bearer token,
// a signed event, a leaked token on its way to its issuer): which URLs are
// acceptable (Check, Loopback), an HTTP client that never follows a
// redirect (NoRedirects), and the parsing of the headers that say when to
// try again (RetryAfter, Epoch).
//
// Invariants: it knows nothing of the project; an error of Check never
// quotes the URL's user information.
package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout is the timeout of the client NoRedirects makes when given
// none.
const DefaultTimeout = 30 * time.Second

// Check parses a URL leakguard sends credentials, events or tokens to: an
// absolute http(s) URL with a host and no user information; plain http
// only to a loopback host unless insecure is set (a secret must not cross a
// network in clear). Errors name what is wrong and never quote user
// information.
func Check(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") || u.Opaque != "" {
		return nil, errors.New("want an absolute http(s) URL such as https://leakguard.example.org")
	}
	if u.User != nil {
		return nil, errors.New("no credentials in the URL")
	}
	if u.Scheme == "http" && !insecure && !Loopback(u.Hostname()) {
		return nil, fmt.Errorf("http://%s: plain http only to a loopback address; use https", u.Host)
	}
	return u, nil
}

// Loopback reports whether host (without port) names this machine:
// localhost or a loopback address.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NoRedirects returns a copy of hc (nil: a client with DefaultTimeout over
// http.DefaultTransport) whose CheckRedirect hands a 3xx back as the answer
// (http.ErrUseLastResponse) instead of following it, so that nothing a
// request carries goes to a host it was not meant for. hc is not modified.
func NoRedirects(hc *http.Client) *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// RetryAfter parses a Retry-After header value, delay-seconds or an HTTP
// date, into a wait from now (never negative); ok is false when v is
// neither.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(maxWait/time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), maxWait), true
	}
	return 0, false
}

// Epoch parses a rate-limit reset header holding Unix seconds (GitHub's
// x-ratelimit-reset, GitLab's RateLimit-Reset) into a wait from now (never
// negative); ok is false when v is not a positive integer.
func Epoch(v string, now time.Time) (d time.Duration, ok bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 || n > maxEpoch {
		return 0, false
	}
	return min(max(time.Unix(n, 0).Sub(now), 0), maxWait), true
}

// maxWait bounds a parsed wait (a header of absurd size must not overflow a
// Duration); maxEpoch is the year 9999.
const (
	maxWait  = 365 * 24 * time.Hour
	maxEpoch = 253402300799
)
