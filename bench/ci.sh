#!/bin/sh
# ci.sh proves that the comparison compiles and runs, fast: it checks
# formatting, vets the module, runs its tests, runs every benchmark once
# (-benchtime=1x) and feeds the output through the ratio table. The numbers
# mean nothing; run.sh measures.
set -eu
cd "$(dirname "$0")"

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "ci.sh: gofmt needed on: $unformatted" >&2
	exit 1
fi
go vet ./...
go test -count=1 ./...

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! go test -count=1 -run='^$' -bench=. -benchtime=1x . > "$out" 2>&1; then
	cat "$out" >&2
	exit 1
fi
go run ./internal/ratio "$out" > /dev/null
echo "bench: ok"
