// Package queue is the vocabulary of the organisation-scan job queue:
// jobs, their deliveries to workers, the outcomes workers return and the
// results the coordinator reads. Package orgscan states what it needs of a
// queue (orgscan.Queue) in these terms; adapters (package redisstreams,
// the in-memory queue of orgscan/queuetest) implement it.
//
// It is a leaf: it imports nothing of leakguard, so an adapter that speaks
// it depends on neither the scanner nor the revoker. Payloads are opaque
// bytes the caller chose (orgscan writes JSON that never holds a plaintext
// token).
package queue

import (
	"context"
	"errors"
	"time"
)

// Job is one unit of work.
type Job struct {
	ID      string // unique per run (orgscan: "<run>:<owner>/<name>")
	Run     string // the coordinator run whose results get the job's result
	Payload []byte // the caller's bytes
}

// Delivery is one start of a job by a worker.
type Delivery struct {
	Job
	Attempt int // 1 on the first start; failures and reclaims both count
}

// Outcome is what a handler returns for a job: the payload of its result
// and state values to save in the same step that makes the result durable
// and acknowledges the job.
type Outcome struct {
	Payload []byte
	State   map[string][]byte
}

// Handler processes one delivery. An error leaves the job to be started
// again (or dead-lettered after the last attempt); its text becomes the
// dead result's Error, so it must never contain a secret.
type Handler func(ctx context.Context, d Delivery) (Outcome, error)

// WorkOptions configures one consumer.
type WorkOptions struct {
	Consumer string        // unique consumer name (e.g. host-pid)
	ExitIdle time.Duration // return after this long without work once the queue is drained (0: never)
}

// Result statuses.
const (
	StatusDone = "done" // the handler succeeded; Payload is its outcome's
	StatusDead = "dead" // the job was dead-lettered; Error is its last error
)

// Result is what a run's results carry for one job.
type Result struct {
	// Cursor is this result's position in the run's results: pass it as
	// "after" to read the results that follow.
	Cursor   string
	JobID    string
	Status   string // StatusDone or StatusDead
	Payload  []byte // the handler's outcome payload (done)
	Error    string // the last error (dead)
	Attempts int    // starts of the job
}

// ErrNoConsumer is returned by Work without a consumer name.
var ErrNoConsumer = errors.New("queue: a consumer name is required")
