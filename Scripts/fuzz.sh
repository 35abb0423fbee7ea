#!/usr/bin/env bash
# Builds a fuzz target of Fuzz/ with libFuzzer and AddressSanitizer (LeakSanitizer included)
# and runs it for SECONDS, then prints the executions.
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   one target
#   Scripts/fuzz.sh all SECONDS [libFuzzer options...]      every target, one after another
#
# Targets: address network dbip geolite2 rir ipdeny ipfire snapshot policy.
# The corpus grows in Fuzz/.corpus/TARGET (built from Fixtures/ and Fuzz/Seeds/ on first use;
# not committed); a crash, leak, timeout or out-of-memory input is saved as
# Fuzz/artifacts/TARGET-*. Exit status: 0 when no target failed.
set -uo pipefail
cd "$(dirname "$0")/../Fuzz"
targets=(address network dbip geolite2 rir ipdeny ipfire snapshot policy)
if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET|all SECONDS [libFuzzer options...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if [ "$target" = all ]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target '$target'; one of: ${targets[*]} all" >&2; exit 2; }
    selected=("$target")
fi

# Optimised (the parsers' generic code is slow unspecialised) but with the library's invariant
# checks on. FUZZ_ASAN=0 leaves AddressSanitizer out (several times the executions per second
# for the data-source targets, whose tables ASan maps and unmaps on every input; Swift's own
# checks still trap on any out-of-bounds access or overflow, but leaks go unseen).
if [ "${FUZZ_ASAN:-1}" = 0 ]; then
    build=(swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -DGEOFILTER_INTERNAL_CHECKS --scratch-path .build-fuzz-noasan)
else
    build=(swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING -Xswiftc -DGEOFILTER_INTERNAL_CHECKS --scratch-path .build-fuzz)
fi
mkdir -p "${build[-1]}"
# One product at a time: building everything would also link the root package's executables
# with libFuzzer.
for name in "${selected[@]}"; do
    "${build[@]}" --product "fuzz-$name" >"${build[-1]}/build.log" 2>&1 || { cat "${build[-1]}/build.log" >&2; exit 1; }
done
bin=$("${build[@]}" --show-bin-path)
[ -d .corpus ] || python3 make-corpus.py .corpus >/dev/null || exit 1
mkdir -p artifacts

status=0
for name in "${selected[@]}"; do
    mkdir -p ".corpus/$name"
    dict=()
    [ -f "Dictionaries/$name.dict" ] && dict=("-dict=Dictionaries/$name.dict")
    log="artifacts/$name.log"
    started=$SECONDS
    # The Swift runtime's backtracer would symbolicate each crash for minutes: libFuzzer and
    # ASan report crashes themselves.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
        "$bin/fuzz-$name" ".corpus/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$name-" "${dict[@]}" "$@" >"$log" 2>&1
    code=$?
    elapsed=$((SECONDS - started))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ $code -eq 0 ]; then
        echo "fuzz $name: ${runs:-?} executions in ${elapsed} s, peak RSS ${rss:-?} MB, no crash"
    else
        status=1
        echo "fuzz $name: FAILED (exit $code) after ${runs:-?} executions in ${elapsed} s; see Fuzz/$log" >&2
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -8 >&2
    fi
done
exit $status
