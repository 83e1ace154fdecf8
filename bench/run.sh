#!/usr/bin/env bash
# Benchmark harness (issue 6): run as `bash bench/run.sh` from anywhere.
#
# Builds EIdentity in Release, starts it as a separate process on a free loopback port in
# Development with a throwaway database (SQLite file, or a fresh PostgreSQL database), registers a
# confidential first-party portal and a citizen; installs and starts panva's oidc-provider (pinned
# in bench/oidc-provider/package-lock.json) on another free port with the same client (in memory,
# or on its own fresh PostgreSQL database); then the load generator (bench/EIdentity.Benchmarks)
# runs scenarios 1 (client_credentials), 2 (authorization code + PKCE with an SSO session),
# 3 (refresh-token rotation), 4 (introspection) and 5 (discovery + JWKS) against both, with 2 and
# 16 connections, and prints Markdown tables. Needs the .NET 10 SDK, Node.js 20+ with npm, sqlite3.
#
# Settings (environment): BENCH_SERVER_WARMUP (s per server before measuring, default 60), BENCH_WARMUP (s, default 5), BENCH_DURATION (s, default 10),
# BENCH_KEEP (1 keeps the work directory with the servers' logs), BENCH_CEREMONIES (0 skips scenarios 6 and 7, bench/ceremonies.sh), BENCH_RUNS (default 3), BENCH_CONNECTIONS (default 2,16), BENCH_SCENARIOS (default all six:
# client-credentials,client-credentials-rs256,code-flow,refresh,introspection,discovery-jwks), BENCH_OUT (Markdown file for
# the tables, default bench-results.md in the current directory), BENCH_DATABASE (sqlite, the
# default, or postgresql), BENCH_POSTGRES (with postgresql: an Npgsql connection string without
# Database, default Host=127.0.0.1;Port=55440;Username=postgres;Password=postgres; the harness
# creates one database per server and drops them at the end).
set -euo pipefail

bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo_dir="$(cd "$bench_dir/.." && pwd)"
out_file=$(realpath -m "${BENCH_OUT:-bench-results.md}")

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

database="${BENCH_DATABASE:-sqlite}"
case $database in
    sqlite | postgresql) ;;
    *) echo "BENCH_DATABASE must be sqlite or postgresql, not '$database'" >&2; exit 2 ;;
esac
postgres="${BENCH_POSTGRES:-Host=127.0.0.1;Port=55440;Username=postgres;Password=postgres}"
postgres="${postgres%;}"

work_dir=$(mktemp -d /tmp/eidentity-bench.XXXXXX)
server_pid=""
provider_pid=""
databases=() # PostgreSQL connection strings of the databases this run created

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
    for connection in "${databases[@]}"; do
        node "$bench_dir/oidc-provider/postgres-adapter.mjs" drop "$connection" || echo "could not drop the database of $connection" >&2
    done
    if ((status == 0)); then
        [[ ${BENCH_KEEP:-0} == 1 ]] && echo "Bench: logs kept in $work_dir/logs" >&2 || rm -rf "$work_dir"
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
# Nothing listens there: the load generator reads the code from the Location header.
redirect_uri="http://127.0.0.1:1/cb"

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

theirs_database="" # oidc-provider's PostgreSQL connection string; empty: in memory
suffix=$(basename "$work_dir" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
if [[ $database == postgresql ]]; then
    ours_database="$postgres;Database=eidentity_bench_$suffix"
    theirs_database="$postgres;Database=oidc_provider_bench_$suffix"
    for connection in "$ours_database" "$theirs_database"; do
        databases+=("$connection")
        node "$bench_dir/oidc-provider/postgres-adapter.mjs" create "$connection" >>"$logs/databases.log" 2>&1 || {
            cat "$logs/databases.log" >&2
            echo "could not create the benchmark databases (is PostgreSQL running where BENCH_POSTGRES says?)" >&2
            exit 1
        }
    done
    export Database__Provider=PostgreSql
    export Database__ConnectionString="$ours_database"
    mode="PostgreSQL (EIdentity on PostgreSQL; oidc-provider on PostgreSQL, bench/oidc-provider/postgres-adapter.mjs)"
    ours_storage="PostgreSQL (a fresh database on the BENCH_POSTGRES server): OpenIddict's tables (tokens, authorizations, applications), SSO sessions, ceremonies, keys, audit log."
    theirs_storage="PostgreSQL (a fresh database on the same server): every oidc-provider model (sessions, interactions, grants, codes, refresh and opaque access tokens) as jsonb rows of one table, oidc_models; JWT access tokens are not stored."
else
    export Database__Provider=Sqlite
    mode="SQLite (EIdentity on a SQLite file; oidc-provider in memory: Node.js 20 has no built-in SQLite)"
    ours_storage="SQLite (one file, WAL, synchronous=NORMAL): OpenIddict's tables (tokens, authorizations, applications), SSO sessions, ceremonies, keys, audit log."
    theirs_storage="nothing durable: oidc-provider's default in-memory adapter (an LRU map of at most 1,000 entries in the Node.js process; not persistence); JWT access tokens are not stored."
fi

server() { (cd "$work_dir/server" && exec dotnet EIdentity.Server.dll "$@"); }

echo "Bench: starting EIdentity on $origin"
(cd "$work_dir/server" && exec dotnet EIdentity.Server.dll --urls "$origin") >"$logs/server.log" 2>&1 &
server_pid=$!
wait_for_discovery "$origin" "$server_pid" EIdentity

# A first-party portal (no consent screen) that may also use client_credentials, and one citizen.
if ! server client register --client-id "$client_id" --display-name "Benchmark portal" \
    --generate-secret --client-credentials --first-party --redirect-uri "$redirect_uri" \
    --scope openid --scope offline_access >"$logs/client-register.log" 2>&1; then
    cat "$logs/client-register.log" >&2
    exit 1
fi
# The secret is generated by the server, as a portal is issued one (256 bits, shown once);
# oidc-provider is then given the same secret.
client_secret=$(grep -oE 'eidcs_[A-Za-z0-9_-]{43}' "$logs/client-register.log" | head -n 1)
# Scenario 1b: a second service whose access tokens are RS256 (--access-token-alg).
rs256_client_id="bench-service-rs256"
if ! server client register --client-id "$rs256_client_id" --display-name "Benchmark service (RS256)" \
    --generate-secret --client-credentials --access-token-alg RS256 >"$logs/client-register-rs256.log" 2>&1; then
    cat "$logs/client-register-rs256.log" >&2
    exit 1
fi
rs256_client_secret=$(grep -oE 'eidcs_[A-Za-z0-9_-]{43}' "$logs/client-register-rs256.log" | head -n 1)
if ! server identity create --national-id 001090000001 --name "Bench Citizen" --birth-date 1990-01-01 >"$logs/identity-create.log" 2>&1; then
    cat "$logs/identity-create.log" >&2
    exit 1
fi
# The letter's link carries the activation code in its fragment (Hosting/HostingOptions.cs).
activation_code=$(grep -m1 -o '/activate#[^ ]*' "$logs/identity-create.log" | cut -d'#' -f2)
if [[ -z $activation_code ]]; then
    echo "no activation link in the output of identity create" >&2
    cat "$logs/identity-create.log" >&2
    exit 1
fi

# What OpenIddict stored for the secret: "hmac-sha256$..." for a generated secret (Oidc/ClientSecrets),
# otherwise ASP.NET Core Identity's V3 hash format (0x01, PRF, iteration count, salt length).
if [[ $database == sqlite ]]; then
    stored_secret=$(sqlite3 "$work_dir/data/eidentity.db" "SELECT ClientSecret FROM OpenIddictApplications WHERE ClientId = '$client_id'")
else
    stored_secret=$(cd "$bench_dir/oidc-provider" && node --input-type=module -e '
        const pg = await import("pg");
        const { pgOptions } = await import("./postgres-adapter.mjs");
        const client = new pg.default.Client(pgOptions(process.argv[1]));
        await client.connect();
        const { rows } = await client.query(`SELECT "ClientSecret" AS s FROM "OpenIddictApplications" WHERE "ClientId" = $1`, [process.argv[2]]);
        console.log(rows[0]?.s ?? "");
        await client.end();' "$ours_database" "$client_id")
fi
secret_hash=$(node -e '
    if (process.argv[1].startsWith("hmac-sha256$")) { console.log("HMAC-SHA-256 keyed with a 128-bit salt (generated secret)"); process.exit(0); }
    const b = Buffer.from(process.argv[1], "base64");
    if (b.length < 13 || b[0] !== 1) { console.log(`not an ASP.NET Core Identity V3 hash (${b.length} bytes)`); process.exit(0); }
    const prf = ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512"][b.readUInt32BE(1)] ?? "PRF " + b.readUInt32BE(1);
    console.log(`PBKDF2-${prf}, ${b.readUInt32BE(5)} iterations, ${b.readUInt32BE(9) * 8}-bit salt`);' "$stored_secret")
echo "Bench: EIdentity stores the client secret as $secret_hash"

# --- oidc-provider -----------------------------------------------------------------------------
echo "Bench: starting oidc-provider on $provider_origin"
(cd "$bench_dir/oidc-provider" && BENCH_PORT=$provider_port BENCH_CLIENT_ID=$client_id BENCH_CLIENT_SECRET=$client_secret \
    BENCH_REDIRECT_URI=$redirect_uri BENCH_POSTGRES=$theirs_database \
    NODE_ENV=production exec node server.mjs) >"$logs/oidc-provider.log" 2>&1 &
provider_pid=$!
wait_for_discovery "$provider_origin" "$provider_pid" oidc-provider

# --- Load --------------------------------------------------------------------------------------
echo "Bench: mode: $mode"
echo "Bench: machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "Bench: dotnet $(dotnet --version) (runtime $(dotnet --list-runtimes | grep -m1 AspNetCore | cut -d' ' -f2)), node $(node --version), oidc-provider $(node -p 'require("'"$bench_dir"'/oidc-provider/node_modules/oidc-provider/package.json").version')"
# Exit status 1: some operations failed (counted in the table); the errors are summed up below.
load_status=0
dotnet "$work_dir/loadgen/EIdentity.Benchmarks.dll" \
    --ours "$origin" --ours-pid "$server_pid" \
    --theirs "$provider_origin" --theirs-pid "$provider_pid" \
    --client-id "$client_id" --client-secret "$client_secret" --redirect-uri "$redirect_uri" \
    --activation-code "$activation_code" --mode "$mode" --ours-storage "$ours_storage" --theirs-storage "$theirs_storage" \
    --theirs-jwt-resource "urn:eidentity-bench:jwt-api" --theirs-opaque-resource "urn:eidentity-bench:opaque-api" \
    --theirs-rs256-resource "urn:eidentity-bench:jwt-api-rs256" \
    --ours-rs256-client-id "$rs256_client_id" --ours-rs256-client-secret "$rs256_client_secret" \
    --server-warmup "${BENCH_SERVER_WARMUP:-60}" --connections "${BENCH_CONNECTIONS:-2,16}" --warmup "${BENCH_WARMUP:-5}" --duration "${BENCH_DURATION:-10}" \
    --runs "${BENCH_RUNS:-3}" --clock-ticks "$(getconf CLK_TCK)" \
    --scenarios "${BENCH_SCENARIOS:-client-credentials,client-credentials-rs256,code-flow,refresh,introspection,discovery-jwks}" \
    --out "$out_file" || load_status=$?
# Errors the servers logged while under load (a retried write logs one too): said, not hidden.
echo "Bench: EIdentity logged $(grep -c '^fail:' "$logs/server.log" || true) errors, by category and cause:"
grep '^fail:' "$logs/server.log" | sed 's/^fail: //; s/\[.*//' | sort | uniq -c | sort -rn || true
grep -oE "SQLite Error [0-9]+: '[^']*'|MessageText: .*" "$logs/server.log" | sort | uniq -c | sort -rn | head -n 4 || true
echo "Bench: oidc-provider logged $(grep -vc -e WARNING -e NOTICE -e '^listening$' "$logs/oidc-provider.log" || true) other lines"
if ((load_status > 1)); then
    echo "Bench: the load generator failed (status $load_status); logs are kept" >&2
    exit "$load_status"
fi
echo "Bench: table written to $out_file"

# Scenarios 6 and 7 (passkey assertion, certificate validation) run in process on the server's own
# host and a fresh database (bench/ceremonies.sh); their table is appended to the same file.
if [[ ${BENCH_CEREMONIES:-1} != 0 ]]; then
    stop "$server_pid"
    stop "$provider_pid"
    ceremonies_postgres=""
    [[ $database == postgresql ]] && ceremonies_postgres="$postgres;Database=postgres"
    echo "Bench: scenarios 6 and 7 (bench/ceremonies.sh)"
    # A clean environment: the in-process host is Development with its demo data (the development
    # PKI's citizen), not the settings exported above for the server under load.
    env -i PATH="$PATH" HOME="$HOME" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
        BENCH_RUNS="${BENCH_RUNS:-3}" BENCH_DURATION="${BENCH_DURATION:-5}" BENCH_WARMUP="${BENCH_WARMUP:-5}" \
        BENCH_POSTGRES="$ceremonies_postgres" BENCH_OUT="$work_dir/ceremonies.md" bash "$bench_dir/ceremonies.sh"
    { echo; cat "$work_dir/ceremonies.md"; } >>"$out_file"
fi
if ((load_status != 0)); then
    echo "Bench: some operations failed (see the Failed column); logs are kept" >&2
    exit "$load_status"
fi
