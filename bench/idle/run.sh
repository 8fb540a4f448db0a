#!/usr/bin/env bash
# Measures what an idle allowdns (resolver and relay, no traffic) costs the host: context
# switches per second and CPU time, per thread, from /proc. A sandbox host runs allowdns all the
# time, mostly idle, so an idle server should sleep.
#
# Everything listens on 127.0.0.1 with kernel-chosen ports; the upstream is never asked (no
# query is sent). The process this script starts is killed by PID on exit.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/idle/run.sh [--settle S] [--duration S] [--keep]

  --settle S     seconds after start-up before measuring (default: 20)
  --duration S   seconds measured (default: 20)
  --keep         keep the work directory (logs)
EOF
}

settle=20
duration=20
keep=false
while (($#)); do
  case "$1" in
    --settle) settle="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
require_positive_integers "$settle" "$duration"
require_tools "openjdk-17-jre-headless" java awk
niceness=0
bench_workdir allowdns-idlebench
build_allowdns

start allowdns java -jar "$ALLOWDNS_JAR" serve --listen 127.0.0.1:0 --relay-listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 --upstream 127.0.0.1:9 --zones "$REPO_DIR/zones" \
  --log-dir "$WORK/logs" --state-dir "$WORK/state"
pid="$STARTED_PID"
log "allowdns started (PID $pid); measuring ${duration} s after ${settle} s"
sleep "$settle"
kill -0 "$pid" 2>/dev/null || { log "allowdns exited; its log:"; cat "$WORK/allowdns.log" >&2; exit 1; }

# One line per thread: TID, name, context switches, CPU ticks (joined on TID: name, then both counts of each snapshot).
threads() {
  local task
  for task in /proc/"$pid"/task/*; do
    printf '%s %s %s %s\n' "${task##*/}" "$(tr ' ' _ <"$task/comm")" \
      "$(awk '/ctxt_switches/ { s += $2 } END { print s }' "$task/status")" \
      "$(awk '{ print $14 + $15 }' "$task/stat")"
  done 2>/dev/null | sort
}
threads >"$WORK/before"
sleep "$duration"
threads >"$WORK/after"

echo "Idle allowdns (resolver + relay, no traffic), over ${duration} s after ${settle} s:"
join "$WORK/before" "$WORK/after" | awk -v d="$duration" -v hz="$CLK_TCK" '
  { cs = $6 - $3; ticks = $7 - $4; all_cs += cs; all_ticks += ticks
    if (cs >= d || ticks > 0) printf "  %-16s %7.1f wake-ups/s  %5.2f%% of a CPU\n", $2, cs / d, ticks * 100 / hz / d }
  END { printf "  %-16s %7.1f wake-ups/s  %5.2f%% of a CPU\n", "all threads", all_cs / d, all_ticks * 100 / hz / d }'
