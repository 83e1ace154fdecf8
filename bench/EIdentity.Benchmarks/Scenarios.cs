using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace EIdentity.Benchmarks;

/// <summary>One unit of work a worker repeats: a request, or a short sequence counted as one flow.</summary>
/// <remarks><paramref name="worker"/> (0 to connections - 1) lets an operation keep state per worker, e.g. a refresh-token chain.</remarks>
internal delegate Task<bool> Operation(HttpClient http, int worker, CancellationToken cancellationToken);

/// <param name="Target">Issue 6's target for ours ÷ theirs, ops per server CPU-second.</param>
internal sealed record Scenario(string Id, string Title, string Unit, double Target, Func<HttpClient, ServerUnderTest, int, Task<Operation>> Prepare);

internal static class Scenarios
{
    public static readonly IReadOnlyList<Scenario> All =
    [
        new("client-credentials", "1. client_credentials token (ES256 JWT)", "tokens", 2.5, (http, server, workers) => PrepareClientCredentialsAsync(http, server, rs256: false)),
        new("client-credentials-rs256", "1b. client_credentials token (RS256 JWT)", "tokens", 2.5, (http, server, workers) => PrepareClientCredentialsAsync(http, server, rs256: true)),
        new("code-flow", "2. code + PKCE with SSO session (authorize → token)", "flows (2 requests)", 2, PrepareCodeFlowAsync),
        new("refresh", "3. refresh-token rotation", "refreshes", 2, PrepareRefreshAsync),
        new("introspection", "4. token introspection", "introspections", 2, PrepareIntrospectionAsync),
        new("discovery-jwks", "5. discovery + JWKS", "flows (2 requests)", 3, PrepareDiscoveryAsync),
    ];

    private static async Task<Operation> PrepareClientCredentialsAsync(HttpClient http, ServerUnderTest server, bool rs256)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        // EIdentity signs RS256 access tokens for a portal registered with --access-token-alg RS256;
        // oidc-provider for a resource server configured so (same client).
        var form = TokenRequest(rs256 ? server.Rs256Resource : server.JwtResource);
        var basic = rs256 && server.Rs256ClientId is { } rsaClient
            ? Basic(rsaClient, server.Rs256ClientSecret!)
            : Basic(server);
        var operation = new Operation(async (client, _, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.Token) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = basic;
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && body.AsSpan().IndexOf("\"access_token\""u8) >= 0;
        });
        await EnsureWorksAsync(http, operation, server, rs256 ? "client_credentials (RS256)" : "client_credentials");
        return operation;
    }

    private static async Task<Operation> PrepareCodeFlowAsync(HttpClient http, ServerUnderTest server, int workers)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        var operation = Flow(await SingleSignOn.CookieHeaderAsync(server, endpoints.Authorization));
        if (!await operation(http, 0, CancellationToken.None))
        {
            // oidc-provider's in-memory adapter keeps 1,000 entries: after the server warm-up
            // its session may be gone. Sign in once more (EIdentity's sessions live in the database).
            SingleSignOn.Forget(server);
            operation = Flow(await SingleSignOn.CookieHeaderAsync(server, endpoints.Authorization));
        }

        await EnsureWorksAsync(http, operation, server, "authorization code flow");
        return operation;

        Operation Flow(string cookie) => new(async (client, _, ct) =>
        {
            // The browser, signed in already, follows the portal's redirect to the authorization
            // endpoint (no redirect followed automatically: the answer must send it straight back).
            var (url, verifier, state) = SingleSignOn.AuthorizationRequest(server, endpoints.Authorization, "openid");
            using var authorize = new HttpRequestMessage(HttpMethod.Get, url);
            authorize.Headers.Add("Cookie", cookie);
            using var redirect = await client.SendAsync(authorize, ct);
            await redirect.Content.CopyToAsync(Stream.Null, ct);
            var location = redirect.Headers.Location?.OriginalString;
            if (location is null || !location.StartsWith(server.RedirectUri, StringComparison.Ordinal))
            {
                return false;
            }

            var query = location[server.RedirectUri.Length..];
            if (SingleSignOn.Query(query, "code") is not { } code || SingleSignOn.Query(query, "state") != state)
            {
                return false;
            }

            // The portal redeems the code (RFC 6749 4.1.3, RFC 7636 4.5).
            using var token = new HttpRequestMessage(HttpMethod.Post, endpoints.Token)
            {
                Content = new FormUrlEncodedContent(
                [
                    new("grant_type", "authorization_code"),
                    new("code", code),
                    new("redirect_uri", server.RedirectUri),
                    new("code_verifier", verifier),
                ]),
            };
            token.Headers.Authorization = Basic(server);
            using var response = await client.SendAsync(token, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && body.AsSpan().IndexOf("\"id_token\""u8) >= 0 && body.AsSpan().IndexOf("\"access_token\""u8) >= 0;
        });
    }

    private static async Task<Operation> PrepareRefreshAsync(HttpClient http, ServerUnderTest server, int workers)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        var basic = Basic(server);

        // One chain per worker, each started by a code flow in the signed-in browser with
        // offline_access (oidc-provider grants it only with prompt=consent: OIDC Core 11).
        var chains = new string[workers];
        for (var worker = 0; worker < workers; worker++)
        {
            var (code, verifier) = await SingleSignOn.AuthorizeInBrowserAsync(server, endpoints.Authorization, "openid offline_access", server.OfflineAccessPrompt);
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.Token)
            {
                Content = new FormUrlEncodedContent(
                [
                    new("grant_type", "authorization_code"),
                    new("code", code),
                    new("redirect_uri", server.RedirectUri),
                    new("code_verifier", verifier),
                ]),
            };
            request.Headers.Authorization = basic;
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            chains[worker] = response.IsSuccessStatusCode && JsonDocument.Parse(body).RootElement.TryGetProperty("refresh_token", out var refreshToken)
                ? refreshToken.GetString()!
                : throw new InvalidOperationException($"{server.Name}: no refresh token from the code flow: {(int)response.StatusCode} {body}");
        }

        var operation = new Operation(async (client, worker, ct) =>
        {
            // RFC 6749 6: redeem the current refresh token; keep the new one (rotation).
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.Token)
            {
                Content = new FormUrlEncodedContent(
                [
                    new("grant_type", "refresh_token"),
                    new("refresh_token", chains[worker]),
                ]),
            };
            request.Headers.Authorization = basic;
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("refresh_token", out var next) || next.GetString() is not { } rotated || rotated == chains[worker])
            {
                return false;
            }

            chains[worker] = rotated;
            return document.RootElement.TryGetProperty("access_token", out _);
        });
        await EnsureWorksAsync(http, operation, server, "refresh");
        return operation;
    }

    private static async Task<Operation> PrepareIntrospectionAsync(HttpClient http, ServerUnderTest server, int workers)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        if (endpoints.Introspection is null)
        {
            throw new InvalidOperationException($"{server.Name} advertises no introspection endpoint");
        }

        // One access token, introspected over and over by the client it was issued to.
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, endpoints.Token) { Content = new FormUrlEncodedContent(TokenRequest(server.IntrospectableResource)) };
        tokenRequest.Headers.Authorization = Basic(server);
        using var tokenResponse = await http.SendAsync(tokenRequest);
        var tokenBody = await tokenResponse.Content.ReadAsStringAsync();
        if (!tokenResponse.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{server.Name}: token request failed: {(int)tokenResponse.StatusCode} {tokenBody}");
        }

        var accessToken = JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString()!;
        var form = new Dictionary<string, string> { ["token"] = accessToken, ["token_type_hint"] = "access_token" };
        var basic = Basic(server);
        var operation = new Operation(async (client, _, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.Introspection) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = basic;
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && IsActive(body);
        });
        await EnsureWorksAsync(http, operation, server, "introspection");
        return operation;
    }

    private static async Task<Operation> PrepareDiscoveryAsync(HttpClient http, ServerUnderTest server, int workers)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        var discovery = new Uri(server.Origin, ".well-known/openid-configuration");
        var operation = new Operation(async (client, _, ct) =>
        {
            // What a relying party does on start-up or key rollover: the document, then the key set.
            using var first = await client.GetAsync(discovery, ct);
            var document = await first.Content.ReadAsByteArrayAsync(ct);
            using var second = await client.GetAsync(endpoints.Jwks, ct);
            var keys = await second.Content.ReadAsByteArrayAsync(ct);
            return first.StatusCode == HttpStatusCode.OK && second.StatusCode == HttpStatusCode.OK
                && document.AsSpan().IndexOf("\"jwks_uri\""u8) >= 0 && keys.AsSpan().IndexOf("\"keys\""u8) >= 0;
        });
        await EnsureWorksAsync(http, operation, server, "discovery + JWKS");
        return operation;
    }

    // RFC 7662 2.2: "active": true, whatever the whitespace (EIdentity indents its JSON in Development).
    private static bool IsActive(ReadOnlySpan<byte> body)
    {
        var at = body.IndexOf("\"active\""u8);
        if (at < 0)
        {
            return false;
        }

        var rest = body[(at + "\"active\""u8.Length)..].TrimStart(" \t\r\n:"u8);
        return rest.StartsWith("true"u8);
    }

    private static Dictionary<string, string> TokenRequest(string? resource)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (resource is not null)
        {
            form["resource"] = resource;
        }

        return form;
    }

    // RFC 6749 2.3.1: id and secret are form-encoded before Base64.
    private static AuthenticationHeaderValue Basic(ServerUnderTest server) => Basic(server.ClientId, server.ClientSecret);

    private static AuthenticationHeaderValue Basic(string clientId, string secret) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));

    private static async Task EnsureWorksAsync(HttpClient http, Operation operation, ServerUnderTest server, string what)
    {
        if (!await operation(http, 0, CancellationToken.None))
        {
            throw new InvalidOperationException($"{server.Name}: a single {what} request did not succeed; see the server log");
        }
    }

    private sealed record Endpoints(Uri Authorization, Uri Token, Uri? Introspection, Uri Jwks)
    {
        public static async Task<Endpoints> ReadAsync(HttpClient http, ServerUnderTest server)
        {
            using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.Origin, ".well-known/openid-configuration")));
            var root = document.RootElement;
            return new Endpoints(
                new Uri(root.GetProperty("authorization_endpoint").GetString()!),
                new Uri(root.GetProperty("token_endpoint").GetString()!),
                root.TryGetProperty("introspection_endpoint", out var introspection) ? new Uri(introspection.GetString()!) : null,
                new Uri(root.GetProperty("jwks_uri").GetString()!));
        }
    }
}
