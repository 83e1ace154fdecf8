using System.Text.Json;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>What the server needs to know about a registered portal at run time.</summary>
/// <param name="BackchannelLogoutUri">Where logout tokens go, if the portal registered one.</param>
/// <param name="MinimumAcr">The lowest level the portal accepts, if registered.</param>
/// <param name="FirstParty">Personal data is released without a consent screen.</param>
internal sealed record PortalProfile(string ClientId, string DisplayName, string Sector, Uri? BackchannelLogoutUri, string? MinimumAcr, bool FirstParty);

internal sealed record PortalRegistrationResult(bool Created, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>Registers portals (OpenIddict applications) with EIdentity's rules applied to every one.</summary>
internal sealed partial class PortalRegistry(IOpenIddictApplicationManager applications, TimeProvider time, ILogger<PortalRegistry> logger)
{
    private const string SectorProperty = "sector_identifier";
    private const string BackchannelLogoutProperty = "backchannel_logout_uri";
    private const string MinimumAcrProperty = "minimum_acr";
    private const string AccessTokenAlgorithmProperty = "access_token_alg";

    /// <summary>The access-token algorithm a portal registered (<c>RS256</c>), or null for the default ES256.</summary>
    public static string? AccessTokenAlgorithm(IReadOnlyDictionary<string, JsonElement> properties) =>
        properties.TryGetValue(AccessTokenAlgorithmProperty, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <param name="checkCertificateValidity">
    /// Refuse a TLS client certificate outside its validity period (an operator registering one).
    /// Off for the registrations from configuration repeated at every start: a lapsed certificate
    /// then authenticates no one and is logged, but the server still starts.
    /// </param>
    public async Task<PortalRegistrationResult> RegisterAsync(PortalRegistration registration, bool checkCertificateValidity = true, CancellationToken cancellationToken = default)
    {
        var errors = registration.Validate(checkCertificateValidity ? time : null).ToList();
        if (errors.Count > 0)
        {
            return new(false, errors);
        }

        if (!checkCertificateValidity && registration.TlsClientCertificate is { Length: > 0 } pem
            && PortalCertificate.Check(pem, time.GetUtcNow()) is { } lapsed)
        {
            LogCertificateUnusable(logger, registration.ClientId, lapsed);
        }

        var descriptor = Describe(registration);
        var existing = await applications.FindByClientIdAsync(registration.ClientId, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
            LogRegistered(logger, registration.ClientId, "registered");
            return new(true, []);
        }

        if (!registration.IsConfidential
            && await applications.GetClientTypeAsync(existing, cancellationToken) == ClientTypes.Confidential)
        {
            // Secrets are stored hashed: an update of a confidential portal must state how it authenticates.
            return new(false, ["this portal is confidential: give its client secret, key set or TLS client certificate (a new one replaces the old)"]);
        }

        await applications.UpdateAsync(existing, descriptor, cancellationToken);
        LogRegistered(logger, registration.ClientId, "updated");
        return new(false, []);
    }

    /// <summary>The pairwise sector of a portal: its registered sector identifier or its client id.</summary>
    public async Task<string> GetSectorAsync(string clientId, CancellationToken cancellationToken = default) =>
        (await FindAsync(clientId, cancellationToken))?.Sector ?? clientId;

    /// <summary>A registered portal's run-time settings, or null for an unknown client id.</summary>
    public async Task<PortalProfile?> FindAsync(string clientId, CancellationToken cancellationToken = default)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return null;
        }

        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        string? Read(string name) =>
            properties.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        var backchannel = Read(BackchannelLogoutProperty);
        return new PortalProfile(
            clientId,
            await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId,
            Read(SectorProperty) ?? clientId,
            backchannel is null ? null : new Uri(backchannel),
            Read(MinimumAcrProperty),
            await applications.GetConsentTypeAsync(application, cancellationToken) == ConsentTypes.Implicit);
    }

    private static OpenIddictApplicationDescriptor Describe(PortalRegistration registration)
    {
        var confidential = registration.IsConfidential;
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = registration.ClientId,
            ClientSecret = string.IsNullOrEmpty(registration.ClientSecret) ? null : registration.ClientSecret,
            JsonWebKeySet = KeySetOf(registration),
            ClientType = confidential ? ClientTypes.Confidential : ClientTypes.Public,
            DisplayName = registration.DisplayName,
            ApplicationType = ApplicationTypes.Web,
            // First-party portals release personal data without asking; every other portal asks once.
            ConsentType = registration.FirstParty ? ConsentTypes.Implicit : ConsentTypes.Explicit,
        };

        foreach (var uri in registration.RedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }

        foreach (var uri in registration.PostLogoutRedirectUris)
        {
            descriptor.PostLogoutRedirectUris.Add(new Uri(uri));
        }

        if (registration.RedirectUris.Count > 0)
        {
            descriptor.Permissions.UnionWith(
            [
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.PushedAuthorization,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
            ]);
            // PKCE with S256 for every portal, confidential or not (OAuth 2.1 / RFC 9700 2.1.1).
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }

        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation]);
        if (confidential)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
        }

        if (registration.AllowClientCredentials)
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }

        foreach (var scope in registration.Scopes.Distinct())
        {
            if (scope == Scopes.OfflineAccess)
            {
                descriptor.Permissions.Add(Permissions.GrantTypes.RefreshToken);
            }

            if (scope != Scopes.OpenId)
            {
                descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
            }
        }

        if (!string.IsNullOrWhiteSpace(registration.SectorIdentifier))
        {
            descriptor.Properties[SectorProperty] = JsonSerializer.SerializeToElement(registration.SectorIdentifier);
        }

        if (!string.IsNullOrWhiteSpace(registration.BackchannelLogoutUri))
        {
            descriptor.Properties[BackchannelLogoutProperty] = JsonSerializer.SerializeToElement(registration.BackchannelLogoutUri);
        }

        if (registration.AccessTokenAlgorithm == Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha256)
        {
            descriptor.Properties[AccessTokenAlgorithmProperty] = JsonSerializer.SerializeToElement(registration.AccessTokenAlgorithm);
        }

        if (!string.IsNullOrWhiteSpace(registration.MinimumAcr))
        {
            descriptor.Properties[MinimumAcrProperty] = JsonSerializer.SerializeToElement(registration.MinimumAcr);
        }

        return descriptor;
    }

    /// <summary>The portal's key set: its private_key_jwt keys and its TLS client certificate (with <c>x5c</c>), or null.</summary>
    private static Microsoft.IdentityModel.Tokens.JsonWebKeySet? KeySetOf(PortalRegistration registration)
    {
        if (string.IsNullOrEmpty(registration.TlsClientCertificate))
        {
            return string.IsNullOrEmpty(registration.JsonWebKeySet) ? null : PortalKeySet.Parse(registration.JsonWebKeySet);
        }

        var keySet = string.IsNullOrEmpty(registration.JsonWebKeySet)
            ? new System.Text.Json.Nodes.JsonObject { ["keys"] = new System.Text.Json.Nodes.JsonArray() }
            : System.Text.Json.Nodes.JsonNode.Parse(registration.JsonWebKeySet)!.AsObject();
        keySet["keys"]!.AsArray().Add(PortalCertificate.ToJsonWebKey(registration.TlsClientCertificate));
        return PortalKeySet.Parse(keySet.ToJsonString());
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Portal {ClientId} {Action}.")]
    private static partial void LogRegistered(ILogger logger, string clientId, string action);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Portal {ClientId} cannot authenticate with its TLS client certificate until a new one is registered: {Problem}.")]
    private static partial void LogCertificateUnusable(ILogger logger, string clientId, string problem);
}
