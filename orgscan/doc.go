// Package orgscan is the organisation-scan protocol: scan every repository
// of a GitHub organisation here (Options.Parallel at once) or coordinate
// worker processes over a job queue, settle each repository's findings
// through the one leak step (revoker.Resolver), hand them to a Sink and
// save the repository's checkpoint.
//
// It consumes small interfaces it defines — Queue (what the coordinator
// and workers need of a job queue, in the terms of package orgscan/queue),
// Sink, RepoScanner, Checkpoints — and a revoker.Resolver; package
// redisstreams is the Redis Streams queue, cmd/leakguard wires the rest.
//
// Invariants:
//   - A repository's checkpoint is saved only after its findings are
//     durable: resolved (status, and revocation with Options.Revoke) and
//     handed to the Sink, which runs the save once it has written them. A
//     repository whose scan, resolution or hand-over fails is counted
//     failed and keeps its old checkpoint, so the next run scans it again
//     instead of losing its findings. This holds for workers too: a worker
//     returns the new checkpoint inside its result and the coordinator
//     saves it in the queue state.
//   - Each repository's findings are resolved in one Resolve call: tokens
//     are deduplicated by hash, "ours" is decided once (findings from
//     workers carry only the rule and hash, so reports carry Rule), and any
//     resolver error fails the repository.
//   - A job is one repository; the coordinator waits until every job has a
//     result (done or dead-lettered) or Options.Wait runs out, and counts
//     each job once even when a worker presumed dead reports it again.
//
// Wire format (JSON, through the queue): a job's ID is "<run>:<owner>/<name>"
// and its payload the repository ({"full_name", "clone_url", "html_url"});
// a done job's payload is {"repo", "findings", "unchanged", "empty",
// "objects", "bytes", "checkpoint"} with findings in their report form,
// which never holds a plaintext token; a repository's checkpoint is the
// queue state value "checkpoint:<owner>/<name>".
//
// The package knows nothing of HTTP, SQL or Redis.
package orgscan
