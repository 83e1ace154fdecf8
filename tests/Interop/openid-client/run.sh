#!/usr/bin/env bash
# Interoperability check, run as `bash tests/Interop/openid-client/run.sh` from anywhere. It builds
# the server in Release, starts it in Development on a free port with a throwaway SQLite database,
# registers a portal and creates a citizen with the server's own CLI verbs, and runs interop.mjs:
# panva's openid-client as the portal and headless Chromium with a virtual authenticator as the
# citizen. Needs the .NET 10 SDK, Node.js 20+ with npm (and the npm registry, or a warm npm
# cache, for `npm ci`) and Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
#
# Exits with interop.mjs's status: 0 only if every check passed. On failure the log directory
# (server log, CLI output, screenshots of failed checks) is kept and printed; on success
# everything is removed.
set -euo pipefail

suite_dir="$(cd "$(dirname "$0")" && pwd)"
repo_dir="$(cd "$suite_dir/../../.." && pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
chromium_path=${CHROMIUM_PATH:-/usr/bin/chromium}

work_dir=$(mktemp -d /tmp/eidentity-interop.XXXXXX)
log_dir=$(mktemp -d /tmp/eidentity-interop-logs.XXXXXX)
server_pid=""

on_exit() {
    local status=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        # A graceful stop takes a second or two; do not wait for more than ten.
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
    if ((status == 0)); then
        rm -rf "$log_dir"
    else
        if [[ -s $log_dir/server.log ]]; then
            echo "--- last 40 lines of the server log ($log_dir/server.log) ---" >&2
            tail -n 40 "$log_dir/server.log" >&2 || true
        fi
        echo "--- interop failed (status $status); logs and screenshots kept in $log_dir ---" >&2
    fi
    exit "$status"
}
trap on_exit EXIT
# Under `timeout` (as in .ci/run) a TERM must still stop the server and clean up.
trap 'exit 143' TERM
trap 'exit 130' INT

for tool in dotnet node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool not found on PATH" >&2
        exit 1
    fi
done
if [[ ! -x $chromium_path ]]; then
    echo "Chromium not found at $chromium_path (set CHROMIUM_PATH)" >&2
    exit 1
fi

# --- Build -------------------------------------------------------------------------------------
# Intermediate and output files go to the temporary directory too (--artifacts-path), so the run
# neither uses nor disturbs bin/ and obj/ of a checkout where someone else may be building.
echo "Interop: building the server (Release) into $work_dir/server"
if ! dotnet publish "$repo_dir/src/EIdentity.Server" -c Release \
    --artifacts-path "$work_dir/artifacts" -o "$work_dir/server" >"$log_dir/build.log" 2>&1; then
    tail -n 40 "$log_dir/build.log" >&2
    exit 1
fi

# --- Server ------------------------------------------------------------------------------------
# Two ports the system has just handed out and released: one for the server, one for the portal,
# where nothing listens (the browser's requests to it are intercepted by interop.mjs).
read -r port portal_port < <(node -e '
    const net = require("node:net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
        const b = net.createServer().listen(0, "127.0.0.1", () => {
            console.log(a.address().port, b.address().port);
            a.close(); b.close();
        });
    });')

origin="http://localhost:$port"
portal="http://localhost:$portal_port"
client_id="interop-rp"
client_secret=$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("base64url"))')

# Development allows plain HTTP on the protocol endpoints; the demo citizen is not created. The
# working directory is the content root, where appsettings*.json were published.
export ASPNETCORE_ENVIRONMENT=Development
export Demo__Enabled=false
export Database__DataDirectory="$work_dir/data"
export Passkeys__AllowedOrigins__0="$origin"
export PublicOrigin="$origin"
# Development's certificate settings name files relative to src/EIdentity.Server; the published
# copy runs elsewhere, so point them at the repository. No mutual-TLS listener (its port is fixed).
export Certificates__DevelopmentPkiPath="$repo_dir/certs/dev-pki"
export Certificates__TrustAnchors__0__Path="$repo_dir/certs/dev-pki/dev-national-root-ca.pem"
export Certificates__TrustAnchors__0__Intermediates__0__Path="$repo_dir/certs/dev-pki/dev-licensed-ca-1.pem"
export Certificates__TrustAnchors__0__Intermediates__1__Path="$repo_dir/certs/dev-pki/dev-licensed-ca-2.pem"
export Certificates__MutualTls__Url=""

server() { # server ARGS...: the published server (or one of its CLI verbs) with this configuration
    (cd "$work_dir/server" && exec dotnet EIdentity.Server.dll "$@")
}

# Not through server(): $! must be the server's own process, for the exit trap to stop it.
(cd "$work_dir/server" && exec dotnet EIdentity.Server.dll --urls "$origin") >"$log_dir/server.log" 2>&1 &
server_pid=$!

echo "Interop: waiting for $origin/.well-known/openid-configuration"
for attempt in $(seq 1 120); do
    if curl -fsS --max-time 5 -o /dev/null "$origin/.well-known/openid-configuration" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "The server exited before serving discovery" >&2
        exit 1
    fi
    if ((attempt == 120)); then
        echo "No discovery document after 60 s" >&2
        exit 1
    fi
    sleep 0.5
done

# --- Portal and citizen ------------------------------------------------------------------------
if ! server client register --client-id "$client_id" --display-name "Interop (openid-client)" \
    --secret "$client_secret" --redirect-uri "$portal/cb" --post-logout-uri "$portal/signed-out" \
    --scope "openid profile offline_access" >"$log_dir/client-register.log" 2>&1; then
    cat "$log_dir/client-register.log" >&2
    exit 1
fi

citizen_name="Đỗ Minh Khang"
citizen_birthdate="1992-02-29"
if ! server identity create --national-id 079092001234 --name "$citizen_name" \
    --birth-date "$citizen_birthdate" >"$log_dir/identity-create.log" 2>&1; then
    cat "$log_dir/identity-create.log" >&2
    exit 1
fi
activation_link=$(grep -o "$origin/activate#[A-Za-z0-9_-]*" "$log_dir/identity-create.log" | head -n 1 || true)
if [[ -z $activation_link ]]; then
    echo "No activation link in the output of identity create:" >&2
    cat "$log_dir/identity-create.log" >&2
    exit 1
fi

# --- Relying party -----------------------------------------------------------------------------
echo "Interop: installing openid-client and playwright-core (npm ci)"
if ! (cd "$suite_dir" && npm ci --no-audit --no-fund) >"$log_dir/npm.log" 2>&1; then
    cat "$log_dir/npm.log" >&2
    exit 1
fi

echo "Interop: running interop.mjs against $origin"
interop_status=0
(
    cd "$suite_dir"
    export INTEROP_ISSUER="$origin/"
    export INTEROP_CLIENT_ID="$client_id"
    export INTEROP_CLIENT_SECRET="$client_secret"
    export INTEROP_REDIRECT_URI="$portal/cb"
    export INTEROP_POST_LOGOUT_REDIRECT_URI="$portal/signed-out"
    export INTEROP_ACTIVATION_LINK="$activation_link"
    export INTEROP_EXPECTED_NAME="$citizen_name"
    export INTEROP_EXPECTED_BIRTHDATE="$citizen_birthdate"
    # Registered without --first-party: the citizen approves the consent page once.
    export INTEROP_EXPECT_CONSENT=1
    export CHROMIUM_PATH="$chromium_path"
    export INTEROP_OUTPUT_DIR="$log_dir/screenshots"
    exec node interop.mjs
) || interop_status=$?
exit "$interop_status"
