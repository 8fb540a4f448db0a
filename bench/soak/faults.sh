# The fault phases of bench/soak/run.sh (slow-drip, never-read, flood); sourced, never run. Uses
# run.sh's globals and helpers.
# shellcheck shell=bash disable=SC2154  # globals of run.sh

# Prints "STATUS MILLISECONDS" of one A query for $2 from sandbox namespace $1 (through the redirect).
timed_query() {
  local t0 status
  t0="$(date +%s%N)"
  status="$(in_ns "$1" dig @"$HOST_SANDBOX_IP" +tries=1 +time=8 "$2" A 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -1 || true)"
  echo "${status:-none} $((($(date +%s%N) - t0) / 1000000))"
}

# Waits (at most $2 s) for process $1, started by this script, to exit.
wait_for_exit() {
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

phase_slow_drip() {
  log "phase slow-drip: UDP answers with TC, TCP answers one byte a second; allowdns's upstream timeout ${UPSTREAM_TIMEOUT_MS} ms"
  start_allowdns "$BASE_CONFIG"
  local opened_before
  opened_before="$(grep -c '^tcp_open\|tcp_closed\|tcp_complete' "$WORK/slow-upstream.log" || true)"
  # One slow query, and an ordinary query (a miss, so it goes to knotd) while it waits.
  local slow_out="$WORK/slow-probe.txt" normal slow_status slow_ms
  (timed_query "$NS_SANDBOX" probe.slow.test >"$slow_out") &
  local probe_pid=$!
  sleep 0.3
  normal="$(timed_query "$NS_SANDBOX" n000001.bench.test)"
  wait "$probe_pid" || true
  read -r slow_status slow_ms <"$slow_out"
  log "  one slow query: $slow_status after $slow_ms ms; meanwhile n000001.bench.test: $normal"

  # Many slow queries (distinct names: no cache, no shared upstream query), next to ordinary load.
  awk -v n="$SLOW_QUERIES" 'BEGIN { for (i = 0; i < n; i++) printf "q%06d.slow.test A\n", i }' >"$WORK/slow-queries.txt"
  write_soak_queries
  local seconds=$((SLOW_QUERIES / SLOW_QPS + 4)) rss_file="$WORK/slow-rss.txt"
  start_rss_sampler "$ALLOWDNS_PID" "$rss_file" 1 $((seconds + 30))
  start_in_ns slow-dnsperf "$NS_SANDBOX" 1 timeout $((seconds + 30)) dnsperf -s "$HOST_SANDBOX_IP" -p 53 \
    -d "$WORK/slow-queries.txt" -n 1 -Q "$SLOW_QPS" -c 1 -q $((SLOW_QPS * 4)) -t 6
  local slow_dnsperf=$STARTED_PID
  OUT="$WORK/slow-normal.out"
  dnsperf_in "$NS_SANDBOX" "$seconds" -d "$WORK/soak-queries.txt" -l "$seconds" -Q 500 -c 1 -q 100 -t 2 -v
  wait_for_exit "$slow_dnsperf" 40 || true
  sleep 2
  stop "$RSS_SAMPLER_PID"
  local sent lost answered p50 p99 top s_sent s_servfail s_lost samples min med max slope
  sent="$(field 'Queries sent' 3)"; lost="$(field 'Queries lost' 3)"
  read -r answered p50 p99 top _ <"$OUT.hist"
  s_sent="$(field 'Queries sent' 3 "$WORK/slow-dnsperf.log")"; s_lost="$(field 'Queries lost' 3 "$WORK/slow-dnsperf.log")"
  s_servfail="$(grep -o 'SERVFAIL [0-9]*' "$WORK/slow-dnsperf.log" | awk '{ print $2 }' | head -1 || true)"
  read -r samples min med max slope <<<"$(rss_summary "$rss_file")"
  # What the slow upstream saw in this phase: TCP connections, and when allowdns closed them.
  local events closed complete closed_max
  events="$(tail -n +$((opened_before + 1)) "$WORK/slow-upstream.log")"
  closed="$(grep -c '^tcp_closed_by_peer' <<<"$events" || true)"
  complete="$(grep -c '^tcp_complete' <<<"$events" || true)"
  closed_max="$(awk '/^tcp_closed_by_peer/ { if ($3 > m) m = $3 } END { print m + 0 }' <<<"$events")"
  log "  slow: $s_sent sent, ${s_servfail:-0} SERVFAIL, $s_lost lost; normal: $answered answered, lost $lost, p99 $p99 ms;" \
    "upstream TCP: $closed closed by allowdns (latest after $closed_max s), $complete completed; RSS $min/$med/$max MiB"
  {
    echo
    echo "## Slow-drip upstream"
    echo
    echo "\`slow_upstream.py\` (zone \`@forward $NET_IP:$SLOW_PORT\`, \`**.slow.test\`): over UDP an empty answer with TC set, over"
    echo "TCP the answer one byte a second. allowdns's \`--upstream-timeout ${UPSTREAM_TIMEOUT_MS}ms\`."
    echo
    echo "- one slow query: **$slow_status after $slow_ms ms**; an ordinary query sent 0.3 s into it: $normal (status, ms)"
    echo "- $s_sent slow queries at $SLOW_QPS/s (distinct names): ${s_servfail:-0} SERVFAIL, $s_lost without an answer"
    echo "- meanwhile $sent ordinary queries at 500/s (the soak's mix): $answered answered, $lost lost, p50 / p99 / max $p50 / $p99 / $top ms"
    echo "- the slow upstream's TCP connections: $closed closed by allowdns, the latest $closed_max s after it opened; $complete dripped to the end"
    echo "- allowdns RSS over the phase ($samples samples, 1 s apart): first / min / median / max / last $(head -1 "$rss_file" | awk '{ printf "%.1f", $2 / 1024 }') / $min / $med / $max / $(tail -1 "$rss_file" | awk '{ printf "%.1f", $2 / 1024 }') MiB"
  } >>"$WORK/results.md"
  check "$(holds "\"$slow_status\" == \"SERVFAIL\" && $slow_ms <= $UPSTREAM_TIMEOUT_MS + 1000")" \
    "slow-drip: the slow query is SERVFAIL within the timeout + 1 s ($slow_status, $slow_ms ms)"
  check "$(holds "\"${normal%% *}\" == \"NOERROR\"")" "slow-drip: an ordinary query answered meanwhile ($normal)"
  check "$(holds "${s_servfail:-0} == $s_sent && $s_sent == $SLOW_QUERIES")" "slow-drip: every slow query SERVFAIL (${s_servfail:-0} of $s_sent)"
  check "$(holds "$lost == 0")" "slow-drip: no ordinary query lost ($lost of $sent)"
  check "$(holds "$complete == 0 && $closed_max <= 4")" "slow-drip: allowdns closes every dripping connection ($closed, latest after $closed_max s)"
  check "$(holds "$max - $min < 64")" "slow-drip: RSS within 64 MiB over the phase ($min..$max MiB)"
  stop_allowdns
}

phase_never_read() {
  log "phase never-read: $NEVER_CONNECTIONS connections of $((NEVER_BYTES >> 20)) MiB each to a destination that reads nothing for ${NEVER_HOLD} s"
  start_allowdns "$BASE_CONFIG"
  local drain="$WORK/never-drain" progress="$WORK/never-progress.txt"
  rm -f "$drain"
  start_in_ns never-server "$NS_NET" 1 python3 -u "$SCRIPT_DIR/never_read.py" server --listen "$NET_IP:$SINK_PORT" \
    --connections "$NEVER_CONNECTIONS" --drain-when "$drain" --counts "$WORK/never-server-counts.txt" \
    --max-seconds $((NEVER_HOLD + 240))
  local server_pid=$STARTED_PID
  for _ in $(seq 1 50); do grep -q listening "$WORK/never-server.log" && break; sleep 0.1; done
  [[ "$(in_ns "$NS_SANDBOX" dig @"$HOST_SANDBOX_IP" +tries=1 +time=2 +short sink.bench.test A)" == "$NET_IP" ]] \
    || { check false "never-read: sink.bench.test did not resolve"; stop_allowdns; return; }
  local rss_file="$WORK/never-rss.txt" rss_before
  rss_before="$(rss_kib_of "$ALLOWDNS_PID")"
  start_rss_sampler "$ALLOWDNS_PID" "$rss_file" 1 $((NEVER_HOLD + 300))
  start_in_ns never-client "$NS_SANDBOX" 1 python3 -u "$SCRIPT_DIR/never_read.py" client --connect "$NET_IP:$SINK_PORT" \
    --connections "$NEVER_CONNECTIONS" --bytes "$NEVER_BYTES" --progress "$progress" \
    --counts "$WORK/never-client-counts.txt" --max-seconds $((NEVER_HOLD + 240))
  local client_pid=$STARTED_PID
  sleep $((NEVER_HOLD / 2))
  local written_half written_end rss_hold
  written_half="$(tail -1 "$progress" | awk '{ print $2 }')"
  sleep $((NEVER_HOLD - NEVER_HOLD / 2))
  written_end="$(tail -1 "$progress" | awk '{ print $2 }')"
  rss_hold="$(rss_summary "$rss_file")"
  log "  held: the sandbox wrote ${written_half:-0} bytes by half-time, ${written_end:-0} by the end; RSS (n min med max slope) $rss_hold"
  touch "$drain"
  local t0 drained=true
  t0="$(date +%s)"
  wait_for_exit "$client_pid" 240 || drained=false
  wait_for_exit "$server_pid" 30 || drained=false
  local drain_s=$(($(date +%s) - t0))
  sleep 1
  stop "$RSS_SAMPLER_PID"
  local records
  records="$(settled_count connections)"
  jq -r "select(.port == $SINK_PORT) | .bytes_sent" "$LOG_DIR"/connections.jsonl | sort -n >"$WORK/never-records.txt"
  awk '{ print $2 }' "$WORK/never-client-counts.txt" 2>/dev/null | sort -n >"$WORK/never-client.txt" || true
  awk '{ print $2 }' "$WORK/never-server-counts.txt" 2>/dev/null | sort -n >"$WORK/never-server.txt" || true
  local exact=false total
  if [[ -s "$WORK/never-records.txt" ]] && cmp -s "$WORK/never-records.txt" "$WORK/never-client.txt" \
    && cmp -s "$WORK/never-records.txt" "$WORK/never-server.txt" && (($(wc -l <"$WORK/never-records.txt") == NEVER_CONNECTIONS)); then
    exact=true
  fi
  total="$(awk '{ s += $1 } END { printf "%.0f", s }' "$WORK/never-client.txt")"
  local hold_n hold_min hold_med hold_max hold_slope samples min med max slope
  read -r hold_n hold_min hold_med hold_max hold_slope <<<"$rss_hold"
  read -r samples min med max slope <<<"$(rss_summary "$rss_file")"
  local before_mib
  before_mib="$(awk -v k="$rss_before" 'BEGIN { printf "%.1f", k / 1024 }')"
  log "  drained in $drain_s s: $total bytes; records exact: $exact ($(wc -l <"$WORK/never-records.txt") records, $records in the log)"
  {
    echo
    echo "## Destination that never reads"
    echo
    echo "\`never_read.py server\` on $NET_IP:$SINK_PORT (receive buffer 4 KiB) accepts and reads nothing; the sandbox opens"
    echo "$NEVER_CONNECTIONS connections through the relay, each an HTTP PUT (Host sink.bench.test) of $((NEVER_BYTES >> 20)) MiB (+4,099 bytes per"
    echo "connection), written as fast as the sockets take it. After ${NEVER_HOLD} s the server reads everything and closes."
    echo
    echo "- written by the sandbox while held: $written_half bytes at $((NEVER_HOLD / 2)) s, $written_end at ${NEVER_HOLD} s (of $total in all): the writes stopped"
    echo "- allowdns RSS before: $before_mib MiB; while held ($hold_n samples): min / median / max $hold_min / $hold_med / $hold_max MiB"
    echo "- after the drain ($total bytes relayed in ${drain_s} s): max over the phase $max MiB"
    echo "- records: $(wc -l <"$WORK/never-records.txt") for port $SINK_PORT; bytes_sent equal to what the sandbox wrote and the server read, connection by connection: **$exact**"
  } >>"$WORK/results.md"
  check "$(holds "${written_end:-0} == ${written_half:-0} && ${written_end:-0} < $total")" \
    "never-read: the sandbox's writes stall (${written_half:-0} then ${written_end:-0} bytes written)"
  check "$(holds "$hold_max - $before_mib < 64")" "never-read: RSS while held within 64 MiB of before ($before_mib -> $hold_max MiB)"
  check "$drained" "never-read: everything drained once the server read ($drain_s s)"
  check "$exact" "never-read: one record per connection with exact bytes_sent"
  stop_allowdns
}
