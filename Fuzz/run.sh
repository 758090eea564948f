#!/usr/bin/env bash
# Builds a libFuzzer target and runs it: Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET   FuzzDataSetReader, FuzzPart10Reader, FuzzPDUReader, FuzzAssociation, FuzzQuery,
#            FuzzRLE, FuzzJPEGLossless or FuzzLibraryCodecs
#   SECONDS  total fuzzing time (-max_total_time)
# The working corpus and crash artifacts go to Fuzz/corpus-work/TARGET/ (ignored by git); the curated
# seeds in Fuzz/corpus/TARGET/ are read but never written. See docs/fuzzing.md.
set -euo pipefail

target=${1:?usage: Fuzz/run.sh TARGET SECONDS [libFuzzer flags]}
seconds=${2:?usage: Fuzz/run.sh TARGET SECONDS [libFuzzer flags]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Only this spelling gives an instrumented fuzzer: one --sanitize fuzzer for SwiftPM (links
# libFuzzer's main) plus -sanitize=fuzzer,address for swiftc (coverage + ASan). Two --sanitize
# flags build without coverage; the -Xswiftc flag alone builds a binary that does nothing.
DICOMNODE_FUZZ=1 swift build --scratch-path .build-fuzz \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
    --product "$target"
binary=$(DICOMNODE_FUZZ=1 swift build --scratch-path .build-fuzz --show-bin-path)/$target

work=Fuzz/corpus-work/$target
mkdir -p "$work/corpus" "$work/artifacts"
# The first corpus directory receives new inputs: the working one, not the committed seeds.
# One process (no -jobs/-fork): the machine has 2 cores.
# The Swift runtime's backtracer fights ASan over a crash; libFuzzer prints its own report.
export SWIFT_BACKTRACE=enable=no
exec "$binary" "$work/corpus" "Fuzz/corpus/$target" \
    -artifact_prefix="$work/artifacts/" \
    -max_total_time="$seconds" \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
    -max_len=65536 -print_final_stats=1 "$@"
