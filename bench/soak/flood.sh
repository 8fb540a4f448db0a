# The flood phase of bench/soak/run.sh; sourced, never run. Uses run.sh's globals and helpers.
# shellcheck shell=bash disable=SC2154  # globals of run.sh

# The limits the flood is measured under, when this build takes a `limits:` key (DESIGN.md,
# "Limits"): well above what the well-behaved sandbox does (100 qps, a few connections a second),
# far below the flood. unlimited.yaml sets every key to 0 (unlimited), so that every other phase
# and round has none even where a build has defaults. Sets LIMITS (true when this build takes
# `limits:`) and BASE_CONFIG (the config of everything but the limits round).
write_limits_configs() {
  cat "$WORK/sandboxes.yaml" - >"$WORK/limits.yaml" <<EOF
limits:
  dns_qps: 1000
  names_per_domain_per_hour: 1000
  connections_per_second: 50
  open_connections: 256
EOF
  cat "$WORK/sandboxes.yaml" - >"$WORK/unlimited.yaml" <<EOF
limits:
  dns_qps: 0
  names_per_domain_per_hour: 0
  connections_per_second: 0
  open_connections: 0
  bandwidth_up: 0
  bandwidth_down: 0
EOF
  LIMITS=false
  BASE_CONFIG="$WORK/sandboxes.yaml"
  if "$ALLOWDNS_LAUNCHER" validate --zones "$WORK/zones" --config "$WORK/limits.yaml" >"$WORK/limits-validate.log" 2>&1; then
    LIMITS=true
    BASE_CONFIG="$WORK/unlimited.yaml"
    "$ALLOWDNS_LAUNCHER" validate --zones "$WORK/zones" --config "$BASE_CONFIG" >/dev/null 2>&1 \
      || { echo "run.sh: allowdns validate takes limits: but refuses limits of 0 (unlimited): $BASE_CONFIG" >&2; exit 1; }
  fi
}

# Prints "N P50 P99 MAX FAILED" (seconds -> ms) of curl's time_total lines in $1 ("CODE SECONDS").
curl_summary() {
  awk '{ if ($1 != 200) f++; else t[++n] = $2 * 1000 }
    END {
      for (i = 2; i <= n; i++) { v = t[i]; j = i - 1; while (j > 0 && t[j] > v) { t[j + 1] = t[j]; j-- } t[j + 1] = v }
      if (n == 0) { print "0 n/a n/a n/a", f + 0; exit }
      i99 = int(n * 0.99); if (i99 < n * 0.99) i99++
      printf "%d %.1f %.1f %.1f %d\n", n, t[int((n + 1) / 2)], t[i99], t[n], f + 0 }' "$1"
}

declare -A FLOOD_ROW FLOOD_LOST FLOOD_P99 FLOOD_CFAIL FLOOD_C99
# Measures the well-behaved sandbox for FLOOD_SECONDS under round $1 (alone, flood, flood+limits)
# with allowdns on config $2; sets FLOOD_ROW[$1] to a table row.
flood_round() {
  local round="$1" config="$2" flooding=false
  [[ "$round" == alone ]] || flooding=true
  log "  round $round"
  start_allowdns "$config"
  # The well-behaved sandbox's names: the 200 gNNN.bench.test (TTL 1 h), asked once first, so
  # they stay cached; srv.bench.test is what its curl connects to, and the flooder's wrk.
  awk 'BEGIN { for (i = 0; i < 200; i++) printf "g%03d.bench.test A\n", i }' >"$WORK/good-queries.txt"
  OUT="$WORK/flood-$round-warm.out"
  dnsperf_in "$NS_SANDBOX" 10 -d "$WORK/good-queries.txt" -n 1 -Q 500 -t 2
  in_ns "$NS_FLOOD" dig @"$HOST_FLOOD_IP" +tries=1 +time=2 +short srv.bench.test A >/dev/null || true
  local rss_file="$WORK/flood-$round-rss.txt" flood_dns="" flood_wrk=""
  start_rss_sampler "$ALLOWDNS_PID" "$rss_file" 1 $((FLOOD_SECONDS + 40))
  if [[ "$flooding" == true ]]; then
    # New names, each a miss (knotd's wildcard *.flood.bench.test answers), as fast as allowdns
    # takes them; and new connections, one request each. Both at niceness 10, bounded in count and time.
    awk -v n=$((FLOOD_SECONDS * 40000)) 'BEGIN { for (i = 0; i < n; i++) printf "f%08d.flood.bench.test A\n", i }' \
      >"$WORK/flood-names.txt"
    niceness=10 start_in_ns "flood-$round-dnsperf" "$NS_FLOOD" 1 timeout $((FLOOD_SECONDS + 20)) dnsperf -s "$HOST_FLOOD_IP" \
      -p 53 -d "$WORK/flood-names.txt" -n 1 -l $((FLOOD_SECONDS + 2)) -c 4 -q 1000 -t 2
    flood_dns=$STARTED_PID
    niceness=10 start_in_ns "flood-$round-wrk" "$NS_FLOOD" 1 timeout $((FLOOD_SECONDS + 20)) wrk -t1 -c64 \
      -d"$((FLOOD_SECONDS + 2))s" --timeout 2s -H "Host: srv.bench.test" -H 'Connection: close' "http://$NET_IP/"
    flood_wrk=$STARTED_PID
    sleep 2
  fi
  # The well-behaved sandbox: curl (a lookup and a new connection each), CURLS at most in
  # FLOOD_SECONDS, beside dnsperf at 100 qps on its cached names.
  local curl_out="$WORK/flood-$round-curl.txt" pause
  pause="$(awk -v s="$FLOOD_SECONDS" -v n="$CURLS" 'BEGIN { printf "%.3f", s / n * 0.8 }')"
  start_in_ns "good-$round-curl" "$NS_SANDBOX" 1 timeout $((FLOOD_SECONDS + 10)) bash -c \
    "for i in \$(seq 1 $CURLS); do curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code} %{time_total}\n' http://srv.bench.test/ >>'$curl_out' || echo \"000 5\" >>'$curl_out'; sleep $pause; done"
  local curl_pid=$STARTED_PID
  OUT="$WORK/flood-$round-good.out"
  sample_begin "$ALLOWDNS_PID" 0
  dnsperf_in "$NS_SANDBOX" "$FLOOD_SECONDS" -d "$WORK/good-queries.txt" -l "$FLOOD_SECONDS" -Q 100 -c 1 -q 50 -t 2 -v
  sample_end
  local cpu
  cpu="$(awk -v t="$SAMPLED_TICKS" -v hz="$CLK_TCK" -v s="$FLOOD_SECONDS" 'BEGIN { printf "%.0f", t / hz / s * 100 }')"
  wait_for_exit "$curl_pid" 20 || stop "$curl_pid"
  local f_qps="n/a" f_refused="" f_conn="n/a" f_errors="n/a"
  if [[ "$flooding" == true ]]; then
    wait_for_exit "$flood_dns" 30 || stop "$flood_dns"
    wait_for_exit "$flood_wrk" 30 || stop "$flood_wrk"
    f_qps="$(field 'Queries per second' 4 "$WORK/flood-$round-dnsperf.log" | awk '{ printf "%.0f", $1 }')"
    f_refused="$(grep -o 'REFUSED [0-9]*' "$WORK/flood-$round-dnsperf.log" | awk '{ print $2 }' | head -1 || true)"
    f_conn="$(awk '/Requests\/sec:/ { print $2 }' "$WORK/flood-$round-wrk.log")"
    f_errors="$(awk '/Socket errors:/ { gsub(",", ""); s += $4 + $6 + $8 + $10 } /Non-2xx/ { s += $NF } END { print s + 0 }' "$WORK/flood-$round-wrk.log")"
  fi
  stop "$RSS_SAMPLER_PID"
  local sent lost answered p50 p99 top n c50 c99 cmax cfail samples min med max slope
  sent="$(field 'Queries sent' 3)"; lost="$(field 'Queries lost' 3)"
  read -r answered p50 p99 top _ <"$OUT.hist"
  read -r n c50 c99 cmax cfail <<<"$(curl_summary "$curl_out")"
  read -r samples min med max slope <<<"$(rss_summary "$rss_file")"
  FLOOD_ROW[$round]="| $round | $sent | $lost | $p50 | $p99 | $n | $cfail | $c50 | $c99 | $cmax | ${f_qps:-n/a}${f_refused:+ ($f_refused REFUSED)} | ${f_conn:-n/a} ($f_errors errors) | $cpu% | $max |"
  log "  $round: good DNS $answered/$sent p50 $p50 p99 $p99 ms, lost $lost; curl $n ok, $cfail failed, p50 $c50 p99 $c99 ms;" \
    "flood ${f_qps:-n/a} qps ${f_refused:+($f_refused REFUSED) }${f_conn:-n/a} conn/s; RSS max $max MiB"
  FLOOD_LOST[$round]="$lost"; FLOOD_P99[$round]="$p99"; FLOOD_CFAIL[$round]="$cfail"; FLOOD_C99[$round]="$c99"
  stop_allowdns
}

phase_flood() {
  local rounds="alone flood" limits_note
  if [[ "$LIMITS" == true ]]; then
    rounds+=" flood+limits"
    limits_note="this build takes \`limits:\` (\`allowdns validate\` accepts it): the last round runs with it"
  else
    limits_note="this build has no \`limits:\` (\`allowdns validate\`: $(head -1 "$WORK/limits-validate.log" | sed 's/.*limits.yaml:[0-9]*: //; s/ (known.*//')): no round with limits"
  fi
  log "phase flood: rounds $rounds, ${FLOOD_SECONDS} s each; $limits_note"
  local round
  for round in $rounds; do
    if [[ "$round" == flood+limits ]]; then flood_round "$round" "$WORK/limits.yaml"; else flood_round "$round" "$BASE_CONFIG"; fi
  done
  {
    echo
    echo "## Flood next to a well-behaved sandbox"
    echo
    echo "The well-behaved sandbox ($SANDBOX_IP) runs dnsperf at 100 qps over 200 cached names and up to $CURLS curls"
    echo "(\`http://srv.bench.test/\`: a lookup through allowdns and a new relayed connection each) for ${FLOOD_SECONDS} s. The flooder"
    echo "($FLOOD_IP, niceness 10) runs dnsperf -c 4 -q 1000 over unique names under flood.bench.test (each a miss that goes"
    echo "upstream) and wrk -c64 with \`Connection: close\` to the same nginx. Each round has an allowdns of its own; $limits_note."
    [[ "$rounds" != *limits* ]] || { echo; echo '```yaml'; sed -n '/^limits:/,$p' "$WORK/limits.yaml"; echo '```'; }
    echo
    echo "| round | good: queries | lost | DNS p50 ms | DNS p99 ms | curls ok | failed | curl p50 ms | curl p99 ms | curl max ms | flood qps | flood connections/s | allowdns CPU (of one) | allowdns RSS max MiB |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for round in $rounds; do echo "${FLOOD_ROW[$round]}"; done
    echo
    echo "The load generators share CPU 1 (the flooder's at niceness 10, the well-behaved sandbox's at $niceness); allowdns has CPU 0."
  } >>"$WORK/results.md"
  check "$(holds "${FLOOD_LOST[alone]:-1} == 0 && ${FLOOD_CFAIL[alone]:-1} == 0")" "flood: alone, nothing lost or failed"
  if [[ "$rounds" == *limits* ]]; then
    check "$(holds "${FLOOD_LOST[flood+limits]:-1} == 0 && ${FLOOD_CFAIL[flood+limits]:-1} == 0")" \
      "flood: with limits, the well-behaved sandbox loses no query and no curl"
  fi
}
