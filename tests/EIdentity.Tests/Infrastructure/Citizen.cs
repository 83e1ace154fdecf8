using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// A citizen with a browser (cookie-keeping HTTP client) and a software security key, driving the
/// same JSON ceremony endpoints the sign-in pages' script uses.
/// </summary>
public sealed class Citizen : IDisposable
{
    public Citizen(EIdentityServerFactory server)
    {
        Browser = server.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(EIdentityServerFactory.Origin),
            AllowAutoRedirect = false,
            HandleCookies = true,
        });
        Key = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
    }

    public HttpClient Browser { get; }

    public SoftwareAuthenticator Key { get; }

    public async Task<HttpResponseMessage> EnrolAsync(string? activationCode)
    {
        var options = await Browser.PostAsJsonAsync("/api/passkeys/registration/options", new { activationCode });
        if (!options.IsSuccessStatusCode)
        {
            return options;
        }

        var started = await options.Content.ReadFromJsonAsync<JsonElement>();
        var credential = Key.Register(started.GetProperty("options").GetRawText());
        return await FinishAsync("/api/passkeys/registration", started.GetProperty("ceremonyId").GetString()!, credential);
    }

    public async Task<HttpResponseMessage> SignInAsync(string? nationalId = null, string? returnUrl = null)
    {
        var started = await BeginSignInAsync(nationalId);
        var credential = Key.Assert(started.Options);
        return await FinishSignInAsync(started.CeremonyId, credential, returnUrl);
    }

    public async Task<(string CeremonyId, string Options)> BeginSignInAsync(string? nationalId = null)
    {
        var options = await Browser.PostAsJsonAsync("/api/passkeys/assertion/options", new { nationalId });
        await Expect.Status(HttpStatusCode.OK, options);
        var started = await options.Content.ReadFromJsonAsync<JsonElement>();
        return (started.GetProperty("ceremonyId").GetString()!, started.GetProperty("options").GetRawText());
    }

    public Task<HttpResponseMessage> FinishSignInAsync(string ceremonyId, string credentialJson, string? returnUrl = null) =>
        FinishAsync("/api/passkeys/assertion", ceremonyId, credentialJson, returnUrl);

    private Task<HttpResponseMessage> FinishAsync(string path, string ceremonyId, string credentialJson, string? returnUrl = null)
    {
        var body = JsonSerializer.Serialize(new
        {
            ceremonyId,
            credential = JsonDocument.Parse(credentialJson).RootElement,
            returnUrl,
        });
        return Browser.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }

    /// <summary>Enrols from an activation letter and fails the test if that does not work.</summary>
    public async Task ActivateAsync(string activationCode) => await Expect.Status(HttpStatusCode.OK, await EnrolAsync(activationCode));

    /// <summary>Starts an authorization request as a portal would redirect the browser to it.</summary>
    public async Task<AuthorizationAttempt> AuthorizeAsync(TestPortal portal, string scope = "openid profile", IDictionary<string, string?>? extra = null, string? codeChallengeMethod = "S256")
    {
        var pkce = Pkce.Create();
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = portal.ClientId,
            ["redirect_uri"] = portal.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["state"] = state,
            ["nonce"] = nonce,
        };
        if (codeChallengeMethod is not null)
        {
            parameters["code_challenge"] = codeChallengeMethod == "plain" ? pkce.Verifier : pkce.Challenge;
            parameters["code_challenge_method"] = codeChallengeMethod;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            parameters[key] = value;
        }

        var response = await Browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(p => p.Value is not null)));
        return new AuthorizationAttempt(response, pkce.Verifier, state, nonce);
    }

    /// <summary>Follows an authorize URL (e.g. from PAR) in the browser.</summary>
    public async Task<AuthorizationAttempt> GetAuthorizeAsync(string url, string verifier) =>
        new(await Browser.GetAsync(url), verifier, null, null);

    public void Dispose()
    {
        Browser.Dispose();
        Key.Dispose();
    }
}

public sealed record AuthorizationAttempt(HttpResponseMessage Response, string CodeVerifier, string? State, string? Nonce)
{
    public Uri? Location => Response.Headers.Location;

    public bool WentToLogin => Location?.OriginalString.StartsWith("/account/login", StringComparison.Ordinal) == true
        || Location?.AbsolutePath == "/account/login";

    public IDictionary<string, string> CallbackParameters =>
        Location is null || !Location.IsAbsoluteUri
            ? new Dictionary<string, string>()
            : QueryHelpers.ParseQuery(Location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    public string Code => CallbackParameters.TryGetValue("code", out var code)
        ? code
        : throw new Xunit.Sdk.XunitException($"No code in the authorization response: {Response.StatusCode} {Location}");

    public string? Error => CallbackParameters.TryGetValue("error", out var error) ? error : null;
}

public sealed record Pkce(string Verifier, string Challenge)
{
    public static Pkce Create()
    {
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return new(verifier, Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }
}

public static class Expect
{
    public static async Task Status(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
        {
            var body = response.Content is null ? "" : await response.Content.ReadAsStringAsync();
            Assert.Fail($"Expected {(int)expected} {expected} but got {(int)response.StatusCode} {response.StatusCode} {response.Headers.Location}: {body}");
        }
    }
}
