#!/usr/bin/env bash
# Fuzzes every parser (tests/fuzz) for a given time each, one target after the other, at the
# lowest CPU priority: builds the `fuzz` preset (clang-14 + libFuzzer, ASan, UBSan), makes the
# seed corpora from real files, and prints libFuzzer's final line (executions, coverage).
# Usage: scripts/fuzz.sh [seconds per target, default 600] [target ...]
#   targets: weights idx idx_gzip cli checkpoint (default: all)
# A finding stops the script (exit 1); its input is in build/fuzz/tests/fuzz/artifacts/<t>/
# and becomes a regression input in tests/fuzz/regressions/<t>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(weights idx idx_gzip cli checkpoint)
build=build/fuzz
dir=$root/$build/tests/fuzz  # absolute: the CLI target works in a scratch folder

# build (configure once; -j2 at most on shared machines)
[ -f "$build/CMakeCache.txt" ] || cmake --preset fuzz >/dev/null
cmake --build "$build" -j"${DDPM_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

# seeds from real files: the committed small ones, plus checkpoints made by a built ddpm
ddpm=${DDPM_CLI:-}
for candidate in build/native/native/ddpm build/asan/native/ddpm; do
  [ -n "$ddpm" ] || { [ -x "$candidate" ] && ddpm=$candidate; } || true
done
extra=()
if [ -n "$ddpm" ]; then
  bash tests/fuzz/make_seeds.sh "$ddpm" "$dir/seeds" >/dev/null
else
  echo "fuzz: no built ddpm (build/native): checkpoint seeds are missing" >&2
fi

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$dir/logs"
status=0
for t in "${targets[@]}"; do
  inputs=()
  for d in "$root/tests/fuzz/seeds/$t" "$root/tests/fuzz/regressions/$t" "$dir/seeds/$t"; do
    [ -d "$d" ] && inputs+=("$d")
  done
  mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
  log=$dir/logs/$t.log
  # -timeout is wall-clock: generous, as niced runs on a loaded machine crawl (a 0.5 s input
  # took 41 s at nice 19 under load 10)
  flags=(-max_total_time="$seconds" -rss_limit_mb=2560 -malloc_limit_mb=1100 -timeout=120
         -artifact_prefix="$dir/artifacts/$t/" -print_final_stats=1)
  [ "$t" = cli ] && flags+=(-close_fd_mask=2)
  # checkpoint: no -ignore_ooms/-ignore_crashes/-detect_leaks=0 any more: the archive check
  # (native/torch/archive_check) refuses a damaged record before LibTorch reads it, so what
  # still breaks inside LibTorch is a finding like any other
  echo "fuzz: $t for ${seconds}s (log $log)"
  ok=0
  nice -n 19 "$dir/fuzz_$t" "${flags[@]}" "$dir/corpus/$t" "${inputs[@]}" >"$log" 2>&1 || ok=$?
  if [ $ok -eq 0 ]; then
    { grep -E "^#[0-9]+[[:space:]]+DONE|^#[0-9]+: cov:" "$log" || true; } | tail -1 |
      sed "s/^/fuzz: $t: /"
  else
    echo "fuzz: $t: FINDING (see $log and $dir/artifacts/$t/)" >&2
    grep -E 'ERROR|SUMMARY|contract' "$log" | head -5 >&2
    status=1
    break
  fi
done
exit $status
