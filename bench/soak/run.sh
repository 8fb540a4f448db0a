#!/usr/bin/env bash
# Soak and fault figures for allowdns, run through bin/allowdns (the shipped launcher) on a
# topology made for the run: two sandbox namespaces (a well-behaved one and a flooder) ─ host
# (allowdns: resolver + relay behind `allowdns iptables apply`) ─ internet (knotd for bench.test,
# nginx, and the faulty servers of the fault phases).
#
# Phases (--phases), each with an allowdns of its own, started fresh:
#   soak        max qps (dnsperf, short), then --minutes at 80% of it with allowdns's RSS sampled
#   slow-drip   an upstream that answers over UDP with TC and over TCP one byte a second
#   never-read  a destination that accepts and never reads while the sandbox writes through the relay
#   flood       a sandbox flooding new names and new connections next to a well-behaved one,
#               without limits, and with the `limits:` config when this build takes it
# allowdns is pinned to CPU 0, every client and server to CPU 1. Every load loop is bounded in
# count and in time. Every process this script starts is killed by PID on exit; the namespaces
# (with their veths and iptables rules) and /etc/netns/NAME are removed.
# See bench/README.md ("Soak and faults").
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/soak/run.sh [options]      (needs root: it creates network namespaces)

  --minutes N         minutes of the soak at 80% of max qps (default: 10)
  --quick             a bounded smoke run of every phase, under about a minute: the soak for 10 s,
                      each fault briefly; fails (exit 1) when a check fails, as the full run does
  --phases LIST       phases to run, in order, space or comma separated
                      (default: "soak slow-drip never-read flood")
  --net A.B           first two octets of the addresses, inside 10.0.0.0/8 (default: 10.241):
                      sandbox A.B.1.2, flooder A.B.3.2, host A.B.1.1 A.B.2.1 A.B.3.1, internet A.B.2.2
  --nice N            niceness of allowdns and the well-behaved clients (default: -10; 0 to leave it);
                      the flooder's processes run at 10
  --write             also write the results to bench/soak/results-YYYY-MM-DDTHHMMZ.md (UTC)
  --keep              keep the work directory (configs, logs, raw tool output)
  -h, --help          show this help
EOF
}

minutes=10
quick=false
phases="soak slow-drip never-read flood"
net=10.241
niceness=-10
write_results=false
keep=false
while (($#)); do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --quick) quick=true; shift ;;
    --phases) phases="${2//,/ }"; shift 2 ;;
    --net) net="$2"; shift 2 ;;
    --nice) niceness="$2"; shift 2 ;;
    --write) write_results=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
require_positive_integers "$minutes"
((minutes <= 240)) || { echo "run.sh: --minutes is at most 240" >&2; exit 2; }
[[ "$net" =~ ^10\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] <= 255)) \
  || { echo "run.sh: --net must be 10.B (addresses stay inside 10.0.0.0/8), got '$net'" >&2; exit 2; }
require_niceness
for phase in $phases; do
  case "$phase" in soak|slow-drip|never-read|flood) ;; *) echo "run.sh: unknown phase: $phase" >&2; exit 2 ;; esac
done

((EUID == 0)) || { echo "run.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
require_tools "iproute2 iptables knot bind9-dnsutils dnsperf nginx wrk curl python3 util-linux openjdk-17-jre-headless" \
  ip iptables knotd dig dnsperf nginx wrk curl python3 taskset java awk
require_two_cpus "allowdns on CPU 0, the clients and servers on CPU 1"

# ---------------------------------------------------------------- sizes: full run or --quick
if [[ "$quick" == true ]]; then
  SOAK_SECONDS=8 MAX_SECONDS=3 SAMPLE_EVERY=1
  SLOW_QUERIES=40 SLOW_QPS=20 NEVER_CONNECTIONS=4 NEVER_BYTES=$((4 << 20)) NEVER_HOLD=4
  FLOOD_SECONDS=3 CURLS=12
else
  SOAK_SECONDS=$((minutes * 60)) MAX_SECONDS=10 SAMPLE_EVERY=5
  SLOW_QUERIES=3000 SLOW_QPS=50 NEVER_CONNECTIONS=50 NEVER_BYTES=$((64 << 20)) NEVER_HOLD=60
  FLOOD_SECONDS=30 CURLS=200
fi
readonly SOAK_SECONDS MAX_SECONDS SAMPLE_EVERY SLOW_QUERIES SLOW_QPS NEVER_CONNECTIONS NEVER_BYTES NEVER_HOLD FLOOD_SECONDS CURLS

# ---------------------------------------------------------------- names, addresses, cleanup
readonly NS_SANDBOX="soak-$$-sandbox" NS_HOST="soak-$$-host" NS_NET="soak-$$-internet" NS_FLOOD="soak-$$-flood"
readonly SANDBOX_IP="$net.1.2" HOST_SANDBOX_IP="$net.1.1" HOST_NET_IP="$net.2.1" NET_IP="$net.2.2"
readonly FLOOD_IP="$net.3.2" HOST_FLOOD_IP="$net.3.1"
readonly IF_SANDBOX=sbx-good IF_FLOOD=sbx-flood   # in the host namespace, facing each sandbox
readonly DNS_PORT=1053 RELAY_PORT=15001 ADMIN_PORT=9153 STATUS_PORT=8080 SLOW_PORT=5300 SINK_PORT=9000
readonly UPSTREAM_TIMEOUT_MS=2000
readonly NAMES=20000          # n000000..n019999.bench.test, TTL 30 s: a steady trickle of misses

NAMESPACES=()
delete_namespaces() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
}
BENCH_EXTRA_CLEANUP=delete_namespaces
bench_workdir allowdns-soak
taskset -cp 1 $$ >/dev/null
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
CHECKS=()   # "PASS ..." / "FAIL ..." lines, in the report and the exit status

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
start_in_ns() { local name="$1" ns="$2" cpu="$3"; shift 3; start "$name" ip netns exec "$ns" taskset -c "$cpu" "$@"; }
# Records one check: $1 the verdict (true/false), $2 what was checked, with its figures.
check() { if [[ "$1" == true ]]; then CHECKS+=("PASS $2"); else CHECKS+=("FAIL $2"); fi; log "check: ${CHECKS[-1]}"; }
# True when awk expression $1 holds (numbers in it are already substituted).
holds() { awk "BEGIN { exit !($1) }" && echo true || echo false; }
section() { printf '\n%s\n' "$*" >>"$WORK/results.md"; }

# ---------------------------------------------------------------- topology
log "creating namespaces soak-$$-{sandbox,flood,host,internet} in $WORK"
make_three_namespaces "$NS_SANDBOX" "$NS_HOST" "$NS_NET" "$IF_SANDBOX" \
  "$SANDBOX_IP" "$HOST_SANDBOX_IP" "$HOST_NET_IP" "$NET_IP"
add_client_namespace "$NS_FLOOD" "$NS_HOST" "$IF_FLOOD" "$FLOOD_IP" "$HOST_FLOOD_IP"
for ns in "$NS_SANDBOX" "$NS_FLOOD" "$NS_HOST" "$NS_NET"; do
  in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
    net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
done
in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=0
# `ip netns exec` bind-mounts these over each sandbox's /etc/resolv.conf: curl resolves through allowdns.
for pair in "$NS_SANDBOX $HOST_SANDBOX_IP" "$NS_FLOOD $HOST_FLOOD_IP"; do
  read -r ns resolver <<<"$pair"
  mkdir -p "/etc/netns/$ns"
  printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$resolver" >"/etc/netns/$ns/resolv.conf"
done

# ---------------------------------------------------------------- internet: knotd, nginx, slow upstream
mkdir -p "$WORK/knot" "$WORK/zones" "$WORK/nginx"
{
  printf '$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\n'
  printf 'ns A %s\nsrv A %s\nsink A %s\n*.flood 60 A %s\n' "$NET_IP" "$NET_IP" "$NET_IP" "$NET_IP"
  awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++) printf "n%06d 30 A 192.0.2.%d\n", i, i % 250 + 1 }'
  awk 'BEGIN { for (i = 0; i < 200; i++) printf "g%03d A 198.51.100.%d\n", i, i % 250 + 1 }'
} >"$WORK/knot/bench.test.zone"
write_knot_conf "$NET_IP@53"
start_in_ns knotd "$NS_NET" 1 knotd -c "$WORK/knot.conf"

write_nginx_conf 8192 <<EOF
  access_log off;
  server {
    listen $NET_IP:80 backlog=4096;
    default_type text/plain;
    location / { return 200 "ok\n"; }
  }
EOF
start_in_ns nginx "$NS_NET" 1 nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
start_in_ns slow-upstream "$NS_NET" 1 python3 -u "$SCRIPT_DIR/slow_upstream.py" --listen "$NET_IP:$SLOW_PORT"
SLOW_PID=$STARTED_PID

log "waiting for knotd, nginx and the slow upstream in the internet namespace"
ready=false
for _ in $(seq 1 100); do
  if [[ "$(in_ns "$NS_NET" dig @"$NET_IP" +tries=1 +time=1 +short srv.bench.test A 2>/dev/null)" == "$NET_IP" ]] \
    && in_ns "$NS_NET" curl -sf --noproxy '*' -m 1 -o /dev/null "http://$NET_IP/" \
    && grep -q listening "$WORK/slow-upstream.log"; then
    ready=true
    break
  fi
  sleep 0.1
done
[[ "$ready" == true ]] || { echo "run.sh: the internet namespace did not come up; logs:" >&2
  tail -5 "$WORK"/knotd.log "$WORK"/nginx.log "$WORK"/slow-upstream.log >&2 || true; exit 1; }

# ---------------------------------------------------------------- host: rules, allowdns
build_allowdns || exit 1
cat >"$WORK/zones/bench.zone" <<EOF
# The bench's names; srv, sink and *.flood are in 10.0.0.0/8, hence @allow-private.
@allow-private
bench.test
**.bench.test
EOF
cat >"$WORK/zones/slow.zone" <<EOF
# Resolved through the slow-drip upstream only (a zone with @forward never falls back).
@forward $NET_IP:$SLOW_PORT
**.slow.test
EOF
cat >"$WORK/sandboxes.yaml" <<EOF
sandboxes:
  - cidr: $SANDBOX_IP/32
    id: good
  - cidr: $FLOOD_IP/32
    id: flood
EOF
in_ns "$NS_HOST" "$ALLOWDNS_LAUNCHER" iptables apply --sandbox-interface "$IF_SANDBOX" --sandbox-interface "$IF_FLOOD" \
  --dns-port "$DNS_PORT" --relay-port "$RELAY_PORT" >"$WORK/iptables-apply.log" 2>&1 \
  || { echo "run.sh: allowdns iptables apply failed:" >&2; tail -5 "$WORK/iptables-apply.log" >&2; exit 1; }

ALLOWDNS_PID=""
ALLOWDNS_RUN=0
# Starts a fresh allowdns (config file $1) in the host namespace on CPU 0, with a log directory of
# its own (LOG_DIR), and waits for its ready line. Rotated logs stay (20GB in all): records are counted.
start_allowdns() {
  ALLOWDNS_RUN=$((ALLOWDNS_RUN + 1))
  LOG_DIR="$WORK/logs-$ALLOWDNS_RUN"
  start_in_ns "allowdns-$ALLOWDNS_RUN" "$NS_HOST" 0 "$ALLOWDNS_LAUNCHER" serve --listen "0.0.0.0:$DNS_PORT" \
    --relay-listen "0.0.0.0:$RELAY_PORT" --upstream "$NET_IP:53" --upstream-timeout "${UPSTREAM_TIMEOUT_MS}ms" \
    --zones "$WORK/zones" --log-dir "$LOG_DIR" --log-total-size 20GB --state-dir "$WORK/state-$ALLOWDNS_RUN" \
    --config "$1" --admin-listen "127.0.0.1:$ADMIN_PORT"
  ALLOWDNS_PID=$STARTED_PID
  local deadline=$(($(date +%s) + 60))
  until grep -q 'ready:' "$WORK/allowdns-$ALLOWDNS_RUN.log"; do
    if ! kill -0 "$ALLOWDNS_PID" 2>/dev/null || (($(date +%s) > deadline)); then
      echo "run.sh: allowdns did not print its ready line; its log:" >&2; tail -10 "$WORK/allowdns-$ALLOWDNS_RUN.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  log "allowdns ($ALLOWDNS_PID): $(grep -m1 'ready:' "$WORK/allowdns-$ALLOWDNS_RUN.log")"
}
stop_allowdns() { [[ -z "$ALLOWDNS_PID" ]] || stop "$ALLOWDNS_PID"; ALLOWDNS_PID=""; }

# Prints how many records log $1 (queries or connections) of the current allowdns holds, rotated
# (gzipped) files included.
record_count() {
  local n=0 f
  for f in "$LOG_DIR/$1".*.jsonl.gz; do [[ -f "$f" ]] && n=$((n + $(zcat "$f" | wc -l))); done
  [[ -f "$LOG_DIR/$1.jsonl" ]] && n=$((n + $(wc -l <"$LOG_DIR/$1.jsonl")))
  echo "$n"
}
# Waits (at most 120 s) until record log $1 has been still for 1 s and every rotated file is
# compressed (a rotated file waits for the idle-priority compressor as NAME.DATE.N.jsonl), then
# prints its count.
settled_count() {
  local size last=""
  for _ in $(seq 1 120); do
    size="$(stat -c %s "$LOG_DIR/$1.jsonl" 2>/dev/null || echo 0)"
    if [[ "$size" == "$last" ]] && ! compgen -G "$LOG_DIR/$1.*[0-9].jsonl" >/dev/null; then break; fi
    last="$size"
    sleep 1
  done
  record_count "$1"
}

# Runs dnsperf in namespace $1 against the host for at most $2 + 20 s, other arguments passed on,
# output to $OUT; with -v in them, per-query lines go through latency_histogram into $OUT.hist.
dnsperf_in() {
  local ns="$1" limit="$2" server="$HOST_SANDBOX_IP"; shift 2
  [[ "$ns" == "$NS_FLOOD" ]] && server="$HOST_FLOOD_IP"
  if [[ " $* " == *" -v "* ]]; then
    run_client bash -c "timeout $((limit + 20)) ip netns exec $ns taskset -c 1 dnsperf -s $server -p 53 $* \
      | latency_histogram '$OUT'.rest >'$OUT'.hist" || true
    cp "$OUT.rest" "$OUT" 2>/dev/null || true
  else
    run_client timeout $((limit + 20)) ip netns exec "$ns" taskset -c 1 dnsperf -s "$server" -p 53 "$@" || true
  fi
}
export -f latency_histogram
field() { awk -v key="$1" -v col="$2" 'index($0, key) { print $col; exit }' "${3:-$OUT}"; }

# shellcheck source-path=SCRIPTDIR source=soak.sh
source "$SCRIPT_DIR/soak.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
source "$SCRIPT_DIR/faults.sh"
# shellcheck source-path=SCRIPTDIR source=flood.sh
source "$SCRIPT_DIR/flood.sh"

write_limits_configs
{
  echo "# Soak and fault figures"
  echo
  echo "$(machine_summary), kernel $(uname -r); load average before: $LOAD_BEFORE."
  echo "allowdns built from commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- src pom.xml 2>/dev/null || echo ' with uncommitted changes to src or pom.xml')," \
    "run through bin/allowdns (the launcher's JVM flags, heap ${ALLOWDNS_HEAP:-256m}) on CPU 0; clients and servers on CPU 1."
  echo "Mode: $([[ "$quick" == true ]] && echo "--quick" || echo "full, --minutes $minutes"); phases: $phases."
  [[ "$LIMITS" != true ]] || echo "This build takes \`limits:\`: every phase runs with every limit 0 (unlimited), but the flood+limits round."
} >"$WORK/results.md"

for phase in $phases; do
  "phase_${phase//-/_}"
done

{
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "## Checks"
  echo
  printf -- '- %s\n' "${CHECKS[@]}"
} >>"$WORK/results.md"
stamp="$(date -u +%Y-%m-%dT%H%MZ)"
publish_results "$SCRIPT_DIR/results-$stamp$([[ "$quick" == true ]] && echo -quick).md"
if printf '%s\n' "${CHECKS[@]}" | grep -q '^FAIL'; then log "some checks failed (see above)"; exit 1; fi
