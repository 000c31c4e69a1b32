// Package orgscan scans many remote git repositories incrementally: it
// keeps a bare mirror of each in a cache directory (`git clone --mirror`
// once, then `git fetch --prune`), scans only the objects that are new since
// the repository's checkpoint with the history scanner (package
// scanner/gitsource), and turns its findings into GitHub findings (source
// github-org, repository, blob link).
//
// Invariants:
//   - Credentials reach git only through the environment
//     (GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n carrying
//     http.extraHeader), only for https/http URLs of allowed hosts; never in
//     argv, a URL, a log line or a git config file on disk.
//   - A checkpoint is returned with the findings it covers, never saved
//     here: the caller saves it only after the findings are durable, so an
//     interrupted run repeats a repository instead of losing its findings.
//   - The package knows nothing of HTTP APIs, SQL or Redis.
package orgscan
