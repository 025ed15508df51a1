#!/usr/bin/env bash
# shellcheck shell=bash
# The C API's hosts (docs/c-api.md), sourced by scripts/test: builds libNNC.so, compiles
# examples/c-host/main.c against nn.h and the library with `cc`, and runs it and
# examples/python-host/host.py (Python's ctypes); each must exit 0 and print
# examples/c-host/expected.out exactly. Runs alone too, from anywhere:
#
#   scripts/lib/c-hosts.sh [swift build options, e.g. --traits MPI]

# nn_c_hosts [swift build options]: from the package root.
nn_c_hosts() {
  local bin scratch status=0
  # The same build as scripts/test's (which makes libNNC.so too): a `--product NNC` build
  # compiles without testing enabled, so the next test build would recompile everything.
  swift build --build-tests "$@" || return 1
  bin=$(swift build --show-bin-path "$@") || return 1
  scratch=$(mktemp -d)
  # The library's own run path finds the Swift runtime; the host's finds the library.
  if ! cc -std=c11 -Wall -Wextra -Werror -I Sources/CNN/include examples/c-host/main.c \
      -L "$bin" -lNNC -Wl,-rpath,"$bin" -lpthread -o "$scratch/c-host"; then
    echo "c-hosts: examples/c-host/main.c does not compile" >&2
    status=1
  else
    nn_c_host_check "C host" examples/c-host/expected.out "$scratch/c-host" || status=1
  fi
  if command -v python3 >/dev/null; then
    nn_c_host_check "Python host" examples/c-host/expected.out \
      python3 examples/python-host/host.py "$bin/libNNC.so" || status=1
  else
    echo "c-hosts: no python3; the Python host was not run" >&2
    status=1
  fi
  rm -rf "$scratch"
  ((status == 0)) && echo "c-hosts: the C and Python hosts printed what they should"
  return "$status"
}

# nn_c_host_check LABEL EXPECTED COMMAND...: runs COMMAND, which must exit 0 and print EXPECTED.
nn_c_host_check() {
  local label=$1 expected=$2 output code=0
  shift 2
  output=$(OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" "$@") || code=$?
  if ((code != 0)); then
    echo "c-hosts: the $label exited with status $code; it printed:" >&2
    printf '%s\n' "$output" >&2
    return 1
  fi
  if ! diff -u "$expected" <(printf '%s\n' "$output") >&2; then
    echo "c-hosts: the $label printed something other than $expected (diff above)" >&2
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "$0")/../.."
  nn_c_hosts "$@"
fi
