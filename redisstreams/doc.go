// Package redisstreams is the organisation-scan job queue on Redis Streams
// (it implements orgscan.Queue in the terms of package orgscan/queue): a
// coordinator adds one job per repository to a stream; workers (any number
// of processes, on any machines) consume it through one consumer group.
//
// Guarantees:
//   - A job is acknowledged only in the same MULTI/EXEC transaction that
//     makes its result durable (XADD to the run's result stream) and saves
//     its outcome's state values, if any; a worker that dies before that
//     leaves the job pending.
//   - Pending jobs idle longer than Options.IdleTimeout are reclaimed with
//     XAUTOCLAIM by any live worker; a worker busy on a long job keeps it
//     with a heartbeat (XCLAIM JUSTID, which resets the idle time).
//   - A job is started at most Options.MaxAttempts times (failures and
//     reclaims both count); then it is parked in the dead-letter stream with
//     its last error, and a "dead" result tells the coordinator.
//   - Delivery is at least once: a worker presumed dead that finishes
//     anyway adds a second result for the job; consumers merge by job ID.
//
// Keys (prefix P): P:jobs (stream, group P's Options.Group), P:dead
// (stream), P:results:<run> (stream, expires after a week), P:attempts and
// P:errors (hashes by job ID), P:state (hash of state values: orgscan
// keeps the repositories' checkpoints there). A result's cursor is its stream ID. Values are bytes the
// caller chose; this package never sees a plaintext token, and it knows
// nothing of repositories, scanners or token stores.
package redisstreams
