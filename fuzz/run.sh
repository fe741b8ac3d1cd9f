#!/usr/bin/env bash
# Coverage-guided fuzzing on the stable toolchain: cargo-fuzz (libFuzzer)
# with `--sanitizer none`, which needs no nightly. Safe Rust makes
# AddressSanitizer of little use here; what the targets look for are panics,
# oracle mismatches, hangs and memory past a bound.
#
#   bash fuzz/run.sh [seconds per target = 60] [target...]
#   targets: decoder utf8 headers inflate (default: all)
#
# New inputs go to a scratch directory, so the checked-in corpus (corpus/)
# only changes when you copy them in. A fault leaves its input in
# artifacts/<target>/; add it to regressions/<target>/ (replayed by
# `cargo test`, tests/fuzz_regressions.rs) with the fix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decoder utf8 headers inflate)
if ! cargo fuzz --version > /dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
cargo fuzz build --sanitizer none -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  echo "== fuzz $target for ${seconds}s"
  # -rss_limit_mb: a target that allocates past 512 MiB is a finding too.
  log="$scratch/$target.log"
  if ! cargo fuzz run --sanitizer none -O "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=512 -print_final_stats=1 > "$log" 2>&1; then
    grep -E -A6 'panicked|ERROR|SUMMARY' "$log" | head -40
    echo "fuzz $target: a fault; its input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log"
done
