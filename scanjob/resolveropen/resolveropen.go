// Package resolveropen opens what `leakguard scan` resolves its findings
// through (a revoker.Resolver): the revoker over a token store opened here
// (--db, with its --redis cache), or a leakguard server's API (--server,
// webhook.Client), which receives token hashes and locations only.
//
// A scan never creates a store: a sqlite: file that does not exist is an
// error here, not a new empty database (a typo would otherwise report
// every token unknown). The command reads flags and the environment and
// decides which errors stop the scan; this package only opens.
package resolveropen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
	"github.com/leakguard/leakguard/webhook"
)

// Resolver is the one leak step of a scan and what closes it after.
type Resolver interface {
	revoker.Resolver
	Close() error
}

// local is the revoker over a store opened here, closing the store. It
// records pre-receive bypasses through the revoker
// (revoker.BypassRecorder), as the remote client does through the server.
type local struct {
	*revoker.Revoker
	st store.Store
}

func (l local) Close() error { return l.st.Close() }

// Local opens the store dsn names (with the Redis cache at redisURL when
// set; storeopen.OpenCached) and returns the revoker over it. A sqlite:
// file must exist already.
func Local(ctx context.Context, dsn, redisURL string, cat *patterns.Catalog, o storeopen.Options) (Resolver, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--db: no token store at %s (scan does not create one): %w", path, errors.Unwrap(err))
		}
	}
	st, err := storeopen.OpenCached(ctx, dsn, redisURL, o)
	if err != nil {
		return nil, err
	}
	return local{revoker.New(st, cat, revoker.Options{Now: o.Now, Logger: o.Log}), st}, nil
}

// TokenEnv is the environment variable the command reads the server's
// bearer token from (no flag: a flag value lands in shell history and in
// the process list).
const TokenEnv = "LEAKGUARD_TOKEN"

// Remote is the client of the leakguard server at server, authenticated
// with the bearer token tok (a service token, as read from TokenEnv).
// Plain http is accepted for loopback hosts only: the bearer token must
// not cross a network in clear (webhook.CheckServerURL).
func Remote(server, tok string, client *http.Client, cat *patterns.Catalog) (Resolver, error) {
	if _, err := webhook.CheckServerURL(server, false); err != nil {
		return nil, fmt.Errorf("--server: %v", err)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, fmt.Errorf("--server needs a bearer token (a service token) in the environment variable %s", TokenEnv)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("%s holds whitespace: it must be one token", TokenEnv)
	}
	c, err := webhook.NewClient(server, patterns.NewSecret(tok), client, cat)
	if err != nil {
		return nil, fmt.Errorf("--server: %v", err)
	}
	return c, nil
}
