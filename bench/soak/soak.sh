# The soak phase of bench/soak/run.sh; sourced, never run. Uses run.sh's globals and helpers.
# shellcheck shell=bash disable=SC2154  # globals of run.sh

# Query file of the soak: every bench.test name once (TTL 30 s, so about NAMES / 30 misses a
# second go upstream), with every tenth query replaced by a blocked name; shuffled, seeded.
write_soak_queries() {
  awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++) {
      if (i % 10 == 9) printf "b%06d.blocked.example A\n", i; else printf "n%06d.bench.test A\n", i } }' \
    | shuf --random-source=<(yes allowdns-soak) >"$WORK/soak-queries.txt"
}

phase_soak() {
  log "phase soak: max qps for ${MAX_SECONDS} s, then ${SOAK_SECONDS} s at 80% of it"
  start_allowdns "$WORK/sandboxes.yaml"
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
  OUT="$WORK/soak-run.out"
  sample_begin "$ALLOWDNS_PID" 0
  dnsperf_in "$NS_SANDBOX" "$SOAK_SECONDS" -d "$WORK/soak-queries.txt" -l "$SOAK_SECONDS" -Q "$rate" \
    -c 2 -q 500 -t 2 -S 60 -v
  sample_end
  stop "$RSS_SAMPLER_PID"
  local sent completed lost achieved records answered p50 p99 top samples min med max slope slope_late
  sent="$(field 'Queries sent' 3)"; completed="$(field 'Queries completed' 3)"; lost="$(field 'Queries lost' 3)"
  achieved="$(field 'Queries per second' 4 | awk '{ printf "%.0f", $1 }')"
  records=$(($(settled_count queries) - records_before))
  read -r answered p50 p99 top <"$OUT.hist"
  read -r samples min med max slope <<<"$(rss_summary "$rss_file")"
  slope_late="$(rss_summary "$rss_file" 0.5 | awk '{ print $5 }')"
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
    echo "| latency p50 / p99 / max ms | $p50 / $p99 / $top |"
    echo "| allowdns CPU (share of one CPU) | ${cpu_share}% |"
    echo "| RSS samples | $samples |"
    echo "| RSS min / median / max MiB | $min / $med / $max |"
    echo "| RSS slope, whole soak / second half (MiB/min) | $slope / $slope_late |"
    echo
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
