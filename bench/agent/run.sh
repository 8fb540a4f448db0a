#!/usr/bin/env bash
# An agent-like workload through allowdns against direct resolution and routing: `npm ci` of the
# lockfile beside this script (242 packages, 218 tarballs) from a registry inside the bench's
# "internet" namespace, on a topology of three network namespaces made for the run:
# sandbox ─ host (routes, or runs allowdns) ─ internet (knotd for bench.test, nginx serving the
# tarballs at the lockfile's resolved URLs, http://registry.bench.test/NAME/-/NAME-VERSION.tgz).
#
# Modes, interleaved round by round (direct, allowdns, direct, ...):
#   direct    the sandbox's resolv.conf names knotd; the host namespace forwards
#   allowdns  the sandbox's resolv.conf names the host; `bin/allowdns iptables apply` redirects its
#             DNS and TCP to `bin/allowdns serve` (resolver + relay), which registers the sandbox
#             and allows registry.bench.test
# Every round starts from an empty npm cache and no node_modules, so every tarball is fetched.
# Each round checks that nothing was lost: in allowdns rounds, one connection record per
# connection nginx saw, with exactly the bytes nginx received and sent on it.
# Every process this script starts is killed by PID on exit; the namespaces (with their veths
# and iptables rules) and /etc/netns/NAME are removed. See bench/README.md ("Agent workload").
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/agent/run.sh [options]      (needs root: it creates network namespaces)

  --rounds N          measured rounds of each mode, interleaved (default: 5)
  --warmup-rounds N   unmeasured rounds of each mode first: the JIT, nginx's and the page cache
                      (default: 1; 0 for none)
  --fetch             fetch the tarballs again (from the npm registry, through npm), then run
                      (they are fetched anyway when missing from bench/agent/.cache)
  --fetch-only        fetch (when missing) and verify the tarballs, then exit
  --net A.B           first two octets of the addresses, inside 10.0.0.0/8 (default: 10.230):
                      sandbox A.B.1.2, host A.B.1.1 and A.B.2.1, internet A.B.2.2
  --nice N            niceness of every process the bench starts (default: -10; 0 to leave it)
  --write             also write the results to bench/agent/results-YYYY-MM-DDTHHMMZ.md (UTC)
  --keep              keep the work directory (configs, logs, nginx's access log)
  -h, --help          show this help

A smoke run (about a minute): bench/agent/run.sh --rounds 1 --warmup-rounds 0
EOF
}

rounds=5
warmup_rounds=1
fetch=false
fetch_only=false
net=10.230
niceness=-10
write_results=false
keep=false
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --warmup-rounds) warmup_rounds="$2"; shift 2 ;;
    --fetch) fetch=true; shift ;;
    --fetch-only) fetch_only=true; shift ;;
    --net) net="$2"; shift 2 ;;
    --nice) niceness="$2"; shift 2 ;;
    --write) write_results=true; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
require_positive_integers "$rounds"
[[ "$warmup_rounds" =~ ^[0-9]$ ]] || { echo "run.sh: --warmup-rounds takes 0..9, got '$warmup_rounds'" >&2; exit 2; }
((rounds <= 15)) || { echo "run.sh: --rounds is at most 15" >&2; exit 2; }
[[ "$net" =~ ^10\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] <= 255)) \
  || { echo "run.sh: --net must be 10.B (addresses stay inside 10.0.0.0/8), got '$net'" >&2; exit 2; }
require_niceness

readonly LOCKFILE="$SCRIPT_DIR/package-lock.json"
readonly CACHE="$SCRIPT_DIR/.cache/registry"

# ---------------------------------------------------------------- tarballs
# Fetches every tarball of the lockfile from the npm registry with npm itself (`npm pack
# NAME@VERSION`, which checks the registry's integrity), into the cache at the resolved URLs'
# paths; then checks each against the lockfile's integrity. Sets TARBALLS and TARBALL_BYTES.
ensure_tarballs() {
  require_tools "nodejs npm" node npm
  local verified
  if [[ "$fetch" == true ]] || ! node "$SCRIPT_DIR/tarballs.js" verify "$LOCKFILE" "$CACHE" >/dev/null 2>&1; then
    local staging specs
    staging="$(mktemp -d "${TMPDIR:-/tmp}/allowdns-agentbench-fetch.XXXXXX")"
    mapfile -t specs < <(node "$SCRIPT_DIR/tarballs.js" specs "$LOCKFILE")
    log "fetching ${#specs[@]} tarballs from the npm registry (npm pack) into $CACHE"
    # The registry is whatever npm is configured with (the npm registry by default).
    if ! (cd "$staging" && timeout 600 npm pack "${specs[@]}" --pack-destination "$staging" \
      --cache "$staging/npm-cache" --silent >"$staging/pack.log" 2>&1); then
      log "npm pack failed; its last lines:"; tail -5 "$staging/pack.log" >&2
      rm -rf "$staging"
      exit 1
    fi
    mkdir -p "$CACHE"
    node "$SCRIPT_DIR/tarballs.js" place "$LOCKFILE" "$staging" "$CACHE"
    rm -rf "$staging"
  fi
  verified="$(node "$SCRIPT_DIR/tarballs.js" verify "$LOCKFILE" "$CACHE")" \
    || { echo "run.sh: the tarball cache does not match the lockfile (see above); rerun with --fetch" >&2; exit 1; }
  read -r TARBALLS TARBALL_BYTES <<<"$verified"
  log "tarballs: $TARBALLS in $CACHE, $TARBALL_BYTES bytes, every one matching the lockfile's integrity"
}

if [[ "$fetch_only" == true ]]; then
  ensure_tarballs
  exit 0
fi

((EUID == 0)) || { echo "run.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
require_tools "iproute2 iptables nginx knot bind9-dnsutils curl jq nodejs npm openjdk-17-jre-headless" \
  ip iptables nginx knotd dig curl jq node npm java awk
ensure_tarballs

# ---------------------------------------------------------------- names, addresses, cleanup
readonly NS_SANDBOX="agentb-$$-sandbox"
readonly NS_HOST="agentb-$$-host"
readonly NS_NET="agentb-$$-internet"
readonly SANDBOX_IP="$net.1.2" HOST_SANDBOX_IP="$net.1.1" HOST_NET_IP="$net.2.1" NET_IP="$net.2.2"
readonly IF_SANDBOX=to-sandbox   # in the host namespace, facing the sandbox
readonly REGISTRY=registry.bench.test
readonly DNS_PORT=1053 RELAY_PORT=15001 ADMIN_PORT=9153 STATUS_PORT=8080
readonly NETNS_ETC="/etc/netns/$NS_SANDBOX"
readonly ALLOWDNS="$REPO_DIR/bin/allowdns"

NAMESPACES=()
# Runs on exit, once the processes in the namespaces are gone. Deleting a namespace takes its
# veths, addresses, routes and iptables rules with it.
delete_namespaces() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$NETNS_ETC"
}
BENCH_EXTRA_CLEANUP=delete_namespaces
bench_workdir allowdns-agentbench
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
start_in_ns() { local name="$1" ns="$2"; shift 2; start "$name" ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------- topology
log "creating namespaces $NS_SANDBOX, $NS_HOST, $NS_NET in $WORK"
make_three_namespaces "$NS_SANDBOX" "$NS_HOST" "$NS_NET" "$IF_SANDBOX" \
  "$SANDBOX_IP" "$HOST_SANDBOX_IP" "$HOST_NET_IP" "$NET_IP"
in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=0
# `ip netns exec` bind-mounts this over the sandbox's /etc/resolv.conf; each mode writes it.
mkdir -p "$NETNS_ETC"
sandbox_resolver() { printf 'nameserver %s\n' "$1" >"$NETNS_ETC/resolv.conf"; }

# ---------------------------------------------------------------- internet: knotd, nginx
mkdir -p "$WORK/knot" "$WORK/zones" "$WORK/nginx" "$WORK/home" "$WORK/project"
cat >"$WORK/knot/bench.test.zone" <<EOF
\$ORIGIN bench.test.
\$TTL 3600
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A $NET_IP
registry A $NET_IP
EOF
write_knot_conf "$NET_IP@53"
start_in_ns knotd "$NS_NET" knotd -c "$WORK/knot.conf"

readonly ACCESS_LOG="$WORK/nginx/access.log"
write_nginx_conf 4096 <<EOF
  # Per request: the connection's serial number, its request count, the bytes nginx received
  # (request line, headers, body) and sent (headers, body): what the relay's records must match.
  log_format conn '\$connection \$connection_requests \$request_length \$bytes_sent \$status \$request_time \$msec \$request_uri';
  access_log $ACCESS_LOG conn;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000;
  keepalive_timeout 65s;
  types { application/octet-stream tgz; }
  default_type application/octet-stream;
  server {
    listen $NET_IP:80 backlog=4096;
    server_name $REGISTRY;
    root $CACHE;
    location / { try_files \$uri =404; }
  }
EOF
start_in_ns nginx "$NS_NET" nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"

readonly PROBE_PATH="$(node -e 'const l = require(process.argv[1]); for (const [k, v] of Object.entries(l.packages)) if (k) { console.log(new URL(v.resolved).pathname); break }' "$LOCKFILE")"
log "waiting for knotd and nginx in the internet namespace"
ready=false
for _ in $(seq 1 100); do
  if [[ "$(in_ns "$NS_NET" dig @"$NET_IP" +tries=1 +time=1 +short "$REGISTRY" A 2>/dev/null)" == "$NET_IP" ]] \
    && in_ns "$NS_NET" curl -sf --noproxy '*' -m 1 -o /dev/null "http://$NET_IP$PROBE_PATH"; then
    ready=true
    break
  fi
  sleep 0.1
done
if [[ "$ready" != true ]]; then
  echo "run.sh: the internet namespace did not come up; logs:" >&2
  tail -5 "$WORK"/knotd.log "$WORK"/nginx.log "$WORK/nginx/error.log" >&2 || true
  exit 1
fi

# ---------------------------------------------------------------- host: allowdns, started once
build_allowdns || exit 1
cat >"$WORK/zones/agent.zone" <<EOF
# The bench's allowlist; the registry's address is in 10.0.0.0/8, hence @allow-private.
@allow-private
$REGISTRY
EOF
cat >"$WORK/allowdns.yaml" <<EOF
sandboxes:
  - cidr: $SANDBOX_IP/32
    id: agentb
EOF
readonly LOG_DIR="$WORK/allowdns-logs"
# It runs through the whole bench, as on a sandbox host: idle (and unused) in the direct rounds.
start_in_ns allowdns "$NS_HOST" "$ALLOWDNS" serve --listen "0.0.0.0:$DNS_PORT" --relay-listen "0.0.0.0:$RELAY_PORT" \
  --upstream "$NET_IP:53" --zones "$WORK/zones" --log-dir "$LOG_DIR" --state-dir "$WORK/allowdns-state" \
  --config "$WORK/allowdns.yaml" --admin-listen "127.0.0.1:$ADMIN_PORT"
ALLOWDNS_PID=$STARTED_PID
deadline=$(($(date +%s) + 60))
until grep -q 'ready:' "$WORK/allowdns.log"; do
  if ! kill -0 "$ALLOWDNS_PID" 2>/dev/null || (($(date +%s) > deadline)); then
    echo "run.sh: allowdns did not print its ready line; its log:" >&2; tail -10 "$WORK/allowdns.log" >&2
    exit 1
  fi
  sleep 0.1
done
log "allowdns: $(grep -m1 'ready:' "$WORK/allowdns.log")"

# Flushes every rule of the host namespace (all of them are this script's).
flush_rules() {
  local cmd table
  for cmd in iptables ip6tables; do
    for table in nat filter mangle; do
      in_ns "$NS_HOST" "$cmd" -t "$table" -F 2>/dev/null || true
      in_ns "$NS_HOST" "$cmd" -t "$table" -X 2>/dev/null || true
    done
  done
}

setup_direct() {
  flush_rules
  in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=1
  sandbox_resolver "$NET_IP"
}
setup_allowdns() {
  in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=0
  in_ns "$NS_HOST" "$ALLOWDNS" iptables apply --sandbox-interface "$IF_SANDBOX" --dns-port "$DNS_PORT" \
    --relay-port "$RELAY_PORT" >"$WORK/iptables-apply.log" 2>&1 \
    || { echo "run.sh: allowdns iptables apply failed:" >&2; tail -5 "$WORK/iptables-apply.log" >&2; exit 1; }
  sandbox_resolver "$HOST_SANDBOX_IP"
}

# GET of the probe tarball from the sandbox, by name: prints the HTTP status (000 on failure).
sandbox_get() {
  in_ns "$NS_SANDBOX" curl -s --noproxy '*' -m 3 -o /dev/null -w '%{http_code}' "http://$REGISTRY$PROBE_PATH" || true
}

# Checks both paths once, before anything is counted: direct resolves through knotd and routes;
# through allowdns the registry's address is refused until the sandbox has resolved it, then relayed.
setup_direct
[[ "$(sandbox_get)" == 200 ]] || { echo "run.sh: direct: GET http://$REGISTRY$PROBE_PATH from the sandbox failed" >&2; exit 1; }
setup_allowdns
code="$(in_ns "$NS_SANDBOX" curl -s --noproxy '*' -m 3 -o /dev/null -w '%{http_code}' "http://$NET_IP$PROBE_PATH" || true)"
[[ "$code" != 200 ]] || { echo "run.sh: allowdns: a GET before resolving went through: the relay is not in the path" >&2; exit 1; }
[[ "$(sandbox_get)" == 200 ]] || { echo "run.sh: allowdns: GET http://$REGISTRY$PROBE_PATH from the sandbox failed" >&2; exit 1; }
log "paths checked: direct routes; allowdns refuses the unresolved address, relays after resolving"

# ---------------------------------------------------------------- one round
cp "$SCRIPT_DIR/package.json" "$LOCKFILE" "$WORK/project/"
# A user configuration of the bench's own: no proxy, no audit, no update check, this registry for
# anything that is not at a resolved URL (none is expected: nginx's log shows it).
cat >"$WORK/home/.npmrc" <<EOF
registry=http://$REGISTRY/
audit=false
fund=false
update-notifier=false
progress=false
# One line per fetch with npm's own duration of it ("npm http fetch GET 200 URL 12ms (cache miss)").
loglevel=http
EOF
# Every package of the lockfile that npm installs on this machine (not fsevents, say: darwin only).
readonly PACKAGES="$(node -e 'const l = require(process.argv[1]);
  const fits = (list, value) => !list || list.includes(value) || (list.some((x) => x.startsWith("!")) && !list.includes("!" + value));
  console.log(Object.entries(l.packages).filter(([k, v]) => k && fits(v.os, process.platform) && fits(v.cpu, process.arch)).length)' "$LOCKFILE")"

# The sandbox's kernel counters: TCP connections opened and UDP datagrams sent (its DNS queries).
sandbox_counters() {
  in_ns "$NS_SANDBOX" awk '$1 == "Tcp:" || $1 == "Udp:" { if (!h[$1]++) { for (i = 1; i <= NF; i++) col[$1, $i] = i } else v[$1] = $0 }
    END { split(v["Tcp:"], t, " "); split(v["Udp:"], u, " "); print t[col["Tcp:", "ActiveOpens"]], u[col["Udp:", "OutDatagrams"]] }' /proc/net/snmp
}
# Each thread of allowdns: "TID TICKS NAME" (its comm, spaces as _), to see where its CPU goes.
allowdns_threads() {
  local task
  for task in /proc/"$ALLOWDNS_PID"/task/*; do
    sed 's/^[0-9]* (\(.*\)) [A-Z] /\1 /' "$task/stat" 2>/dev/null | awk -v tid="${task##*/}" '{ name = $1; gsub(/ /, "_", name); print tid, $12 + $13, name }' || true
  done
}
nginx_accepts() { in_ns "$NS_NET" curl -s --noproxy '*' -m 3 "http://127.0.0.1:$STATUS_PORT/" | awk 'NR == 3 { print $1 }'; }
lines() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }

# Waits until the connection log has $1 lines or has been still for 2 s; records are written once
# both sides of a connection have closed.
settle_records() {
  local want="$1" before after quiet=0
  before="$(lines "$LOG_DIR/connections.jsonl")"
  for _ in $(seq 1 100); do
    ((before >= want)) && { sleep 0.5; break; }
    sleep 0.2
    after="$(lines "$LOG_DIR/connections.jsonl")"
    if [[ "$after" == "$before" ]]; then quiet=$((quiet + 1)); ((quiet < 10)) || break; else quiet=0; fi
    before="$after"
  done
}

declare -A THREADS NPM_CPU FETCH_MS FETCH_P50 FIRST LAST WALL CONNS REQS DOWN UP DNS OPENS NOT200 CPU RECORDS CHECK
measure() {
  local mode="$1" key="$2" opens_a udp_a opens_b udp_b accepts_a accepts_b log_a records_a queries_a ticks_a t0 t1 status=0
  "setup_$mode"
  rm -rf "$WORK/project/node_modules" "$WORK/npm-cache"
  sync
  read -r opens_a udp_a <<<"$(sandbox_counters)"
  accepts_a="$(nginx_accepts)"
  log_a="$(lines "$ACCESS_LOG")"
  records_a="$(lines "$LOG_DIR/connections.jsonl")"
  queries_a="$(lines "$LOG_DIR/queries.jsonl")"
  ticks_a="$(proc_cpu_ticks "$ALLOWDNS_PID")"
  allowdns_threads >"$WORK/threads-$key.a"
  # This shell's waited-for children's CPU time (cutime + cstime): npm's, once run_client has waited.
  local child_a
  child_a="$(awk '{ print $16 + $17 }' /proc/$$/stat)"
  OUT="$WORK/npm-$key.out"
  t0="$(date +%s%N)"
  run_client timeout -k 5 300 ip netns exec "$NS_SANDBOX" env -i PATH="$PATH" HOME="$WORK/home" \
    npm ci --prefix "$WORK/project" --cache "$WORK/npm-cache" --prefer-online --no-audit --no-fund || status=$?
  t1="$(date +%s%N)"
  NPM_CPU[$key]=$((($(awk '{ print $16 + $17 }' /proc/$$/stat) - child_a) * 1000 / CLK_TCK))
  # npm's time per fetch, request sent to body read: the sum, and the median.
  read -r FETCH_MS[$key] FETCH_P50[$key] < <(awk '$2 == "http" && $3 == "fetch" { v = $7; sub(/ms$/, "", v); print v }' "$OUT" \
    | sort -n | awk '{ a[NR] = $1; s += $1 } END { print s + 0, (NR ? a[int((NR + 1) / 2)] : "n/a") }')
  ((status == 0)) || { echo "run.sh: $key: npm ci exited with $status; its output:" >&2; tail -20 "$OUT" >&2; exit 1; }
  local installed
  # npm's record of what it installed (node_modules/.package-lock.json), against the lockfile.
  installed="$(node -e 'const l = require(process.argv[1]); console.log(Object.keys(l.packages).length)' \
    "$WORK/project/node_modules/.package-lock.json")"
  read -r opens_b udp_b <<<"$(sandbox_counters)"
  WALL[$key]="$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')"
  OPENS[$key]=$((opens_b - opens_a))
  DNS[$key]=$((udp_b - udp_a))
  [[ "$mode" == allowdns ]] && settle_records $((records_a + OPENS[$key]))
  accepts_b="$(nginx_accepts)"
  CPU[$key]=$(($(proc_cpu_ticks "$ALLOWDNS_PID") - ticks_a))
  allowdns_threads >"$WORK/threads-$key.b"
  # allowdns's busiest threads over the round, as "NAME MS" (threads of one name summed).
  THREADS[$key]="$(awk -v hz="$CLK_TCK" 'NR == FNR { a[$1] = $2; next } { d[$3] += $2 - a[$1] }
    END { for (n in d) if (d[n] > 0) print d[n] * 1000 / hz, n }' "$WORK/threads-$key.a" "$WORK/threads-$key.b" \
    | sort -rn | head -5 | awk '{ printf "%s%s %d ms", (NR > 1 ? ", " : ""), $2, $1 }')"
  # nginx's view, per connection: "requests bytes_received bytes_sent", and the requests not 200.
  tail -n +$((log_a + 1)) "$ACCESS_LOG" >"$WORK/access-$key.log"
  awk '{ n[$1]++; rx[$1] += $3; tx[$1] += $4 } END { for (c in n) print n[c], rx[c], tx[c] }' "$WORK/access-$key.log" \
    | sort -n >"$WORK/nginx-conns-$key.txt"
  CONNS[$key]=$((accepts_b - accepts_a - 1))
  REQS[$key]="$(wc -l <"$WORK/access-$key.log")"
  # When nginx finished its first and last response, from npm's start: node's start-up and
  # npm's planning before, unpacking and writing node_modules after.
  read -r FIRST[$key] LAST[$key] < <(awk -v t0="$t0" 'NR == 1 || $7 < a { a = $7 } $7 > b { b = $7 }
    END { printf "%.3f %.3f\n", a - t0 / 1e9, b - t0 / 1e9 }' "$WORK/access-$key.log")
  UP[$key]="$(awk '{ s += $2 } END { print s + 0 }' "$WORK/nginx-conns-$key.txt")"
  DOWN[$key]="$(awk '{ s += $3 } END { print s + 0 }' "$WORK/nginx-conns-$key.txt")"
  NOT200[$key]="$(awk '$5 != 200 { print $5, $8 }' "$WORK/access-$key.log" | sort | uniq -c | head -5 | tr '\n' ';')"
  local records queries verdict
  records=$(($(lines "$LOG_DIR/connections.jsonl") - records_a))
  queries=$(($(lines "$LOG_DIR/queries.jsonl") - queries_a))
  RECORDS[$key]="$records"
  if [[ "$mode" == allowdns ]]; then
    # Exact bytes, connection by connection: the records' (sent, received) against nginx's
    # (received, sent), both sorted; and the totals.
    tail -n +$((records_a + 1)) "$LOG_DIR/connections.jsonl" \
      | jq -r '"\(.bytes_sent) \(.bytes_received) \(.result) \(.domain) \(.port)"' >"$WORK/records-$key.txt"
    awk '{ print $2, $3 }' "$WORK/nginx-conns-$key.txt" | sort >"$WORK/nginx-bytes-$key.txt"
    awk '{ print $1, $2 }' "$WORK/records-$key.txt" | sort >"$WORK/record-bytes-$key.txt"
    local rec_up rec_down allowed
    rec_up="$(awk '{ s += $1 } END { print s + 0 }' "$WORK/records-$key.txt")"
    rec_down="$(awk '{ s += $2 } END { print s + 0 }' "$WORK/records-$key.txt")"
    allowed="$(awk -v r="$REGISTRY" '$3 == "allowed" && $4 == r && $5 == 80' "$WORK/records-$key.txt" | wc -l)"
    verdict=OK
    ((records == CONNS[$key] && records == OPENS[$key] && allowed == records)) || verdict=MISMATCH
    cmp -s "$WORK/nginx-bytes-$key.txt" "$WORK/record-bytes-$key.txt" || verdict=MISMATCH
    [[ "$rec_up" == "${UP[$key]}" && "$rec_down" == "${DOWN[$key]}" ]] || verdict=MISMATCH
    CHECK[$key]="$records records ($allowed allowed, $REGISTRY:80) = ${CONNS[$key]} connections nginx accepted = ${OPENS[$key]} the sandbox opened; bytes sent $rec_up = nginx received ${UP[$key]}, bytes received $rec_down = nginx sent ${DOWN[$key]}, connection by connection: $verdict; $queries queries logged"
  else
    verdict=OK
    ((records == 0)) || verdict="MISMATCH ($records records in a direct round)"
    CHECK[$key]="no records (the relay is not in the path): $verdict"
  fi
  [[ "$installed" == "$PACKAGES" ]] || { CHECK[$key]+="; $installed packages installed, expected $PACKAGES: MISMATCH"; verdict=MISMATCH; }
  log "  $key: ${WALL[$key]} s (responses from ${FIRST[$key]} to ${LAST[$key]} s); ${CONNS[$key]} connections, ${REQS[$key]} requests, ${DOWN[$key]} bytes down, ${UP[$key]} up, ${DNS[$key]} DNS datagrams; fetches ${FETCH_MS[$key]} ms in all, median ${FETCH_P50[$key]} ms; CPU ms npm ${NPM_CPU[$key]}, allowdns $((CPU[$key] * 1000 / CLK_TCK)); ${NOT200[$key]:-every request 200}"
  log "  $key: ${CHECK[$key]}"
  [[ -z "${THREADS[$key]}" ]] || log "  $key: allowdns's busiest threads: ${THREADS[$key]}"
}

MODES=(direct allowdns)
# Rounds $2 of every mode, interleaved; $1 prefixes each round's key (w for the warm-up).
interleaved_rounds() {
  local prefix="$1" count="$2" round mode
  for round in $(seq 1 "$count"); do
    for mode in "${MODES[@]}"; do
      log "${prefix:+warm-up }round $round of $count: $mode"
      measure "$mode" "$mode.$prefix$round"
    done
  done
}
interleaved_rounds w "$warmup_rounds"
interleaved_rounds "" "$rounds"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
curl_metrics="$(in_ns "$NS_HOST" curl -s --noproxy '*' -m 5 "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^allowdns_relay_connections' || true)"

# ---------------------------------------------------------------- report
# Prints the median of figure array $1 over the measured rounds of mode $2.
med() {
  local -n figures="$1"
  local round values=""
  for round in $(seq 1 "$rounds"); do values+="${figures[$2.$round]} "; done
  echo "$values" | median
}
report() {
  local mode round key direct_med allowdns_med mismatches=0
  direct_med="$(med WALL direct)"; allowdns_med="$(med WALL allowdns)"
  echo "# Agent workload: npm ci through allowdns against direct resolution and routing"
  echo
  echo "$(machine_summary), kernel $(uname -r)."
  echo "Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER."
  echo "allowdns built from commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- src pom.xml 2>/dev/null || echo ' with uncommitted changes to src or pom.xml')," \
    "run by \`bin/allowdns serve\` (the shipped launcher's flags); node $(node --version), npm $(npm --version), $(nginx -v 2>&1 | awk '{ print $3 }'), $(knotd --version | awk '{ print $1, $2 }')."
  echo "Workload: \`npm ci --cache EMPTY --prefer-online --no-audit --no-fund\` of bench/agent/package-lock.json" \
    "($PACKAGES packages, $TARBALLS tarballs, $TARBALL_BYTES bytes) in the sandbox namespace, node_modules removed" \
    "before each round; $warmup_rounds unmeasured round(s) of each mode, then $rounds measured, interleaved" \
    "(direct, allowdns, direct, ...). No CPU pinning; niceness $niceness."
  echo
  echo "| mode | npm ci wall s (median) | min | max | ratio to direct |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for mode in "${MODES[@]}"; do
    local values
    values="$(for round in $(seq 1 "$rounds"); do echo "${WALL[$mode.$round]}"; done | sort -g)"
    printf '| %s | %s | %s | %s | %s |\n' "$mode" "$(med WALL "$mode")" "$(head -1 <<<"$values")" "$(tail -1 <<<"$values")" \
      "$(awk -v a="$(med WALL "$mode")" -v d="$direct_med" 'BEGIN { printf "%.3f", a / d }')"
  done
  local pairs
  pairs="$(for round in $(seq 1 "$rounds"); do
    awk -v a="${WALL[allowdns.$round]}" -v d="${WALL[direct.$round]}" 'BEGIN { printf "%.3f\n", a / d }'; done)"
  echo
  echo "Round by round, allowdns / direct (each allowdns round against the direct round just before it):" \
    "$(tr '\n' ' ' <<<"$pairs" | sed 's/ $//; s/ /, /g'); median $(median <<<"$pairs")."
  echo
  echo "Every round (what the workload did: connections and requests from nginx's log and stub_status," \
    "bytes as nginx counted them, DNS datagrams the sandbox sent; npm's own time per fetch from its http log lines;" \
    "CPU time of npm and of allowdns, from /proc, at ${CLK_TCK} ticks/s):"
  echo
  echo "| round | mode | wall s | first response s | last response s | connections | requests | bytes to the sandbox | bytes from it | DNS queries (UDP datagrams) | fetch ms: sum | fetch ms: median | npm CPU ms | allowdns CPU ms |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for round in $(seq 1 "$rounds"); do
    for mode in "${MODES[@]}"; do
      key="$mode.$round"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$mode" "${WALL[$key]}" "${FIRST[$key]}" "${LAST[$key]}" "${CONNS[$key]}" "${REQS[$key]}" \
        "${DOWN[$key]}" "${UP[$key]}" "${DNS[$key]}" \
        "${FETCH_MS[$key]}" "${FETCH_P50[$key]}" "${NPM_CPU[$key]}" $((CPU[$key] * 1000 / CLK_TCK))
    done
  done
  echo
  echo "Nothing lost, every round (records against nginx's per-connection \`\$request_length\` and \`\$bytes_sent\` sums):"
  echo
  for round in $(seq 1 "$rounds"); do
    for mode in "${MODES[@]}"; do
      key="$mode.$round"
      echo "- round $round, $mode: ${CHECK[$key]}"
      [[ "${CHECK[$key]}" != *MISMATCH* ]] || mismatches=$((mismatches + 1))
      [[ -z "${NOT200[$key]}" ]] || echo "  - requests not answered 200: ${NOT200[$key]}"
      [[ "$mode" != allowdns || -z "${THREADS[$key]}" ]] || echo "  - allowdns's CPU by thread: ${THREADS[$key]}"
    done
  done
  echo
  echo "Connections per round (nginx, direct round 1): requests and bytes each, sorted by requests:"
  echo
  echo '```'
  awk '{ printf "%d requests, %d bytes received, %d bytes sent\n", $1, $2, $3 }' "$WORK/nginx-conns-direct.1.txt" | sort -rn
  echo '```'
  if [[ -n "$curl_metrics" ]]; then
    echo
    echo "Relay counters at the end (the warm-up rounds and the path check's two GETs included):"
    echo
    echo '```'
    echo "$curl_metrics"
    echo '```'
  fi
  echo
  echo "Target:"
  echo
  printf -- '- npm ci through allowdns within 2%% of direct (median wall time): %s\n' \
    "$(awk -v a="$allowdns_med" -v d="$direct_med" 'BEGIN { r = a / d; printf "%s (%+.1f%%: %s s vs %s s)", (r <= 1.02 ? "PASS" : "FAIL"), (r - 1) * 100, a, d }')"
  printf -- '- nothing lost, every round: %s\n' "$( ((mismatches == 0)) && echo PASS || echo "FAIL ($mismatches rounds)")"
}

report >"$WORK/results.md"
publish_results "$SCRIPT_DIR/results-$(date -u +%Y-%m-%dT%H%MZ).md"
grep -q 'nothing lost, every round: PASS' "$WORK/results.md"
