# The soak phase of bench/soak/run.sh; sourced, never run. Uses run.sh's globals and helpers.
# shellcheck shell=bash disable=SC2154  # globals of run.sh

# Query file of the soak: every bench.test name once (TTL 30 s, so about NAMES / 30 misses a
# second go upstream), with every tenth query replaced by a blocked name; shuffled, seeded.
write_soak_queries() {
  awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++) {
      if (i % 10 == 9) printf "b%06d.blocked.example A\n", i; else printf "n%06d.bench.test A\n", i } }' \
    | shuf --random-source=<(yes allowdns-soak) >"$WORK/soak-queries.txt"
}

# Prints namespace $1's UDP RcvbufErrors: datagrams dropped because a socket's receive buffer was
# full (in the sandbox: answers dnsperf did not read in time; in the host: queries allowdns did not).
udp_rcvbuf_errors() {
  in_ns "$1" awk '$1 == "Udp:" { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else { print $col["RcvbufErrors"]; exit } }' /proc/net/snmp
}

phase_soak() {
  log "phase soak: max qps for ${MAX_SECONDS} s, then ${SOAK_SECONDS} s at 80% of it"
  start_allowdns "$BASE_CONFIG"
  write_soak_queries
  OUT="$WORK/soak-warm.out"
  dnsperf_in "$NS_SANDBOX" 30 -d "$WORK/soak-queries.txt" -n 1 -Q 10000 -c 2 -q 200 -t 2
  log "  warm-up: $(field 'Queries completed' 3) of $(field 'Queries sent' 3) answered"

  OUT="$WORK/soak-max.out"
  dnsperf_in "$NS_SANDBOX" "$MAX_SECONDS" -d "$WORK/soak-queries.txt" -l "$MAX_SECONDS" -c 2 -q 200 -t 1
  local max_qps rate
  max_qps="$(field 'Queries per second' 4 | awk '{ printf "%.0f", $1 }')"
  rate="$(awk -v q="${max_qps:-0}" 'BEGIN { printf "%d", q * 0.8 }')"
  log "  max: ${max_qps:-?} qps (lost $(field 'Queries lost' 3)); soak at $rate qps"
  ((rate > 0)) || { check false "soak: dnsperf measured no max qps"; stop_allowdns; return; }

  local records_before
  records_before="$(settled_count queries)"
  local rss_file="$WORK/soak-rss.txt"
  start_rss_sampler "$ALLOWDNS_PID" "$rss_file" "$SAMPLE_EVERY" $((SOAK_SECONDS / SAMPLE_EVERY + 10))
  local client_drops_before host_drops_before
  client_drops_before="$(udp_rcvbuf_errors "$NS_SANDBOX")"; host_drops_before="$(udp_rcvbuf_errors "$NS_HOST")"
  OUT="$WORK/soak-run.out"
  sample_begin "$ALLOWDNS_PID" 0
  dnsperf_in "$NS_SANDBOX" "$SOAK_SECONDS" -d "$WORK/soak-queries.txt" -l "$SOAK_SECONDS" -Q "$rate" \
    -c 2 -q 500 -t 2 -S 60 -v
  sample_end
  stop "$RSS_SAMPLER_PID"
  local client_drops host_drops
  client_drops=$(($(udp_rcvbuf_errors "$NS_SANDBOX") - client_drops_before))
  host_drops=$(($(udp_rcvbuf_errors "$NS_HOST") - host_drops_before))
  local sent completed lost achieved records answered p50 p99 top samples min med max slope slope_late
  sent="$(field 'Queries sent' 3)"; completed="$(field 'Queries completed' 3)"; lost="$(field 'Queries lost' 3)"
  achieved="$(field 'Queries per second' 4 | awk '{ printf "%.0f", $1 }')"
  records=$(($(settled_count queries) - records_before))
  read -r answered p50 p99 top _ <"$OUT.hist"
  read -r samples min med max slope <<<"$(rss_summary "$rss_file")"
  slope_late="$(rss_summary "$rss_file" 0.5 | awk '{ print $5 }')"
  # What the heap holds: a tenured generation still filling (up to its first full collection)
  # raises RSS without a leak; after a full collection, "used" is what is live.
  local heap_before_gc="" heap_after_gc=""
  if command -v jcmd >/dev/null; then
    heap_before_gc="$(timeout 20 jcmd "$ALLOWDNS_PID" GC.heap_info 2>/dev/null | grep -E 'generation' || true)"
    timeout 60 jcmd "$ALLOWDNS_PID" GC.run >/dev/null 2>&1 || true
    heap_after_gc="$(timeout 20 jcmd "$ALLOWDNS_PID" GC.heap_info 2>/dev/null | grep -E 'generation' || true)"
  fi
  local cpu_share
  cpu_share="$(awk -v t="$SAMPLED_TICKS" -v hz="$CLK_TCK" -v s="$SOAK_SECONDS" 'BEGIN { printf "%.0f", t / hz / s * 100 }')"
  log "  soak: $achieved qps, sent $sent, answered $completed, lost $lost, records $records;" \
    "p50 $p50 ms p99 $p99 ms; RSS $min/$med/$max MiB, slope $slope MiB/min ($slope_late in the second half)"

  {
    echo
    echo "## Soak: $((SOAK_SECONDS / 60)) min $((SOAK_SECONDS % 60)) s at 80% of max qps"
    echo
    echo "Queries: the $NAMES names of bench.test (TTL 30 s: about $((NAMES * 9 / 10 / 30)) upstream queries a second as"
    echo "they expire) with every tenth replaced by a blocked name, from the well-behaved sandbox through"
    echo "\`iptables apply\`'s redirect. Max: dnsperf -c 2 -q 200 for ${MAX_SECONDS} s. Soak: dnsperf -Q $rate -c 2 -q 500 -t 2 -v"
    echo "(latencies into a 10 µs histogram), RSS (VmRSS) of the allowdns process every ${SAMPLE_EVERY} s."
    echo
    echo "| figure | value |"
    echo "| --- | ---: |"
    echo "| max qps (${MAX_SECONDS} s) | ${max_qps:-n/a} |"
    echo "| target qps (80%) | $rate |"
    echo "| qps achieved | $achieved |"
    echo "| queries sent | $sent |"
    echo "| answered (dnsperf) | $completed |"
    echo "| lost (dnsperf, no answer within 2 s) | $lost |"
    echo "| query records written | $records |"
    echo "| queries sent without a record | $((sent - records)) |"
    echo "| UDP datagrams dropped at a full receive buffer: the sandbox's (dnsperf) / the host's (allowdns) | $client_drops / $host_drops |"
    echo "| latency p50 / p99 / max ms | $p50 / $p99 / $top |"
    echo "| allowdns CPU (share of one CPU) | ${cpu_share}% |"
    echo "| RSS samples | $samples |"
    echo "| RSS min / median / max MiB | $min / $med / $max |"
    echo "| RSS slope, whole soak / second half (MiB/min) | $slope / $slope_late |"
    echo
    if [[ -n "$heap_before_gc" ]]; then
      echo
      echo "Heap at the end (\`jcmd PID GC.heap_info\`), then after a full collection (\`jcmd PID GC.run\`):"
      echo
      echo '```'
      echo "$heap_before_gc"
      echo "--- after GC.run:"
      echo "$heap_after_gc"
      echo '```'
      echo
    fi
    ((SOAK_SECONDS < 120)) || echo "qps minute by minute (dnsperf -S 60): $(awk -F': ' '/^[0-9]+\.[0-9]+: [0-9.]+$/ { printf "%s%.0f", sep, $2; sep = ", " }' "$OUT")"
  } >>"$WORK/results.md"
  # Lost: what dnsperf got no answer for, and queries sent that left no record.
  check "$(holds "$lost == 0")" "soak: no query lost ($lost of $sent without an answer)"
  check "$(holds "$sent - $records <= 0")" "soak: a record for every query sent ($records records, $sent sent)"
  check "$(holds "$achieved >= $rate * 0.95")" "soak: achieved $achieved qps of the $rate asked"
  # Flat: over the second half the resident set grows by less than 1 MiB a minute (a fixed heap
  # fills in its first minutes; a leak keeps going).
  if [[ "$quick" == false ]]; then
    check "$(holds "$slope_late < 1")" "soak: RSS flat in the second half ($slope_late MiB/min; max $max MiB)"
  fi
  # The README's ceiling for the launcher's 256 MiB heap (MemoryBoundsIT).
  check "$(holds "$max < 520")" "soak: RSS under 520 MiB (max $max MiB)"
  stop_allowdns
}
