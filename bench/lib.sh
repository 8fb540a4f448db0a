# Shell helpers shared by the bench/*/run.sh scripts; sourced, never run.
#
# The sourcing script owns these globals, read here when a helper runs:
#   niceness  the --nice value (prioritize)
#   keep      "true" to keep the work directory (bench_cleanup)
#   OUT       where run_client writes the client's output
# It sets REPO_DIR (the repository, from where this file is) for every script, and gets these
# from bench_workdir: WORK, PIDS (processes to kill on exit), CLIENT_PID.
# shellcheck shell=bash disable=SC2154,SC2034  # globals shared with the sourcing script

CLK_TCK="$(getconf CLK_TCK)"
readonly CLK_TCK
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
# ALLOWDNS_JAR in the environment benches another build (e.g. a copy of main's, for a before/after).
readonly ALLOWDNS_JAR="${ALLOWDNS_JAR:-$REPO_DIR/target/allowdns.jar}"
# The shipped launcher: benches run allowdns the way users do (its JVM flags, its heap).
readonly ALLOWDNS_LAUNCHER="$REPO_DIR/bin/allowdns"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# Exits with status 2 (a usage error) unless every argument is a positive integer.
require_positive_integers() {
  local n
  for n in "$@"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: expected a positive integer, got '$n'" >&2; exit 2; }
  done
}

# Exits with status 2 unless $niceness is a niceness the kernel takes.
require_niceness() {
  if ! [[ "$niceness" =~ ^-?[0-9]+$ ]] || ((niceness < -20 || niceness > 19)); then
    echo "run.sh: --nice takes -20..19, got '$niceness'" >&2
    exit 2
  fi
}

# Exits with status 2 if any of the tools $2... is not installed; $1 names the Debian packages.
require_tools() {
  local packages="$1" tool missing=()
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "run.sh: missing tools: ${missing[*]} (Debian: $packages)" >&2
    exit 2
  fi
}

# Exits with status 2 on a machine with fewer than 2 CPUs; $1 says what runs on which.
require_two_cpus() {
  (($(nproc --all) >= 2)) || { echo "run.sh: needs 2 CPUs ($1)" >&2; exit 2; }
}

# Makes the work directory WORK (named after $1) and the traps that, on exit, kill every process
# in PIDS and CLIENT_PID, run the function named by BENCH_EXTRA_CLEANUP (if set), and remove WORK
# unless --keep was given.
bench_workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  PIDS=()
  CLIENT_PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  [[ -n "$CLIENT_PID" ]] && kill "$CLIENT_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [[ -z "${BENCH_EXTRA_CLEANUP:-}" ]] || "$BENCH_EXTRA_CLEANUP"
  if [[ "$keep" == true ]]; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}

# Gives process $1 the --nice niceness. With autogroup scheduling (the kernel default on
# desktops and many VMs) niceness only counts inside a session's group, so processes are started
# in a session of their own (setsid) and the niceness is set on that group too.
niceness_warned=false
prioritize() {
  ((niceness != 0)) || return 0
  local ok=true session="" hint=""
  # Until the child has called setsid, /proc/PID/autogroup is still this script's group.
  for _ in $(seq 1 100); do
    session="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $4 }')"
    [[ "$session" == "$1" || -z "$session" ]] && break
    sleep 0.01
  done
  renice -n "$niceness" -p "$1" >/dev/null 2>&1 || ok=false
  if [[ "$session" == "$1" && -w "/proc/$1/autogroup" ]]; then
    echo "$niceness" 2>/dev/null >"/proc/$1/autogroup" || ok=false
  fi
  if [[ "$ok" == false && "$niceness_warned" == false ]]; then
    ((EUID == 0)) || hint=" (negative values need root)"
    log "warning: could not set niceness $niceness$hint; figures may be noisier"
    niceness_warned=true
  fi
}

# Starts "$@" in the background, in a session of its own, with output to $WORK/$1.log (the name
# is the first argument); sets STARTED_PID and kills it on exit. setsid does not fork here (the
# child is no process-group leader), so STARTED_PID is the command itself, as long as what it
# runs execs too (taskset, ip netns exec).
start() {
  local name="$1"; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  prioritize "$STARTED_PID"
}

# Stops a process this script started (by PID) and waits for it.
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Runs the load generator "$@" (bounded by the caller, e.g. with timeout) in a session of its own,
# output to $OUT. It runs in the background so that a signal reaches the traps at once. Returns
# the command's status.
run_client() {
  local status=0
  setsid "$@" >"$OUT" 2>&1 &
  CLIENT_PID=$!
  prioritize "$CLIENT_PID"
  wait "$CLIENT_PID" || status=$?
  CLIENT_PID=""
  return "$status"
}

proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proc_user_ticks() { awk '{print $14}' "/proc/$1/stat"; }
# CPU $1's time in tasks (user, nice, system) and stolen by the hypervisor; irq and softirq time
# are left out, because packet delivery for the measured process's sockets lands there.
cpu_busy_ticks() { awk -v cpu="cpu$1" '$1 == cpu {print $2 + $3 + $4 + $9}' /proc/stat; }

# Samples the CPU time of process $1 (none if empty), the busy time of CPU $2 and the clock before
# a run.
sample_begin() {
  sample_pid="$1" sample_cpu="$2" sample_ticks_a=0 sample_user_a=0
  if [[ -n "$sample_pid" ]]; then
    sample_ticks_a="$(proc_cpu_ticks "$sample_pid")"; sample_user_a="$(proc_user_ticks "$sample_pid")"
  fi
  sample_busy_a="$(cpu_busy_ticks "$sample_cpu")"; sample_ns_a="$(date +%s%N)"
}
# After a run begun with sample_begin, sets SAMPLED_TICKS (the process's CPU ticks during the
# run), SAMPLED_USER (percent of them in user mode) and OTHER_LOAD (percent of the CPU that went to
# other tasks or was stolen by the hypervisor; high values mean the run was disturbed).
sample_end() {
  local ticks_b=0 user_b=0 busy_b ns_b
  if [[ -n "$sample_pid" ]]; then
    ticks_b="$(proc_cpu_ticks "$sample_pid")"; user_b="$(proc_user_ticks "$sample_pid")"
  fi
  busy_b="$(cpu_busy_ticks "$sample_cpu")"; ns_b="$(date +%s%N)"
  SAMPLED_TICKS=$((ticks_b - sample_ticks_a))
  SAMPLED_USER=$((SAMPLED_TICKS > 0 ? (user_b - sample_user_a) * 100 / SAMPLED_TICKS : 0))
  OTHER_LOAD="$(awk -v busy=$((busy_b - sample_busy_a)) -v own="$SAMPLED_TICKS" -v ns=$((ns_b - sample_ns_a)) \
    -v hz="$CLK_TCK" 'BEGIN { o = busy - own; if (o < 0) o = 0; printf "%.0f", o * 100 / (ns / 1e9 * hz) }')"
}

# Prints the median of the numbers on standard input (space or newline separated), or n/a.
median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }'; }

# Builds $ALLOWDNS_JAR if it is missing (offline first: the dependencies are cached).
build_allowdns() {
  [[ -f "$ALLOWDNS_JAR" ]] && return 0
  log "target/allowdns.jar missing: building it (mvn -B -q package -DskipTests)"
  if ! (cd "$REPO_DIR" && { mvn -B -q -o package -DskipTests || mvn -B -q package -DskipTests; }) \
    >"$WORK/mvn.log" 2>&1; then
    log "allowdns: build failed; last lines of the Maven output:"
    tail -20 "$WORK/mvn.log" >&2
    return 1
  fi
}

# Writes $WORK/knot.conf: one knotd listening on $1 (ADDRESS@PORT), authoritative for bench.test
# from $WORK/knot/bench.test.zone, with one worker of each kind.
write_knot_conf() {
  cat >"$WORK/knot.conf" <<EOF
server:
  rundir: "$WORK/knot"
  listen: $1
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: "$WORK/knot"
log:
  - target: stderr
    any: warning
zone:
  - domain: bench.test
    storage: "$WORK/knot"
    file: bench.test.zone
    journal-content: none
    zonefile-sync: -1
EOF
}

# Writes $WORK/nginx/nginx.conf: one nginx without a master or daemon, at most $1 connections,
# its temporary files and pid in $WORK/nginx, stub_status on 127.0.0.1:$STATUS_PORT (read without
# crossing the middle box); the rest of its http block (the bench's own servers) comes on stdin.
write_nginx_conf() {
  {
    cat <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections $1; }
http {
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$STATUS_PORT; access_log off; location / { stub_status; } }
EOF
    cat
    echo "}"
  } >"$WORK/nginx/nginx.conf"
}

# Prints the start of a report's first line: when, and on what machine.
machine_summary() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc --all) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
}

# Prints one target line of a report: "- $1: PASS (a vs b)" when $2 $3 $4 holds ($3 is <= or >=).
target() {
  printf -- '- %s: %s\n' "$1" "$(awk -v a="$2" -v op="$3" -v b="$4" \
    'BEGIN { ok = op == "<=" ? a + 0 <= b + 0 : a + 0 >= b + 0; print (ok ? "PASS" : "FAIL") " (" a " vs " b ")" }')"
}

# Prints the report in $WORK/results.md and, with --write ($write_results), copies it to $1.
publish_results() {
  cat "$WORK/results.md"
  if [[ "$write_results" == true ]]; then
    cp "$WORK/results.md" "$1"
    log "results written to $1"
  fi
}

# Makes the bench's three namespaces, client ─ host ─ server, joined by two veth pairs created
# inside them (no interface name ever exists outside), each end up, and default routes through
# the host. Arguments: CLIENT_NS HOST_NS SERVER_NS HOST_CLIENT_IF CLIENT_IP HOST_CLIENT_IP
# HOST_SERVER_IP SERVER_IP (/24 each). Each namespace goes into NAMESPACES for bench_cleanup.
make_three_namespaces() {
  local client="$1" host="$2" server="$3" host_if="$4"
  local client_ip="$5" host_client_ip="$6" host_server_ip="$7" server_ip="$8" ns pair dev
  for ns in "$client" "$host" "$server"; do
    ip netns add "$ns"
    NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
  done
  ip -n "$host" link add "$host_if" type veth peer name to-host netns "$client"
  ip -n "$host" link add to-server type veth peer name to-host netns "$server"
  ip -n "$client" addr add "$client_ip/24" dev to-host
  ip -n "$host" addr add "$host_client_ip/24" dev "$host_if"
  ip -n "$host" addr add "$host_server_ip/24" dev to-server
  ip -n "$server" addr add "$server_ip/24" dev to-host
  for pair in "$client to-host" "$host $host_if" "$host to-server" "$server to-host"; do
    read -r ns dev <<<"$pair"
    ip -n "$ns" link set "$dev" up
  done
  ip -n "$client" route add default via "$host_client_ip"
  ip -n "$server" route add default via "$host_server_ip"
}

# Adds one more client namespace CLIENT_NS to the host namespace HOST_NS of make_three_namespaces,
# on a veth pair made inside them (HOST_IF in the host, to-host in the client), with its default
# route through the host. Arguments: CLIENT_NS HOST_NS HOST_IF CLIENT_IP HOST_IP (/24 each). The
# namespace goes into NAMESPACES for bench_cleanup.
add_client_namespace() {
  local client="$1" host="$2" host_if="$3" client_ip="$4" host_ip="$5"
  ip netns add "$client"
  NAMESPACES+=("$client")
  ip -n "$client" link set lo up
  ip -n "$host" link add "$host_if" type veth peer name to-host netns "$client"
  ip -n "$client" addr add "$client_ip/24" dev to-host
  ip -n "$host" addr add "$host_ip/24" dev "$host_if"
  ip -n "$client" link set to-host up
  ip -n "$host" link set "$host_if" up
  ip -n "$client" route add default via "$host_ip"
}

# Prints the resident set of process $1 in KiB (nothing once it is gone).
rss_kib_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# Samples the resident set of process $1 every $3 seconds into file $2 ("SECONDS_SINCE_START KIB"
# lines), at most $4 samples, in the background; sets RSS_SAMPLER_PID (also in PIDS). Stop it
# with `stop "$RSS_SAMPLER_PID"`.
start_rss_sampler() {
  local pid="$1" file="$2" every="$3" most="$4"
  : >"$file"
  (
    t0="$(date +%s%N)"
    for _ in $(seq 1 "$most"); do
      kib="$(rss_kib_of "$pid")"
      [[ -n "$kib" ]] || exit 0
      echo "$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }') $kib" >>"$file"
      sleep "$every"
    done
  ) &
  RSS_SAMPLER_PID=$!
  PIDS+=("$RSS_SAMPLER_PID")
}

# Prints "SAMPLES MIN MEDIAN MAX SLOPE" of an RSS sample file (start_rss_sampler): MiB, and the
# least-squares slope in MiB per minute over the samples from fraction $2 (0..1, default 0) of the
# file on, so that a warm-up at the start can be left out of the slope.
rss_summary() {
  awk -v from="${2:-0}" '{ t[NR] = $1; k[NR] = $2 / 1024 }
    END {
      if (NR == 0) { print "0 n/a n/a n/a n/a"; exit }
      n = NR; for (i = 1; i <= n; i++) s[i] = k[i]
      # insertion sort: a few hundred samples at most
      for (i = 2; i <= n; i++) { v = s[i]; j = i - 1; while (j > 0 && s[j] > v) { s[j + 1] = s[j]; j-- } s[j + 1] = v }
      first = int(n * from) + 1; m = 0; st = 0; sk = 0; stt = 0; stk = 0
      for (i = first; i <= n; i++) { m++; st += t[i]; sk += k[i]; stt += t[i] * t[i]; stk += t[i] * k[i] }
      d = m * stt - st * st
      slope = (m > 1 && d > 0) ? (m * stk - st * sk) / d * 60 : 0
      printf "%d %.1f %.1f %.1f %.2f\n", n, s[1], s[int((n + 1) / 2)], s[n], slope
    }' "$1"
}

# Reads dnsperf -v output on standard input, passes every line that is not a per-query line to
# file $1, and prints "ANSWERED P50_MS P99_MS MAX_MS LOST" over the per-query lines ("> RCODE NAME
# TYPE SECONDS"; "> T NAME TYPE" for a timeout). Lost queries count as slowest, as in bench/dns: a
# percentile that falls among them is "lost". Keeps a histogram in 10 µs steps, not the lines, so
# hours of queries fit in memory.
latency_histogram() {
  awk -v rest="$1" '
    /^> T / { lost++; next }
    /^> / { b = int($NF * 100000); h[b]++; n++; if (b > top) top = b; next }
    { print > rest }
    END {
      all = n + lost
      if (n == 0) { print "0 n/a n/a n/a", lost + 0; exit }
      c = 0; p50 = ""; p99 = ""
      for (b = 0; b <= top; b++) {
        c += h[b]
        if (p50 == "" && c >= all * 0.50) p50 = sprintf("%.3f", (b + 1) / 100)
        if (p99 == "" && c >= all * 0.99) p99 = sprintf("%.3f", (b + 1) / 100)
      }
      printf "%d %s %s %.3f %d\n", n, (p50 == "" ? "lost" : p50), (p99 == "" ? "lost" : p99), (top + 1) / 100, lost + 0
    }'
}
