#!/usr/bin/env bash
# serve-verify.sh: load POST /v1/tokens/verify of `leakguard serve` (SQLite +
# a throw-away Redis cache) with wrk on loopback, and in the same run a bare
# net/http handler (benchmarks/bare) for comparison; then the same load with
# Redis paused (SIGSTOP). Every answer is checked ("valid":true with 200).
#
# Targets (issue 4): with Redis hits, >= 50 % of the bare handler's req/s and
# p99 <= 5 ms; with Redis paused, p99 <= 100 ms and every answer right.
# Issue 16: with TOKENS=3000 and TOKENS=100000 at CONNS=4, >= 60 % and
# p99 <= 5 ms.
#
# Usage: benchmarks/serve-verify.sh            (DURATION=10s CONNS=32 THREADS=1 LOG_LEVEL=info ROUNDS=1 PIN=1 TOKENS=1)
# ROUNDS>1 alternates bare and Redis-hit runs that many times (on a shared,
# loaded machine one pair says little) and reports every round's ratio and
# their median.
# PIN=1 (default on 2+ cores) keeps the load generator off the server's
# cores, as a real client on another machine would be: wrk runs on the last
# core (CLIENT_CPUS), and the servers under test (leakguard or bare) and
# redis-server share the others (SERVER_CPUS). PIN=0 lets all of them
# share every core (THREADS=2 then), where the tail latency mostly measures
# the run queue.
# LOCAL_TTL sets the Redis URL's local_ttl (how long the in-process near
# cache keeps a token, default 5m); LOCAL_TTL=off makes every verify a
# Redis round trip. LOCAL_SIZE sets its local_size (entries, default
# 100000).
# TOKENS=N (default 1) issues N user tokens (benchmarks/mint) and every
# request verifies one of them drawn at random (the wrk Lua script picks
# it), as a service verifying many callers' tokens does; N=1 verifies one
# hot token. With N > 1 the warm-up run goes through the tokens in order
# (WARMUP, default DURATION, or N/2000 seconds from 20000 tokens: a cold
# verify costs a Redis miss, a database read and a fill), so the measured
# runs see the steady state of a warm cache.
# Needs: go, wrk (apt-get install -y wrk), redis-server. Stops only what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
LOG_LEVEL="${LOG_LEVEL:-info}"
ROUNDS="${ROUNDS:-1}"
LOCAL_TTL="${LOCAL_TTL:-}"
LOCAL_SIZE="${LOCAL_SIZE:-}"
TOKENS="${TOKENS:-1}"
WARMUP="${WARMUP:-$([ "$TOKENS" -ge 20000 ] && echo "$((TOKENS / 2000))s" || echo "$DURATION")}"
ncpu="$(nproc)"
PIN="${PIN:-$([ "$ncpu" -ge 2 ] && echo 1 || echo 0)}"
if [ "$PIN" = 1 ]; then
  CLIENT_CPUS="${CLIENT_CPUS:-$((ncpu - 1))}"
  SERVER_CPUS="${SERVER_CPUS:-0-$((ncpu - 2))}"
  THREADS="${THREADS:-1}"
  server=(taskset -c "$SERVER_CPUS")
  client=(taskset -c "$CLIENT_CPUS")
else
  THREADS="${THREADS:-2}"
  server=()
  client=()
fi

for bin in go wrk redis-server; do
  command -v "$bin" >/dev/null || { echo "serve-verify: $bin not installed" >&2; exit 2; }
done

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "not up: $1" >&2; exit 2; }

echo "== build"
go build -o "$work/leakguard" ./cmd/leakguard
go build -o "$work/bare" ./benchmarks/bare
go build -o "$work/mint" ./benchmarks/mint

redis_port="$(free_port)"
"${server[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

db="sqlite:$work/lg.db"
lg() { HOME="$work" XDG_DATA_HOME="$work" "$work/leakguard" "$@"; }
# Tokens stay in files under $work (removed on exit); nothing prints them.
lg token issue --db "$db" --owner bench@example.org --name verifier --type service >"$work/svc" 2>>"$work/cli.log"
lg token issue --db "$db" --owner bench@example.org --name probe --type user >"$work/user" 2>>"$work/cli.log"
if [ "$TOKENS" -gt 1 ]; then
  echo "== minting $TOKENS tokens"
  "$work/mint" -db "$work/lg.db" -n "$TOKENS" -out "$work/tokens"
fi
params=""
[ -n "$LOCAL_TTL" ] && params="local_ttl=$LOCAL_TTL"
[ -n "$LOCAL_SIZE" ] && params="${params:+$params&}local_size=$LOCAL_SIZE"

serve_port="$(free_port)"
# Started directly (not through lg) so that $! is the server's own PID.
HOME="$work" XDG_DATA_HOME="$work" "${server[@]}" "$work/leakguard" serve --db "$db" --redis "redis://127.0.0.1:$redis_port/0${params:+?$params}" --addr "127.0.0.1:$serve_port" \
  --log-level "$LOG_LEVEL" 2>"$work/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
bare_port="$(free_port)"
"${server[@]}" "$work/bare" --addr "127.0.0.1:$bare_port" &
pids+=("$!")
wait_http "http://127.0.0.1:$serve_port/healthz"
wait_http "http://127.0.0.1:$bare_port/"

# verify.lua: every request verifies the one probe token (TOKENS=1), or
# one of $work/tokens at random (random) or in order from a per-thread
# offset (order, the warm-up). Requests are formatted once, in init, so
# that wrk's own core spends nothing per request on them.
lua() {
  cat <<EOF
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
wrk.method = "POST"
wrk.body = '{"token":"$(cat "$work/user")"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(cat "$work/svc")"
local reqs, n, pos = {}, 0, 0
function init(args)
  wrong = 0
  if "$1" == "one" then return end
  for line in io.lines("$work/tokens") do
    n = n + 1
    reqs[n] = wrk.format(nil, nil, nil, '{"token":"' .. line .. '"}')
  end
  math.randomseed(1000 + id)
  pos = math.floor(n * (id - 1) / 4)
end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"valid":true', 1, true) then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + t:get("wrong") end
  io.write(string.format("wrong answers: %d\\n", w))
end
EOF
  # One token: no request() at all, so wrk sends its prebuilt request.
  [ "$1" = one ] || cat <<EOF
function request()
  if "$1" == "order" then pos = pos % n + 1; return reqs[pos] end
  return reqs[math.random(n)]
end
EOF
}
if [ "$TOKENS" -gt 1 ]; then
  lua random >"$work/verify.lua"
  lua order >"$work/warmup.lua"
else
  lua one >"$work/verify.lua"
  cp "$work/verify.lua" "$work/warmup.lua"
fi

# run NAME URL: one wrk run; prints its summary and remembers req/s and p99.
declare -A rps p99 wrong
run() {
  local name="$1" url="$2" script="${3:-$work/verify.lua}" dur="${4:-$DURATION}" out
  out="$("${client[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$dur" --latency -s "$script" "$url")"
  echo "-- $name"
  echo "$out" | grep -E 'Latency|Req/Sec|requests in|Requests/sec|50%|99%|Non-2xx|Socket errors|wrong answers'
  rps[$name]="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99[$name]="$(echo "$out" | awk '$1=="99%" {print $2}')"
  wrong[$name]="$(echo "$out" | awk '/wrong answers/ {print $3}')"
}

echo "== wrk -t$THREADS -c$CONNS -d$DURATION (cores: $ncpu, pinned: $([ "$PIN" = 1 ] && echo "wrk on $CLIENT_CPUS, servers and redis on $SERVER_CPUS" || echo no), log level $LOG_LEVEL, tokens $TOKENS$([ "$TOKENS" -gt 1 ] && echo " at random, warm-up $WARMUP in order"), near cache ${params:-defaults}, rounds $ROUNDS, load average: $(cut -d' ' -f1-3 /proc/loadavg))"
run warmup "http://127.0.0.1:$serve_port/v1/tokens/verify" "$work/warmup.lua" "$WARMUP"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  run "bare$r" "http://127.0.0.1:$bare_port/v1/tokens/verify"
  run "redis$r" "http://127.0.0.1:$serve_port/v1/tokens/verify"
  ratios+=("$(awk -v a="${rps[redis$r]}" -v b="${rps[bare$r]}" 'BEGIN {printf "%.0f", 100*a/b}')")
done
kill -STOP "$redis_pid"
run paused "http://127.0.0.1:$serve_port/v1/tokens/verify"
kill -CONT "$redis_pid"
run resumed "http://127.0.0.1:$serve_port/v1/tokens/verify"

echo "== summary (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-8s %10s %10s %8s\n' run req/s p99 wrong
names=()
for r in $(seq 1 "$ROUNDS"); do names+=("bare$r" "redis$r"); done
for n in "${names[@]}" paused resumed; do printf '%-8s %10s %10s %8s\n' "$n" "${rps[$n]}" "${p99[$n]}" "${wrong[$n]}"; done
median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
echo "leakguard with Redis hits / bare req/s per round: ${ratios[*]} (%); median ${median}% (target >= $([ "$TOKENS" -gt 1 ] && echo 60 || echo 50)%)"
# ms <- wrk's latency ("850.00us", "2.31ms", "1.02s").
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'; }
p99s=()
for r in $(seq 1 "$ROUNDS"); do p99s+=("$(ms "${p99[redis$r]}")"); done
worst="$(printf '%s\n' "${p99s[@]}" | sort -n | tail -n 1)"
echo "leakguard with Redis hits p99 per round: ${p99s[*]} ms; worst ${worst} ms (target <= 5 ms)"
echo "leakguard with Redis paused: p99 $(ms "${p99[paused]}") ms (target <= 100 ms), wrong answers ${wrong[paused]}"
if grep -q "$(cat "$work/user")" "$work/serve.log"; then echo "PLAINTEXT TOKEN IN LOG"; exit 1; fi
if grep -q "$(cat "$work/svc")" "$work/serve.log"; then echo "PLAINTEXT TOKEN IN LOG"; exit 1; fi
if [ "$TOKENS" -gt 1 ] && grep -qFf "$work/tokens" "$work/serve.log"; then echo "PLAINTEXT TOKEN IN LOG"; exit 1; fi
echo "leakguard serve: RSS $(awk '/VmRSS/ {print $2 " kB"}' "/proc/$serve_pid/status"), $(grep -c . "$work/serve.log") log lines, $(grep -c '"level":"warn"' "$work/serve.log" || true) warnings"
