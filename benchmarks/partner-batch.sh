#!/usr/bin/env bash
# partner-batch.sh: issue 5's speed figures for the GitHub partner endpoint.
#   - BenchmarkVerifyPartnerSignature (github): ECDSA P-256 signature checks per second.
#   - BenchmarkPartnerBatch1000 (webhook): a signed batch of 1000 items end to end on SQLite.
#   - BenchmarkPartnerBatch1000Postgres (cmd/leakguard): the same through the serve
#     process on PostgreSQL with durable commits (target: < 1 s per batch).
# Usage: benchmarks/partner-batch.sh   (BATCHES=10; LEAKGUARD_TEST_POSTGRES as for the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
BATCHES="${BATCHES:-10}"
export LEAKGUARD_REQUIRE_SERVICES="${LEAKGUARD_REQUIRE_SERVICES:-1}"

echo "== signature checks (cores: $(nproc))"
go test -run '^$' -bench '^BenchmarkVerifyPartnerSignature$' -benchtime 2s -count 1 ./github |
  awk '/^Benchmark/ {printf "%s  %s ns/op  = %.0f checks/s\n", $1, $3, 1e9/$3}'
echo "== 1000-item batch, SQLite (synchronous=FULL)"
go test -run '^$' -bench '^BenchmarkPartnerBatch1000$' -benchtime "${BATCHES}x" -count 1 ./webhook |
  awk '/^Benchmark/ {printf "%s  %.0f ms/batch\n", $1, $3/1e6}'
echo "== 1000-item batch, PostgreSQL"
go test -run '^$' -bench '^BenchmarkPartnerBatch1000Postgres$' -benchtime "${BATCHES}x" -count 1 -v ./cmd/leakguard |
  awk '/synchronous_commit/ {sub(/^ +/, ""); print} /^Benchmark.*ns\/op/ {printf "%s  %.0f ms/batch\n", $1, $3/1e6}'
