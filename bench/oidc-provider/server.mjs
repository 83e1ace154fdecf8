// The comparison side of bench/run.sh: panva's oidc-provider set up like EIdentity for scenarios
// 1-5 (client_credentials, authorization code + PKCE with an SSO session, refresh-token rotation,
// introspection, discovery + JWKS).
//
// Environment: BENCH_PORT (loopback port), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_REDIRECT_URI;
// BENCH_POSTGRES (optional, an Npgsql-style connection string naming a database of its own).
// Prints "listening" on stdout once it accepts connections.
//
// Storage: with BENCH_POSTGRES, every model (sessions, interactions, grants, codes, opaque and
// refresh tokens) lives in one PostgreSQL table (postgres-adapter.mjs). Without it, oidc-provider's
// default in-memory adapter (an LRU map of at most 1,000 entries inside this process): not
// persistence; docs/benchmarks.md says so next to every number.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { PostgresAdapter } from './postgres-adapter.mjs';

const port = Number(process.env.BENCH_PORT);
const clientId = process.env.BENCH_CLIENT_ID;
const clientSecret = process.env.BENCH_CLIENT_SECRET;
const redirectUri = process.env.BENCH_REDIRECT_URI;
if (!port || !clientId || !clientSecret || !redirectUri) {
    console.error('BENCH_PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET and BENCH_REDIRECT_URI are required');
    process.exit(2);
}

const adapter = process.env.BENCH_POSTGRES ? await PostgresAdapter.connect(process.env.BENCH_POSTGRES) : undefined;

// Like EIdentity's key store: one P-256 key (access tokens, ES256) and one RSA 3072 key (ID tokens).
const jwk = (key, kid, alg) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;

// Two resource servers: oidc-provider refuses to introspect structured (JWT) access tokens
// (shared/reject_structured_tokens.js), so scenario 4 asks for an opaque token, which is the only
// kind it can introspect. Scenarios 1-3 get an ES256 JWT like ours (the default resource).
export const JwtResource = 'urn:eidentity-bench:jwt-api';
export const OpaqueResource = 'urn:eidentity-bench:opaque-api';
// Scenario 1b: the same client, RS256 JWT access tokens (EIdentity: a client registered for RS256).
export const Rs256Resource = 'urn:eidentity-bench:jwt-api-rs256';

// The one citizen of the benchmark; the SSO session is this account's.
const findAccount = async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) });

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
    adapter,
    findAccount,
    jwks: { keys: [jwk(ec, 'es256', 'ES256'), jwk(rsa, 'rs256', 'RS256')] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [{
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [redirectUri],
        id_token_signed_response_alg: 'RS256',
    }],
    // The sign-in and consent screens are EIdentity's business, not measured: the bench signs in
    // once (interactionUrl below) and then reuses the session cookie, as scenario 2 asks.
    interactions: { url: async (ctx, interaction) => `/bench-interaction/${interaction.uid}` },
    features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
            enabled: true,
            // As EIdentity: a portal introspects the tokens issued to itself.
            allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
        },
        resourceIndicators: {
            enabled: true,
            defaultResource: async () => JwtResource,
            useGrantedResource: async () => true,
            getResourceServerInfo: async (ctx, resourceIndicator) => {
                if (resourceIndicator === JwtResource) {
                    return { scope: '', audience: resourceIndicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
                }
                if (resourceIndicator === Rs256Resource) {
                    return { scope: '', audience: resourceIndicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
                }
                if (resourceIndicator === OpaqueResource) {
                    return { scope: '', audience: resourceIndicator, accessTokenFormat: 'opaque' };
                }
                throw new Provider.errors.InvalidTarget();
            },
        },
    },
    pkce: { required: () => true },
    // As EIdentity: every refresh rotates, the old token is consumed (a replay revokes the grant).
    rotateRefreshToken: () => true,
    // EIdentity's lifetimes (appsettings.json, Oidc and Sessions).
    ttl: {
        AccessToken: 600,
        ClientCredentials: 600,
        IdToken: 600,
        AuthorizationCode: 120,
        RefreshToken: 8 * 3600,
        Grant: 8 * 3600,
        Session: 8 * 3600,
        Interaction: 600,
    },
});
provider.proxy = false;

// Auto-login and auto-consent for the bench client only: what devInteractions' submit handler does
// (lib/actions/interaction.js), without the HTML forms.
provider.use(async (ctx, next) => {
    const match = /^\/bench-interaction\/([\w-]+)$/.exec(ctx.path);
    if (!match || ctx.method !== 'GET') {
        return next();
    }

    let interaction;
    try {
        interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
        console.error(`bench interaction ${match[1]}: ${error.message} (${error.error_description ?? ''})`);
        throw error;
    }

    const { prompt: { name, details }, grantId, session, params } = interaction;
    if (params.client_id !== clientId) {
        ctx.throw(403);
    }

    let result;
    if (name === 'login') {
        result = { login: { accountId: 'bench-citizen' } };
    } else if (name === 'consent') {
        const grant = grantId
            ? await provider.Grant.find(grantId)
            : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        if (details.missingOIDCScope) {
            grant.addOIDCScope(details.missingOIDCScope.join(' '));
        }
        if (details.missingOIDCClaims) {
            grant.addOIDCClaims(details.missingOIDCClaims);
        }
        for (const [indicator, scope] of Object.entries(details.missingResourceScopes ?? {})) {
            grant.addResourceScope(indicator, scope.join(' '));
        }
        result = { consent: { grantId: await grant.save() } };
    } else {
        ctx.throw(501, `prompt ${name}`);
    }

    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true }));
    ctx.status = 303;
});

provider.listen(port, '127.0.0.1', () => console.log('listening'));
