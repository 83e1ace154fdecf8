#!/usr/bin/env bash
# Scenarios 6 and 7 of issue 6 (passkey assertion verification; certificate validation with cached
# OCSP answers), run in process on the server's real host and database: `bash bench/ceremonies.sh`.
#
# Builds bench/EIdentity.Benchmarks.Ceremonies (and the server it references) in Release into a
# temporary directory (--artifacts-path: bin/ and obj/ of the checkout are untouched), runs it on a
# fresh SQLite file, and on a fresh PostgreSQL database too when BENCH_POSTGRES is set, and prints
# a Markdown table. Needs the .NET 10 SDK.
#
# Settings (environment): BENCH_RUNS (default 3), BENCH_DURATION (s of timed work per run, default 5),
# BENCH_WARMUP (s, default 5), BENCH_THREADS (workers, default 1,2), BENCH_SCENARIOS (default
# passkey,certificate), BENCH_POSTGRES (e.g. "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=postgres":
# a database is created there for the run and dropped after), BENCH_OUT (Markdown file for the table,
# default bench-ceremonies.md in the current directory).
set -euo pipefail

bench_dir="$(cd "$(dirname "$0")" && pwd)"
out_file=$(realpath -m "${BENCH_OUT:-bench-ceremonies.md}")

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

work_dir=$(mktemp -d /tmp/eidentity-ceremonies.XXXXXX)
trap 'rm -rf "$work_dir"' EXIT

echo "Building in Release (log: $work_dir/build.log)..." >&2
# Built, not published: the build output carries MvcTestingAppManifest.json, which points the
# in-process host at src/EIdentity.Server as its content root (appsettings, certs/ paths).
if ! dotnet build "$bench_dir/EIdentity.Benchmarks.Ceremonies" -c Release \
    --artifacts-path "$work_dir/artifacts" >"$work_dir/build.log" 2>&1; then
    tail -n 30 "$work_dir/build.log" >&2
    echo "Build failed." >&2
    exit 1
fi

export BENCH_POSTGRES="${BENCH_POSTGRES:-}"
dotnet "$work_dir/artifacts/bin/EIdentity.Benchmarks.Ceremonies/release/EIdentity.Benchmarks.Ceremonies.dll" \
    --runs "${BENCH_RUNS:-3}" \
    --duration "${BENCH_DURATION:-5}" \
    --warmup "${BENCH_WARMUP:-5}" \
    --threads "${BENCH_THREADS:-1,2}" \
    --scenarios "${BENCH_SCENARIOS:-passkey,certificate}" \
    --out "$out_file"
echo "Table written to $out_file" >&2
