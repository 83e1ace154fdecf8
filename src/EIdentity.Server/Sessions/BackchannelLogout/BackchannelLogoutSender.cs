using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using EIdentity.Server.Audit;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Sessions.BackchannelLogout;

/// <summary>
/// Works through the back-channel logout outbox (<see cref="LogoutDelivery"/> rows): claims each due
/// row so that no other node sends it at the same time, POSTs a freshly signed logout token to the
/// portal's <c>backchannel_logout_uri</c> (OpenID Connect Back-Channel Logout 1.0 section 2.5) and
/// records the outcome on the row: <c>Delivered</c>, another attempt after a backoff, or <c>Failed</c>.
/// Every state lives in the database, so a restart or another node carries on where this one stopped.
/// </summary>
internal sealed partial class BackchannelLogoutSender(
    IServiceScopeFactory scopes,
    IHttpClientFactory httpClients,
    LogoutTokenIssuer tokens,
    TimeProvider time,
    IOptions<BackchannelLogoutOptions> options,
    AuditLog audit,
    IMeterFactory meters,
    ILogger<BackchannelLogoutSender> logger)
{
    public const string HttpClientName = "BackchannelLogout";

    public const string MeterName = "EIdentity.Sessions";

    /// <summary>Counts attempts, tagged <c>outcome</c> (<c>delivered</c>, <c>retrying</c>, <c>failed</c>) and <c>client_id</c>.</summary>
    public const string AttemptsInstrument = "eidentity.backchannel_logout.attempts";

    private const int BatchSize = 100;

    private readonly Counter<long> _attempts = meters.Create(MeterName).CreateCounter<long>(
        AttemptsInstrument, description: "Back-channel logout deliveries attempted, by outcome (delivered, retrying, failed).");

    /// <summary>Attempts every delivery that is due now once; returns how many this call attempted.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
            due = await db.LogoutDeliveries.AsNoTracking()
                .Where(d => d.Status == LogoutDeliveryStatus.Pending && d.NextAttemptAt <= now)
                .OrderBy(d => d.NextAttemptAt)
                .Select(d => d.Id)
                .Take(BatchSize)
                .ToListAsync(cancellationToken);
        }

        var attempted = 0;
        await Parallel.ForEachAsync(due,
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrentDeliveries, CancellationToken = cancellationToken },
            async (id, ct) =>
            {
                if (await TryDeliverAsync(id, ct))
                {
                    Interlocked.Increment(ref attempted);
                }
            });
        return attempted;
    }

    /// <summary>When the earliest pending delivery falls due (a retry, or a row another node holds), if any.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.LogoutDeliveries.AsNoTracking()
            .Where(d => d.Status == LogoutDeliveryStatus.Pending)
            .OrderBy(d => d.NextAttemptAt)
            .Select(d => (DateTimeOffset?)d.NextAttemptAt)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private async Task<bool> TryDeliverAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var now = time.GetUtcNow();

        // The claim: one conditional UPDATE moves the row's next attempt to the end of a lease. Of
        // two nodes racing for a row only one matches the condition; a node that dies while sending
        // leaves the row to be taken over when the lease runs out.
        var leaseEnd = now + options.Value.Lease;
        var claimed = await db.LogoutDeliveries
            .Where(d => d.Id == id && d.Status == LogoutDeliveryStatus.Pending && d.NextAttemptAt <= now)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, leaseEnd), cancellationToken);
        if (claimed == 0)
        {
            return false;
        }

        var delivery = await db.LogoutDeliveries.AsNoTracking().SingleAsync(d => d.Id == id, CancellationToken.None);
        Attempt attempt;
        try
        {
            var portal = await scope.ServiceProvider.GetRequiredService<PortalRegistry>().FindAsync(delivery.ClientId, cancellationToken);
            attempt = portal?.BackchannelLogoutUri is { } uri
                ? await PostAsync(delivery, portal.Sector, uri, cancellationToken)
                : Attempt.GiveUp("the portal no longer registers a back-channel logout URI");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or an unreadable registration: counted as a failed attempt, so it cannot loop forever.
            // (A node stopping mid-send lets the cancellation through: the row keeps its lease and is
            // taken up again when it runs out.)
            LogAttemptCrashed(logger, e, delivery.SessionId, delivery.ClientId);
            attempt = Attempt.Retry(e.GetType().Name);
        }

        await RecordAsync(db, delivery, attempt);
        return true;
    }

    private async Task<Attempt> PostAsync(LogoutDelivery delivery, string sector, Uri uri, CancellationToken cancellationToken)
    {
        var token = await tokens.IssueAsync(delivery, sector, cancellationToken);
        using var client = httpClients.CreateClient(HttpClientName);
        // Section 2.5: application/x-www-form-urlencoded, the token in logout_token.
        using var content = new FormUrlEncodedContent([KeyValuePair.Create("logout_token", token)]);
        try
        {
            using var response = await client.PostAsync(uri, content, cancellationToken);
            // Section 2.8: 200 OK on success; 204 is accepted too, as many portals answer that.
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent
                ? Attempt.Success
                : Attempt.Retry(await DescribeAsync(response, cancellationToken));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Attempt.Retry($"no answer within {client.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return Attempt.Retry(e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "the connection failed",
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.SecureConnectionError => "the TLS handshake failed",
                var other => $"{nameof(HttpRequestException)} ({other})",
            });
        }
    }

    // "HTTP 400 invalid_request": the status, and the OAuth-style error code a portal may send with a
    // 400 (section 2.8). Never the token, never free text from the portal.
    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var description = $"HTTP {(int)response.StatusCode}";
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && response.Content.Headers.ContentLength is <= 4096)
        {
            try
            {
                using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                if (body.RootElement.ValueKind == JsonValueKind.Object
                    && body.RootElement.TryGetProperty("error", out var error)
                    && error.ValueKind == JsonValueKind.String
                    && ErrorCode().IsMatch(error.GetString()!))
                {
                    description += " " + error.GetString();
                }
            }
            catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
            {
                // The status says enough.
            }
        }

        return description;
    }

    private async Task RecordAsync(EIdentityDbContext db, LogoutDelivery delivery, Attempt attempt)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var attempts = delivery.Attempts + 1;
        var status = attempt.Delivered ? LogoutDeliveryStatus.Delivered
            : attempt.Final || attempts >= settings.MaxAttempts ? LogoutDeliveryStatus.Failed
            : LogoutDeliveryStatus.Pending;
        var next = status == LogoutDeliveryStatus.Pending ? now + settings.BackoffAfter(attempts) : now;
        DateTimeOffset? deliveredAt = attempt.Delivered ? now : null;
        // A success keeps the last failure before it: an administrator sees that the portal was down.
        var error = attempt.Delivered ? delivery.LastError : attempt.Error?[..Math.Min(attempt.Error.Length, 300)];

        // Conditional on the attempt count read at the claim: if the lease ran out and another node
        // recorded an attempt meanwhile, this one's outcome does not overwrite it.
        var updated = await db.LogoutDeliveries
            .Where(d => d.Id == delivery.Id && d.Status == LogoutDeliveryStatus.Pending && d.Attempts == delivery.Attempts)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, status)
                .SetProperty(d => d.Attempts, attempts)
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.DeliveredAt, deliveredAt)
                .SetProperty(d => d.LastError, error), CancellationToken.None);
        if (updated == 0)
        {
            LogOutcomeSuperseded(logger, delivery.SessionId, delivery.ClientId);
            return;
        }

        switch (status)
        {
            case LogoutDeliveryStatus.Delivered:
                LogDelivered(logger, delivery.SessionId, delivery.ClientId, attempts);
                Count("delivered", delivery.ClientId);
                break;
            case LogoutDeliveryStatus.Pending:
                LogWillRetry(logger, delivery.SessionId, delivery.ClientId, attempts, settings.MaxAttempts, error, next);
                Count("retrying", delivery.ClientId);
                break;
            default:
                LogFailed(logger, delivery.SessionId, delivery.ClientId, attempts, error);
                Count("failed", delivery.ClientId);
                // The portal may still believe the citizen is signed in: that belongs in the audit trail.
                await audit.RecordAsync(new AuditEntry("logout.delivery_failed", "system", delivery.PersonId, delivery.ClientId,
                    $"session={delivery.SessionId}; attempts={attempts}; error={error}"), CancellationToken.None);
                break;
        }
    }

    private void Count(string outcome, string clientId) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("client_id", clientId));

    private readonly record struct Attempt(bool Delivered, bool Final, string? Error)
    {
        public static Attempt Success => new(true, false, null);

        public static Attempt Retry(string error) => new(false, false, error);

        public static Attempt GiveUp(string error) => new(false, true, error);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ErrorCode();

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Logout token for session {SessionId} delivered to portal {ClientId} (attempt {Attempt}).")]
    private static partial void LogDelivered(ILogger logger, string sessionId, string clientId, int attempt);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Logout token for session {SessionId} not delivered to portal {ClientId} (attempt {Attempt} of {MaxAttempts}): {Error}. Next attempt at {NextAttemptAt:O}.")]
    private static partial void LogWillRetry(ILogger logger, string sessionId, string clientId, int attempt, int maxAttempts, string? error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Back-channel logout of session {SessionId} at portal {ClientId} failed after {Attempts} attempt(s): {Error}.")]
    private static partial void LogFailed(ILogger logger, string sessionId, string clientId, int attempts, string? error);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "Delivering the logout token for session {SessionId} to portal {ClientId} crashed.")]
    private static partial void LogAttemptCrashed(ILogger logger, Exception exception, string sessionId, string clientId);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Another node recorded an attempt for session {SessionId} at portal {ClientId} first; this outcome is dropped.")]
    private static partial void LogOutcomeSuperseded(ILogger logger, string sessionId, string clientId);
}
