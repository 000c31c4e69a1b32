package lifecycle

import "github.com/leakguard/leakguard/store"

// Limits on free-text fields people give, in bytes, so bad input cannot
// bloat the store. They apply to the text as stored: after surrounding
// white space is trimmed and pasted tokens are redacted.
const (
	maxOwnerLen  = 200
	maxNameLen   = 200
	maxReasonLen = 1000
	maxActorLen  = 200
	maxSourceLen = 1000
)

// Every text field the Manager takes, from the CLI and the HTTP API alike,
// meets two rules on its way to the store (after surrounding white space is
// trimmed from owner, name, reason, actor and id):
//
//   - A token quoted in it ("leaked as lgu_...", an owner pasted into the
//     wrong flag) is redacted (patterns.Catalog.RedactTokens) before it is
//     stored, logged, returned or used as a look-up key, so it reaches no
//     row, log line, answer or database query log.
//   - It passes store.CheckLabel: valid UTF-8 on one line, with no control,
//     line separator or bidi control character, within its length limit.
//     Reasons too: a reason is shown inside the one-line message of
//     docs/http-api.md#verification-messages and in the CLI's line-oriented output, where a line
//     break forges a line and a bidi override reorders what is read.
//
// A refused value is a *store.TextError (store.ErrInvalid) naming the
// field, never quoting the value; the HTTP API answers it 400 bad_request.

// redact returns s with every token-shaped run of the catalog replaced.
func (m *Manager) redact(s string) string { return m.cat.RedactTokens(s) }

// firstError returns the first non-nil error of errs.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkID checks a token id or pagination cursor given for a look-up.
func checkID(field, id string) error { return store.CheckLabel(field, id, store.MaxLabelLen) }
