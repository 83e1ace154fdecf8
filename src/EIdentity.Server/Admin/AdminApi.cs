using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Hosting;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Admin;

/// <summary>
/// The admin API for security officers' tools (docs/admin-api.md): every route needs an access
/// token with the <c>eid.admin</c> scope from the client-credentials grant, every action is audited
/// with the calling client as actor, every bad input is a ProblemDetails. National ID numbers
/// travel only in request bodies, never in URLs (which reach access logs).
/// </summary>
internal static class AdminApi
{
    public const string Prefix = "/api/admin";
    public const string EndedByAdmin = "ended_by_admin";
    public const int MaxReasonLength = 500;
    public const int DefaultDeliveries = 100;
    public const int MaxDeliveries = 500;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix)
            .RequireAuthorization(AdminExtensions.Policy)
            .RequireRateLimiting(RateLimits.AdminPolicy)
            .DisableAntiforgery(); // Bearer tokens, no cookies: nothing for a cross-site form to ride on.

        api.MapPost("/identities/lookup", LookupAsync);
        api.MapGet("/identities/{id}", GetIdentityAsync);
        api.MapPost("/identities/{id}/suspend", SuspendAsync);
        api.MapPost("/identities/{id}/reinstate", ReinstateAsync);
        api.MapGet("/identities/{id}/sessions", ListSessionsAsync);
        api.MapPost("/identities/{id}/sessions/end", EndSessionsAsync);
        api.MapDelete("/sessions/{sid}", EndSessionAsync);
        api.MapGet("/identities/{id}/credentials", ListCredentialsAsync);
        api.MapPost("/credentials/revoke", RevokeCredentialAsync);
        api.MapGet("/logout-deliveries", ListDeliveriesAsync);
        return app;
    }

    private static async Task<IResult> LookupAsync(HttpContext http, IdentityRegistry registry, AuditLog audit)
    {
        if (await JsonBody.ReadAsync<LookupRequest>(http.Request) is not { } request)
        {
            return BodyRequired("""{"nationalId": "<12 digits>"}""");
        }

        if (!NationalIdNumber.TryParse(request.NationalId, out var nationalId))
        {
            return Problem(StatusCodes.Status400BadRequest, "Malformed national ID number",
                "nationalId must be a national ID number (CCCD) of exactly 12 digits.");
        }

        var person = await registry.FindByNationalIdAsync(nationalId, http.RequestAborted);
        // Mapping a national ID number to an identity is itself worth recording (the number is not).
        await audit.RecordAsync(new AuditEntry("admin.identity.lookup", AdminExtensions.Actor(http.User), person?.Id,
            Detail: person is null ? "not_found" : null), CancellationToken.None);
        return person is null
            ? Problem(StatusCodes.Status404NotFound, "Identity not found", "No identity has this national ID number.")
            : TypedResults.Ok(new IdentityReference(person.Id, AdminDirectory.Word(person.Status)));
    }

    private static async Task<IResult> GetIdentityAsync(string id, HttpContext http, AdminDirectory directory, AuditLog audit)
    {
        if (await FindPersonAsync(id, directory, http.RequestAborted) is not { } person)
        {
            return IdentityProblem(id);
        }

        await RecordViewAsync(audit, http.User, person.Id, "identity");
        return TypedResults.Ok(await directory.SummarizeAsync(person, http.RequestAborted));
    }

    private static async Task<IResult> SuspendAsync(string id, HttpContext http, IdentityStatusService statuses)
    {
        if (!TryParseIdentity(id, out var personId))
        {
            return IdentityProblem(id);
        }

        var reason = await ReadReasonAsync(http.Request, required: true);
        if (reason.Problem is { } problem)
        {
            return problem;
        }

        var result = await statuses.SuspendAsync(personId, reason.Text, AdminExtensions.Actor(http.User), http.RequestAborted);
        return result.Change == IdentityStatusChange.NotFound
            ? IdentityNotFound()
            : TypedResults.Ok(new StatusChanged(personId, "suspended",
                result.Change == IdentityStatusChange.Done ? "suspended" : "already_suspended", result.SessionsEnded, result.AuthorizationsRevoked));
    }

    private static async Task<IResult> ReinstateAsync(string id, HttpContext http, IdentityStatusService statuses)
    {
        if (!TryParseIdentity(id, out var personId))
        {
            return IdentityProblem(id);
        }

        var reason = await ReadReasonAsync(http.Request, required: false);
        if (reason.Problem is { } problem)
        {
            return problem;
        }

        var result = await statuses.ReinstateAsync(personId, reason.Text, AdminExtensions.Actor(http.User), http.RequestAborted);
        return result.Change == IdentityStatusChange.NotFound
            ? IdentityNotFound()
            : TypedResults.Ok(new StatusChanged(personId, "active",
                result.Change == IdentityStatusChange.Done ? "reinstated" : "already_active", 0, 0));
    }

    private static async Task<IResult> ListSessionsAsync(string id, HttpContext http, AdminDirectory directory, AuditLog audit)
    {
        if (await FindPersonAsync(id, directory, http.RequestAborted) is not { } person)
        {
            return IdentityProblem(id);
        }

        await RecordViewAsync(audit, http.User, person.Id, "sessions");
        return TypedResults.Ok(new SessionList(person.Id, await directory.ListSessionsAsync(person.Id, http.RequestAborted)));
    }

    private static async Task<IResult> EndSessionsAsync(string id, HttpContext http, AdminDirectory directory, SessionService sessions, AuditLog audit)
    {
        if (await FindPersonAsync(id, directory, http.RequestAborted) is not { } person)
        {
            return IdentityProblem(id);
        }

        var reason = await ReadReasonAsync(http.Request, required: false);
        if (reason.Problem is { } problem)
        {
            return problem;
        }

        var personId = person.Id;
        var ended = await sessions.EndWhereAsync(s => s.PersonId == personId, EndedByAdmin, SessionEndScope.SessionAndGrants,
            cancellationToken: CancellationToken.None);
        await audit.RecordAsync(new AuditEntry("admin.sessions.ended", AdminExtensions.Actor(http.User), personId, "all",
            Detail(("sessions_ended", ended.ToString(CultureInfo.InvariantCulture)), ("reason", reason.Text))), CancellationToken.None);
        return TypedResults.Ok(new SessionsEnded(personId, ended));
    }

    private static async Task<IResult> EndSessionAsync(string sid, HttpContext http, AdminDirectory directory, SessionService sessions, AuditLog audit)
    {
        // Session ids are base64url (SessionService.SignInAsync); anything else cannot name one.
        if (sid.Length > 64 || !Base64Url.IsValid(sid))
        {
            return Problem(StatusCodes.Status400BadRequest, "Malformed session id",
                "A session id is the base64url value the sessions list shows (the OIDC 'sid').");
        }

        if (await directory.FindSessionAsync(sid, http.RequestAborted) is not { } session)
        {
            return Problem(StatusCodes.Status404NotFound, "Session not found", "No session has this id.");
        }

        var endedNow = session.EndedAt is null
            && await sessions.EndWhereAsync(s => s.Id == sid, EndedByAdmin, SessionEndScope.SessionAndGrants, cancellationToken: CancellationToken.None) == 1;
        if (endedNow)
        {
            await audit.RecordAsync(new AuditEntry("admin.sessions.ended", AdminExtensions.Actor(http.User), session.PersonId, session.Id),
                CancellationToken.None);
        }

        var ended = await directory.FindSessionAsync(sid, CancellationToken.None);
        return TypedResults.Ok(new SessionEnded(session.Id, session.PersonId, endedNow ? "ended" : "already_ended", ended?.EndedAt, ended?.EndReason));
    }

    private static async Task<IResult> ListCredentialsAsync(string id, HttpContext http, AdminDirectory directory, AuditLog audit)
    {
        if (await FindPersonAsync(id, directory, http.RequestAborted) is not { } person)
        {
            return IdentityProblem(id);
        }

        await RecordViewAsync(audit, http.User, person.Id, "credentials");
        return TypedResults.Ok(await directory.ListCredentialsAsync(person, http.RequestAborted));
    }

    private static async Task<IResult> RevokeCredentialAsync(HttpContext http, EIdentityDbContext db, PasskeyKeyring keyring, CertificateBlockList blocks)
    {
        if (await JsonBody.ReadAsync<RevokeCredentialRequest>(http.Request) is not { } request)
        {
            return BodyRequired("""{"credentialId": "<passkey id | x509:<thumbprint>>", "reason": "<text>"}""");
        }

        var reason = CheckReason(request.Reason, required: true);
        if (reason.Problem is { } problem)
        {
            return problem;
        }

        var actor = AdminExtensions.Actor(http.User);
        var credentialId = request.CredentialId?.Trim() ?? "";
        if (CredentialReferences.IsCertificate(credentialId, out var thumbprint))
        {
            thumbprint = thumbprint.ToLowerInvariant();
            if (thumbprint.Length != 64 || !thumbprint.All(char.IsAsciiHexDigitLower))
            {
                return CredentialProblem();
            }

            var certificate = await db.CertificateCredentials.AsNoTracking().SingleOrDefaultAsync(c => c.Thumbprint == thumbprint, http.RequestAborted);
            if (certificate is null)
            {
                return CredentialNotFound();
            }

            var (change, _) = await blocks.BlockAsync(certificate, reason.Text!, actor, CancellationToken.None);
            return TypedResults.Ok(new CredentialRevoked(certificate.CredentialReference, certificate.PersonId,
                change == BlockChange.Done ? "blocked" : "already_blocked"));
        }

        if (!CredentialIds.TryCanonical(credentialId, out var canonical, out _))
        {
            return CredentialProblem();
        }

        // A withdrawn key's tombstone: revoking it again changes nothing (and is not audited twice).
        var record = await db.PasskeyCredentials.AsNoTracking().SingleOrDefaultAsync(c => c.CredentialId == canonical, http.RequestAborted);
        if (record is { Status: PasskeyStatus.Revoked })
        {
            return TypedResults.Ok(new CredentialRevoked(canonical, record.PersonId, "already_revoked"));
        }

        var (revoked, personId) = await keyring.RevokeAsync(canonical, actor, reason.Text, CancellationToken.None);
        return revoked == KeyringChange.NotFound
            ? CredentialNotFound()
            : TypedResults.Ok(new CredentialRevoked(canonical, personId, "revoked"));
    }

    private static async Task<IResult> ListDeliveriesAsync(HttpContext http, AdminDirectory directory, AuditLog audit)
    {
        var query = http.Request.Query;
        LogoutDeliveryStatus? status = null;
        if (query["status"].ToString() is { Length: > 0 } statusText)
        {
            status = statusText.ToUpperInvariant() switch
            {
                "PENDING" => LogoutDeliveryStatus.Pending,
                "DELIVERED" => LogoutDeliveryStatus.Delivered,
                "FAILED" => LogoutDeliveryStatus.Failed,
                _ => null,
            };
            if (status is null)
            {
                return Problem(StatusCodes.Status400BadRequest, "Unknown delivery status", "status must be pending, delivered or failed.");
            }
        }

        Guid? personId = null;
        if (query["identity"].ToString() is { Length: > 0 } identityText)
        {
            if (!TryParseIdentity(identityText, out var parsed))
            {
                return IdentityProblem(identityText);
            }

            personId = parsed;
        }

        var limit = DefaultDeliveries;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxDeliveries))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid limit", $"limit must be a whole number from 1 to {MaxDeliveries}.");
        }

        var deliveries = await directory.ListDeliveriesAsync(status, personId, limit, http.RequestAborted);
        await audit.RecordAsync(new AuditEntry("admin.viewed", AdminExtensions.Actor(http.User), personId, "logout-deliveries",
            status is null ? null : $"status={AdminDirectory.Word(status.Value)}"), CancellationToken.None);
        return TypedResults.Ok(new DeliveryList(deliveries));
    }

    // ---- inputs --------------------------------------------------------------------------------

    /// <summary>A reason as the officer gave it (trimmed, or null when none), or the problem with it.</summary>
    private sealed record Reason(string? Text, ProblemHttpResult? Problem = null);

    private static bool TryParseIdentity(string id, out Guid personId) =>
        Guid.TryParseExact(id, "D", out personId);

    /// <summary>The person the route names, or null when the id is malformed or unknown (<see cref="IdentityProblem"/> says which).</summary>
    private static async Task<Person?> FindPersonAsync(string id, AdminDirectory directory, CancellationToken cancellationToken) =>
        TryParseIdentity(id, out var personId) ? await directory.FindAsync(personId, cancellationToken) : null;

    /// <summary>The <c>{"reason": "..."}</c> body, which may be left out when the reason is optional.</summary>
    private static async Task<Reason> ReadReasonAsync(HttpRequest request, bool required)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && request.ContentType is null))
        {
            return CheckReason(null, required);
        }

        return await JsonBody.ReadAsync<ReasonRequest>(request) is { } body
            ? CheckReason(body.Reason, required)
            : new Reason(null, BodyRequired("""{"reason": "<text>"}"""));
    }

    private static Reason CheckReason(string? text, bool required)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return required
                ? new Reason(null, Problem(StatusCodes.Status400BadRequest, "Reason required",
                    "Say why in \"reason\" (it is kept in the audit log; no national ID numbers or names)."))
                : new Reason(null);
        }

        return trimmed.Length > MaxReasonLength || trimmed.Any(char.IsControl)
            ? new Reason(null, Problem(StatusCodes.Status400BadRequest, "Invalid reason",
                $"\"reason\" has at most {MaxReasonLength} characters and no control characters (line breaks included)."))
            : new Reason(trimmed);
    }

    private static string? Detail(params (string Name, string? Value)[] parts) =>
        string.Join("; ", parts.Where(p => p.Value is not null).Select(p => $"{p.Name}={p.Value}")) is { Length: > 0 } detail ? detail : null;

    private static Task RecordViewAsync(AuditLog audit, ClaimsPrincipal user, Guid personId, string what) =>
        audit.RecordAsync(new AuditEntry("admin.viewed", AdminExtensions.Actor(user), personId, what), CancellationToken.None);

    // ---- problems ------------------------------------------------------------------------------

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static ProblemHttpResult BodyRequired(string example) =>
        Problem(StatusCodes.Status400BadRequest, "Missing or malformed request body",
            $"Send a JSON body (Content-Type: application/json) of this shape: {example}.");

    private static ProblemHttpResult IdentityProblem(string id) =>
        TryParseIdentity(id, out _)
            ? IdentityNotFound()
            : Problem(StatusCodes.Status400BadRequest, "Malformed identity id",
                "An identity id is a UUID such as 0197f3a2-6c1e-7b4d-9a2f-3c4d5e6f7a8b, as identities/lookup returns it.");

    private static ProblemHttpResult IdentityNotFound() =>
        Problem(StatusCodes.Status404NotFound, "Identity not found", "No identity has this id.");

    private static ProblemHttpResult CredentialProblem() =>
        Problem(StatusCodes.Status400BadRequest, "Malformed credential id",
            "credentialId is a passkey credential id (unpadded base64url, as the credentials list shows it) or x509:<SHA-256 thumbprint, 64 hex digits>.");

    private static ProblemHttpResult CredentialNotFound() =>
        Problem(StatusCodes.Status404NotFound, "Credential not found", "No passkey or certificate has this credential id.");
}
