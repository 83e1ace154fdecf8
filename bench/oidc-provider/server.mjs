// The comparison side of bench/run.sh: panva's oidc-provider set up like EIdentity for the
// scenarios of the first slice (client_credentials, introspection, discovery + JWKS).
//
// Environment: BENCH_PORT (loopback port), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET.
// Prints "listening" on stdout once it accepts connections.
//
// Storage: oidc-provider's default in-memory adapter (an LRU map in this process). That is not
// persistence; docs/benchmarks.md says so next to every number.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.BENCH_PORT);
const clientId = process.env.BENCH_CLIENT_ID;
const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!port || !clientId || !clientSecret) {
    console.error('BENCH_PORT, BENCH_CLIENT_ID and BENCH_CLIENT_SECRET are required');
    process.exit(2);
}

// Like EIdentity's key store: one P-256 key (access tokens, ES256) and one RSA 3072 key (ID tokens).
const jwk = (key, kid, alg) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;

// Two resource servers: oidc-provider refuses to introspect structured (JWT) access tokens
// (shared/reject_structured_tokens.js), so scenario 4 asks for an opaque token, which is the only
// kind it can introspect. Scenario 1 asks for an ES256 JWT like ours.
export const JwtResource = 'urn:eidentity-bench:jwt-api';
export const OpaqueResource = 'urn:eidentity-bench:opaque-api';

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
    jwks: { keys: [jwk(ec, 'es256', 'ES256'), jwk(rsa, 'rs256', 'RS256')] },
    clients: [{
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
    }],
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
                if (resourceIndicator === OpaqueResource) {
                    return { scope: '', audience: resourceIndicator, accessTokenFormat: 'opaque' };
                }
                throw new Provider.errors.InvalidTarget();
            },
        },
    },
    // EIdentity's default access-token lifetime.
    ttl: { ClientCredentials: 600 },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => console.log('listening'));
