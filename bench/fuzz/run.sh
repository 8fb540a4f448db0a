#!/usr/bin/env bash
# Fuzzes every @FuzzTest target for a bounded time each, one JVM per target (Jazzer fuzzes one
# @FuzzTest per run), and prints the executions per target. A crash fails the run; its input is
# written into the target's seed directory (src/test/resources/.../<Class>Inputs/<method>/), where
# `mvn test` replays it from then on. CI runs this with a short time per target; run it longer
# (under `flock /tmp/allowdns-heavy.lock`) for a campaign. The inputs that found new coverage are
# kept in target/fuzz-corpus/ and reused by the next run.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$SCRIPT_DIR/../lib.sh"

usage() {
  cat <<'EOF2'
Usage: bench/fuzz/run.sh [--max-time S] [--write FILE] [--no-build] [TARGET...]

  --max-time S   seconds of fuzzing per target (default: 20)
  --write FILE   also write the results table (markdown) to FILE
  --no-build     use target/classes and target/test-classes as they are
  TARGET         Class#method (default: every target below)
EOF2
}

# Class#method, then the classes Jazzer instruments for coverage besides allowdns's own.
TARGETS=(
  "dev.allowdns.dns.QueryPipelineFuzzTest#queryPath org.xbill.DNS.**"
  "dev.allowdns.dns.UpstreamReplyFuzzTest#upstreamReply org.xbill.DNS.**"
  "dev.allowdns.relay.PeekFuzzTest#peek io.netty.handler.ssl.SslClientHelloHandler:io.netty.handler.ssl.AbstractSniHandler"
  "dev.allowdns.proxy.ProxyHeadFuzzTest#proxyHead io.netty.handler.codec.http.HttpObjectDecoder"
  "dev.allowdns.policy.ZoneFileFuzzTest#zoneFile"
  "dev.allowdns.config.ConfigFileFuzzTest#configFile"
  "dev.allowdns.logs.RecordReaderFuzzTest#recordLines"
  "dev.allowdns.admin.SandboxBodyFuzzTest#sandboxBody"
)

max_time=20
write=""
build=true
selected=()
while (($#)); do
  case "$1" in
    --max-time) max_time="$2"; shift 2 ;;
    --write) write="$2"; shift 2 ;;
    --no-build) build=false; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) selected+=("$1"); shift ;;
  esac
done
require_positive_integers "$max_time"
require_tools "openjdk-17-jdk-headless maven" java mvn

cd "$REPO_DIR"
classpath_file=target/fuzz-classpath.txt
if $build || [ ! -s "$classpath_file" ]; then
  log "compiling the tests and resolving the test class path"
  mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile="$classpath_file" -Dmdep.includeScope=test
fi
classpath="target/test-classes:target/classes:$(cat "$classpath_file")"

results=()
failed=0
for entry in "${TARGETS[@]}"; do
  read -r target extra <<<"$entry"
  if ((${#selected[@]})) && [[ ! " ${selected[*]} " == *" $target "* ]]; then
    continue
  fi
  class="${target%#*}"
  method="${target#*#}"
  simple="${class##*.}"
  package_dir="$(dirname "${class//.//}")"
  seeds="src/test/resources/$package_dir/${simple}Inputs/$method"
  corpus="target/fuzz-corpus/$simple/$method"
  mkdir -p "$corpus" "$seeds"
  instrument="dev.allowdns.**${extra:+:$extra}"
  out="target/fuzz-corpus/$simple-$method.log"
  log "fuzzing $target for ${max_time}s"
  status=0
  # -Xmx: a fuzzing JVM otherwise grows to a quarter of the machine's memory. Findings go into the
  # seed directory (-artifact_prefix), so `mvn test` replays them from then on.
  JAZZER_FUZZ=1 timeout --kill-after=30 $((max_time + 300)) \
    java -Xmx1g -XX:+UseSerialGC -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
    --target_class="$class" --target_method="$method" \
    --instrumentation_includes="$instrument" --custom_hook_includes="$instrument" \
    -max_total_time="$max_time" -timeout=10 -artifact_prefix="$seeds/" \
    "$corpus" "$seeds" >"$out" 2>&1 || status=$?
  runs="$(grep -oE '^Done [0-9]+ runs' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)"
  seconds="$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$out" | tail -1 | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || echo 0)"
  cov="$(grep -oE 'cov: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)"
  entries="$(find "$corpus" -type f | wc -l)"
  verdict=ok
  if ((status != 0)); then
    verdict="FAILED (exit $status)"
    failed=1
    log "$target failed; its output: $out"
    grep -E '== Java Exception|^Caused by|^\s+at dev\.allowdns|artifact_prefix|Test unit written' "$out" | head -20 >&2 || true
  fi
  results+=("| \`$simple#$method\` | $runs | $seconds | $((seconds > 0 ? runs / seconds : 0)) | $cov | $entries | $verdict |")
done

table="$(printf '%s\n' "| target | executions | seconds | exec/s | coverage edges | corpus entries | result |" \
  "| --- | ---: | ---: | ---: | ---: | ---: | --- |" "${results[@]}")"
echo "$table"
if [ -n "$write" ]; then
  {
    echo "# Fuzzing, $(date -u +%Y-%m-%dT%H:%MZ), ${max_time}s per target, at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs."
    echo
    echo "$table"
  } >"$write"
fi
exit "$failed"
