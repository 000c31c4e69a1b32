package endpoint

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// API is another service's HTTP API that leakguard sends something worth
// protecting to: its checked URL, a client that follows no redirect, the
// clock its rate-limit headers are read against, and the User-Agent.
// Set Now and UserAgent after NewAPI to change them.
type API struct {
	URL       *url.URL
	HTTP      *http.Client
	Now       func() time.Time
	UserAgent string
}

// NewAPI returns the API at base (def when base is empty) with elem joined
// to its path: base is checked with Check (plain http to a non-loopback
// host only with insecure) and may carry no query or fragment. hc may be
// nil; the API uses NoRedirects(hc). what names the URL in errors ("GitLab
// instance URL").
func NewAPI(what, base, def string, hc *http.Client, insecure bool, elem ...string) (API, error) {
	if base == "" {
		base = def
	}
	u, err := Check(base, insecure)
	if err != nil {
		return API{}, fmt.Errorf("%s: %w", what, err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return API{}, fmt.Errorf("%s: %w", what, errors.New("no query or fragment in it"))
	}
	return API{URL: u.JoinPath(elem...), HTTP: NoRedirects(hc), Now: time.Now, UserAgent: "leakguard"}, nil
}

// Do sends req with the User-Agent and returns the response with at most
// max bytes of its body read (and the body closed). A body cut short or
// unreadable loses only what was not read: the status is still the
// answer. The error is the transport's (*url.Error: method and URL, which
// NewAPI made sure holds no user information; never a header or body).
func (a API) Do(req *http.Request, max int64) (*http.Response, []byte, error) {
	req.Header.Set("User-Agent", a.UserAgent)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, max))
	resp.Body.Close()
	return resp, raw, nil
}
