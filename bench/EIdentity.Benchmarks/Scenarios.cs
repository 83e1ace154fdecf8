using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace EIdentity.Benchmarks;

/// <summary>One unit of work a worker repeats: a request, or a short sequence counted as one flow.</summary>
internal delegate Task<bool> Operation(HttpClient http, CancellationToken cancellationToken);

internal sealed record Scenario(string Id, string Title, string Unit, Func<HttpClient, ServerUnderTest, Task<Operation>> Prepare);

internal static class Scenarios
{
    public static readonly IReadOnlyList<Scenario> All =
    [
        new("client-credentials", "1. client_credentials token (ES256 JWT)", "tokens", PrepareClientCredentialsAsync),
        new("introspection", "4. token introspection", "introspections", PrepareIntrospectionAsync),
        new("discovery-jwks", "5. discovery + JWKS", "flows (2 requests)", PrepareDiscoveryAsync),
    ];

    private static async Task<Operation> PrepareClientCredentialsAsync(HttpClient http, ServerUnderTest server)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        var form = TokenRequest(server.JwtResource);
        var basic = Basic(server);
        var operation = new Operation(async (client, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.Token) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = basic;
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && body.AsSpan().IndexOf("\"access_token\""u8) >= 0;
        });
        await EnsureWorksAsync(http, operation, server, "client_credentials");
        return operation;
    }

    private static async Task<Operation> PrepareIntrospectionAsync(HttpClient http, ServerUnderTest server)
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
        var operation = new Operation(async (client, ct) =>
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

    private static async Task<Operation> PrepareDiscoveryAsync(HttpClient http, ServerUnderTest server)
    {
        var endpoints = await Endpoints.ReadAsync(http, server);
        var discovery = new Uri(server.Origin, ".well-known/openid-configuration");
        var operation = new Operation(async (client, ct) =>
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
    private static AuthenticationHeaderValue Basic(ServerUnderTest server) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $"{Uri.EscapeDataString(server.ClientId)}:{Uri.EscapeDataString(server.ClientSecret)}")));

    private static async Task EnsureWorksAsync(HttpClient http, Operation operation, ServerUnderTest server, string what)
    {
        if (!await operation(http, CancellationToken.None))
        {
            throw new InvalidOperationException($"{server.Name}: a single {what} request did not succeed; see the server log");
        }
    }

    private sealed record Endpoints(Uri Token, Uri? Introspection, Uri Jwks)
    {
        public static async Task<Endpoints> ReadAsync(HttpClient http, ServerUnderTest server)
        {
            using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.Origin, ".well-known/openid-configuration")));
            var root = document.RootElement;
            return new Endpoints(
                new Uri(root.GetProperty("token_endpoint").GetString()!),
                root.TryGetProperty("introspection_endpoint", out var introspection) ? new Uri(introspection.GetString()!) : null,
                new Uri(root.GetProperty("jwks_uri").GetString()!));
        }
    }
}
