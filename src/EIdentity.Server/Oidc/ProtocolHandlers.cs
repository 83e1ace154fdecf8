using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace EIdentity.Server.Oidc;

/// <summary>
/// RFC 6749 4.1.2.1: once the client and its redirect URI are known to be valid, an error goes
/// back to the portal, not to a page the citizen cannot act on. OpenIddict renders errors found
/// while validating the request locally; this sends them to the registered redirect URI.
/// </summary>
internal sealed class ReturnAuthorizationErrorsToPortal(IOpenIddictApplicationManager applications)
    : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
            .UseScopedHandler<ReturnAuthorizationErrorsToPortal>()
            .SetOrder(OpenIddictServerHandlers.Authentication.AttachRedirectUri.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
    {
        var request = context.Request;
        if (context.RedirectUri is not null || string.IsNullOrEmpty(context.Error) || request is null
            || string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.RedirectUri)
            || !string.IsNullOrEmpty(request.RequestUri))
        {
            return;
        }

        // Never redirect on a missing/unknown client or an unregistered redirect URI (4.1.2.1).
        var application = await applications.FindByClientIdAsync(request.ClientId, context.CancellationToken);
        if (application is not null
            && await applications.ValidateRedirectUriAsync(application, request.RedirectUri, context.CancellationToken))
        {
            context.RedirectUri = request.RedirectUri;
            context.ResponseMode = request.ResponseMode is ResponseModes.FormPost ? ResponseModes.FormPost : ResponseModes.Query;
        }
    }
}

/// <summary>
/// A scope the portal is not registered for is <c>invalid_scope</c> (RFC 6749 4.1.2.1, 5.2), the
/// error a portal can act on; OpenIddict's own check would answer <c>invalid_request</c>.
/// </summary>
internal sealed class RefuseUnregisteredScopes(IOpenIddictApplicationManager applications) :
    IOpenIddictServerHandler<ValidateAuthorizationRequestContext>,
    IOpenIddictServerHandler<ValidatePushedAuthorizationRequestContext>,
    IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors { get; } =
    [
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
            .UseScopedHandler<RefuseUnregisteredScopes>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateScopePermissions.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidatePushedAuthorizationRequestContext>()
            .UseScopedHandler<RefuseUnregisteredScopes>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateScopePermissions.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseScopedHandler<RefuseUnregisteredScopes>()
            .SetOrder(OpenIddictServerHandlers.Exchange.ValidateScopePermissions.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
    ];

    public ValueTask HandleAsync(ValidateAuthorizationRequestContext context) =>
        CheckAsync(context, context.ClientId, context.Request.GetScopes());

    public ValueTask HandleAsync(ValidatePushedAuthorizationRequestContext context) =>
        CheckAsync(context, context.ClientId, context.Request.GetScopes());

    public ValueTask HandleAsync(ValidateTokenRequestContext context) =>
        CheckAsync(context, context.ClientId, context.Request.GetScopes());

    private async ValueTask CheckAsync(BaseValidatingContext context, string? clientId, IEnumerable<string> scopes)
    {
        if (string.IsNullOrEmpty(clientId)
            || await applications.FindByClientIdAsync(clientId, context.CancellationToken) is not { } application)
        {
            return;
        }

        foreach (var scope in scopes.Where(s => s is not (Scopes.OpenId or Scopes.OfflineAccess)))
        {
            if (!await applications.HasPermissionAsync(application, Permissions.Prefixes.Scope + scope, context.CancellationToken))
            {
                context.Reject(Errors.InvalidScope, $"This portal is not registered for the '{scope}' scope.");
                return;
            }
        }
    }
}

/// <summary>
/// OIDC Core 5.5: a <c>claims</c> parameter that is not a well-formed claims request is
/// <c>invalid_request</c>, at the authorization endpoint and when pushed (PAR) alike, rather than
/// silently ignored: an essential <c>acr</c> in it must not be lost.
/// </summary>
internal sealed class ValidateClaimsParameter :
    IOpenIddictServerHandler<ValidateAuthorizationRequestContext>,
    IOpenIddictServerHandler<ValidatePushedAuthorizationRequestContext>
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors { get; } =
    [
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
            .UseSingletonHandler<ValidateClaimsParameter>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidatePromptParameter.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidatePushedAuthorizationRequestContext>()
            .UseSingletonHandler<ValidateClaimsParameter>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidatePromptParameter.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build(),
    ];

    public ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        Check(context, context.Request);
        return ValueTask.CompletedTask;
    }

    public ValueTask HandleAsync(ValidatePushedAuthorizationRequestContext context)
    {
        Check(context, context.Request);
        return ValueTask.CompletedTask;
    }

    private static void Check(BaseValidatingContext context, OpenIddictRequest request)
    {
        if (!ClaimsParameter.TryReadAcr(request, out _))
        {
            context.Reject(Errors.InvalidRequest,
                "The 'claims' parameter must be a JSON object as described in OpenID Connect Core 1.0 section 5.5.");
        }
    }
}

/// <summary>
/// Discovery states what is true: ID tokens are RS256 only (see <see cref="SelectSigningCredentials"/>),
/// the assurance levels a portal may request, and back-channel logout with <c>sid</c>.
/// </summary>
internal sealed class DescribeIdentityTokensAndLevels : IOpenIddictServerHandler<HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
            .UseSingletonHandler<DescribeIdentityTokensAndLevels>()
            .SetOrder(OpenIddictServerHandlers.Discovery.AttachAdditionalMetadata.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleConfigurationRequestContext context)
    {
        context.IdTokenSigningAlgorithms.Clear();
        context.IdTokenSigningAlgorithms.Add(Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha256);
        context.Metadata["acr_values_supported"] = new OpenIddictParameter(
            [Sessions.AuthenticationMethods.LoaSubstantial, Sessions.AuthenticationMethods.LoaHigh]);
        // OIDC Discovery 3: an essential acr may be requested through the claims parameter.
        context.Metadata[Metadata.ClaimsParameterSupported] = true;
        // OpenID Connect Back-Channel Logout 1.0 section 2.1: logout tokens are sent (Sessions/BackchannelLogout)
        // and carry the sid that ID tokens carry too.
        context.Metadata["backchannel_logout_supported"] = true;
        context.Metadata["backchannel_logout_session_supported"] = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// RFC 6749 5.2, RFC 7523 3.2 and RFC 8705 2: a client that did not authenticate is
/// <c>invalid_client</c> with 401, at every endpoint where clients authenticate. OpenIddict reports
/// some of these otherwise: a client assertion that fails validation (wrong audience, expired, bad
/// signature) as <c>invalid_token</c>; no credentials at all, and a TLS client certificate that does
/// not authenticate the client (not the registered one, not self-signed), as <c>invalid_request</c>.
/// Portal libraries do not expect those from the token endpoint.
/// </summary>
internal sealed class ReportClientAuthenticationFailuresAsInvalidClient : IOpenIddictServerHandler<ProcessErrorContext>
{
    /// <summary>OpenIddict's errors for a refused TLS client certificate.</summary>
    private static readonly string[] CertificateErrors = ["ID2197", "ID2205"];

    /// <summary>OpenIddict's error for a client credentials request without any client authentication.</summary>
    private const string NoCredentials = "ID2057";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessErrorContext>()
            .UseSingletonHandler<ReportClientAuthenticationFailuresAsInvalidClient>()
            .SetOrder(int.MinValue + 50_000)
            .Build();

    public ValueTask HandleAsync(ProcessErrorContext context)
    {
        if (context.EndpointType is not (OpenIddictServerEndpointType.Token or OpenIddictServerEndpointType.Introspection
                or OpenIddictServerEndpointType.Revocation or OpenIddictServerEndpointType.PushedAuthorization))
        {
            return ValueTask.CompletedTask;
        }

        var uri = context.ErrorUri ?? "";
        var description = context.Error switch
        {
            Errors.InvalidToken when !string.IsNullOrEmpty(context.Request?.ClientAssertion) =>
                "The client assertion is not valid for this provider.",
            Errors.InvalidRequest when uri.EndsWith(NoCredentials, StringComparison.Ordinal) =>
                "The client did not authenticate: give its secret, a client assertion, or its TLS client certificate on the mutual-TLS endpoint.",
            Errors.InvalidRequest when context.Transaction.RemoteCertificate is not null
                && CertificateErrors.Any(id => uri.EndsWith(id, StringComparison.Ordinal)) =>
                "The TLS client certificate does not authenticate this client.",
            _ => null,
        };
        if (description is not null)
        {
            context.Error = Errors.InvalidClient;
            context.ErrorDescription = description;
            context.ErrorUri = null;
        }

        return ValueTask.CompletedTask;
    }
}
