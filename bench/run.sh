#!/bin/sh
# run.sh runs the comparison benchmarks and prints the medians with each
# row's ratio to the floor (a bare atomic.Pointer load).
#
#   ./run.sh                      # COUNT=6 BENCHTIME=500ms, all benchmarks
#   COUNT=10 BENCHTIME=1s ./run.sh
#   BENCH='Point/case=fire' ./run.sh
#
# Environment:
#   COUNT      runs of each benchmark (default 6; benchstat wants at least 6)
#   BENCHTIME  go test -benchtime (default 500ms)
#   BENCH      go test -bench regexp (default .)
#   CPU        go test -cpu list (default: GOMAXPROCS)
#   OUT        file for the raw go test output (default results.txt here)
#
# It prints the machine and its load, benchstat's summary with the libraries
# side by side, and the ratio table README.md holds. The raw go test output
# stays in $OUT for benchstat comparisons later.
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-500ms}
BENCH=${BENCH:-.}
OUT=${OUT:-results.txt}

if [ "$COUNT" -lt 6 ]; then
	echo "run.sh: COUNT=$COUNT: benchstat needs 6 runs or more for a confidence interval" >&2
fi

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "## machine"
echo
echo "- cpu: ${cpu_model:-unknown}, $(nproc) cores"
echo "- $(go version)"
echo "- load before: $(uptime | sed 's/.*load average/load average/')"
echo "- go test -bench='$BENCH' -benchtime=$BENCHTIME -count=$COUNT${CPU:+ -cpu=$CPU}"
echo

set -- -run='^$' -bench="$BENCH" -benchtime="$BENCHTIME" -count="$COUNT"
if [ -n "${CPU:-}" ]; then
	set -- "$@" -cpu="$CPU"
fi
go test "$@" . > "$OUT"

echo "- load after: $(uptime | sed 's/.*load average/load average/')"
echo
echo "## benchstat: median ± 95% confidence interval, each library against faultline (vs base)"
echo
go tool benchstat -filter '-.name:Floor' -col /lib "$OUT"
echo
echo "## medians and ratio to the floor"
echo
go run ./internal/ratio "$OUT"
