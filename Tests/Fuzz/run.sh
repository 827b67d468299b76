#!/bin/sh
# Builds and runs katop's libFuzzer targets. Everything goes into .build-fuzz/ (gitignored).
#   Tests/Fuzz/run.sh                     all four targets, 600 s each, one after the other
#   Tests/Fuzz/run.sh netlink proc        chosen targets (netlink, lookup, proc, theme)
#   FUZZ_SECONDS=60 Tests/Fuzz/run.sh     shorter runs
#   FUZZ_BUILD_ONLY=1 Tests/Fuzz/run.sh   build and capture seeds only
# Seeds are captured from this machine's kernel on every run (real sock_diag replies and
# /proc/net/tcp{,6} with a few loopback sockets open) plus themes/*.theme. Crashes land in
# .build-fuzz/crashes/TARGET/; each run's libFuzzer log in .build-fuzz/logs/TARGET.log.
set -eu
cd "$(dirname "$0")/../.."
OUT=.build-fuzz
SECONDS_PER_TARGET=${FUZZ_SECONDS:-600}
TARGETS=${*:-netlink lookup proc theme}
mkdir -p "$OUT/bin" "$OUT/seeds/theme" "$OUT/logs"
MODEL=$(ls Sources/KatopModel/*.swift)
FLAGS="-sanitize=fuzzer,address -parse-as-library -O -g"

build() {  # name, sources...
  name=$1; shift
  if [ ! -x "$OUT/bin/$name" ] || [ -n "$(find "$@" -newer "$OUT/bin/$name" 2>/dev/null)" ]; then
    echo "building $name"
    # shellcheck disable=SC2086
    swiftc $FLAGS -module-name "$(echo "$name" | tr -d -)" -o "$OUT/bin/$name" "$@" 2>&1 \
      | grep -v 'Cannot export local symbol' || true
    [ -x "$OUT/bin/$name" ]
  fi
}

wants() { case " $TARGETS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
wants netlink && build fuzz-netlink Tests/Fuzz/FuzzNetlinkDump.swift Tests/Fuzz/FuzzModelSupport.swift \
  Sources/SockDiag/NetlinkDumpParser.swift $MODEL
wants lookup && build fuzz-lookup Tests/Fuzz/FuzzLookupReply.swift Tests/Fuzz/FuzzModelSupport.swift \
  Sources/SockDiag/SocketLookup.swift Sources/SockDiag/InetDiagRequest.swift Sources/SockDiag/NetlinkDumpParser.swift $MODEL
wants proc && build fuzz-proc Tests/Fuzz/FuzzProcNetTCP.swift Tests/Fuzz/FuzzModelSupport.swift \
  Sources/SockDiag/ProcNetTCPParser.swift Sources/SockDiag/NetlinkDumpParser.swift $MODEL
wants theme && build fuzz-theme Tests/Fuzz/FuzzTheme.swift Sources/KatopUI/Theme.swift \
  Sources/KatopUI/BuiltinThemes.swift Sources/KatopUI/Role.swift
if [ ! -x "$OUT/bin/capture-seeds" ] || [ -n "$(find Tests/Fuzz/CaptureSeeds.swift -newer "$OUT/bin/capture-seeds")" ]; then
  echo "building capture-seeds"
  # shellcheck disable=SC2086
  swiftc -parse-as-library -module-name CaptureSeeds -o "$OUT/bin/capture-seeds" Tests/Fuzz/CaptureSeeds.swift \
    Sources/SockDiag/InetDiagRequest.swift Sources/SockDiag/NetlinkDumpParser.swift $MODEL
fi

rm -rf "$OUT/seeds/netlink" "$OUT/seeds/proc" "$OUT/seeds/lookup"
"$OUT/bin/capture-seeds" "$OUT/seeds"
# Lookup replies have the dump replies' framing and messages: their seeds start from those.
cp -r "$OUT/seeds/netlink" "$OUT/seeds/lookup"
cp themes/*.theme "$OUT/seeds/theme/"
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

export SWIFT_BACKTRACE=enable=no
for target in $TARGETS; do
  corpus="$OUT/corpus/$target"
  crashes="$OUT/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  echo "fuzzing $target for ${SECONDS_PER_TARGET}s (log: $OUT/logs/$target.log)"
  status=0
  "$OUT/bin/fuzz-$target" "$corpus" "$OUT/seeds/$target" -max_total_time="$SECONDS_PER_TARGET" \
    -artifact_prefix="$crashes/" -print_final_stats=1 -rss_limit_mb=4096 -max_len=65536 >"$OUT/logs/$target.log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$OUT/logs/$target.log" || true
  echo "$target: corpus $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB; crashes: $(ls "$crashes" | wc -l); exit $status"
done
