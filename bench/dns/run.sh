#!/usr/bin/env bash
# Benchmarks allowdns against Unbound and dnsdist on this machine, with the same allowlist
# (bench.test and below answered through the upstream, NXDOMAIN for everything else) in front of
# the same upstream (knotd, authoritative for bench.test).
#
# Each server is pinned to CPU 0; dnsperf, the upstream and this script run on CPU 1.
# Traffic stays on 127.0.0.1. Every process this script starts is killed by PID on exit.
# See bench/README.md for what each figure means.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/dns/run.sh [options]

  --servers LIST      servers to measure, space or comma separated
                      (default: "unbound dnsdist allowdns"; also "unbound-logged":
                      Unbound writing a line per answer, as allowdns's query log does;
                      "allowdns-sandbox" and "allowdns-limited": the limiter's cost, see below)
  --names N           names in the bench.test zone, all warmed into the caches (default: 100000)
  --duration S        seconds of each max-rate dnsperf run (default: 10)
  --latency-runs N    fixed-rate runs per server and file; p99 is their median (default: 3)
  --latency-duration S  seconds of each fixed-rate run (default: 5)
  --rate QPS          rate of the fixed-rate runs (default: 10000)
  --clients N         dnsperf -c for max-rate runs (default: 2)
  --outstanding N     dnsperf -q for max-rate runs (default: 200)
  --nice N            scheduling niceness of the servers and dnsperf, so other processes on a
                      shared machine disturb them less (default: -10; 0 to leave it)
  --write             also write the results to bench/dns/results-YYYY-MM-DDTHHMMZ.md
                      (UTC time of the report, so two runs on one day never overwrite each other)
  --keep              keep the work directory (configs, logs, query files)
  -h, --help          show this help

The limiter's cost per query: --servers allowdns-sandbox,allowdns-limited --names 2000
  Both run through bin/allowdns with 127.0.0.1/32 registered as sandbox "bench" (loopback clients
  that no entry names are never limited), measured in the same run:
    allowdns-sandbox  limits off (every key 0)
    allowdns-limited  dns_qps 100000000 (never refuses, always counts) and
                      names_per_domain_per_hour 2048 (every name is counted once while warming,
                      then takes the seen-name path: hash and one table probe)
  --names must be at most 2048 for allowdns-limited, or names past the budget are refused.

Environment:
  ALLOWDNS_JVM_OPTS   more JVM flags for allowdns, after the launcher's own: allowdns runs
                      through bin/allowdns, the shipped launcher, as users run it
EOF
}


servers="unbound dnsdist allowdns"
names=100000
duration=10
latency_runs=3
latency_duration=5
rate=10000
clients=2
outstanding=200
niceness=-10
write_results=false
keep=false
while (($#)); do
  case "$1" in
    --servers) servers="${2//,/ }"; shift 2 ;;
    --names) names="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --latency-runs) latency_runs="$2"; shift 2 ;;
    --latency-duration) latency_duration="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --outstanding) outstanding="$2"; shift 2 ;;
    --nice) niceness="$2"; shift 2 ;;
    --write) write_results=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
require_positive_integers "$names" "$duration" "$latency_runs" "$latency_duration" "$rate" "$clients" "$outstanding"
require_niceness
((names <= 1000000)) || { echo "run.sh: --names is at most 1000000, got $names" >&2; exit 2; }

# Only the servers asked for need to be installed (the limiter's rows need neither Unbound nor dnsdist).
server_tools=()
[[ " $servers " == *" unbound"* ]] && server_tools+=(unbound)
[[ " $servers " == *" dnsdist "* ]] && server_tools+=(dnsdist)
require_tools "knot unbound dnsdist dnsperf bind9-dnsutils util-linux openjdk-17-jre-headless iproute2" \
  knotd "${server_tools[@]}" dnsperf dig taskset java awk shuf ss
require_two_cpus "server on CPU 0, dnsperf on CPU 1"

bench_workdir allowdns-dnsbench

# This shell and everything it runs (dnsperf, dig, awk, the upstream) stay on CPU 1;
# servers are started with taskset -c 0.
taskset -cp 1 $$ >/dev/null

readonly PROBE_NAME="n000000.bench.test"

# Prints a free UDP+TCP port on 127.0.0.1 that no earlier call returned.
used_ports=" "
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    [[ "$used_ports" == *" $port "* ]] && continue
    if [[ -z "$(ss -Hlnu "sport = :$port")" && -z "$(ss -Hlnt "sport = :$port")" ]]; then
      used_ports+="$port "
      echo "$port"
      return 0
    fi
  done
  echo "run.sh: no free port found" >&2
  return 1
}

# Prints the answer of one A query, or nothing.
query_a() {
  dig @127.0.0.1 -p "$1" +tries=1 +time=1 +short "$2" A 2>/dev/null | grep -E '^[0-9.]+$' | head -1 || true
}

# Prints the rcode of one A query.
query_rcode() {
  dig @127.0.0.1 -p "$1" +tries=1 +time=2 "$2" A 2>/dev/null \
    | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -1 || true
}

# Polls until the server answers PROBE_NAME; prints milliseconds since launch ($3, ns), or
# returns 1 if the process died or 15 s passed.
wait_first_answer() {
  local port="$1" pid="$2" t0="$3" deadline=$(($(date +%s) + 15))
  while (($(date +%s) < deadline)); do
    if [[ -n "$(query_a "$port" "$PROBE_NAME")" ]]; then
      echo $((($(date +%s%N) - t0) / 1000000))
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }

# ---------------------------------------------------------------- data: zone and query files
log "generating bench.test zone ($names names) and query files in $WORK"
mkdir -p "$WORK/knot" "$WORK/zones" "$WORK/allowdns-logs"
awk -v n="$names" 'BEGIN {
  print "$ORIGIN bench.test."
  print "$TTL 3600"
  print "@ SOA ns hostmaster 1 3600 600 86400 60"
  print "@ NS ns"
  print "ns A 192.0.2.254"
  for (i = 0; i < n; i++) printf "n%06d A 192.0.2.%d\n", i, i % 250 + 1
}' >"$WORK/knot/bench.test.zone"

seeded() { yes "allowdns-bench-$1"; }
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "n%06d.bench.test A\n", i }' \
  | shuf --random-source=<(seeded hits) >"$WORK/hits.txt"
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "b%06d.blocked.example A\n", i }' \
  | shuf --random-source=<(seeded blocked) >"$WORK/blocked.txt"
# 90% hits, 10% blocked, interleaved: every tenth query is blocked.
awk 'NR == FNR { blocked[FNR] = $0; next }
     FNR % 10 == 0 { print blocked[FNR / 10]; next }
     { print }' "$WORK/blocked.txt" "$WORK/hits.txt" >"$WORK/mix.txt"

printf '# The benchmark allowlist: bench.test and every name below it.\nbench.test\n**.bench.test\n' \
  >"$WORK/zones/bench.zone"

# ---------------------------------------------------------------- upstream: knotd on CPU 1
knot_port="$(free_port)"
write_knot_conf "127.0.0.1@$knot_port"
log "starting knotd on 127.0.0.1:$knot_port"
start knotd taskset -c 1 knotd -c "$WORK/knot.conf"
knot_pid=$STARTED_PID
if ! upstream_ms="$(wait_first_answer "$knot_port" "$knot_pid" "$(date +%s%N)")"; then
  echo "run.sh: knotd did not answer; its log:" >&2
  tail -20 "$WORK/knotd.log" >&2
  exit 1
fi
log "knotd answers (after ${upstream_ms} ms)"

# ---------------------------------------------------------------- servers, each on CPU 0
declare -A PORT PID FIRST_MS
active=()

launch_unbound() {
  local port="$1" name="${2:-unbound}" log_lines="${3:-}"
  cat >"$WORK/$name.conf" <<EOF
server:
  interface: 127.0.0.1
  port: $port
  num-threads: 1
  do-ip6: no
  chroot: ""
  username: ""
  directory: "$WORK"
  pidfile: ""
  use-syslog: no
  logfile: "${log_lines:+$WORK/$name-queries.log}"
  verbosity: 0
  log-replies: ${log_lines:-no}
  # No validator: bench.test is unsigned and nothing here may reach the root servers.
  module-config: "iterator"
  do-not-query-localhost: no
  domain-insecure: "bench.test"
  # Room for every benchmark name, so hits stay hits.
  msg-cache-size: 64m
  rrset-cache-size: 128m
  # The allowlist: NXDOMAIN for every name, except bench.test and below, which resolve.
  local-zone: "." always_nxdomain
  local-zone: "bench.test." transparent
forward-zone:
  name: "bench.test"
  forward-addr: 127.0.0.1@$knot_port
# Anything not caught above also goes to the upstream on loopback, never to the root servers.
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$knot_port
EOF
  unbound-checkconf "$WORK/$name.conf" >/dev/null
  start "$name" taskset -c 0 unbound -d -c "$WORK/$name.conf"
}

# Unbound writing one line per answer (client, name, type, rcode, time, cached, size) to a file:
# the nearest it comes to allowdns's query log, which Unbound's row does not pay for.
launch_unbound_logged() { launch_unbound "$1" unbound-logged yes; }

launch_dnsdist() {
  local port="$1"
  cat >"$WORK/dnsdist.conf" <<EOF
-- No security polling: it would query the system resolver.
setSecurityPollSuffix("")
setLocal("127.0.0.1:$port")
newServer({address="127.0.0.1:$knot_port", name="knot", checkName="$PROBE_NAME.", checkInterval=5})
-- The allowlist: NXDOMAIN for every name that is not bench.test or below.
local allowed = newSuffixMatchNode()
allowed:add("bench.test.")
addAction(NotRule(SuffixMatchNodeRule(allowed, true)), RCodeAction(DNSRCode.NXDOMAIN))
getPool(""):setCache(newPacketCache(2 * $names, {maxTTL=86400, minTTL=0, staleTTL=0}))
EOF
  start dnsdist taskset -c 0 dnsdist --supervised --disable-syslog -C "$WORK/dnsdist.conf"
}

# Application class-data sharing (JDK 17 AppCDS): one training run records the classes allowdns
# loads, so the measured launch maps them from an archive instead of loading them one by one.
# It is what an operator does once per installed jar (README: "Faster start"). ALLOWDNS_CDS=0
# measures without it.
CDS_OPTS=""
train_cds() {
  local port="$1" archive="$WORK/allowdns.jsa" pid
  [[ "${ALLOWDNS_CDS:-1}" == 1 && -f "$ALLOWDNS_JAR" ]] || return 0
  # shellcheck disable=SC2086  # JVM flags are a word list
  ALLOWDNS_JAR="$ALLOWDNS_JAR" ALLOWDNS_JAVA_OPTS="${ALLOWDNS_JVM_OPTS:-} -XX:ArchiveClassesAtExit=$archive" \
    "$ALLOWDNS_LAUNCHER" serve \
    --listen "127.0.0.1:$port" --upstream "127.0.0.1:$knot_port" --zones "$WORK/zones" \
    --log-dir "$WORK/cds-logs" --admin-listen "127.0.0.1:0" --state-dir "$WORK/cds-state" \
    >"$WORK/cds-training.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    [[ -n "$(query_a "$port" n000001.bench.test)" ]] && break
    sleep 0.1
  done
  dig @127.0.0.1 -p "$port" +tries=1 +time=1 blocked-1.blocked.example >/dev/null 2>&1 || true
  stop "$pid"
  if [[ -s "$archive" ]]; then
    CDS_OPTS="-XX:SharedArchiveFile=$archive"
    log "allowdns: class-data archive made ($(du -h "$archive" | cut -f1))"
  else
    log "allowdns: no class-data archive (see $WORK/cds-training.log); measuring without"
  fi
}

launch_allowdns() {
  local port="$1"
  [[ -f "$ALLOWDNS_JAR" ]] || return 1
  # shellcheck disable=SC2086  # JVM flags are a word list
  # The shipped launcher; env and the launcher exec, so STARTED_PID is the JVM.
  start allowdns taskset -c 0 env ALLOWDNS_JAR="$ALLOWDNS_JAR" ALLOWDNS_JAVA_OPTS="${ALLOWDNS_JVM_OPTS:-} $CDS_OPTS" \
    "$ALLOWDNS_LAUNCHER" serve \
    --listen "127.0.0.1:$port" --upstream "127.0.0.1:$knot_port" \
    --zones "$WORK/zones" --log-dir "$WORK/allowdns-logs" \
    --admin-listen "127.0.0.1:0" --state-dir "$WORK/allowdns-state"
}

# The limiter's cost: the same registered sandbox with limits off and on, through bin/allowdns.
launch_allowdns_with_limits() {
  local port="$1" name="$2" limits="$3"
  [[ -f "$ALLOWDNS_JAR" ]] || return 1
  printf 'limits: {%s}\nsandboxes:\n  - {cidr: 127.0.0.1/32, id: bench}\n' "$limits" >"$WORK/$name.yaml"
  # The launcher execs java: the PID sampled is the server's. The bench's JVM flags come after its own.
  start "$name" taskset -c 0 env ALLOWDNS_JAR="$ALLOWDNS_JAR" \
    ALLOWDNS_JAVA_OPTS="${ALLOWDNS_JVM_OPTS:-} $CDS_OPTS" \
    "$ALLOWDNS_LAUNCHER" serve --config "$WORK/$name.yaml" \
    --listen "127.0.0.1:$port" --upstream "127.0.0.1:$knot_port" \
    --zones "$WORK/zones" --log-dir "$WORK/$name-logs" \
    --admin-listen "127.0.0.1:0" --state-dir "$WORK/$name-state"
}
launch_allowdns_sandbox() {
  launch_allowdns_with_limits "$1" allowdns-sandbox \
    "dns_qps: 0, names_per_domain_per_hour: 0, connections_per_second: 0, open_connections: 0, bandwidth_up: 0, bandwidth_down: 0"
}
launch_allowdns_limited() {
  ((names <= 2048)) || { log "allowdns-limited: --names $names is past its name budget of 2048"; return 1; }
  launch_allowdns_with_limits "$1" allowdns-limited "dns_qps: 100000000, names_per_domain_per_hour: 2048"
}

if [[ " $servers " == *" allowdns"* ]]; then
  build_allowdns || true
  train_cds "$(free_port)"
fi

for server in $servers; do
  case "$server" in unbound|unbound-logged|dnsdist|allowdns|allowdns-sandbox|allowdns-limited) ;; *) echo "run.sh: unknown server: $server" >&2; exit 2 ;; esac
  port="$(free_port)"
  log "starting $server on 127.0.0.1:$port (CPU 0)"
  t0="$(date +%s%N)"
  STARTED_PID=""
  if ! "launch_${server//-/_}" "$port" || [[ -z "$STARTED_PID" ]]; then
    log "SKIP $server: it could not be started"
    continue
  fi
  if ! ms="$(wait_first_answer "$port" "$STARTED_PID" "$t0")"; then
    if kill -0 "$STARTED_PID" 2>/dev/null; then
      log "SKIP $server: no answer for $PROBE_NAME within 15 s; last lines of its log:"
      stop "$STARTED_PID"
    else
      log "SKIP $server: it exited before answering (for allowdns: is 'serve' in this build?);" \
        "last lines of its log:"
    fi
    tail -5 "$WORK/$server.log" | sed 's/^/    /' >&2
    continue
  fi
  if [[ "$server" == allowdns ]] && ! grep -q 'ready:' "$WORK/allowdns.log"; then
    log "note: allowdns answered but printed no 'ready:' line"
  fi
  if [[ "$server" == allowdns ]]; then
    # The launcher has exec'd java: the JVM's own argv holds the flags actually used.
    JVM_ARGV="$(tr '\0' ' ' <"/proc/$STARTED_PID/cmdline" | sed 's/ -jar .*//')"
  fi
  hit="$(query_a "$port" n000001.bench.test)"
  blocked_rcode="$(query_rcode "$port" b000001.blocked.example)"
  if [[ -z "$hit" || "$blocked_rcode" != NXDOMAIN ]]; then
    log "SKIP $server: wrong answers (n000001.bench.test -> '${hit}', b000001.blocked.example -> ${blocked_rcode:-none})"
    stop "$STARTED_PID"
    continue
  fi
  PORT[$server]="$port"
  PID[$server]="$STARTED_PID"
  FIRST_MS[$server]="$ms"
  active+=("$server")
  log "$server: first answer ${ms} ms after launch; hit -> $hit, blocked -> $blocked_rcode"
done
((${#active[@]})) || { echo "run.sh: no server could be measured" >&2; exit 1; }

# ---------------------------------------------------------------- measurements
FILES=(hits blocked mix)

# Runs dnsperf (on CPU 1) against SERVER for at most LIMIT + 20 s with the remaining arguments,
# output to $OUT.
dnsperf_run() {
  local server="$1" limit="$2"; shift 2
  run_client timeout $((limit + 20)) dnsperf -s 127.0.0.1 -p "${PORT[$server]}" -t 1 "$@" || true
}
field() { awk -v key="$1" -v col="$2" 'index($0, key) { print $col; exit }' "$OUT"; }

log "warming: each file once (hits twice) through each server at 25,000 qps"
for server in "${active[@]}"; do
  for file in "${FILES[@]}"; do
    OUT="$WORK/warm-$server-$file.out"
    dnsperf_run "$server" 60 -d "$WORK/$file.txt" -n 1 -Q 25000 -c 2 -q 500
    log "  $server $file: $(field 'Queries completed' 3) of $(field 'Queries sent' 3) answered"
  done
  # A second pass over the hits fills in names whose first query was lost.
  OUT="$WORK/warm-$server-hits-2.out"
  dnsperf_run "$server" 60 -d "$WORK/hits.txt" -n 1 -Q 25000 -c 2 -q 500
done
declare -A RSS_KIB
for server in "${active[@]}"; do RSS_KIB[$server]="$(rss_kib "${PID[$server]}")"; done

declare -A QPS LOST US_PER_Q USER_SHARE NOISE P99 P99_NOISE
log "max-rate runs: ${duration} s each, dnsperf -c $clients -q $outstanding"
for file in "${FILES[@]}"; do
  for server in "${active[@]}"; do
    OUT="$WORK/max-$server-$file.out"
    sample_begin "${PID[$server]}" 0
    dnsperf_run "$server" "$duration" -d "$WORK/$file.txt" -l "$duration" -c "$clients" -q "$outstanding"
    sample_end
    completed="$(field 'Queries completed' 3)"; completed="${completed:-0}"
    QPS[$server.$file]="$(field 'Queries per second' 4)"
    LOST[$server.$file]="$(field 'Queries lost' 3)"
    US_PER_Q[$server.$file]="$(awk -v d="$SAMPLED_TICKS" -v c="$completed" -v hz="$CLK_TCK" \
      'BEGIN { if (c > 0) printf "%.2f", d * 1e6 / hz / c; else print "n/a" }')"
    USER_SHARE[$server.$file]="$SAMPLED_USER"
    NOISE[$server.$file]="$OTHER_LOAD"
    log "  $server $file: ${QPS[$server.$file]} qps, ${US_PER_Q[$server.$file]} us/query" \
      "(${SAMPLED_USER}% user)," \
      "lost ${LOST[$server.$file]}, other CPU 0 load ${NOISE[$server.$file]}%"
  done
done

# Prints the p99 latency in ms of one verbose dnsperf output; lost queries count as slowest.
p99_ms() {
  local sent
  sent="$(awk 'index($0, "Queries sent") { print $3; exit }' "$1")"
  grep '^> ' "$1" | awk '{ print $NF }' | sort -g \
    | awk -v sent="${sent:-0}" '{ a[NR] = $1 }
        END { i = int(sent * 0.99); if (i * 100 < sent * 99) i++
              if (sent == 0 || i > NR) print "inf"; else printf "%.3f\n", a[i] * 1000 }'
}

log "fixed-rate runs: $latency_runs x ${latency_duration} s at $rate qps per server and file (interleaved)"
declare -A P99_RUNS
for file in "${FILES[@]}"; do
  for run in $(seq 1 "$latency_runs"); do
    for server in "${active[@]}"; do
      OUT="$WORK/p99-$server-$file-$run.out"
      sample_begin "${PID[$server]}" 0
      dnsperf_run "$server" "$latency_duration" -d "$WORK/$file.txt" -l "$latency_duration" -Q "$rate" -v
      sample_end
      P99_RUNS[$server.$file]+="$(p99_ms "$OUT") "
      if ((OTHER_LOAD >= ${P99_NOISE[$server.$file]:-0})); then P99_NOISE[$server.$file]="$OTHER_LOAD"; fi
    done
  done
  for server in "${active[@]}"; do
    P99[$server.$file]="$(echo "${P99_RUNS[$server.$file]}" | median)"
    log "  $server $file: p99 runs ${P99_RUNS[$server.$file]}-> ${P99[$server.$file]} ms"
  done
done

# ---------------------------------------------------------------- report
report() {
  echo "# DNS benchmark: allowdns vs Unbound vs dnsdist"
  echo
  echo "$(machine_summary)."
  echo "Unbound $(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }'), $(dnsdist --version 2>/dev/null | head -1 | awk '{ print $1, $2 }')," \
    "$(dnsperf -h 2>&1 | awk '/^Version/ { print "dnsperf " $2 }'), upstream knotd $(knotd --version | awk '{ print $NF }')" \
    "with $names names; allowdns run by the shipped launcher bin/allowdns: \`${JVM_ARGV:-?}\`."
  echo "Max-rate runs: ${duration} s, dnsperf -c $clients -q $outstanding. p99: median of $latency_runs runs of ${latency_duration} s at $rate qps. Niceness of servers and dnsperf: $niceness."
  echo
  echo "| server | queries | max QPS | lost | server CPU µs/query (user share) | p99 ms @ $rate qps | other CPU 0 load (max-rate / p99 runs) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  local server file
  for file in "${FILES[@]}"; do
    for server in "${active[@]}"; do
      printf '| %s | %s | %.0f | %s | %s (%s%%) | %s | %s%% / %s%% |\n' "$server" "$file" "${QPS[$server.$file]:-0}" \
        "${LOST[$server.$file]:-?}" "${US_PER_Q[$server.$file]}" "${USER_SHARE[$server.$file]:-?}" "${P99[$server.$file]}" \
        "${NOISE[$server.$file]}" "${P99_NOISE[$server.$file]:-0}"
    done
  done
  echo
  echo "| server | first answer after launch | RSS after warming $names names |"
  echo "| --- | ---: | ---: |"
  for server in "${active[@]}"; do
    printf '| %s | %s ms | %.1f MiB |\n' "$server" "${FIRST_MS[$server]}" "$(awk -v k="${RSS_KIB[$server]}" 'BEGIN { print k / 1024 }')"
  done
  local busiest=0 load
  for load in "${NOISE[@]}" "${P99_NOISE[@]}"; do
    if ((load > busiest)); then busiest=$load; fi
  done
  if ((busiest > 10)); then
    echo
    echo "Warning: up to ${busiest}% of CPU 0 went to other processes (or was stolen by the hypervisor)"
    echo "during some runs; those rows are disturbed, p99 most of all. Rerun on a quiet machine."
  fi
  for server in $servers; do
    [[ " ${active[*]} " == *" $server "* ]] || { echo; echo "$server: not measured (see the log above)."; }
  done
  if [[ -n "${PID[allowdns]:-}" && -n "${PID[unbound]:-}" ]]; then
    echo
    echo "Targets for allowdns (against Unbound in this run):"
    echo
    target "µs/query on hits <= Unbound's" "${US_PER_Q[allowdns.hits]}" "<=" "${US_PER_Q[unbound.hits]}"
    target "µs/query on blocked <= Unbound's" "${US_PER_Q[allowdns.blocked]}" "<=" "${US_PER_Q[unbound.blocked]}"
    for file in "${FILES[@]}"; do
      target "p99 on $file <= Unbound's (ms)" "${P99[allowdns.$file]/inf/1e9}" "<=" "${P99[unbound.$file]/inf/1e9}"
    done
    target "RSS after $names names <= 256 MiB (KiB)" "${RSS_KIB[allowdns]}" "<=" 262144
    target "first answer <= 1000 ms" "${FIRST_MS[allowdns]}" "<=" 1000
  fi
  if [[ -n "${PID[allowdns-sandbox]:-}" && -n "${PID[allowdns-limited]:-}" ]]; then
    echo
    echo "The limiter's cost per query (allowdns-limited minus allowdns-sandbox, server CPU, this run):"
    echo
    for file in "${FILES[@]}"; do
      awk -v f="$file" -v off="${US_PER_Q[allowdns-sandbox.$file]}" -v on="${US_PER_Q[allowdns-limited.$file]}" \
        'BEGIN { printf "- %s: %+.2f µs/query (%.2f off, %.2f on, %+.1f%%)\n", f, on - off, off, on, (on - off) * 100 / off }'
    done
  fi
}

report >"$WORK/results.md"
publish_results "$SCRIPT_DIR/results-$(date -u +%Y-%m-%dT%H%MZ).md"
