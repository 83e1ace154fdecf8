using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace EIdentity.Tests.Infrastructure;

/// <summary>A portal's server-to-server calls to EIdentity (no browser cookies).</summary>
public sealed class PortalBackChannel : IDisposable
{
    private readonly TestPortal _portal;

    public PortalBackChannel(EIdentityServerFactory server, TestPortal portal)
    {
        _portal = portal;
        Http = server.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(EIdentityServerFactory.Origin),
            AllowAutoRedirect = false,
            HandleCookies = false,
        });
    }

    public HttpClient Http { get; }

    public Task<TokenResponse> RedeemCodeAsync(string code, string? verifier, string? redirectUri = null, string? secret = null) =>
        PostAsync("/connect/token", new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri ?? _portal.RedirectUri,
            ["code_verifier"] = verifier,
        }, secret);

    public Task<TokenResponse> RefreshAsync(string refreshToken) =>
        PostAsync("/connect/token", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });

    public Task<TokenResponse> ClientCredentialsAsync(string? scope = null, string? secret = null) =>
        PostAsync("/connect/token", new() { ["grant_type"] = "client_credentials", ["scope"] = scope }, secret);

    public Task<TokenResponse> IntrospectAsync(string token) =>
        PostAsync("/connect/introspect", new() { ["token"] = token });

    public Task<TokenResponse> RevokeAsync(string token) =>
        PostAsync("/connect/revoke", new() { ["token"] = token });

    public Task<TokenResponse> PushAuthorizationRequestAsync(Dictionary<string, string?> parameters) =>
        PostAsync("/connect/par", parameters);

    public async Task<TokenResponse> UserInfoAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await TokenResponse.ReadAsync(await Http.SendAsync(request));
    }

    public async Task<TokenResponse> PostAsync(string path, Dictionary<string, string?> form, string? secret = null)
    {
        form["client_id"] = _portal.ClientId;
        if ((secret ?? _portal.Secret) is { } clientSecret)
        {
            form["client_secret"] = clientSecret;
        }

        using var content = new FormUrlEncodedContent(form.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!)));
        return await TokenResponse.ReadAsync(await Http.PostAsync(path, content));
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>A JSON response from a protocol endpoint, with the fields tests look at.</summary>
public sealed record TokenResponse(int Status, JsonElement Json, string Raw)
{
    public static async Task<TokenResponse> ReadAsync(HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsStringAsync();
        var json = raw.Length > 0 && raw.TrimStart().StartsWith('{') ? JsonDocument.Parse(raw).RootElement.Clone() : default;
        return new((int)response.StatusCode, json, raw);
    }

    public string? this[string name] => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty(name, out var value)
        ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
        : null;

    public string? Error => this["error"];

    public string AccessToken => this["access_token"] ?? throw new Xunit.Sdk.XunitException($"No access token: {Status} {Raw}");

    public string IdToken => this["id_token"] ?? throw new Xunit.Sdk.XunitException($"No ID token: {Status} {Raw}");

    public string RefreshToken => this["refresh_token"] ?? throw new Xunit.Sdk.XunitException($"No refresh token: {Status} {Raw}");

    /// <summary>The claims of a JWT (not validated: tests that care validate against the JWKS).</summary>
    public static JsonElement Claims(string jwt)
    {
        var payload = jwt.Split('.')[1];
        return JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(payload)).RootElement.Clone();
    }

    public static JsonElement Header(string jwt) =>
        JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[0])).RootElement.Clone();
}
