#!/usr/bin/env bash
# Regenerates src/LogStore/PublicAPI.Unshipped.txt: every public symbol of the library that PublicAPI.Shipped.txt does
# not already list, in the format of Microsoft.CodeAnalysis.PublicApiAnalyzers.
#
# Why: the build fails (RS0016, warnings are errors) when a public symbol is missing from the PublicAPI files and
# (RS0017) when a listed one is gone, so that no public API change goes unnoticed. After an intended change — or
# after merging a branch that adds public API — run this, review `git diff src/LogStore/PublicAPI.Unshipped.txt`
# (each added or removed line is an API change to be sure of) and commit it.
#
# How: empties the unshipped list, then lets the analyzer's own code fix (dotnet format, offline once the project is
# restored) write every RS0016 symbol, sorts the list, and builds to prove it is clean. Symbols removed from the
# *shipped* list are a breaking change and are not hidden here: the build keeps failing with RS0017 until each is
# marked *REMOVED* in PublicAPI.Unshipped.txt by hand.
#
# Usage: eng/update-public-api.sh            (from anywhere; takes about a minute)
# At release: move the unshipped lines into PublicAPI.Shipped.txt (keep both files' "#nullable enable" first line).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/src/LogStore/LogStore.csproj"
unshipped="$root/src/LogStore/PublicAPI.Unshipped.txt"

# Lines marked *REMOVED* are kept: they record a deliberate removal of a shipped symbol.
removed="$(grep '^\*REMOVED\*' "$unshipped" || true)"
printf '#nullable enable\n' > "$unshipped"
[ -n "$removed" ] && printf '%s\n' "$removed" >> "$unshipped"

dotnet restore "$project" --verbosity quiet
dotnet format analyzers "$project" --diagnostics RS0016 --severity warn --no-restore --verbosity quiet

# Stable order (ordinal), header first, so that merges and reviews see one line per change.
{
  printf '#nullable enable\n'
  grep -v '^#nullable enable$' "$unshipped" | grep -v '^$' | LC_ALL=C sort -u
} > "$unshipped.tmp"
mv "$unshipped.tmp" "$unshipped"

dotnet build "$project" --no-restore --verbosity quiet -nologo
echo "Updated $(($(wc -l < "$unshipped") - 1)) entries in ${unshipped#"$root"/}; review with: git diff -- ${unshipped#"$root"/}"
