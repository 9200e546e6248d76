#!/bin/sh
# Checks that every C file matches .clang-format; `make format` rewrites them. Part of
# `make test`: a file out of format fails it, named, before any test runs.
set -eu
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h')
else
  files=$(find src tests bench fuzz -name '*.[ch]')
fi
# shellcheck disable=SC2086
if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
  printf '%s\n' "$out" | grep -E '^[^ ].*: (error|warning):' | cut -d: -f1 | sort -u |
    sed 's/^/truce: not formatted: /' >&2
  echo "truce: run 'make format' (clang-format with .clang-format) and commit the result" >&2
  exit 1
fi
echo "format: $(printf '%s\n' $files | wc -l) files match .clang-format"
