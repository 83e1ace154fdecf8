#!/usr/bin/env bash
# Benchmark harness, first slice (issue 6): run as `bash bench/run.sh` from anywhere.
#
# Builds EIdentity in Release, starts it as a separate process on a free loopback port in
# Development with a throwaway SQLite database, registers a confidential client; installs and
# starts panva's oidc-provider (pinned in bench/oidc-provider/package-lock.json) on another free
# port with the same client; then the load generator (bench/EIdentity.Benchmarks) runs scenarios
# 1 (client_credentials), 4 (introspection) and 5 (discovery + JWKS) against both, with 2 and 16
# connections, and prints a Markdown table. Needs the .NET 10 SDK, Node.js 20+ with npm, sqlite3.
#
# Settings (environment): BENCH_WARMUP (s, default 5), BENCH_DURATION (s, default 10),
# BENCH_RUNS (default 3), BENCH_CONNECTIONS (default 2,16), BENCH_SCENARIOS (default all three),
# BENCH_OUT (Markdown file for the table, default bench-results.md in the current directory).
set -euo pipefail

bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo_dir="$(cd "$bench_dir/.." && pwd)"
out_file=$(realpath -m "${BENCH_OUT:-bench-results.md}")

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

work_dir=$(mktemp -d /tmp/eidentity-bench.XXXXXX)
server_pid=""
provider_pid=""

stop() { # stop PID: TERM, up to ten seconds, then KILL
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

on_exit() {
    local status=$?
    stop "$server_pid"
    stop "$provider_pid"
    if ((status == 0)); then
        rm -rf "$work_dir"
    else
        for log in "$work_dir"/logs/*.log; do
            [[ -s $log ]] || continue
            echo "--- last 20 lines of $log ---" >&2
            tail -n 20 "$log" >&2 || true
        done
        echo "--- benchmark failed (status $status); logs kept in $work_dir/logs ---" >&2
    fi
    exit "$status"
}
trap on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

for tool in dotnet node npm sqlite3 getconf; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool not found on PATH" >&2
        exit 1
    fi
done
mkdir -p "$work_dir/logs"
logs="$work_dir/logs"

# --- Build -------------------------------------------------------------------------------------
# Outputs go to the temporary directory (--artifacts-path): bin/ and obj/ of the checkout are untouched.
echo "Bench: building EIdentity (Release) and the load generator"
if ! dotnet publish "$repo_dir/src/EIdentity.Server" -c Release \
    --artifacts-path "$work_dir/artifacts" -o "$work_dir/server" >"$logs/build-server.log" 2>&1; then
    tail -n 40 "$logs/build-server.log" >&2
    exit 1
fi
if ! dotnet publish "$bench_dir/EIdentity.Benchmarks" -c Release \
    --artifacts-path "$work_dir/artifacts" -o "$work_dir/loadgen" >"$logs/build-loadgen.log" 2>&1; then
    tail -n 40 "$logs/build-loadgen.log" >&2
    exit 1
fi
echo "Bench: installing oidc-provider (npm ci)"
if ! (cd "$bench_dir/oidc-provider" && npm ci --no-audit --no-fund) >"$logs/npm.log" 2>&1; then
    cat "$logs/npm.log" >&2
    exit 1
fi

read -r port provider_port < <(node -e '
    const net = require("node:net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
        const b = net.createServer().listen(0, "127.0.0.1", () => {
            console.log(a.address().port, b.address().port);
            a.close(); b.close();
        });
    });')
origin="http://localhost:$port"
provider_origin="http://127.0.0.1:$provider_port"
client_id="bench-portal"

wait_for_discovery() { # wait_for_discovery ORIGIN PID NAME
    for attempt in $(seq 1 120); do
        if curl -fsS --max-time 5 -o /dev/null "$1/.well-known/openid-configuration" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$2" 2>/dev/null; then
            echo "$3 exited before serving discovery" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "$3: no discovery document after 60 s" >&2
    return 1
}

# --- EIdentity ---------------------------------------------------------------------------------
# Development (plain HTTP on loopback), no demo data, a throwaway SQLite database. Two departures
# from Development, both said in docs/benchmarks.md: the per-address rate limit is lifted (every
# request comes from 127.0.0.1) and logging is at Warning (Development logs each request at Information).
export ASPNETCORE_ENVIRONMENT=Development
export Demo__Enabled=false
export Database__DataDirectory="$work_dir/data"
export PublicOrigin="$origin"
export Passkeys__AllowedOrigins__0="$origin"
export Certificates__DevelopmentPkiPath="$repo_dir/certs/dev-pki"
export Certificates__TrustAnchors__0__Path="$repo_dir/certs/dev-pki/dev-national-root-ca.pem"
export Certificates__TrustAnchors__0__Intermediates__0__Path="$repo_dir/certs/dev-pki/dev-licensed-ca-1.pem"
export Certificates__TrustAnchors__0__Intermediates__1__Path="$repo_dir/certs/dev-pki/dev-licensed-ca-2.pem"
export Certificates__MutualTls__Url=""
export RateLimits__GlobalPerMinute=10000000
export Logging__LogLevel__Default=Warning

server() { (cd "$work_dir/server" && exec dotnet EIdentity.Server.dll "$@"); }

echo "Bench: starting EIdentity on $origin"
(cd "$work_dir/server" && exec dotnet EIdentity.Server.dll --urls "$origin") >"$logs/server.log" 2>&1 &
server_pid=$!
wait_for_discovery "$origin" "$server_pid" EIdentity

# The secret is generated by the server, as a portal would be issued one (256 bits, shown once);
# oidc-provider is then given the same secret.
if ! server client register --client-id "$client_id" --display-name "Benchmark portal" \
    --generate-secret --client-credentials >"$logs/client-register.log" 2>&1; then
    cat "$logs/client-register.log" >&2
    exit 1
fi
client_secret=$(grep -oE 'eidcs_[A-Za-z0-9_-]{43}' "$logs/client-register.log" | head -n 1)

# What OpenIddict stored for the secret: "hmac-sha256$..." for a generated secret (ClientSecrets),
# otherwise ASP.NET Core Identity's V3 PBKDF2 format.
stored_secret=$(sqlite3 "$work_dir/data/eidentity.db" "SELECT ClientSecret FROM OpenIddictApplications WHERE ClientId = '$client_id'")
secret_hash=$(node -e '
    const s = process.argv[1];
    if (s.startsWith("hmac-sha256$")) { console.log("HMAC-SHA-256 with a 128-bit salt (generated secret)"); process.exit(0); }
    const b = Buffer.from(s, "base64");
    const prf = ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512"][b.readUInt32BE(1)] ?? "PRF " + b.readUInt32BE(1);
    console.log(`PBKDF2-${prf}, ${b.readUInt32BE(5)} iterations, ${b.readUInt32BE(9) * 8}-bit salt`);' "$stored_secret")
echo "Bench: EIdentity stores the client secret as $secret_hash"

# --- oidc-provider -----------------------------------------------------------------------------
echo "Bench: starting oidc-provider on $provider_origin"
(cd "$bench_dir/oidc-provider" && BENCH_PORT=$provider_port BENCH_CLIENT_ID=$client_id BENCH_CLIENT_SECRET=$client_secret \
    NODE_ENV=production exec node server.mjs) >"$logs/oidc-provider.log" 2>&1 &
provider_pid=$!
wait_for_discovery "$provider_origin" "$provider_pid" oidc-provider

# --- Load --------------------------------------------------------------------------------------
echo "Bench: machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "Bench: dotnet $(dotnet --version) (runtime $(dotnet --list-runtimes | grep -m1 AspNetCore | cut -d' ' -f2)), node $(node --version), oidc-provider $(node -p 'require("'"$bench_dir"'/oidc-provider/node_modules/oidc-provider/package.json").version')"
dotnet "$work_dir/loadgen/EIdentity.Benchmarks.dll" \
    --ours "$origin" --ours-pid "$server_pid" \
    --theirs "$provider_origin" --theirs-pid "$provider_pid" \
    --client-id "$client_id" --client-secret "$client_secret" \
    --theirs-jwt-resource "urn:eidentity-bench:jwt-api" --theirs-opaque-resource "urn:eidentity-bench:opaque-api" \
    --connections "${BENCH_CONNECTIONS:-2,16}" --warmup "${BENCH_WARMUP:-5}" --duration "${BENCH_DURATION:-10}" \
    --runs "${BENCH_RUNS:-3}" --clock-ticks "$(getconf CLK_TCK)" \
    --scenarios "${BENCH_SCENARIOS:-client-credentials,introspection,discovery-jwks}" \
    --out "$out_file"
echo "Bench: table written to $out_file"
