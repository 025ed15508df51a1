# shellcheck shell=bash
# Sourced by scripts/nn and scripts/bench/run: builds the release `nn` when Package.swift or
# anything under Sources/ changed since the last build, and prints the binary's path.
#
# The build is for this machine's processor (`-march=native`): without it Swift targets SSE2
# and every hand-written kernel runs at a quarter or less of the width the processor has
# (TOOLCHAIN.md). The binary is built where it runs, so it cannot meet a processor it does not
# know; a copy taken to an older machine may stop with SIGILL, so copy the package, not
# the binary. The Swift standard library is linked statically: it halves start-up.

nn_release_flags=(-c release --product nn --static-swift-stdlib
  -Xcc -march=native -Xswiftc -target-cpu -Xswiftc native)

# The stamp's time is when the last good build started; its text is the path of the binary.
nn_release_binary() {
  local root=$1
  local stamp="$root/.build/nn-release.stamp"
  if [[ -f "$stamp" && -x "$(<"$stamp")" && "$(sed -n 2p "$stamp")" == "${nn_release_flags[*]}" &&
        -z "$(find "$root/Sources" "$root/Package.swift" -newer "$stamp" -print -quit)" ]]; then
    head -n 1 "$stamp"
    return 0
  fi
  mkdir -p "$root/.build"
  local started log bin_path
  started=$(mktemp "$root/.build/nn-release.stamp.XXXXXX")
  log=$(mktemp)
  # The build runs against the package while the caller keeps its directory, so relative
  # paths among the caller's arguments still mean what the caller meant.
  if ! swift build "${nn_release_flags[@]}" --package-path "$root" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log" "$started"
    return 1
  fi
  rm -f "$log"
  bin_path=$(swift build "${nn_release_flags[@]}" --show-bin-path --package-path "$root")
  printf '%s\n%s\n' "$bin_path/nn" "${nn_release_flags[*]}" >"$started"
  mv "$started" "$stamp"
  echo "$bin_path/nn"
}
