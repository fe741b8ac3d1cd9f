#!/usr/bin/env bash
# The install path a user takes: `npm pack` the package and the
# linux-x64-gnu platform package, install them into a fresh project, and run
# a real exchange there. Twice:
#   prebuilt: both tarballs, cargo removed from PATH (no Rust needed);
#   source:   the package alone, cargo on PATH (the source fallback).
# Each form must leave no cargo target/ in node_modules. Prints the tarball
# and installed sizes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm run --silent artifacts
npm pack --silent --pack-destination "$work" > /dev/null
(cd npm/linux-x64-gnu && npm pack --silent --pack-destination "$work" > /dev/null)
main=$(ls "$work"/websockets-[0-9]*.tgz)
# Only what a user needs: the JS layer, the types, the install scripts and the
# crate's sources for the fallback; no tests, build output or dev tooling.
unexpected=$(tar -tzf "$main" | sed 's#^package/##' \
  | grep -Ev '^(index\.js|index\.d\.ts|package\.json|README\.md|LICENSE|build\.rs|Cargo\.(toml|lock)|benches/core\.rs|lib/([a-z-]+/)?[a-z-]+\.js|scripts/(install|build)\.js|src/.+\.rs|docs/.+\.md)$' || true)
if [ -n "$unexpected" ]; then
  echo "install-check: the tarball holds files a user does not need:" >&2
  echo "$unexpected" >&2
  exit 1
fi
echo "tarball: $(tar -tzf "$main" | wc -l) files" 
platform=$(ls "$work"/websockets-linux-x64-gnu-*.tgz)
echo "tarballs: $(basename "$main") $(du -k "$main" | cut -f1) KiB, $(basename "$platform") $(du -k "$platform" | cut -f1) KiB"

# PATH without any directory that holds cargo.
no_cargo_path=$(tr ':' '\n' <<< "$PATH" | while read -r dir; do
  [ -n "$dir" ] && [ ! -x "$dir/cargo" ] && printf '%s:' "$dir"
done)
no_cargo_path=${no_cargo_path%:}

check_form() {
  local form=$1 path=$2; shift 2
  local project="$work/$form"
  mkdir -p "$project"
  cp "$root/.ci/exchange.js" "$project/"
  (
    cd "$project"
    export PATH=$path
    npm init -y > /dev/null
    npm install --no-audit --no-fund "$@" > install.log 2>&1 || { cat install.log; exit 1; }
    grep '^websockets:' install.log || true
    node exchange.js
  )
  local installed="$project/node_modules/websockets"
  if find "$installed" -name target -type d | grep -q .; then
    echo "$form: a cargo target/ was left in node_modules" >&2
    exit 1
  fi
  echo "$form: installed size $(du -sk "$project/node_modules" | cut -f1) KiB (node_modules, all packages)"
}

if PATH=$no_cargo_path command -v cargo > /dev/null; then
  echo "install-check: could not take cargo off PATH" >&2
  exit 1
fi
check_form prebuilt "$no_cargo_path" "$main" "$platform"
[ -d "$work/prebuilt/node_modules/websockets/native" ] && {
  echo "prebuilt: a source build ran although the prebuilt package was there" >&2
  exit 1
}
check_form source "$PATH" "$main"
[ -f "$work/source/node_modules/websockets/native/websockets.linux-x64-gnu.node" ] || {
  echo "source: no binary was built from source" >&2
  exit 1
}
echo "install-check: both forms installed and exchanged messages"
