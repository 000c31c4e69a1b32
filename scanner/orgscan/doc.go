// Package orgscan scans many remote git repositories incrementally: it
// keeps a bare mirror of each in a cache directory (`git clone --mirror`
// once, then `git fetch --prune`), scans only the objects that are new since
// the repository's checkpoint with the history scanner (package
// scanner/gitsource), and turns its findings into an organisation scan's
// (source github-org, repository, blob link).
//
// It knows no hosting service: what git sends to a remote (Auth) and how a
// finding links to its line (BlobURLFunc) are given by the caller, and
// package github has GitHub's (github.GitAuth, github.BlobURL). Nor does it
// read the process environment when Mirrors.BaseEnv is set.
//
// Invariants:
//   - Credentials reach git only through the environment
//     (GIT_CONFIG_COUNT/GIT_CONFIG_KEY_0/GIT_CONFIG_VALUE_0 carrying what
//     Auth returns), only for https/http URLs Auth has a credential for;
//     never in argv, a URL, a log line, an error or a git config file on
//     disk (git's messages go through Auth.Redact).
//   - A checkpoint is returned with the findings it covers, never saved
//     here: the caller saves it only after the findings are durable, so an
//     interrupted run repeats a repository instead of losing its findings.
//   - The package knows nothing of HTTP APIs, SQL or Redis.
package orgscan
