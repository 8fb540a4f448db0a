#!/usr/bin/env bash
# Benchmarks the allowdns relay against HAProxy and plain routing, in one run, on a topology of
# three network namespaces made for the run: client (the sandbox) ─ host (the middle box) ─ server.
#
# Modes, one after another: direct (the host routes), haproxy (mode tcp, splice-auto, behind the
# same iptables REDIRECT as the relay), allowdns (serve --relay-listen, the client resolves the
# server's name through it first) and allowdns-proxy (serve --proxy-listen: the client sends
# absolute-form requests to the explicit proxy, which resolves the name itself; no iperf3 there,
# since iperf3 cannot use an HTTP proxy), and, on request, allowdns-limits (the relay as in
# allowdns, with every per-sandbox limit of the connections on, set far above what the run reaches,
# so that each connection is admitted and every read is paid for, and nothing is refused or
# paused: the limiter's cost against the allowdns mode, whose limits are off). Each mode gets iperf3 both ways, wrk new connections/s and wrk
# keep-alive latency. The middle box is pinned to CPU 0 (--middle-cpu); everything else runs on CPU 1.
# Traffic stays inside the namespaces. Every process this script starts is killed by PID on exit,
# and the namespaces (with their veths and iptables rules) are deleted.
# See bench/README.md for what each figure means.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/relay/run.sh [options]      (needs root: it creates network namespaces)

  --modes LIST        modes to measure, in order, space or comma separated
                      (default: "direct haproxy allowdns allowdns-proxy"; direct runs first so
                      that its host namespace has no netfilter hooks yet; allowdns-limits on
                      request, e.g. --modes allowdns,allowdns-limits --rounds 3)
  --duration S        seconds of each iperf3 run and each wrk run (default: 10)
  --connections N     wrk -c for the new-connections/s run (default: 16)
  --warmup S          seconds of unmeasured load before each measurement (iperf3, wrk with
                      Connection: close, wrk keep-alive), so that the JIT has compiled the
                      paths about to be measured (default: 10)
  --rounds N          rounds over every mode, interleaved; the table shows medians (default: 1)
  --net A.B           first two octets of the addresses, inside 10.0.0.0/8 (default: 10.201):
                      client A.B.1.2, host A.B.1.1 and A.B.2.1, server A.B.2.2
  --middle-cpu N      CPU of the middle box (default: 0); 1 puts it on the load generators' CPU,
                      to see how much of the added latency is the hop between CPUs
  --nice N            niceness of the middle box and the load generators (default: -10; 0 to
                      leave it)
  --write             also write the results to bench/relay/results-YYYY-MM-DDTHHMMZ.md (UTC)
                      (results-…-middle-cpu-1.md with --middle-cpu 1)
  --syscalls          also count the middle box's system calls per connection (HAProxy and
                      allowdns in the same run): one more wrk Connection: close run of
                      --duration s per mode with `strace -f -c` attached to the whole process
                      (strace slows it down; only the counts of that run are used)
  --packets           also count packets per connection (during the measured Connection: close
                      run): TCP segments sent and received in the client and server namespaces
                      (/proc/net/snmp), packets on the host's two veths, resets the host sent
  --profile           also profile the middle box: one more wrk Connection: close run and one
                      more iperf3 run each way, with `perf record -g` on the process; the report
                      gets the share of kernel, JIT and JVM time and the top symbols of each
                      (for allowdns's Java frames add ALLOWDNS_JVM_OPTS=-XX:+PreserveFramePointer)
  --keep              keep the work directory (configs, logs, raw tool output)
  -h, --help          show this help

Environment:
  ALLOWDNS_JVM_OPTS   more JVM flags for allowdns, after the launcher's own (bin/allowdns runs
                      every allowdns command here, as users run it), e.g.
                      "-XX:+PreserveFramePointer" for perf record -g
  ALLOWDNS_SERVE_ARGS more flags for `allowdns serve`, e.g. "--log-max-file-size 1MB"
EOF
}


modes="direct haproxy allowdns allowdns-proxy"
duration=10
connections=16
warmup=10
rounds=1
middle_cpu=0
net=10.201
niceness=-10
write_results=false
keep=false
count_syscalls=false
count_packets=false
profile=false
while (($#)); do
  case "$1" in
    --modes) modes="${2//,/ }"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --middle-cpu) middle_cpu="$2"; shift 2 ;;
    --net) net="$2"; shift 2 ;;
    --nice) niceness="$2"; shift 2 ;;
    --write) write_results=true; shift ;;
    --keep) keep=true; shift ;;
    --syscalls) count_syscalls=true; shift ;;
    --packets) count_packets=true; shift ;;
    --profile) profile=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
require_positive_integers "$duration" "$connections" "$warmup" "$rounds"
((duration <= 60 && connections <= 1000 && warmup <= 30 && rounds <= 9)) \
  || { echo "run.sh: --duration is at most 60, --connections 1000, --warmup 30, --rounds 9" >&2; exit 2; }
[[ "$net" =~ ^10\.([0-9]{1,3})$ ]] && ((BASH_REMATCH[1] <= 255)) \
  || { echo "run.sh: --net must be 10.B (addresses stay inside 10.0.0.0/8), got '$net'" >&2; exit 2; }
[[ "$middle_cpu" == 0 || "$middle_cpu" == 1 ]] || { echo "run.sh: --middle-cpu is 0 or 1, got '$middle_cpu'" >&2; exit 2; }
require_niceness
for mode in $modes; do
  case "$mode" in direct|haproxy|allowdns|allowdns-proxy|allowdns-limits) ;; *) echo "run.sh: unknown mode: $mode" >&2; exit 2 ;; esac
done

((EUID == 0)) || { echo "run.sh: needs root (network namespaces, iptables)" >&2; exit 2; }
tools=(ip iptables iperf3 wrk nginx knotd dig curl jq taskset awk)
[[ " $modes " == *" haproxy "* ]] && tools+=(haproxy)
[[ " $modes " == *" allowdns"* ]] && tools+=(java)
[[ "$count_syscalls" == true ]] && tools+=(strace)
[[ "$profile" == true ]] && tools+=(perf)
require_tools "iproute2 iptables iperf3 wrk nginx knot bind9-dnsutils curl jq util-linux haproxy openjdk-17-jre-headless strace linux-perf" \
  "${tools[@]}"
require_two_cpus "middle box on CPU 0, the rest on CPU 1"

# ---------------------------------------------------------------- names, addresses, cleanup
readonly NS_CLIENT="allowdns-relaybench-$$-client"
readonly NS_HOST="allowdns-relaybench-$$-host"
readonly NS_SERVER="allowdns-relaybench-$$-server"
readonly CLIENT_IP="$net.1.2" HOST_CLIENT_IP="$net.1.1" HOST_SERVER_IP="$net.2.1" SERVER_IP="$net.2.2"
readonly IF_HOST_CLIENT=to-client   # in the host namespace, facing the client (the sandbox interface)
readonly SERVER_NAME=srv.bench.test
readonly IPERF_PORT=5201 HTTP_PORT=80
readonly STATUS_PORT=8080
readonly DNS_PORT=1053 RELAY_PORT=15001 HAPROXY_PORT=15002 ADMIN_PORT=9153 PROXY_PORT=3129
readonly BODY_BYTES=100

NAMESPACES=()
# Runs on exit, once the processes in the namespaces are gone. Deleting a namespace takes its
# veths, addresses, routes and iptables rules with it.
delete_namespaces() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
BENCH_EXTRA_CLEANUP=delete_namespaces
bench_workdir allowdns-relaybench

# This shell and everything it runs stay on CPU 1; the middle box is started with taskset -c 0.
taskset -cp 1 $$ >/dev/null

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# Starts "$@" in namespace $2 on CPU $3, as start does (output to $WORK/$1.log, sets STARTED_PID).
# ip netns exec and taskset exec (neither forks), so STARTED_PID is the program itself.
start_in_ns() {
  local name="$1" ns="$2" cpu="$3"; shift 3
  start "$name" ip netns exec "$ns" taskset -c "$cpu" "$@"
}

# Runs a client command in the client namespace (on CPU 1) for at most $1 seconds, output to $OUT.
# Returns the command's status.
client_run() {
  local limit="$1"; shift
  run_client timeout -k 5 "$limit" ip netns exec "$NS_CLIENT" "$@"
}

# ---------------------------------------------------------------- topology
log "creating namespaces $NS_CLIENT, $NS_HOST, $NS_SERVER in $WORK"
# The veth pairs are created inside the namespaces: no interface name ever exists outside them.
make_three_namespaces "$NS_CLIENT" "$NS_HOST" "$NS_SERVER" "$IF_HOST_CLIENT" \
  "$CLIENT_IP" "$HOST_CLIENT_IP" "$HOST_SERVER_IP" "$SERVER_IP"
# Per-namespace sysctls: room for tens of thousands of short connections.
for ns in "$NS_CLIENT" "$NS_HOST" "$NS_SERVER"; do
  in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
    net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
done
in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=0

# ---------------------------------------------------------------- server: knotd, iperf3, nginx
mkdir -p "$WORK/knot" "$WORK/zones" "$WORK/nginx"
cat >"$WORK/knot/bench.test.zone" <<EOF
\$ORIGIN bench.test.
\$TTL 3600
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A $SERVER_IP
srv A $SERVER_IP
EOF
write_knot_conf "$SERVER_IP@53"
start_in_ns knotd "$NS_SERVER" 1 knotd -c "$WORK/knot.conf"

start_in_ns iperf3-server "$NS_SERVER" 1 iperf3 -s -B "$SERVER_IP" -p "$IPERF_PORT"

BODY="$(head -c $((BODY_BYTES - 1)) /dev/zero | tr '\0' 'x')"
write_nginx_conf 8192 <<EOF
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 65s;
  server {
    listen $SERVER_IP:$HTTP_PORT backlog=4096;
    default_type text/plain;
    # A $BODY_BYTES-byte body; the client's "Connection: close" decides whether the connection ends.
    location / { return 200 "$BODY\n"; }
  }
EOF
start_in_ns nginx "$NS_SERVER" 1 nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"

log "waiting for knotd, iperf3 and nginx in the server namespace"
ready=false
for _ in $(seq 1 100); do
  if [[ "$(in_ns "$NS_SERVER" dig @"$SERVER_IP" +tries=1 +time=1 +short "$SERVER_NAME" A 2>/dev/null)" == "$SERVER_IP" ]] \
    && in_ns "$NS_SERVER" curl -s --noproxy '*' -m 1 -o /dev/null "http://$SERVER_IP:$HTTP_PORT/" \
    && [[ -n "$(in_ns "$NS_SERVER" ss -Hlnt "sport = :$IPERF_PORT")" ]]; then
    ready=true
    break
  fi
  sleep 0.1
done
if [[ "$ready" != true ]]; then
  echo "run.sh: the server namespace did not come up; logs:" >&2
  tail -5 "$WORK"/knotd.log "$WORK"/iperf3-server.log "$WORK"/nginx.log "$WORK/nginx/error.log" >&2 || true
  exit 1
fi

# ---------------------------------------------------------------- middle boxes
MIDDLE_PID=""

# Puts a proxy listening on $1 in the path, behind the same rules for both proxies: allowdns's own
# (`allowdns iptables apply`: the sandbox interface's DNS to port 1053, every other TCP connection
# REDIRECTed to the proxy, nothing else accepted or routed), or, with a jar that has no iptables
# command, the two REDIRECT rules alone. Sets RULES to say which.
redirect() {
  local tcp_port="$1"
  if [[ -f "$ALLOWDNS_JAR" ]] && in_ns "$NS_HOST" "$ALLOWDNS_LAUNCHER" iptables apply \
    --sandbox-interface "$IF_HOST_CLIENT" --dns-port "$DNS_PORT" --relay-port "$tcp_port" >"$WORK/iptables-apply.log" 2>&1; then
    RULES="\`allowdns iptables apply --sandbox-interface $IF_HOST_CLIENT --dns-port $DNS_PORT --relay-port PORT\`"
    return 0
  fi
  if [[ -f "$ALLOWDNS_JAR" ]] && ! grep -qi 'unmatched argument\|unknown' "$WORK/iptables-apply.log"; then
    log "allowdns iptables apply failed:"; tail -5 "$WORK/iptables-apply.log" >&2
    return 1
  fi
  in_ns "$NS_HOST" iptables -t nat -A PREROUTING -i "$IF_HOST_CLIENT" -p udp --dport 53 -j REDIRECT --to-ports "$DNS_PORT"
  in_ns "$NS_HOST" iptables -t nat -A PREROUTING -i "$IF_HOST_CLIENT" -p tcp --dport 53 -j REDIRECT --to-ports "$DNS_PORT"
  in_ns "$NS_HOST" iptables -t nat -A PREROUTING -i "$IF_HOST_CLIENT" -p tcp -j REDIRECT --to-ports "$tcp_port"
  RULES="\`iptables -t nat -A PREROUTING -i $IF_HOST_CLIENT -p tcp -j REDIRECT --to-ports PORT\` (and DNS to $DNS_PORT)"
}
RULES="none"

# Removes every rule from the host namespace (it is this script's own).
unredirect() {
  local cmd table
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for table in nat filter; do
      in_ns "$NS_HOST" "$cmd" -t "$table" -F 2>/dev/null || true
      in_ns "$NS_HOST" "$cmd" -t "$table" -X 2>/dev/null || true
    done
  done
}

setup_direct() {
  in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=1
  MIDDLE_PID=""
}
teardown_direct() { in_ns "$NS_HOST" sysctl -qw net.ipv4.ip_forward=0; }

setup_haproxy() {
  build_allowdns || true # for `allowdns iptables apply`; without the jar, plain REDIRECT rules
  cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  # Far above the benchmark's needs, and within a 20,000 open-file limit (2 descriptors a connection).
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option splice-auto
frontend relay
  bind 0.0.0.0:$HAPROXY_PORT
  default_backend original_destination
backend original_destination
  # 0.0.0.0 without a port: connect to the address and port the client connected to, which
  # HAProxy reads from the REDIRECTed socket (SO_ORIGINAL_DST), as the allowdns relay does.
  server dst 0.0.0.0
EOF
  haproxy -c -q -f "$WORK/haproxy.cfg" >/dev/null
  start_in_ns haproxy "$NS_HOST" "$middle_cpu" haproxy -db -f "$WORK/haproxy.cfg"
  MIDDLE_PID=$STARTED_PID
  redirect "$HAPROXY_PORT"
  for _ in $(seq 1 100); do
    [[ -n "$(in_ns "$NS_HOST" ss -Hlnt "sport = :$HAPROXY_PORT")" ]] && return 0
    kill -0 "$MIDDLE_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "haproxy did not start; its log:"; tail -5 "$WORK/haproxy.log" >&2
  return 1
}
teardown_haproxy() { stop "$MIDDLE_PID"; unredirect; }

setup_allowdns() {
  ALLOWDNS_LISTEN_ARGS="--relay-listen 0.0.0.0:$RELAY_PORT" start_allowdns || return 1
  redirect "$RELAY_PORT"
}

# The per-sandbox limits of every mode but allowdns-limits: off.
readonly LIMITS_OFF="limits: {connections_per_second: 0, open_connections: 0, bandwidth_up: 0, bandwidth_down: 0, dns_qps: 0, names_per_domain_per_hour: 0}"
# allowdns-limits: every connection limit on, far above the run: admitted and paid for, never
# refused or paused (DNS limits off, as in the other modes: one query per round).
readonly LIMITS_ON="limits: {connections_per_second: 10000000, open_connections: 1000000, bandwidth_up: 10000Gbit, bandwidth_down: 10000Gbit, dns_qps: 0, names_per_domain_per_hour: 0}"
setup_allowdns-limits() {
  ALLOWDNS_LIMITS="$LIMITS_ON" ALLOWDNS_LISTEN_ARGS="--relay-listen 0.0.0.0:$RELAY_PORT" start_allowdns || return 1
  redirect "$RELAY_PORT"
}
teardown_allowdns-limits() { teardown_allowdns; }

# The explicit proxy: no REDIRECT and no forwarding; the client asks the proxy by name.
setup_allowdns-proxy() {
  ALLOWDNS_LISTEN_ARGS="--proxy-listen $HOST_CLIENT_IP:$PROXY_PORT" start_allowdns
}
teardown_allowdns-proxy() { stop "$MIDDLE_PID"; }

# Starts allowdns in the host namespace with $ALLOWDNS_LISTEN_ARGS and waits for its ready line.
start_allowdns() {
  build_allowdns || return 1
  cat >"$WORK/zones/bench.zone" <<EOF
# The benchmark's allowlist; its addresses are in 10.0.0.0/8, hence @allow-private.
@allow-private
$SERVER_NAME
EOF
  # Limits off (0) unless the mode sets them: the defaults would refuse wrk's connection rate.
  local limits="${ALLOWDNS_LIMITS:-$LIMITS_OFF}"
  cat >"$WORK/allowdns.yaml" <<EOF
sandboxes:
  - cidr: $CLIENT_IP/32
    id: bench
$limits
EOF
  # shellcheck disable=SC2086  # JVM flags are a word list
  # The shipped launcher, as users run it; env and the launcher exec, so STARTED_PID is the JVM.
  start_in_ns allowdns "$NS_HOST" "$middle_cpu" env ALLOWDNS_JAR="$ALLOWDNS_JAR" ALLOWDNS_JAVA_OPTS="${ALLOWDNS_JVM_OPTS:-}" \
    "$ALLOWDNS_LAUNCHER" serve \
    --listen "0.0.0.0:$DNS_PORT" $ALLOWDNS_LISTEN_ARGS --upstream "$SERVER_IP:53" \
    --zones "$WORK/zones" --log-dir "$(log_dir)" --state-dir "$WORK/allowdns-state-$ROUND" \
    --config "$WORK/allowdns.yaml" --admin-listen "127.0.0.1:$ADMIN_PORT" ${ALLOWDNS_SERVE_ARGS:-}
  MIDDLE_PID=$STARTED_PID
  local deadline=$(($(date +%s) + 60))
  until grep -q 'ready:' "$WORK/allowdns.log"; do
    if ! kill -0 "$MIDDLE_PID" 2>/dev/null || (($(date +%s) > deadline)); then
      log "allowdns did not print its ready line; its log:"; tail -10 "$WORK/allowdns.log" >&2
      return 1
    fi
    sleep 0.1
  done
  log "allowdns: $(grep -m1 'ready:' "$WORK/allowdns.log")"
  # The launcher has exec'd java: the JVM's own argv holds the flags actually used.
  JVM_ARGV="$(tr '\0' ' ' <"/proc/$MIDDLE_PID/cmdline" | sed 's/ -jar .*//')"
}
teardown_allowdns() { stop "$MIDDLE_PID"; unredirect; }

# Prints the body length of one GET from the client, or fails.
http_get() {
  in_ns "$NS_CLIENT" curl -s --noproxy '*' -m 3 -H "Host: $SERVER_NAME" -o /dev/null -w '%{size_download}' \
    "http://$SERVER_IP:$HTTP_PORT/"
}

# Prints the body length of one GET through the explicit proxy, or fails.
proxy_get() {
  in_ns "$NS_CLIENT" curl -s -m 3 -x "http://$HOST_CLIENT_IP:$PROXY_PORT" -o /dev/null -w '%{size_download}' \
    "http://$SERVER_NAME:$HTTP_PORT/"
}

# The explicit proxy is asked in absolute form: wrk connects to the proxy, the script names the
# destination in the request line.
wrk_target() {
  if [[ "$MODE" == allowdns-proxy ]]; then
    echo "-s $WORK/absolute-form.lua http://$HOST_CLIENT_IP:$PROXY_PORT/"
  else
    echo "$URL"
  fi
}

# Each round's allowdns writes its records to a directory of its own.
log_dir() { echo "$WORK/allowdns-logs-$ROUND"; }

connection_records() {
  # Rotated files (connections.DATE.N.jsonl.gz) count too: a round can pass the rotation size.
  local dir f
  dir="$(log_dir)"
  { cat "$dir"/connections.jsonl 2>/dev/null || true
    for f in "$dir"/connections.*.jsonl.gz; do
      if [[ -f "$f" ]]; then zcat "$f" 2>/dev/null || true; fi
    done
  } | wc -l
}

# Waits until the connection log has stopped growing for 3 s, and prints its line count. Records
# are written by a background thread once both sides of a connection have closed, and a
# connection whose client closed before sending anything (wrk stopping) is only decided, connected
# and recorded when the relay's peek timeout (2 s) runs out: it must not land in the next count.
settled_records() {
  local before after quiet=0
  before="$(connection_records)"
  for _ in $(seq 1 60); do
    sleep 0.5
    after="$(connection_records)"
    if [[ "$after" == "$before" ]]; then
      quiet=$((quiet + 1))
      ((quiet < 6)) || break
    else
      quiet=0
    fi
    before="$after"
  done
  echo "$after"
}

# Checks that the middle box is really in the path before measuring.
check_path() {
  local mode="$1" size
  if [[ "$mode" == allowdns-proxy ]]; then
    if size="$(http_get)"; then
      log "allowdns-proxy: a GET without the proxy went through ($size bytes): the host routes"
      return 1
    fi
    size="$(proxy_get)" || { log "$mode: GET through the proxy failed"; return 1; }
    [[ "$size" == "$BODY_BYTES" ]] || { log "$mode: GET returned $size bytes, expected $BODY_BYTES"; return 1; }
    log "allowdns-proxy: no route without the proxy; $SERVER_NAME through it: $size bytes"
    return 0
  fi
  if [[ "$mode" == allowdns || "$mode" == allowdns-limits ]]; then
    # Before the sandbox has resolved the name, the relay must refuse the server's address.
    if size="$(http_get)"; then
      log "allowdns: a GET before resolving went through ($size bytes): the relay is not in the path"
      return 1
    fi
    local answer
    answer="$(in_ns "$NS_CLIENT" dig @"$HOST_CLIENT_IP" -p 53 +tries=2 +time=2 +short "$SERVER_NAME" A)"
    if [[ "$answer" != "$SERVER_IP" ]]; then
      log "allowdns: $SERVER_NAME resolved to '$answer' through the relay host, expected $SERVER_IP"
      return 1
    fi
    log "allowdns: refused before resolving; $SERVER_NAME -> $answer through allowdns"
  fi
  size="$(http_get)" || { log "$mode: GET from the client failed"; return 1; }
  [[ "$size" == "$BODY_BYTES" ]] || { log "$mode: GET returned $size bytes, expected $BODY_BYTES"; return 1; }
}

# ---------------------------------------------------------------- measurements
# Samples the middle box (none in direct mode) and its CPU around a run: sample_end sets
# SAMPLED_TICKS, SAMPLED_USER and OTHER_LOAD (meaningless in direct mode, where nothing of the
# benchmark runs on that CPU, and with --middle-cpu 1, where the load generators run there too).
sample_middle_begin() { sample_begin "$MIDDLE_PID" "$middle_cpu"; }
note_load() {
  local mode="$1"
  if ((OTHER_LOAD > ${NOISE[$mode]:-0})); then NOISE[$mode]="$OTHER_LOAD"; fi
}

# Runs iperf3 from the client ($2: "" or -R); sets IPERF_BYTES and IPERF_GBPS from the receiver.
iperf() {
  local seconds="$1" reverse="$2"
  OUT="$WORK/iperf3-$MODE$reverse-$seconds.json"
  # shellcheck disable=SC2086  # $reverse is empty or one flag
  client_run $((seconds + 15)) iperf3 -c "$SERVER_IP" -p "$IPERF_PORT" -t "$seconds" --connect-timeout 3000 -J $reverse || true
  IPERF_BYTES="$(jq -r '.end.sum_received.bytes // 0' "$OUT" 2>/dev/null || echo 0)"
  IPERF_GBPS="$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 | . * 100 | round / 100' "$OUT" 2>/dev/null || echo 0)"
  local error
  error="$(jq -r '.error // empty' "$OUT" 2>/dev/null || head -3 "$OUT")"
  [[ -z "$error" ]] || log "  $MODE iperf3 $reverse: error: $error"
}

# Prints a wrk latency field ("62.00us", "1.20ms", "1.00s") in microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000; else if (v ~ /s$/) f = 1000000; else f = 0
    if (f == 0) print "n/a"; else printf "%.0f", n * f }'
}
wrk_field() { awk -v key="$1" -v col="$2" 'index($0, key) { print $col; exit }' "$OUT"; }
# Sums the socket errors wrk reports (connect, read, write, timeout) and non-2xx/3xx answers.
wrk_errors() {
  awk '/Socket errors:/ { gsub(",", ""); s += $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx/ { s += $NF }
       END { print s + 0 }' "$OUT"
}

# Prints the client namespace's TCP ActiveOpens (connect() calls that sent a SYN): the exact
# number of connections the load generators opened.
client_active_opens() { tcp_counter "$NS_CLIENT" ActiveOpens; }

# Prints namespace $1's TCP counter $2 (a column of the Tcp: lines of /proc/net/snmp).
tcp_counter() {
  in_ns "$1" awk -v key="$2" '$1 == "Tcp:" { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col[key] }' \
    /proc/net/snmp
}

# Prints the packet counters of --packets, space separated: segments the client sent and
# received, the same for the server, packets through the host's veth to the client (received,
# sent) and to the server (received, sent), and resets the host's own TCP sent.
packet_counters() {
  local dev
  echo "$(tcp_counter "$NS_CLIENT" OutSegs) $(tcp_counter "$NS_CLIENT" InSegs)" \
    "$(tcp_counter "$NS_SERVER" OutSegs) $(tcp_counter "$NS_SERVER" InSegs)" \
    "$(for dev in "$IF_HOST_CLIENT" to-server; do
        in_ns "$NS_HOST" cat "/sys/class/net/$dev/statistics/rx_packets" "/sys/class/net/$dev/statistics/tx_packets"
      done | tr '\n' ' ')" \
    "$(tcp_counter "$NS_HOST" OutRsts)"
}
readonly PACKET_COLUMNS=9

# Prints the difference of two packet_counters lines ($1 before, $2 after) divided by $3
# connections, one figure per column, two decimals.
packets_per_connection() {
  awk -v a="$1" -v b="$2" -v n="$3" -v k=$PACKET_COLUMNS 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= k; i++) printf "%s%s", (i > 1 ? " " : ""), (n > 0 ? sprintf("%.2f", (y[i] - x[i]) / n) : "n/a") }'
}

# Profiles the middle box with perf record -g during "$@" (a load run), and writes a summary to
# $WORK/profile-$1.txt: the share of samples in the kernel, in JIT code ([unknown] or perf-map
# frames), in libjvm and elsewhere, then the top symbols (self time).
profile_middle() {
  local key="$1" data="$WORK/perf-$1.data" recorder; shift
  [[ -n "$MIDDLE_PID" ]] || return 0
  perf record -q -F 1999 -g -p "$MIDDLE_PID" -o "$data" 2>"$WORK/perf-$key.err" &
  recorder=$!
  PIDS+=("$recorder")
  sleep 0.5
  "$@"
  kill -INT "$recorder" 2>/dev/null || true
  wait "$recorder" 2>/dev/null || true
  # JDK 17 writes /tmp/perf-PID.map, which perf reads to name the JIT's frames.
  local map="/tmp/perf-$MIDDLE_PID.map"
  if [[ "$MODE" == allowdns* ]] && command -v jcmd >/dev/null; then
    jcmd "$MIDDLE_PID" Compiler.perfmap >/dev/null 2>&1 || true
  fi
  {
    perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | awk '/^ +[0-9.]+%/ { print "  " $0 }' | head -8
    echo
    perf report -i "$data" --no-children --sort sym --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/' | head -25
  } >"$WORK/profile-$key.txt"
  [[ "$MODE" != allowdns* ]] || rm -f "$map"
  log "  $MODE: profile in $WORK/profile-$key.txt"
}
wrk_close_run() {
  OUT="$WORK/wrk-$MODE-profile.out"
  client_run $((duration + 15)) taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --timeout 2s \
    -H "Host: $SERVER_NAME" -H 'Connection: close' $(wrk_target) || true
}
iperf_both_ways() { iperf "$duration" ""; iperf "$duration" "-R"; }

# Runs one more wrk Connection: close run of --duration s with strace -f -c attached to the
# middle box (every thread), and writes "SYSCALL CALLS_PER_CONNECTION" lines, the total first,
# to $WORK/syscalls-$1.txt.
count_middle_syscalls() {
  local key="$1" trace="$WORK/strace-$1.txt" tracer opens_before opens
  [[ -n "$MIDDLE_PID" ]] || return 0
  strace -f -c -q -o "$trace" -p "$MIDDLE_PID" 2>"$WORK/strace-$key.err" &
  tracer=$!
  PIDS+=("$tracer")
  sleep 1 # attaching to every thread of a JVM takes a moment
  opens_before="$(client_active_opens)"
  OUT="$WORK/wrk-$key-syscalls.out"
  client_run $((duration + 15)) taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --timeout 2s \
    -H "Host: $SERVER_NAME" -H 'Connection: close' $(wrk_target) || true
  opens=$(($(client_active_opens) - opens_before))
  kill -INT "$tracer" 2>/dev/null || true # strace detaches and writes its summary
  wait "$tracer" 2>/dev/null || true
  # strace -c: "% time seconds usecs/call calls [errors] syscall", then a "total" line.
  awk -v n="$opens" 'n > 0 && $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $1 ~ /^[0-9.]+$/ {
      printf "%s %.2f\n", $NF, $4 / n }' "$trace" | sort -k2,2gr >"$WORK/syscalls-$key.txt"
  log "  $MODE: $opens connections under strace, $(awk '$1 == "total" { print $2 }' "$WORK/syscalls-$key.txt") system calls per connection"
}

# Prints how many connections nginx has accepted (its own status request included).
server_accepts() {
  in_ns "$NS_SERVER" curl -s --noproxy '*' -m 3 "http://127.0.0.1:$STATUS_PORT/" | awk 'NR == 3 { print $1 }'
}

# Per-run figures, keyed MODE.ROUND; the report shows the median over the rounds.
declare -A UP_GBPS DOWN_GBPS CPU_PER_GB CONN_RATE CONN_ERRORS CPU_PER_CONN P50 P99 LAT_ERRORS NOISE PACKETS
JVM_ARGV=""
RECORD_CHECKS=()
RECORD_SAMPLE=""
measured=()
URL="http://$SERVER_IP:$HTTP_PORT/"
printf 'wrk.path = "http://%s:%s/"\n' "$SERVER_NAME" "$HTTP_PORT" >"$WORK/absolute-form.lua"

# Measures mode $MODE once, as round $ROUND; returns 1 if the mode could not be set up.
measure() {
  local key="$MODE.$ROUND"
  log "mode $MODE (round $ROUND of $rounds): setting up"
  if ! "setup_$MODE" || ! check_path "$MODE"; then
    log "SKIP $MODE (see above)"
    "teardown_$MODE" 2>/dev/null || true
    return 1
  fi

  # Each measurement follows its own warm-up, so the JIT has compiled (and, after the previous
  # kind of traffic, recompiled) the paths it is about to measure.
  local up_bytes=0 down_bytes=0
  if [[ "$MODE" == allowdns-proxy ]]; then
    # iperf3 cannot go through an HTTP proxy: this mode is measured by connections alone.
    UP_GBPS[$key]="n/a"; DOWN_GBPS[$key]="n/a"; SAMPLED_TICKS=0; SAMPLED_USER=0
  else
    log "  warm-up: ${warmup} s of iperf3"
    iperf "$warmup" ""
    log "  iperf3 -t $duration client -> server, then -R"
    sample_middle_begin
    iperf "$duration" ""
    up_bytes="$IPERF_BYTES"; UP_GBPS[$key]="$IPERF_GBPS"
    iperf "$duration" "-R"
    down_bytes="$IPERF_BYTES"; DOWN_GBPS[$key]="$IPERF_GBPS"
    sample_end
    note_load "$key"
  fi
  if [[ -n "$MIDDLE_PID" && "$MODE" != allowdns-proxy ]]; then
    CPU_PER_GB[$key]="$(awk -v t="$SAMPLED_TICKS" -v hz="$CLK_TCK" -v b=$((up_bytes + down_bytes)) \
      'BEGIN { if (b > 0) printf "%.3f", t / hz / (b / 1e9); else print "n/a" }')"
  else
    CPU_PER_GB[$key]="n/a"
  fi
  log "  $MODE: ${UP_GBPS[$key]} Gbit/s up, ${DOWN_GBPS[$key]} Gbit/s down," \
    "middle box $SAMPLED_TICKS ticks ($((SAMPLED_TICKS * 100 / (2 * duration * CLK_TCK)))% of a CPU, ${SAMPLED_USER}% user) for $(((up_bytes + down_bytes) / 1000000)) MB (${CPU_PER_GB[$key]} CPU s/GB)"

  log "  warm-up: ${warmup} s of wrk, Connection: close"
  OUT="$WORK/wrk-$key-warmup.out"
  client_run $((warmup + 15)) taskset -c 1 wrk -t1 -c"$connections" -d"${warmup}s" --timeout 2s \
    -H "Host: $SERVER_NAME" -H 'Connection: close' $(wrk_target) || true
  log "  wrk new connections: -t1 -c$connections -d${duration}s, Connection: close"
  local records_before opens_before opens accepts_before
  records_before="$(settled_records)"
  opens_before="$(client_active_opens)"
  accepts_before="$(server_accepts)"
  OUT="$WORK/wrk-$key-close.out"
  local packets_before=""
  [[ "$count_packets" != true ]] || packets_before="$(packet_counters)"
  sample_middle_begin
  client_run $((duration + 15)) taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --timeout 2s \
    -H "Host: $SERVER_NAME" -H 'Connection: close' $(wrk_target) || true
  sample_end
  note_load "$key"
  opens=$(($(client_active_opens) - opens_before))
  if [[ "$count_packets" == true ]]; then
    PACKETS[$key]="$(packets_per_connection "$packets_before" "$(packet_counters)" "$opens")"
    log "  $MODE: per connection: client segments out/in, server out/in, host veth to-client rx/tx, to-server rx/tx, host resets: ${PACKETS[$key]}"
  fi
  CONN_RATE[$key]="$(wrk_field 'Requests/sec:' 2)"
  CONN_ERRORS[$key]="$(wrk_errors)"
  if [[ -n "$MIDDLE_PID" ]]; then
    CPU_PER_CONN[$key]="$(awk -v t="$SAMPLED_TICKS" -v hz="$CLK_TCK" -v n="$opens" \
      'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "n/a" }')"
  else
    CPU_PER_CONN[$key]="n/a"
  fi
  log "  $MODE: ${CONN_RATE[$key]:-?} connections/s ($(wrk_field 'requests in' 1) requests," \
    "$opens connections opened), ${CONN_ERRORS[$key]} errors, middle box ${CPU_PER_CONN[$key]} CPU us/connection (${SAMPLED_USER}% user)," \
    "other load on CPU $middle_cpu ${OTHER_LOAD}%"
  if [[ "$MODE" == allowdns* ]]; then
    # Every connection that reached nginx came through a relayed connection, which must have its
    # record; connections wrk still had open (or opening) when it stopped may never have reached
    # the relay. So: requests completed <= accepted by nginx <= records <= opened by the client.
    local records completed accepted verdict=OK
    records=$(($(settled_records) - records_before))
    completed="$(wrk_field 'requests in' 1)"
    accepted=$(($(server_accepts) - accepts_before - 1))
    ((completed <= accepted && accepted <= records && records <= opens)) || verdict="MISMATCH"
    RECORD_CHECKS+=("round $ROUND: $completed requests completed <= $accepted connections accepted by nginx <= $records records <= $opens connections opened by the client: $verdict")
    RECORD_SAMPLE="$(tail -1 "$(log_dir)/connections.jsonl")"
    log "  allowdns: ${RECORD_CHECKS[-1]}"
  fi
  if [[ "$count_syscalls" == true && "$ROUND" == "$rounds" ]]; then
    count_middle_syscalls "$MODE"
  fi
  if [[ "$profile" == true && "$ROUND" == "$rounds" ]]; then
    profile_middle "$MODE-connections" wrk_close_run
    [[ "$MODE" == allowdns-proxy ]] || profile_middle "$MODE-bulk" iperf_both_ways
  fi

  log "  warm-up: ${warmup} s of wrk, keep-alive"
  OUT="$WORK/wrk-$key-latency-warmup.out"
  client_run $((warmup + 15)) taskset -c 1 wrk -t1 -c1 -d"${warmup}s" --timeout 2s \
    -H "Host: $SERVER_NAME" $(wrk_target) || true
  log "  wrk latency: -t1 -c1 -d${duration}s --latency, keep-alive"
  OUT="$WORK/wrk-$key-latency.out"
  sample_middle_begin
  client_run $((duration + 15)) taskset -c 1 wrk -t1 -c1 -d"${duration}s" --timeout 2s --latency \
    -H "Host: $SERVER_NAME" $(wrk_target) || true
  sample_end
  note_load "$key"
  P50[$key]="$(to_us "$(awk '$1 == "50%" { print $2; exit }' "$OUT")")"
  P99[$key]="$(to_us "$(awk '$1 == "99%" { print $2; exit }' "$OUT")")"
  LAT_ERRORS[$key]="$(wrk_errors)"
  log "  $MODE: p50 ${P50[$key]} us, p99 ${P99[$key]} us, ${LAT_ERRORS[$key]} errors"

  if [[ "$MODE" == allowdns* ]]; then
    local status=1 t0
    t0="$(date +%s%N)"
    for _ in 1 2 3; do
      status=0
      in_ns "$NS_HOST" curl -sS --noproxy '*' -m 10 -o "$WORK/metrics-$ROUND.txt" \
        "http://127.0.0.1:$ADMIN_PORT/metrics" 2>"$WORK/metrics-$ROUND.err" || status=$?
      ((status == 0)) && break
      sleep 1
    done
    if ((status == 0)); then
      grep -E '^allowdns_relay_(connections|open_connections)' "$WORK/metrics-$ROUND.txt" >"$WORK/relay-metrics-$ROUND.txt" || true
    else
      echo "(GET /metrics failed 3 times in $((($(date +%s%N) - t0) / 1000000)) ms: curl exit $status: $(head -c 200 "$WORK/metrics-$ROUND.err"))" \
        >"$WORK/relay-metrics-$ROUND.txt"
      log "  allowdns: $(cat "$WORK/relay-metrics-$ROUND.txt")"
    fi
    cp "$WORK/allowdns.log" "$WORK/allowdns-$ROUND.log"
  fi
  "teardown_$MODE"
}

for ROUND in $(seq 1 "$rounds"); do
  for MODE in $modes; do
    if measure && [[ " ${measured[*]} " != *" $MODE "* ]]; then
      measured+=("$MODE")
    fi
  done
done
((${#measured[@]})) || { echo "run.sh: no mode could be measured" >&2; exit 1; }
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# Prints the median of figure array $1 over the rounds of mode $2.
med() {
  local -n figures="$1"
  local round values=""
  for round in $(seq 1 "$rounds"); do
    values+="${figures[$2.$round]:-} "
  done
  # A mode may have no figure of a kind (allowdns-proxy has no iperf3): the median is then n/a.
  echo "$values" | tr ' ' '\n' | { grep -E '^[0-9.]+$' || true; } | tr '\n' ' ' | median
}
# Prints the largest value of figure array $1 over the rounds of mode $2.
most() {
  local -n figures="$1"
  local round top=0
  for round in $(seq 1 "$rounds"); do
    if ((${figures[$2.$round]:-0} > top)); then top=${figures[$2.$round]}; fi
  done
  echo "$top"
}

# Prints other processes' load on the middle box's CPU as a percentage, or n/a where it says
# nothing: direct mode has no middle box, and with --middle-cpu 1 the load generators share it.
other_load() {
  if [[ "$1" == direct || "$middle_cpu" != 0 ]]; then echo "n/a"; else echo "$2%"; fi
}

# Prints one line of the limiter's cost: figure $1, limits off $2, on $3, and the difference.
limiter_cost() {
  awk -v what="$1" -v off="$2" -v on="$3" 'BEGIN {
    if (off !~ /^[0-9.]+$/ || on !~ /^[0-9.]+$/ || off == 0) { printf "- %s: %s off, %s on\n", what, off, on; exit }
    printf "- %s: %s off, %s on (%+.3g, %+.1f%%)\n", what, off, on, on - off, (on - off) * 100 / off }'
}

# ---------------------------------------------------------------- report
# Prints a row per round of every measured mode with a figure in array $1, each by function $2,
# called with MODE ROUND and the figures' key.
each_round() {
  local -n present="$1"
  local row="$2" mode round
  for mode in "${measured[@]}"; do
    for round in $(seq 1 "$rounds"); do
      [[ -z "${present[$mode.$round]:-}" ]] || "$row" "$mode" "$round" "$mode.$round"
    done
  done
}
figures_row() {
  local key="$3"
  printf '| %s | %s | %s | %s | %.0f | %s | %s | %s | %s | %s |\n' "$1" "$2" "${UP_GBPS[$key]}" "${DOWN_GBPS[$key]}" \
    "${CONN_RATE[$key]:-0}" "${P50[$key]}" "${P99[$key]}" "${CPU_PER_GB[$key]}" "${CPU_PER_CONN[$key]}" \
    "$(other_load "$1" "${NOISE[$key]:-0}")"
}
packets_row() { echo "| $1 | $2 | ${PACKETS[$3]// / | } |"; }

# Prints the --syscalls table: calls per connection of each system call, one column per traced
# mode, the calls the first traced allowdns mode makes most at the top.
syscall_table() {
  local mode traced=() names
  for mode in "${measured[@]}"; do
    [[ -s "$WORK/syscalls-$mode.txt" ]] && traced+=("$mode")
  done
  ((${#traced[@]})) || return 0
  echo
  echo "System calls per connection (--syscalls): \`strace -f -c -p PID\` on the whole middle-box process"
  echo "over one more wrk -c$connections -d${duration}s Connection: close run (every thread: event loops, the"
  echo "log writer, the JVM's own), divided by the connections the client opened in it:"
  echo
  printf '| system call |'; printf ' %s |' "${traced[@]}"; echo
  printf '| --- |'; for mode in "${traced[@]}"; do printf ' ---: |'; done; echo
  names="$(cat "$WORK"/syscalls-*.txt | awk '{ c[$1] += $2 } END { for (k in c) print c[k], k }' | sort -gr \
    | awk '$1 >= 0.05 { print $2 }')"
  local name
  for name in $names; do
    printf '| %s |' "$name"
    for mode in "${traced[@]}"; do
      printf ' %s |' "$(awk -v k="$name" '$1 == k { print $2; f = 1 } END { if (!f) print "0" }' "$WORK/syscalls-$mode.txt")"
    done
    echo
  done
}

report() {
  local mode
  declare -A up down rate p50 p99
  for mode in "${measured[@]}"; do
    up[$mode]="$(med UP_GBPS "$mode")"; down[$mode]="$(med DOWN_GBPS "$mode")"
    rate[$mode]="$(med CONN_RATE "$mode")"; p50[$mode]="$(med P50 "$mode")"; p99[$mode]="$(med P99 "$mode")"
  done
  echo "# Relay benchmark: direct routing vs HAProxy vs the allowdns relay"
  echo
  echo "$(machine_summary), kernel $(uname -r)."
  echo "Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER."
  echo "allowdns built from commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- src pom.xml 2>/dev/null || echo ' with uncommitted changes to src or pom.xml')" \
    "($ALLOWDNS_JAR of $(date -r "$ALLOWDNS_JAR" '+%F %T' 2>/dev/null || echo 'no jar'))."
  echo "$(iperf3 --version | head -1 | awk '{ print $1 "3 " $2 }'), wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')," \
    "$(nginx -v 2>&1 | awk '{ print $3 }'), $(command -v haproxy >/dev/null && haproxy -v | head -1 | awk '{ print "HAProxy " $3 }')," \
    "allowdns run by the shipped launcher bin/allowdns: \`${JVM_ARGV:-?}\`."
  echo "HAProxy and allowdns behind the same rules: $RULES; HAProxy forwards to the original destination" \
    "(\`server dst 0.0.0.0\`, SO_ORIGINAL_DST), as the relay does."
  echo "Middle box on CPU $middle_cpu; iperf3, wrk, nginx and knotd on CPU 1; niceness $niceness. veth MTU 1500."
  echo "iperf3: one stream, -t $duration each way. New connections: wrk -t1 -c$connections -d${duration}s" \
    "with \`Connection: close\` (one request per connection). Latency: wrk -t1 -c1 -d${duration}s --latency," \
    "keep-alive, $BODY_BYTES-byte body. Modes interleaved over $rounds round(s); each figure is the median" \
    "over the rounds, errors and load the most of any round."
  echo
  echo "| mode | client→server Gbit/s | server→client Gbit/s | new connections/s | errors | p50 µs | p99 µs | middle-box CPU s/GB | middle-box CPU µs/connection | other load on the middle box's CPU |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for mode in "${measured[@]}"; do
    printf '| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$mode" "${up[$mode]}" "${down[$mode]}" \
      "${rate[$mode]/n\/a/0}" "$(($(most CONN_ERRORS "$mode") + $(most LAT_ERRORS "$mode")))" "${p50[$mode]}" "${p99[$mode]}" \
      "$(med CPU_PER_GB "$mode")" "$(med CPU_PER_CONN "$mode")" "$(other_load "$mode" "$(most NOISE "$mode")")"
  done
  if ((rounds > 1)); then
    echo
    echo "Every round:"
    echo
    echo "| mode | round | client→server Gbit/s | server→client Gbit/s | new connections/s | p50 µs | p99 µs | CPU s/GB | CPU µs/connection | other load |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    each_round UP_GBPS figures_row
  fi
  for mode in $modes; do
    [[ " ${measured[*]} " == *" $mode "* ]] || { echo; echo "$mode: not measured (see the log above)."; }
  done
  if [[ "$count_packets" == true ]]; then
    echo
    echo "Packets per connection (--packets), over the measured new-connections run of each round;"
    echo "segments from /proc/net/snmp (Tcp OutSegs, InSegs), veth packets from the host's interface counters:"
    echo
    echo "| mode | round | client segments out | client in | server out | server in | host veth to-client rx | tx | to-server rx | tx | host resets sent |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    each_round PACKETS packets_row
  fi
  if [[ "$count_syscalls" == true ]]; then
    syscall_table
  fi
  if [[ "$profile" == true ]]; then
    local f
    for f in "$WORK"/profile-*.txt; do
      [[ -s "$f" ]] || continue
      echo
      echo "Profile of the middle box (--profile, perf record -g -F 1999, self time), $(basename "$f" .txt | sed 's/^profile-//'):"
      echo
      echo '```'
      cat "$f"
      echo '```'
    done
  fi
  if ((${#RECORD_CHECKS[@]})); then
    echo
    echo "allowdns connection log over the new-connections runs (one record per connection expected;"
    echo "connections opened counted by the client namespace's TCP ActiveOpens, accepted by nginx's stub_status):"
    echo
    printf -- '- %s\n' "${RECORD_CHECKS[@]}"
    echo
    echo "Last record:"
    echo
    echo '```json'
    echo "$RECORD_SAMPLE"
    echo '```'
    echo
    echo "Relay counters at the end of the last round (one refusal per round is the GET sent before resolving):"
    echo
    echo '```'
    if [[ -s "$WORK/relay-metrics-$rounds.txt" ]]; then
      cat "$WORK/relay-metrics-$rounds.txt"
    else
      echo "(no allowdns_relay_connections or allowdns_relay_open_connections line in GET /metrics)"
    fi
    echo '```'
    local problems
    problems="$(cat "$WORK"/allowdns-*.log 2>/dev/null | grep -E 'Exception|ERROR|WARN' | sort | uniq -c | sort -rn | head -5 || true)"
    if [[ -n "$problems" ]]; then
      echo
      echo "allowdns log lines with WARN, ERROR or Exception (count, line):"
      echo
      echo '```'
      echo "$problems"
      echo '```'
    fi
  fi
  if [[ -n "${up[allowdns]:-}" && (-n "${up[haproxy]:-}" || -n "${up[direct]:-}") ]]; then
    echo
    echo "Targets for allowdns (against HAProxy and direct routing in this run):"
    echo
  fi
  if [[ -n "${up[allowdns]:-}" && -n "${up[haproxy]:-}" ]]; then
    target "client→server Gbit/s >= HAProxy's" "${up[allowdns]}" ">=" "${up[haproxy]}"
    target "server→client Gbit/s >= HAProxy's" "${down[allowdns]}" ">=" "${down[haproxy]}"
    target "new connections/s >= HAProxy's" "${rate[allowdns]}" ">=" "${rate[haproxy]}"
  fi
  if [[ -n "${p50[allowdns]:-}" && -n "${p50[direct]:-}" ]]; then
    printf -- '- p50 added over direct routing <= 50 µs: %s\n' "$(awk -v a="${p50[allowdns]}" -v d="${p50[direct]}" \
      'BEGIN { x = a - d; print (a != "n/a" && d != "n/a" && x <= 50 ? "PASS" : "FAIL") " (+" x " µs: " a " vs " d ")" }')"
  fi
  if [[ -n "${rate[allowdns]:-}" && -n "${rate[allowdns-limits]:-}" ]]; then
    echo
    echo "The per-sandbox limiter's cost: allowdns-limits (every connection admitted by the budgets, every"
    echo "read paid for; nothing refused or paused) against allowdns (limits off), medians of this run:"
    echo
    limiter_cost "middle-box CPU µs per connection" "$(med CPU_PER_CONN allowdns)" "$(med CPU_PER_CONN allowdns-limits)"
    limiter_cost "new connections/s" "${rate[allowdns]}" "${rate[allowdns-limits]}"
    limiter_cost "middle-box CPU s per GB" "$(med CPU_PER_GB allowdns)" "$(med CPU_PER_GB allowdns-limits)"
    limiter_cost "client→server Gbit/s" "${up[allowdns]}" "${up[allowdns-limits]}"
    limiter_cost "server→client Gbit/s" "${down[allowdns]}" "${down[allowdns-limits]}"
    limiter_cost "p50 µs (keep-alive)" "${p50[allowdns]}" "${p50[allowdns-limits]}"
  fi
  local busiest=0
  for mode in "${measured[@]}"; do
    [[ "$(other_load "$mode" 0)" == n/a ]] && continue
    if (($(most NOISE "$mode") > busiest)); then busiest=$(most NOISE "$mode"); fi
  done
  if ((busiest > 10)); then
    echo
    echo "Warning: up to ${busiest}% of the middle box's CPU went to other processes (or was stolen by the"
    echo "hypervisor) during some runs; those rows are disturbed: latency and connections/s most, CPU per"
    echo "GB and per connection least. Rerun on a quiet machine."
  fi
}

report >"$WORK/results.md"
publish_results "$SCRIPT_DIR/results-$(date -u +%Y-%m-%dT%H%MZ)$([[ "$middle_cpu" == 0 ]] || echo "-middle-cpu-$middle_cpu").md"
