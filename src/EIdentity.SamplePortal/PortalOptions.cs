using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace EIdentity.SamplePortal;

/// <summary>Settings of one portal instance, bound from the <c>Portal</c> configuration section.</summary>
internal sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>Issuer URL of the identity provider; discovery is read from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string Authority { get; set; } = "http://localhost:5000";

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    /// <summary>Portal name shown in the page header.</summary>
    public string DisplayName { get; set; } = "Cổng dịch vụ mẫu";

    /// <summary>
    /// Name of the session cookie, and prefix of the correlation, nonce and antiforgery cookies.
    /// Must differ between portals sharing a host name: cookies ignore the port.
    /// </summary>
    public string CookieName { get; set; } = "eidentity-portal";

    /// <summary>Space-separated scopes requested at sign-in.</summary>
    public string Scopes { get; set; } = "openid profile offline_access";

    /// <summary>Only false in Development, where the identity provider runs on plain http://localhost.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Optional space-separated acr values; the ID token must then carry one of them or a stronger level.</summary>
    public string? AcrValues { get; set; }

    public IReadOnlyList<string> ScopeList => Split(Scopes);

    public IReadOnlyList<string> AcrValueList => Split(AcrValues);

    private static string[] Split(string? value) =>
        (value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal static class PortalOptionsRegistration
{
    public static WebApplicationBuilder AddPortalOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortalOptions>()
            .BindConfiguration(PortalOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PortalOptions>, PortalOptionsValidator>();
        return builder;
    }
}

internal sealed partial class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var failures = new List<string>();

        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority)
            || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"Portal:Authority must be the absolute URL of the identity provider (got '{options.Authority}').");
        }
        else if (options.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"Portal:Authority '{options.Authority}' must use https; only a Development setup may set Portal:RequireHttpsMetadata to false.");
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add("Portal:ClientId is missing: set it to the client_id this portal is registered with at the identity provider (for example Portal__ClientId=dichvucong-portal).");
        }

        if (string.IsNullOrWhiteSpace(options.ClientSecret))
        {
            failures.Add("Portal:ClientSecret is missing: the portal is a confidential client and authenticates to the token endpoint with it.");
        }

        if (!CookieNamePattern().IsMatch(options.CookieName))
        {
            failures.Add($"Portal:CookieName '{options.CookieName}' must be 1-64 letters, digits, '-', '_' or '.'.");
        }

        // OIDC Core 3.1.2.1: a request without the openid scope is plain OAuth and yields no ID token.
        if (!options.ScopeList.Contains("openid", StringComparer.Ordinal))
        {
            failures.Add($"Portal:Scopes '{options.Scopes}' must include 'openid'.");
        }

        if (string.IsNullOrWhiteSpace(options.DisplayName))
        {
            failures.Add("Portal:DisplayName is missing: it is the portal name shown to citizens.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex CookieNamePattern();
}
