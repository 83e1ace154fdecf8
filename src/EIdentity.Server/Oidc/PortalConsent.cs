using System.Security.Cryptography;
using System.Text.Json;
using EIdentity.Server.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>
/// What the consent page asks about, sealed by the server when the authorization endpoint sends
/// the citizen there, and handed back with the answer: it ties the answer to the session, the
/// portal and the data that were shown, for a short time.
/// </summary>
/// <param name="Scopes">Every personal-data scope of the request: what an approval covers.</param>
/// <param name="Asked">The scopes the page asks about (not approved before, or all of them with prompt=consent).</param>
internal sealed record ConsentTicket(string SessionId, string ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Asked, DateTimeOffset ExpiresAt);

internal enum ConsentAnswer
{
    Approve,
    Deny,
}

internal sealed record ConsentDecision(ConsentAnswer Answer, ConsentTicket Ticket);

/// <summary>
/// The citizen's consent to a portal receiving personal data. An approval is remembered as a
/// permanent OpenIddict authorization (subject: the person's internal id; scopes: the data
/// approved) that later requests are checked against; <see cref="ConnectedPortals.RevokeAsync"/>
/// withdraws it. First-party portals are never asked.
/// </summary>
internal sealed partial class PortalConsent(
    IOpenIddictAuthorizationManager authorizations,
    IDataProtectionProvider protection,
    IAntiforgery antiforgery,
    TimeProvider time,
    AuditLog audit,
    ILogger<PortalConsent> logger)
{
    /// <summary>The form field carrying the citizen's answer (<c>approve</c> or <c>deny</c>).</summary>
    public const string AnswerField = "eid_consent";

    /// <summary>The query / form field carrying the sealed <see cref="ConsentTicket"/>.</summary>
    public const string TicketField = "eid_consent_ticket";

    /// <summary>How long the citizen has to answer before the page must be shown again.</summary>
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Scopes that release personal data, in the order the consent page lists them.</summary>
    public static IReadOnlyList<string> PersonalDataScopes { get; } = [Scopes.Profile, OidcScopes.NationalId];

    /// <summary>Fields the consent round trip adds to an authorization request; never part of the protocol request.</summary>
    public static bool IsOwnField(string name) =>
        name is AnswerField or TicketField or "__RequestVerificationToken";

    private readonly IDataProtector _tickets = protection.CreateProtector("EIdentity.Oidc.ConsentTicket.v1");

    /// <summary>The personal-data scopes among <paramref name="scopes"/>.</summary>
    public static IReadOnlyList<string> PersonalData(IEnumerable<string> scopes)
    {
        var requested = scopes.ToHashSet(StringComparer.Ordinal);
        return [.. PersonalDataScopes.Where(requested.Contains)];
    }

    /// <summary>The personal-data scopes the person approved for the portal and has not withdrawn.</summary>
    public async Task<IReadOnlySet<string>> RememberedAsync(Guid personId, string applicationId, CancellationToken cancellationToken)
    {
        var approved = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindAsync(personId.ToString(), applicationId, Statuses.Valid, AuthorizationTypes.Permanent, scopes: null, cancellationToken))
        {
            approved.UnionWith(await authorizations.GetScopesAsync(authorization, cancellationToken));
        }

        return approved;
    }

    public string Seal(string sessionId, string clientId, IReadOnlyList<string> scopes, IReadOnlyList<string> asked) =>
        _tickets.Protect(JsonSerializer.Serialize(new ConsentTicket(sessionId, clientId, scopes, asked, time.GetUtcNow() + TicketLifetime)));

    /// <summary>The ticket, if it is genuine, unexpired and was issued to this session; otherwise null.</summary>
    public ConsentTicket? Open(string? sealedTicket, string sessionId)
    {
        if (string.IsNullOrEmpty(sealedTicket))
        {
            return null;
        }

        ConsentTicket? ticket;
        try
        {
            ticket = JsonSerializer.Deserialize<ConsentTicket>(_tickets.Unprotect(sealedTicket));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null;
        }

        return ticket is not null && ticket.SessionId == sessionId && time.GetUtcNow() < ticket.ExpiresAt ? ticket : null;
    }

    /// <summary>
    /// The citizen's answer carried by this request, or null when there is none or it does not
    /// hold: only a POST from the consent page (antiforgery token bound to the citizen's browser),
    /// with a genuine ticket for this session and portal, counts. Anything else — a portal
    /// forging an approval, a replayed or expired ticket, another session's — is no answer,
    /// and the citizen is asked again.
    /// </summary>
    public async Task<ConsentDecision?> ReadAnswerAsync(HttpContext http, string sessionId, string clientId)
    {
        // Antiforgery validates only unsafe methods: a GET carrying an answer must never count.
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType)
        {
            return null;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        ConsentAnswer? answer = form[AnswerField].ToString() switch
        {
            "approve" => ConsentAnswer.Approve,
            "deny" => ConsentAnswer.Deny,
            _ => null,
        };
        if (answer is null)
        {
            return null;
        }

        var ticket = Open(form[TicketField], sessionId);
        if (ticket is null || ticket.ClientId != clientId || !await antiforgery.IsRequestValidAsync(http))
        {
            LogAnswerRefused(logger, clientId);
            return null;
        }

        return new ConsentDecision(answer.Value, ticket);
    }

    /// <summary>Remembers the approval of <paramref name="scopes"/> for the portal and audits it.</summary>
    public async Task GrantAsync(Guid personId, string applicationId, string clientId, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            CreationDate = time.GetUtcNow(),
            Status = Statuses.Valid,
            Subject = personId.ToString(),
            Type = AuthorizationTypes.Permanent,
        };
        descriptor.Scopes.UnionWith(scopes);
        await authorizations.CreateAsync(descriptor, cancellationToken);
        var approved = string.Join(' ', scopes);
        await audit.RecordAsync(new AuditEntry("consent.granted", "citizen", personId, clientId, approved), CancellationToken.None);
        LogGranted(logger, personId, clientId, approved);
    }

    public async Task RecordDeniedAsync(Guid personId, string clientId, IReadOnlyList<string> scopes)
    {
        var declined = string.Join(' ', scopes);
        await audit.RecordAsync(new AuditEntry("consent.denied", "citizen", personId, clientId, declined), CancellationToken.None);
        LogDenied(logger, personId, clientId, declined);
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Identity {PersonId} let portal {ClientId} receive {Scopes}.")]
    private static partial void LogGranted(ILogger logger, Guid personId, string clientId, string scopes);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Information, Message = "Identity {PersonId} declined to let portal {ClientId} receive {Scopes}.")]
    private static partial void LogDenied(ILogger logger, Guid personId, string clientId, string scopes);

    [LoggerMessage(EventId = 5303, Level = LogLevel.Warning, Message = "A consent answer for portal {ClientId} was ignored: no valid antiforgery token, or the ticket is forged, expired or from another session.")]
    private static partial void LogAnswerRefused(ILogger logger, string clientId);
}
