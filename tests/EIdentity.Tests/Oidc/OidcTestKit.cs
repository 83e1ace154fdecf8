using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using EIdentity.Server.Oidc;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// One in-process server per test class (xUnit makes a new class instance for every test, so a
/// factory held in a field would start a server per test). Tests in a class share it; each test
/// creates its own citizen.
/// </summary>
public sealed class OidcServerFixture : IAsyncDisposable
{
    public EIdentityServerFactory Server { get; } = new();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>A citizen whose browser holds an EIdentity session (activated a key, which signs in).</summary>
internal sealed record SignedInCitizen(Citizen Citizen, Guid PersonId, string NationalId, string Name, string BirthDate) : IDisposable
{
    public HttpClient Browser => Citizen.Browser;

    public void Dispose() => Citizen.Dispose();
}

/// <summary>Steps the OIDC tests repeat: a signed-in citizen, a completed code flow, reading redirects.</summary>
internal static partial class OidcTestKit
{
    /// <summary>
    /// A national ID number no other test (in this run or an earlier one on the same database) uses.
    /// </summary>
    public static string NewNationalId() =>
        RandomNumberGenerator.GetInt32(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture)
        + RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Registers (or re-registers) a back-end service that may use client_credentials, with a secret
    /// or a key set, through the node's own <c>PortalRegistry</c>. A new client id unless one is given.
    /// </summary>
    public static async Task<TestPortal> RegisterServiceAsync(EIdentityServerFactory server, string? clientId = null,
        string? secret = null, string? keySet = null, string? accessTokenAlgorithm = null)
    {
        clientId ??= "svc-" + Guid.NewGuid().ToString("N")[..10];
        await using var scope = server.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<PortalRegistry>().RegisterAsync(new PortalRegistration
        {
            ClientId = clientId,
            DisplayName = "Dịch vụ thử",
            ClientSecret = secret,
            JsonWebKeySet = keySet,
            AllowClientCredentials = true,
            AccessTokenAlgorithm = accessTokenAlgorithm,
        });
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        return new TestPortal(clientId, secret, "Dịch vụ thử", null, null, ["openid"]);
    }

    /// <summary>Registers a citizen, activates a key from the letter, and so leaves the browser signed in.</summary>
    public static async Task<SignedInCitizen> SignedInCitizenAsync(EIdentityServerFactory server, string name = "Phạm Thị Dung", string birthDate = "1992-11-08")
    {
        var nationalId = NewNationalId();
        var (personId, activation) = await server.CreateCitizenAsync(nationalId, name, birthDate);
        var citizen = new Citizen(server);
        try
        {
            await citizen.ActivateAsync(activation);
            return new SignedInCitizen(citizen, personId, nationalId, name, birthDate);
        }
        catch
        {
            citizen.Dispose();
            throw;
        }
    }

    /// <summary>Authorization request in the signed-in browser, then the portal redeems the code.</summary>
    public static async Task<TokenResponse> CodeFlowAsync(EIdentityServerFactory server, Citizen citizen, TestPortal portal, string scope = "openid profile")
    {
        var attempt = await citizen.AuthorizeAsync(portal, scope);
        using var backChannel = new PortalBackChannel(server, portal);
        var tokens = await backChannel.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.True(tokens.Status == 200, $"Code redemption failed: {tokens.Status} {tokens.Raw}");
        return tokens;
    }

    /// <summary>
    /// Ends the browser's EIdentity session the way a portal does (RP-initiated logout with an
    /// id_token_hint), and checks that it did end.
    /// </summary>
    public static async Task SignOutAsync(EIdentityServerFactory server, Citizen citizen)
    {
        var tokens = await CodeFlowAsync(server, citizen, TestPortals.PortalA, "openid");
        var signOut = await citizen.Browser.GetAsync(new Uri(
            "/connect/endsession?id_token_hint=" + Uri.EscapeDataString(tokens.IdToken), UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.True((await citizen.AuthorizeAsync(TestPortals.PortalA)).WentToLogin, "The session did not end.");
    }

    /// <summary>Parameters of a redirect to a portal, from the query or (implicit-style responses) the fragment.</summary>
    public static IDictionary<string, string> RedirectParameters(Uri? location)
    {
        if (location is null || !location.IsAbsoluteUri)
        {
            return new Dictionary<string, string>();
        }

        var parameters = QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        if (location.Fragment.Length > 1)
        {
            foreach (var (key, value) in QueryHelpers.ParseQuery(location.Fragment[1..]))
            {
                parameters[key] = value.ToString();
            }
        }

        return parameters;
    }

    /// <summary>True when the response sends the browser to <paramref name="uri"/> (scheme, host and path).</summary>
    public static bool RedirectsTo(HttpResponseMessage response, string uri) =>
        response.Headers.Location is { IsAbsoluteUri: true } location
        && string.Equals(location.GetLeftPart(UriPartial.Path), uri, StringComparison.Ordinal);

    /// <summary>The <c>returnUrl</c> the login redirect carries (where the browser goes after signing in).</summary>
    public static string LoginReturnUrl(AuthorizationAttempt attempt)
    {
        Assert.True(attempt.WentToLogin, $"Expected a redirect to /account/login, got {(int)attempt.Response.StatusCode} {attempt.Location}");
        var location = attempt.Location!;
        var query = location.IsAbsoluteUri ? location.Query : location.OriginalString[location.OriginalString.IndexOf('?', StringComparison.Ordinal)..];
        return QueryHelpers.ParseQuery(query)["returnUrl"].ToString();
    }

    /// <summary>Signs in with the key again and follows the page's redirect back to <paramref name="returnUrl"/>.</summary>
    public static async Task<HttpResponseMessage> SignInAndReturnAsync(Citizen citizen, string returnUrl, string? nationalId = null)
    {
        var signedIn = await citizen.SignInAsync(nationalId, returnUrl);
        await Expect.Status(HttpStatusCode.OK, signedIn);
        using var body = JsonDocument.Parse(await signedIn.Content.ReadAsStringAsync());
        var redirect = body.RootElement.GetProperty("redirect").GetString()!;
        Assert.Equal(returnUrl, redirect);
        return await citizen.Browser.GetAsync(new Uri(redirect, UriKind.Relative));
    }

    /// <summary>
    /// The OAuth error an authorization request was refused with, and checks that the refusal
    /// gave nothing away: no code or token, and no redirect anywhere but the portal's registered
    /// redirect_uri. OpenIddict shows errors it finds while validating a request on EIdentity's
    /// error page (400) rather than redirecting them; errors decided after validation (e.g.
    /// login_required) go back to the portal. Either form is a refusal a citizen can see.
    /// </summary>
    public static async Task<string?> RefusalAsync(AuthorizationAttempt attempt, TestPortal portal)
    {
        var parameters = RedirectParameters(attempt.Location);
        Assert.False(parameters.ContainsKey("code"), $"A code was issued: {attempt.Location}");
        Assert.False(parameters.ContainsKey("access_token"), $"A token left through the front channel: {attempt.Location}");
        Assert.False(parameters.ContainsKey("id_token"), $"A token left through the front channel: {attempt.Location}");
        if (attempt.Location is not null)
        {
            Assert.True(RedirectsTo(attempt.Response, portal.RedirectUri!), $"Refusal sent the browser to {attempt.Location}");
            Assert.Equal(attempt.State, parameters["state"]);
            return parameters.TryGetValue("error", out var error) ? error : null;
        }

        var html = await attempt.Response.Content.ReadAsStringAsync();
        Assert.True(attempt.Response.StatusCode == HttpStatusCode.BadRequest, $"{(int)attempt.Response.StatusCode}: {html}");
        return ErrorOnPage(html);
    }

    /// <summary>The OAuth error code EIdentity's error page shows (<c>&lt;code&gt;invalid_request&lt;/code&gt;</c>).</summary>
    public static string? ErrorOnPage(string html) =>
        ErrorCode().Match(html) is { Success: true } match ? match.Groups["error"].Value : null;

    public static string[] Strings(JsonElement array) =>
        [.. array.EnumerateArray().Select(e => e.GetString()!)];

    [GeneratedRegex("<code>(?<error>[a-z_]+)</code>")]
    private static partial Regex ErrorCode();
}
