// Interoperability check: panva's openid-client (a certified OpenID Connect relying-party
// library) against a running EIdentity server, with headless Chromium and a CDP virtual
// authenticator playing the citizen. run.sh starts the server, registers the portal, creates the
// citizen and sets the variables below; the script can also be pointed at any server by hand.
//
//   INTEROP_ISSUER                    issuer URL, e.g. http://localhost:5000/ (ends with /)
//   INTEROP_CLIENT_ID                 a confidential portal registered with the scopes
//   INTEROP_CLIENT_SECRET               openid profile offline_access
//   INTEROP_REDIRECT_URI              its registered redirect URI
//   INTEROP_POST_LOGOUT_REDIRECT_URI  its registered post-logout redirect URI, same origin
//   INTEROP_ACTIVATION_LINK           an unused activation link of a citizen
//   INTEROP_EXPECTED_NAME             optional: the citizen's full name, checked in the claims
//   INTEROP_EXPECTED_BIRTHDATE        optional: the citizen's birth date (yyyy-mm-dd)
//   INTEROP_EXPECT_CONSENT            1 when the portal is not first-party: the first sign-in shows
//                                     the consent page, which the citizen approves (default 0)
//   CHROMIUM_PATH                     default /usr/bin/chromium
//   INTEROP_OUTPUT_DIR                optional: where a screenshot is saved for each failed check
//   INTEROP_DEADLINE_SECONDS          default 240: the whole run fails after this long
//
// Nothing listens on the portal's origin: the browser's requests to it are intercepted and
// answered here, and their URLs are what the library is given as callbacks. Each check prints
// PASS or FAIL; a check whose prerequisite failed is reported as failed, so the total is the same
// on every run. The last line is `Interop: N passed, N failed`; the exit code is 0 only if every
// check passed.

import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const SCOPE = 'openid profile offline_access';

// --- Configuration -----------------------------------------------------------------------------
function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`interop.mjs: set ${name} (see the top of this file)`);
    process.exit(2);
  }
  return value;
}

const issuer = required('INTEROP_ISSUER');
const clientId = required('INTEROP_CLIENT_ID');
const clientSecret = required('INTEROP_CLIENT_SECRET');
const redirectUri = required('INTEROP_REDIRECT_URI');
const postLogoutRedirectUri = required('INTEROP_POST_LOGOUT_REDIRECT_URI');
const activationLink = required('INTEROP_ACTIVATION_LINK');
const expectedName = process.env.INTEROP_EXPECTED_NAME || undefined;
const expectedBirthdate = process.env.INTEROP_EXPECTED_BIRTHDATE || undefined;
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outputDir = process.env.INTEROP_OUTPUT_DIR || undefined;
const deadlineSeconds = Number(process.env.INTEROP_DEADLINE_SECONDS || 240);
const expectConsent = process.env.INTEROP_EXPECT_CONSENT === '1';

const portalOrigin = new URL(redirectUri).origin;
if (new URL(postLogoutRedirectUri).origin !== portalOrigin) {
  console.error('interop.mjs: the redirect and post-logout redirect URIs must share one origin');
  process.exit(2);
}
if (outputDir) {
  mkdirSync(outputDir, { recursive: true });
}

// --- Checks ------------------------------------------------------------------------------------
const results = [];
let page; // the browser tab, once there is one: used for screenshots of failures

function summaryLine() {
  const failed = results.filter(r => !r.ok).length;
  return `Interop: ${results.length - failed} passed, ${failed} failed`;
}

function record(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  — ${detail}` : ''}`);
}

function describe(error) {
  const parts = [`${error?.name ?? 'Error'}: ${error?.message ?? error}`];
  if (error?.status) parts.push(`HTTP ${error.status}`);
  if (error?.error) parts.push(`error=${error.error}`);
  if (error?.error_description) parts.push(`error_description=${JSON.stringify(error.error_description)}`);
  if (error?.cause && !(error.cause instanceof Response) && typeof error.cause === 'object') {
    parts.push(`cause=${JSON.stringify(error.cause)}`);
  }
  return parts.join('; ');
}

async function screenshot(index, name) {
  if (!outputDir || !page || page.isClosed()) return;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  const file = join(outputDir, `${String(index).padStart(2, '0')}-${slug}.png`);
  try {
    await page.screenshot({ path: file, timeout: 5000 });
    console.log(`      screenshot: ${file}`);
  } catch {
    // A screenshot is a convenience; its failure must not hide the check's own.
  }
}

// Runs one check. `needs` are values from earlier checks: if one is missing, the check is not
// run and counts as failed. `fn(note)` throws to fail; `note(text)` adds a detail to its line.
// Returns what `fn` returned (or true), undefined on failure.
async function check(name, needs, fn) {
  if (needs.some(n => n === undefined)) {
    record(name, false, 'not run: a check it depends on failed');
    return undefined;
  }
  let detail;
  try {
    const value = await fn(text => { detail = text; });
    record(name, true, detail);
    return value ?? true;
  } catch (error) {
    record(name, false, describe(error));
    await screenshot(results.length, name);
    return undefined;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectError(promise, what) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what} succeeded`);
}

function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

// A run that hangs (a page that never navigates, a server that stops answering) still ends, with
// the summary line.
setTimeout(() => {
  record(`the run finished within ${deadlineSeconds} s`, false, 'deadline reached');
  console.log(summaryLine());
  process.exit(1);
}, deadlineSeconds * 1000).unref();

// --- Browser -----------------------------------------------------------------------------------
// Navigations to the portal's origin are captured, not sent: the portal is this script.
let captured = [];

async function waitForPortal(prefix, timeout = 15000) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    const hit = captured.find(u => u.startsWith(prefix));
    if (hit) {
      captured = captured.filter(u => u !== hit);
      // The request is seen before the navigation commits: let it finish, or the next goto races it.
      await page.waitForURL(u => u.href.startsWith(prefix), { timeout: 5000 }).catch(() => {});
      await page.waitForLoadState('load').catch(() => {});
      return new URL(hit);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`the browser was not sent to ${prefix} within ${timeout} ms; ${await where()}`);
}

// Where the browser is, for a failure message: the URL without its query (which may hold a token)
// and the start of the page's text, e.g. an error page's OAuth error code.
async function where() {
  const url = new URL(page.url());
  const main = page.locator('main');
  const text = await ((await main.count()) ? main : page.locator('body')).first()
    .innerText({ timeout: 2000 }).catch(() => '');
  return `it is at ${url.origin}${url.pathname}: ${JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 300))}`;
}

async function navigate(url) {
  // The navigation may end on the captured portal URL or be replaced by a redirect; what counts
  // is where the browser is sent, which the caller waits for.
  await page.goto(url.href ?? url, { timeout: 20000 }).catch(() => {});
}

let browser;
let cdp;
let authenticatorId;
const browserReady = await check('browser: Chromium with a CDP virtual authenticator (CTAP2, resident keys, user verification)', [], async note => {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 30000,
    // As root Chromium needs --no-sandbox; the others keep it off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext();
  page = await context.newPage();
  page.on('console', m => { if (m.type() === 'error') console.log(`      [browser console] ${m.text()}`); });
  await context.route(url => url.origin === portalOrigin, async route => {
    captured.push(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'captured by the interop relying party' });
  });
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  }));
  note(`${browser.version()}`);
});

// --- 1. Activation: the citizen enrols a passkey --------------------------------------------------
const enrolled = await check('activation: the link enrols a passkey and signs the citizen in (/account)', [browserReady], async note => {
  await page.goto(activationLink, { timeout: 20000 });
  await page.click('#enrol', { timeout: 10000 });
  await page.waitForURL(u => u.pathname === '/account', { timeout: 20000 });
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert(credentials.length === 1, `the authenticator holds ${credentials.length} credentials, expected 1`);
  assert(credentials[0].isResidentCredential, 'the credential is not a discoverable (resident) credential');
  assert(credentials[0].rpId === new URL(issuer).hostname, `rpId ${credentials[0].rpId}`);
  note(`1 discoverable credential for rpId ${credentials[0].rpId}`);
});

// --- 2. Discovery --------------------------------------------------------------------------------
// client_secret_post is the library's choice when given a secret string. ID tokens are also
// verified against the JWKS (enableNonRepudiationChecks), on top of the library's claim checks.
const config = await check('discovery: metadata read and checked by the library', [], async note => {
  const c = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  const md = c.serverMetadata();
  assert(md.issuer === issuer, `issuer ${md.issuer}, expected ${issuer}`);
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
    'pushed_authorization_request_endpoint', 'end_session_endpoint', 'introspection_endpoint']) {
    assert(md[endpoint], `no ${endpoint}`);
  }
  assert(md.code_challenge_methods_supported?.includes('S256'), 'S256 not in code_challenge_methods_supported');
  assert(md.authorization_response_iss_parameter_supported === true, 'authorization_response_iss_parameter_supported is not true');
  note(`issuer ${md.issuer}`);
  return c;
});

// Whether the browser is on the identity provider's consent page.
function atConsentPage() {
  return page.url().startsWith(new URL('account/consent', issuer).href);
}

// Sends the browser through an authorization request and redeems the code with the library,
// which checks state, iss, PKCE, nonce and the ID token (signature, alg, iss, aud, exp, iat).
// If the identity provider asks the citizen for consent, she approves; `consented` says so.
async function codeFlow(usePar, note) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const parameters = {
    redirect_uri: redirectUri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  const url = usePar
    ? await client.buildAuthorizationUrlWithPAR(config, parameters)
    : client.buildAuthorizationUrl(config, parameters);
  if (usePar) {
    const names = [...url.searchParams.keys()].sort().join(',');
    assert(names === 'client_id,request_uri', `the PAR authorization URL carries ${names}`);
    assert(url.searchParams.get('request_uri').startsWith('urn:ietf:params:oauth:request_uri:'), 'request_uri is not a PAR URN');
  }
  await navigate(url);
  const consented = atConsentPage();
  if (consented) {
    await page.click('#consent-approve', { timeout: 10000 });
  }
  const callback = await waitForPortal(redirectUri);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  note(`${consented ? 'consent approved; ' : ''}callback parameters ${[...callback.searchParams.keys()].join(',')}`);
  return { tokens, callback, claims: tokens.claims(), consented };
}

// --- 3. Authorization code flow with PKCE ----------------------------------------------------------
const first = await check('code flow: PKCE S256, query response, code redeemed, ID token validated by the library', [enrolled, config], async note => {
  return codeFlow(false, note);
});

await check(`consent: ${expectConsent ? 'the first sign-in asked the citizen (portal not first-party)' : 'no consent page (first-party portal)'}`, [first], async note => {
  assert(first.consented === expectConsent, `consent page shown: ${first.consented}, expected ${expectConsent}`);
  note(first.consented ? 'approved on the consent page' : 'no consent page');
});

await check('authorization response carries iss (RFC 9207) equal to the issuer', [first], async note => {
  const iss = first.callback.searchParams.get('iss');
  assert(iss === issuer, `iss=${iss}`);
  note(iss);
});

await check('ID token: RS256, audience, subject, assurance level and profile claims', [first], async note => {
  const header = jwtHeader(first.tokens.id_token);
  const c = first.claims;
  assert(header.alg === 'RS256', `alg ${header.alg}`);
  assert(c.aud === clientId || (Array.isArray(c.aud) && c.aud.includes(clientId)), `aud ${c.aud}`);
  assert(typeof c.sub === 'string' && c.sub.length > 0, 'no sub');
  assert(typeof c.sid === 'string' && c.sid.length > 0, 'no sid');
  assert(typeof c.acr === 'string' && c.acr.startsWith('urn:eidentity:loa:'), `acr ${c.acr}`);
  assert(typeof c.auth_time === 'number', 'no auth_time');
  if (expectedName) assert(c.name === expectedName, `name ${JSON.stringify(c.name)}`);
  if (expectedBirthdate) assert(c.birthdate === expectedBirthdate, `birthdate ${c.birthdate}`);
  note(`alg ${header.alg}, acr ${c.acr}, amr ${JSON.stringify(c.amr)}`);
});

await check('token response: bearer access token and a refresh token (offline_access)', [first], async note => {
  const t = first.tokens;
  assert(t.token_type?.toLowerCase() === 'bearer', `token_type ${t.token_type}`);
  assert(t.access_token, 'no access_token');
  assert(t.refresh_token, 'no refresh_token');
  note(`expires_in ${t.expires_in}, scope ${t.scope}`);
});

// --- 4. Userinfo ---------------------------------------------------------------------------------
await check('userinfo: same subject and profile claims as the ID token', [first], async note => {
  const info = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
  assert(info.name === first.claims.name, `name ${JSON.stringify(info.name)}`);
  assert(info.birthdate === first.claims.birthdate, `birthdate ${info.birthdate}`);
  note(`claims ${Object.keys(info).join(',')}`);
});

// --- 5. Refresh: rotation and reuse detection ------------------------------------------------------
const refreshed = await check('refresh: new access, ID and refresh tokens; the refresh token rotates', [first], async note => {
  const r = await client.refreshTokenGrant(config, first.tokens.refresh_token);
  assert(r.refresh_token && r.refresh_token !== first.tokens.refresh_token, 'the refresh token did not rotate');
  assert(r.access_token && r.access_token !== first.tokens.access_token, 'no new access token');
  assert(r.id_token, 'no new ID token');
  assert(r.claims().sub === first.claims.sub, 'the refreshed ID token has another sub');
  note('new refresh token issued');
  return r;
});

const reused = await check('refresh token reuse: the used refresh token is refused (invalid_grant)', [refreshed], async note => {
  const error = await expectError(client.refreshTokenGrant(config, first.tokens.refresh_token), 'reusing the refresh token');
  assert(error.error === 'invalid_grant', describe(error));
  note(error.error_description);
});

await check('refresh token reuse: the newest refresh token is revoked as well', [reused], async note => {
  const error = await expectError(client.refreshTokenGrant(config, refreshed.refresh_token), 'the newest refresh token');
  assert(error.error === 'invalid_grant', describe(error));
  note(error.error_description);
});

await check('refresh token reuse: the refreshed access token is rejected at userinfo (401 invalid_token)', [reused], async note => {
  const error = await expectError(client.fetchUserInfo(config, refreshed.access_token, client.skipSubjectCheck), 'userinfo');
  assert(error.status === 401, describe(error));
  const challenge = Array.isArray(error.cause) ? error.cause[0] : undefined;
  assert(challenge?.parameters?.error === 'invalid_token', describe(error));
  note(challenge.parameters.error_description);
});

// --- 6. Pushed authorization request ---------------------------------------------------------------
// The session from the activation is still there: single sign-on, no key asked for.
const par = await check('PAR: request pushed, browser sent with request_uri only, code redeemed (single sign-on)', [first], async note => {
  const r = await codeFlow(true, note);
  assert(r.claims.sub === first.claims.sub, 'another sub than in the first flow');
  assert(r.claims.sid === first.claims.sid, 'another sid than in the first flow');
  return r;
});

await check('userinfo with the PAR flow\'s access token', [par], async () => {
  await client.fetchUserInfo(config, par.tokens.access_token, par.claims.sub);
});

await check('consent is remembered: the PAR flow showed no consent page', [par], async () => {
  assert(par.consented === false, 'the consent page was shown again');
});

// A portal that is not first-party can ask again with prompt=consent; the citizen declines.
await check(`prompt=consent: ${expectConsent ? 'denying on the consent page returns access_denied to the library' : 'a first-party portal gets a code without a page'}`, [par], async note => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  await navigate(client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: SCOPE, prompt: 'consent', state, nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  }));
  assert(atConsentPage() === expectConsent, `consent page shown: ${atConsentPage()}, expected ${expectConsent}; ${await where()}`);
  if (!expectConsent) {
    const callback = await waitForPortal(redirectUri);
    assert(callback.searchParams.has('code'), `callback ${[...callback.searchParams.keys()].join(',')}`);
    return;
  }
  await page.click('#consent-deny', { timeout: 10000 });
  const callback = await waitForPortal(redirectUri);
  const error = await expectError(client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier, expectedState: state,
  }), 'the denied callback');
  assert(error instanceof client.AuthorizationResponseError, describe(error));
  assert(error.error === 'access_denied', describe(error));
  note(`error=${error.error}`);
});

// --- 7. Introspection with client_secret_basic ----------------------------------------------------
let lastIntrospection;
const basic = await check('discovery for introspection with client_secret_basic', [config], async () => {
  const c = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
  });
  c[client.customFetch] = (url, options) => {
    lastIntrospection = {
      authorization: new Headers(options.headers).get('authorization'),
      body: new URLSearchParams(String(options.body)),
    };
    return fetch(url, options);
  };
  return c;
});

await check('introspection (client_secret_basic): an active access token', [basic, par], async note => {
  const r = await client.tokenIntrospection(basic, par.tokens.access_token);
  assert(lastIntrospection.authorization?.startsWith('Basic '), 'the request did not use HTTP Basic');
  assert(!lastIntrospection.body.has('client_secret'), 'the secret was also sent in the body');
  assert(r.active === true, `active ${r.active}`);
  assert(r.client_id === clientId, `client_id ${r.client_id}`);
  assert(r.sub === par.claims.sub, `sub ${r.sub}`);
  note(`active, token_usage ${r.token_usage}`);
});

await check('introspection (client_secret_basic): the revoked grant\'s access token is inactive', [basic, reused], async () => {
  const r = await client.tokenIntrospection(basic, first.tokens.access_token);
  assert(r.active === false, `active ${r.active}`);
});

await check('introspection with a wrong secret is refused (401)', [basic, par], async note => {
  const wrong = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(`${clientSecret}-wrong`), {
    execute: [client.allowInsecureRequests],
  });
  const error = await expectError(client.tokenIntrospection(wrong, par.tokens.access_token), 'introspection with a wrong secret');
  assert(error.status === 401, describe(error));
  note(describe(error));
});

// --- 8. RP-initiated logout -------------------------------------------------------------------------
const loggedOut = await check('RP-initiated logout: id_token_hint + post_logout_redirect_uri, back at the portal with state', [par], async note => {
  const state = client.randomState();
  await navigate(client.buildEndSessionUrl(config, {
    id_token_hint: par.tokens.id_token, post_logout_redirect_uri: postLogoutRedirectUri, state,
  }));
  const back = await waitForPortal(postLogoutRedirectUri, 10000);
  assert(back.searchParams.get('state') === state, `state ${back.searchParams.get('state')}`);
  note(`${back.origin}${back.pathname}`);
});

await check('after logout the IdP session has ended: /account sends to /account/login', [loggedOut], async note => {
  await page.goto(new URL('account', issuer).href, { timeout: 20000 });
  const at = new URL(page.url());
  assert(at.pathname === '/account/login', `landed on ${at.origin}${at.pathname}`);
  note(at.pathname + at.search);
});

await check('after logout prompt=none returns login_required to the portal', [loggedOut], async note => {
  const state = client.randomState();
  await navigate(client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: SCOPE, prompt: 'none', state, nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  }));
  const callback = await waitForPortal(redirectUri);
  assert(callback.searchParams.get('iss') === issuer, `iss ${callback.searchParams.get('iss')}`);
  // The library validates the error response (state, iss) and raises the OAuth error.
  const error = await expectError(client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state,
  }), 'the prompt=none callback');
  assert(error instanceof client.AuthorizationResponseError, describe(error));
  assert(error.error === 'login_required', describe(error));
  note(`error=${error.error}`);
});

// --- Result ------------------------------------------------------------------------------------------
await browser?.close().catch(() => {});
console.log(summaryLine());
process.exit(results.every(r => r.ok) ? 0 : 1);
