#!/usr/bin/env bash
# Builds the DocC documentation of the library targets (SmolCore, SmolRemote, SmolLocal, SmolModels, SmolServe,
# SmolAsyncHTTPClient)
# with swift-docc-plugin, warnings as errors: a broken ``symbol`` link, a missing article or a bad
# Topics entry fails the build. Catalogs live in Sources/<Target>/<Target>.docc.
#
# The targets are built as combined documentation, so a page can link to a dependency's symbols by
# qualifying them with the module and a leading slash: ``/SmolCore/ModelError`` from SmolRemote, SmolLocal or SmolModels (an unqualified
# ``ModelError`` only resolves inside SmolCore; ``SmolCore/ModelError`` without the slash does not resolve
# either). Articles of another module link the same way, <doc:/SmolCore/TestingWithRecordReplay>, except
# SmolRemote's from SmolModels (SmolModels extends ModelFactory, so its own "SmolRemote" page shadows them).
#
#   bash scripts/docs.sh                      # scratch path .build-docs
#   DOCS_SCRATCH_PATH=/tmp/docs bash scripts/docs.sh
#
# It uses its own scratch path (never .build) so it can run beside a normal build. The archives are
# printed at the end: <scratch>/plugins/Swift-DocC/outputs/swift-smolagents.doccarchive (all four modules,
# cross-linked) and one per target under outputs/intermediates/<Target>.doccarchive. Exit status is
# non-zero when the build fails or DocC reports any warning.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH="${DOCS_SCRATCH_PATH:-.build-docs}"
TARGETS=(SmolCore SmolRemote SmolLocal SmolModels SmolServe SmolAsyncHTTPClient)

target_args=()
for target in "${TARGETS[@]}"; do
    target_args+=(--target "$target")
done

log="$(mktemp "${TMPDIR:-/tmp}/smol-docs.XXXXXX")"
trap 'rm -f "$log"' EXIT

start=$(date +%s)
set +e
swift package --scratch-path "$SCRATCH" generate-documentation "${target_args[@]}" \
    --enable-experimental-combined-documentation --warnings-as-errors --disable-indexing 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

if [[ $status -ne 0 ]]; then
    echo "scripts/docs.sh: documentation build failed (status $status, ${elapsed}s); see the diagnostics above" >&2
    exit "$status"
fi

# Belt and braces: DocC's own diagnostics come after symbol extraction, and any warning there fails the
# script even if a future plugin stopped honouring --warnings-as-errors. (Compiler warnings from the
# dependencies' build, which comes first, are not documentation problems and are not counted.)
doc_warnings="$(awk '/Extracting symbol information|Generating documentation for/ { docs = 1 } docs' "$log" \
    | grep -E '(^|: )(warning|error): ' || true)"
if [[ -n "$doc_warnings" ]]; then
    echo "scripts/docs.sh: DocC reported warnings:" >&2
    echo "$doc_warnings" >&2
    exit 1
fi

outputs="$SCRATCH/plugins/Swift-DocC/outputs"
echo "scripts/docs.sh: documentation built without warnings in ${elapsed}s; archives:"
for archive in "$outputs/swift-smolagents.doccarchive" "${TARGETS[@]/#/$outputs/intermediates/}"; do
    archive="${archive%.doccarchive}.doccarchive"
    if [[ ! -d "$archive" ]]; then
        echo "scripts/docs.sh: expected archive $archive is missing" >&2
        exit 1
    fi
    echo "  $archive"
done
