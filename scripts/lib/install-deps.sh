# shellcheck shell=bash
# Sourced by scripts/nn and scripts/test: makes sure the system libraries the package links are
# installed (GNU readline for the REPL, OpenBLAS for the kernels, librsvg for PNG pictures).
# Checks files rather than asking dpkg, so that an up-to-date machine pays next to nothing.

nn_deps_packages=(libreadline-dev libopenblas-dev librsvg2-dev pkg-config)

# Succeeds when some file matches one of the glob patterns.
nn_exists() {
  local pattern
  for pattern; do compgen -G "$pattern" >/dev/null && return 0; done
  return 1
}

# Prints the packages whose headers or library are missing, one per line.
nn_missing_deps() {
  nn_exists /usr/include/readline/readline.h || echo libreadline-dev
  # cblas.h alone is not enough: the generic BLAS ships one too, without OpenBLAS's entry points.
  nn_exists /usr/include/cblas.h '/usr/include/*/cblas.h' &&
    nn_exists /usr/lib/libopenblas.so '/usr/lib/*/libopenblas.so' || echo libopenblas-dev
  # PNG pictures: librsvg draws the SVG with cairo (its -dev package brings cairo's).
  nn_exists /usr/include/librsvg-2.0/librsvg/rsvg.h || echo librsvg2-dev
  command -v pkg-config >/dev/null || echo pkg-config
}

# Installs what is missing when running as root; otherwise prints the command and fails.
nn_install_deps() {
  local missing
  missing=$(nn_missing_deps)
  [[ -z "$missing" ]] && return 0
  # shellcheck disable=SC2086 # one package per word
  set -- $missing
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "nn needs these system packages: $*" >&2
    if command -v apt-get >/dev/null; then
      echo "Install them with: sudo apt-get install -y ${nn_deps_packages[*]}" >&2
    fi
    exit 1
  fi
  local log
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q "${nn_deps_packages[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "error: could not install ${nn_deps_packages[*]}" >&2
    exit 1
  fi
  rm -f "$log"
}

# The terminal tests drive the REPL through tmux (a real pseudo-terminal). Only scripts/test
# needs it; without root it prints the command and the tests that need it are skipped.
nn_install_test_tools() {
  command -v tmux >/dev/null && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "warning: tmux is missing, so the terminal tests will be skipped" \
      "(install it with: sudo apt-get install -y tmux)" >&2
    return 0
  fi
  local log
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux; } \
      >"$log" 2>&1; then
    cat "$log" >&2
    echo "warning: could not install tmux; the terminal tests will be skipped" >&2
  fi
  rm -f "$log"
}

# Open MPI, for data-parallel training: scripts/nn --mpi, the MPI trait's tests in scripts/test,
# and scripts/mpirun-local (which needs `ip` to bring loopback up in its network namespace).
# Kept apart from nn_install_deps: nn builds and runs without it.
nn_mpi_packages=(libopenmpi-dev openmpi-bin)

# Succeeds when the MPI trait can build (the pkg-config file SwiftPM reads) and run (mpirun).
nn_have_mpi() {
  nn_exists '/usr/lib/*/pkgconfig/ompi-c.pc' /usr/lib/pkgconfig/ompi-c.pc \
    /usr/share/pkgconfig/ompi-c.pc /usr/local/lib/pkgconfig/ompi-c.pc &&
    command -v mpirun >/dev/null
}

# Installs Open MPI (and iproute2 when `ip` is missing) as root; otherwise prints the command
# and returns 1, so that scripts/test can go on without MPI while scripts/nn --mpi stops.
# Prints nothing when all is there: every rank of an mpirun job runs this.
nn_install_mpi() {
  local packages=()
  nn_have_mpi || packages+=("${nn_mpi_packages[@]}")
  command -v ip >/dev/null || packages+=(iproute2)
  ((${#packages[@]})) || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    # Without `ip`, mpirun-local only loses its network namespace (it says so): not worth
    # failing for.
    nn_have_mpi && return 0
    echo "Open MPI is missing (system packages: ${packages[*]})" >&2
    if command -v apt-get >/dev/null; then
      echo "Install them with: sudo apt-get install -y ${packages[*]}" >&2
    fi
    return 1
  fi
  local log status=0 lock_dir=/run/lock
  [[ -d "$lock_dir" && -w "$lock_dir" ]] || lock_dir=${TMPDIR:-/tmp}
  log=$(mktemp)
  # Ranks started together would race for apt's lock: the first installs, the rest wait for
  # it and then find nothing left to do.
  (
    if command -v flock >/dev/null; then flock 9; fi
    packages=()
    nn_have_mpi || packages+=("${nn_mpi_packages[@]}")
    command -v ip >/dev/null || packages+=(iproute2)
    ((${#packages[@]})) || exit 0
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
  ) 9>"$lock_dir/nn-install-mpi.lock" >"$log" 2>&1 || status=$?
  if ((status)); then
    cat "$log" >&2
    rm -f "$log"
    echo "error: could not install ${packages[*]}" >&2
    return 1
  fi
  rm -f "$log"
}
