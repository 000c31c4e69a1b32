// Package testenv gives tests the services they run against: the shared
// PostgreSQL and Redis (found from LEAKGUARD_TEST_POSTGRES and
// LEAKGUARD_TEST_REDIS, see README.md#development), a schema or key prefix
// of their own on them, and throw-away redis-server processes and TCP
// proxies (to partition one client from a server) for fault injection.
//
// When a service is unreachable the test is skipped with a message, or
// fails when LEAKGUARD_REQUIRE_SERVICES=1. Each test removes only what it
// made: its schema, the keys under its prefix, its own redis-server —
// never FLUSHALL, never a shared server stop.
//
// The environment is read through an Env, whose Getenv is a value; the
// package-level helpers use OS, the one place the process environment is
// read. Only tests may import this package (cmd/leakguard's
// TestTestenvIsTestOnly checks it).
package testenv
