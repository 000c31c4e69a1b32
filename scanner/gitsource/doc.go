// Package gitsource scans git repositories for tokens: the index's staged
// changes (what `git commit` would record, for pre-commit hooks), the commits
// a push sends (pre-push hooks), and whole histories at blob speed.
//
// History scans enumerate every unique blob reachable from the selected
// revisions once with `git rev-list --objects`, read them through one
// long-lived `git cat-file --batch` process (or several, each taking the
// blobs of some paths: HistoryOptions.CatFiles) and scan them in parallel,
// in batches, with a bounded in-flight byte budget. Only the rare blobs
// that hold a token are attributed to the commit that introduced them at
// their path, all of them in one `git log` pass once the blobs are read
// (none when nothing was found), which stops as soon as every one has its
// commit.
//
// Invariants:
//   - Every git process runs with hooks, fsmonitor and lazy fetches disabled
//     and never with an external diff or textconv driver, so untrusted
//     repositories are safe to scan (see Git).
//   - Any git failure is an error carrying git's message; a scan that could
//     not read something never returns nil. The one exception is opt-in: a
//     caller that counts missing objects (HistoryOptions.Missing,
//     StagedOptions.Missing) gets a partial clone's absent objects counted
//     and skipped, never fetched.
//   - Tokens travel only inside scanner.Match/Finding (patterns.Secret);
//     nothing here logs or formats a plaintext token.
package gitsource
