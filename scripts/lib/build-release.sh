# shellcheck shell=bash
# Sourced by scripts/nn and scripts/bench/run: builds the release `nn` when Package.swift or
# anything under Sources/ changed since the last build, and prints the binary's path.
#
# The build is for this machine's processor (`-march=native`): without it Swift targets SSE2
# and every hand-written kernel runs at a quarter or less of the width the processor has
# (TOOLCHAIN.md). The binary is built where it runs, so it cannot meet a processor it does not
# know; a copy taken to an older machine may stop with SIGILL, so copy the package, not
# the binary. The Swift standard library is linked statically: it halves start-up.
#
# Two variants: `plain` (the default, in .build) and `mpi` (the MPI trait, in
# .build-mpi-release, so that switching between them rebuilds neither).

nn_release_flags=(-c release --product nn --static-swift-stdlib
  -Xcc -march=native -Xswiftc -target-cpu -Xswiftc native)

# nn_release_binary ROOT [plain|mpi]
# The stamp's time is when the last good build started; its text is the path of the binary,
# then the flags it was built with.
nn_release_binary() {
  local root=$1 variant=${2:-plain}
  local scratch="$root/.build" name=nn-release
  local flags=("${nn_release_flags[@]}")
  case "$variant" in
    plain) ;;
    mpi)
      scratch="$root/.build-mpi-release"
      name=nn-mpi-release
      flags+=(--traits MPI --scratch-path "$scratch")
      ;;
    *) echo "nn_release_binary: unknown variant '$variant'" >&2; return 2 ;;
  esac
  local stamp="$scratch/$name.stamp"
  # Without a lock first: the usual case, nothing changed, costs no more than before.
  nn_release_current "$root" "$stamp" "${flags[*]}" && return 0
  mkdir -p "$scratch"
  # Every rank of `mpirun -np N scripts/nn --mpi …` starts here at once: one builds while the
  # others wait on the lock, then find the stamp current. (No flock(1), as on macOS: unlocked.)
  local lock_fd
  exec {lock_fd}>"$scratch/$name.lock"
  if command -v flock >/dev/null; then flock "$lock_fd"; fi
  local status=0
  nn_release_current "$root" "$stamp" "${flags[*]}" ||
    nn_release_build "$root" "$stamp" "${flags[@]}" || status=$?
  exec {lock_fd}>&-
  return "$status"
}

# Prints the binary's path and succeeds when STAMP names a binary built with FLAGS from
# sources no newer than the stamp.
nn_release_current() {
  local root=$1 stamp=$2 flags=$3
  [[ -f "$stamp" && -x "$(head -n 1 "$stamp")" && "$(sed -n 2p "$stamp")" == "$flags" &&
    -z "$(find "$root/Sources" "$root/Package.swift" -newer "$stamp" -print -quit)" ]] ||
    return 1
  head -n 1 "$stamp"
}

# Builds with the flags after ROOT and STAMP, writes the stamp and prints the binary's path;
# on failure prints the build's log to stderr.
nn_release_build() {
  local root=$1 stamp=$2
  shift 2
  local started log bin_path
  started=$(mktemp "$stamp.XXXXXX")
  log=$(mktemp)
  # The build runs against the package while the caller keeps its directory, so relative
  # paths among the caller's arguments still mean what the caller meant.
  if ! swift build "$@" --package-path "$root" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log" "$started"
    return 1
  fi
  rm -f "$log"
  bin_path=$(swift build "$@" --show-bin-path --package-path "$root")
  printf '%s\n%s\n' "$bin_path/nn" "$*" >"$started"
  mv "$started" "$stamp"
  echo "$bin_path/nn"
}
