using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EIdentity.Benchmarks;

/// <summary>
/// The citizen's browser for scenarios 2 and 3: signs in once per server during preparation and
/// keeps the cookies, so that every measured authorization request rides on an existing SSO session.
/// </summary>
internal static class SingleSignOn
{
    private static readonly ConcurrentDictionary<string, Task<CookieContainer>> Jars = new();

    /// <summary>Drops the remembered browser: the next call signs in again.</summary>
    public static void Forget(ServerUnderTest server) => Jars.TryRemove(server.Name, out _);

    /// <summary>The <c>Cookie</c> header the signed-in browser sends to the authorization endpoint.</summary>
    public static async Task<string> CookieHeaderAsync(ServerUnderTest server, Uri authorizationEndpoint)
    {
        var jar = await Jars.GetOrAdd(server.Name, _ => SignInAsync(server, authorizationEndpoint));
        return CookieHeader(jar, authorizationEndpoint.AbsolutePath);
    }

    /// <summary>
    /// An authorization request in the signed-in browser, following the server's own redirects
    /// (oidc-provider's consent interaction) until it sends the browser back to the portal with a code.
    /// </summary>
    public static async Task<(string Code, string Verifier)> AuthorizeInBrowserAsync(ServerUnderTest server, Uri authorizationEndpoint, string scope, string? prompt) =>
        await AuthorizeInBrowserAsync(server, await Jars.GetOrAdd(server.Name, _ => SignInAsync(server, authorizationEndpoint)), authorizationEndpoint, scope, prompt);

    private static async Task<(string Code, string Verifier)> AuthorizeInBrowserAsync(ServerUnderTest server, CookieContainer jar, Uri authorizationEndpoint, string scope, string? prompt)
    {
        using var browser = Browser(jar);
        var (url, verifier, state) = AuthorizationRequest(server, authorizationEndpoint, scope, prompt);
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = await browser.GetAsync(url);
            var location = response.Headers.Location;
            if (location is null || (int)response.StatusCode is < 300 or >= 400)
            {
                throw new InvalidOperationException($"{server.Name}: authorization stopped at {(int)response.StatusCode} {url}: {await response.Content.ReadAsStringAsync()}");
            }

            var next = location.IsAbsoluteUri ? location : new Uri(url, location);
            if (next.OriginalString.StartsWith(server.RedirectUri, StringComparison.Ordinal))
            {
                return Query(next.Query, "state") == state && Query(next.Query, "code") is { } code
                    ? (code, verifier)
                    : throw new InvalidOperationException($"{server.Name}: no code in the redirect to the portal: {next}");
            }

            url = next;
        }

        throw new InvalidOperationException($"{server.Name}: more than 10 redirects during authorization");
    }

    /// <summary>A code-flow authorization request with PKCE S256 (RFC 7636 4.1-4.2), state and nonce.</summary>
    public static (Uri Url, string Verifier, string State) AuthorizationRequest(ServerUnderTest server, Uri authorizationEndpoint, string scope, string? prompt = null)
    {
        Span<byte> random = stackalloc byte[32 + 12 + 12];
        RandomNumberGenerator.Fill(random);
        var verifier = Base64Url.EncodeToString(random[..32]);
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url.EncodeToString(random.Slice(32, 12));
        var query = new StringBuilder(authorizationEndpoint.AbsoluteUri)
            .Append("?response_type=code&client_id=").Append(Uri.EscapeDataString(server.ClientId))
            .Append("&redirect_uri=").Append(Uri.EscapeDataString(server.RedirectUri))
            .Append("&scope=").Append(Uri.EscapeDataString(scope))
            .Append("&state=").Append(state)
            .Append("&nonce=").Append(Base64Url.EncodeToString(random[44..]))
            .Append("&code_challenge=").Append(challenge)
            .Append("&code_challenge_method=S256");
        if (prompt is not null)
        {
            query.Append("&prompt=").Append(prompt);
        }

        return (new Uri(query.ToString()), verifier, state);
    }

    /// <summary>A parameter of a query string (<c>?a=1&amp;b=2</c>), URL-decoded.</summary>
    public static string? Query(string query, string name)
    {
        foreach (var part in query.TrimStart('?').Split('&'))
        {
            if (part.Length > name.Length && part[name.Length] == '=' && part.StartsWith(name, StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(part[(name.Length + 1)..]);
            }
        }

        return null;
    }

    // The jar keeps every cookie, but would not send Secure ones (EIdentity's session cookie is
    // always Secure) over the bench's plain-HTTP loopback: the handler below sends them by hand.
    private static HttpClient Browser(CookieContainer jar) => new(new CookieHandler(jar)
    {
        InnerHandler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false },
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static string CookieHeader(CookieContainer jar, string path) =>
        string.Join("; ", jar.GetAllCookies().Where(c => !c.Expired && path.StartsWith(c.Path, StringComparison.Ordinal)).Select(c => $"{c.Name}={c.Value}"));

    private sealed class CookieHandler(CookieContainer jar) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            if (CookieHeader(jar, uri.AbsolutePath) is { Length: > 0 } cookies)
            {
                request.Headers.Add("Cookie", cookies);
            }

            var response = await base.SendAsync(request, cancellationToken);
            foreach (var setCookie in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                jar.SetCookies(uri, setCookie);
            }

            return response;
        }
    }

    private static async Task<CookieContainer> SignInAsync(ServerUnderTest server, Uri authorizationEndpoint)
    {
        // Every oidc-provider interaction leaves four path-scoped cookies: more than the default 20 per domain.
        var jar = new CookieContainer(capacity: 10_000, perDomainCapacity: 10_000, maxCookieSize: CookieContainer.DefaultCookieLengthLimit);
        if (server.ActivationCode is { } activationCode)
        {
            // EIdentity: the citizen activates the identity from the registrar's letter with a new
            // security key, which signs them in (the pages' script calls these JSON endpoints).
            using var browser = Browser(jar);
            using var options = await browser.PostAsJsonAsync(new Uri(server.Origin, "api/passkeys/registration/options"), new { activationCode });
            var started = await options.Content.ReadAsStringAsync();
            if (!options.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{server.Name}: registration options refused: {(int)options.StatusCode} {started}");
            }

            using var document = JsonDocument.Parse(started);
            using var key = new EIdentity.Benchmarks.Ceremonies.SoftwareAuthenticator(server.Origin.GetLeftPart(UriPartial.Authority));
            var credential = key.Register(document.RootElement.GetProperty("options").GetRawText());
            var body = $$"""{"ceremonyId":{{JsonSerializer.Serialize(document.RootElement.GetProperty("ceremonyId").GetString())}},"credential":{{credential}},"returnUrl":null}""";
            using var finished = await browser.PostAsync(new Uri(server.Origin, "api/passkeys/registration"), new StringContent(body, Encoding.UTF8, "application/json"));
            if (!finished.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{server.Name}: activation refused: {(int)finished.StatusCode} {await finished.Content.ReadAsStringAsync()}");
            }
        }

        else
        {
            // oidc-provider has no sign-in screen of its own: its first authorization request goes
            // through the bench interaction (bench/oidc-provider/server.mjs), which logs the
            // citizen in and records consent for openid.
            await AuthorizeInBrowserAsync(server, jar, authorizationEndpoint, "openid", prompt: null);
        }

        return jar;
    }
}
