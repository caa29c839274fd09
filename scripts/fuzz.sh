#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (Swift's toolchain ships it).
#
#   bash scripts/fuzz.sh TARGET SECONDS     # TARGET: liquid, json, event, campaign, or all
#
# Builds the target (Fuzz/Targets, with AddressSanitizer and coverage; CONNECTOR_FUZZ=1
# adds the targets to Package.swift) in .build-fuzz, starts from the seeds (Fuzz/Seeds,
# the golden-liquid templates, the example campaigns) and the corpus earlier runs kept in
# .fuzz/corpus, and runs it for SECONDS with a dictionary of the format's tokens. Every
# input must finish in 2 s and the process stay under 2 GB. A crash, a timeout or an
# out-of-memory is written to .fuzz/findings/ and the script exits non-zero; turn each
# finding into a regression test (`TARGET -runs=1 FILE` reproduces it).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh liquid|json|event|campaign|all SECONDS}
seconds=${2:?usage: fuzz.sh TARGET SECONDS}

if [ "$target" = all ]; then
    for each in liquid json event campaign; do bash "$0" "$each" "$seconds"; done
    exit 0
fi
case "$target" in
    liquid) product=FuzzLiquid ;;
    json) product=FuzzJSON ;;
    event) product=FuzzEvent ;;
    campaign) product=FuzzCampaign ;;
    *) echo "unknown target '$target': use liquid, json, event, campaign or all" >&2; exit 2 ;;
esac

runtime=$(find "$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib" -name "libclang_rt.fuzzer_no_main-$(uname -m).a" | head -n 1)
[ -n "$runtime" ] || { echo "libFuzzer's runtime (libclang_rt.fuzzer_no_main) is not in this Swift toolchain" >&2; exit 1; }
# CONNECTOR_FUZZ_BUILT=1 runs what .build-fuzz holds (say, while the sources change).
if [ -z "${CONNECTOR_FUZZ_BUILT:-}" ]; then
    CONNECTOR_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product "$product" \
        -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        -Xlinker "$runtime" -Xlinker -lstdc++ >&2
fi

corpus=.fuzz/corpus/$product
findings=.fuzz/findings
mkdir -p "$corpus" "$findings"
seeds=.fuzz/seeds/$product
if [ ! -d "$seeds" ]; then
    mkdir -p "$seeds"
    [ -d "Fuzz/Seeds/$product" ] && cp "Fuzz/Seeds/$product"/* "$seeds"/
    case "$product" in
        FuzzLiquid)
            # The golden-liquid templates (with their data after a NUL) and the benchmark's.
            python3 - "$seeds" <<'PY'
import json, os, sys
suite = json.load(open("Tests/LiquidTests/Resources/golden-liquid/golden_liquid.json"))
for index, case in enumerate(suite["tests"]):
    data = json.dumps(case.get("data", {})).encode()
    with open(os.path.join(sys.argv[1], "golden-%04d" % index), "wb") as out:
        out.write(case["template"].encode() + b"\0" + data)
PY
            for name in email sms push; do
                { cat "Benchmarks/Fixtures/liquid/$name.liquid"; printf '\0'; cat "Benchmarks/Fixtures/liquid/$name.json"; } > "$seeds/bench-$name"
            done ;;
        FuzzJSON)
            cp Benchmarks/Fixtures/liquid/*.json "$seeds"/ ;;
        FuzzCampaign)
            cp Examples/campaigns/*.yaml "$seeds"/ ;;
    esac
fi

echo "fuzzing $product for $seconds s (corpus $corpus, findings in $findings)" >&2
set +e
".build-fuzz/release/$product" "$corpus" "$seeds" \
    -dict="Fuzz/Dictionaries/$product.dict" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$findings/$product-" -print_final_stats=1 2> ".fuzz/$product.log"
status=$?
set -e
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|INFO: Running with|#[0-9]+ *DONE)' ".fuzz/$product.log" >&2 || true
if [ $status -ne 0 ]; then
    echo "$product found a problem (exit $status); the input is in $findings, the log in .fuzz/$product.log:" >&2
    grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' ".fuzz/$product.log" | head -n 20 >&2
    exit 1
fi
echo "$product: no crash, timeout or memory blow-up in $seconds s" >&2
