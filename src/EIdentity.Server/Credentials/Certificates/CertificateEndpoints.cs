using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EIdentity.Server.Hosting;
using EIdentity.Server.Localization;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Certificates;

internal sealed record ChallengeRequest(string? ReturnUrl);

internal sealed record ChallengeResponse(string ChallengeId, string Origin, string Nonce, string ToBeSigned, DateTimeOffset ExpiresAt);

internal sealed record SignedChallengeRequest(string? ChallengeId, string? Signature, string? Certificate, string? ReturnUrl);

internal sealed record CertificateSignedInResponse(string Redirect);

/// <summary>
/// Certificate sign-in (docs/certificate-sign-in.md): the mutual-TLS round trip through the
/// dedicated listener, and the signed-challenge API for USB-token signing plugins.
/// </summary>
internal static class CertificateEndpoints
{
    /// <summary>Connection item set on connections accepted by the mutual-TLS listener.</summary>
    public const string MutualTlsConnection = "eid.mtls";

    public const string MutualTlsPath = "/certificate/mtls";
    private const string StateCookie = "eid.certstate";
    private const string ChallengeCookie = "eid.certchallenge";
    private const string StatePurpose = "EIdentity.Certificates.MutualTlsState";

    public static IEndpointRouteBuilder MapCertificateSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/certificate/start", Start).RequireRateLimiting(RateLimits.SignInPolicy);
        app.MapGet(MutualTlsPath, MutualTlsAsync).RequireRateLimiting(RateLimits.SignInPolicy);
        app.MapGet("/account/certificate/complete", CompleteAsync).RequireRateLimiting(RateLimits.SignInPolicy);

        var api = app.MapGroup("/api/certificates")
            .RequireRateLimiting(RateLimits.SignInPolicy)
            .DisableAntiforgery(); // JSON only, bound to a SameSite=Strict cookie and to the origin in the signed string.
        api.MapPost("/challenge", IssueChallengeAsync);
        api.MapPost("/challenge/response", VerifyChallengeAsync);
        return app;
    }

    /// <summary>
    /// The mutual-TLS listener answers its own path, and the paths another feature shares on it
    /// (<see cref="MutualTlsListenerOptions.SharedPaths"/>), and nothing else; the main listener
    /// never answers the listener's own path.
    /// </summary>
    public static IApplicationBuilder UseMutualTlsListenerIsolation(this IApplicationBuilder app)
    {
        var shared = app.ApplicationServices.GetRequiredService<IOptions<MutualTlsListenerOptions>>().Value.SharedPaths;
        return app.Use((http, next) =>
        {
            var path = http.Request.Path;
            var own = path.Equals(MutualTlsPath, StringComparison.OrdinalIgnoreCase);
            var answered = IsMutualTlsConnection(http) ? own || (path.HasValue && shared.Contains(path.Value)) : !own;
            if (!answered)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(http);
        });
    }

    /// <summary>Whether the request came in on the mutual-TLS listener.</summary>
    public static bool IsMutualTlsConnection(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(MutualTlsConnection) == true;

    // Main origin: remember a random state in this browser and send it to the listener, with this
    // origin and the return URL sealed so the listener can come back only here.
    private static IResult Start(HttpContext http, string? returnUrl, IOptions<CertificateOptions> options, IOptions<HostingOptions> hosting, IDataProtectionProvider protection, TimeProvider time)
    {
        var listener = options.Value.MutualTls.Url;
        if (!options.Value.IsEnabled || string.IsNullOrWhiteSpace(listener))
        {
            return Refused(CertificateRefusal.Disabled, returnUrl);
        }

        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        http.Response.Cookies.Append(StateCookie, state, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromMinutes(5), Path = "/account/certificate",
        });
        var sealedState = protection.CreateProtector(StatePurpose).ToTimeLimitedDataProtector().Protect(
            JsonSerializer.Serialize(new HandoffState(Hash(state), OriginOf(http, hosting.Value), LocalUrl.OrHome(returnUrl))),
            time.GetUtcNow() + TimeSpan.FromMinutes(5));
        return Results.Redirect($"{listener.TrimEnd('/')}{MutualTlsPath}?state={Uri.EscapeDataString(sealedState)}");
    }

    // Mutual-TLS listener: judge the client certificate and hand a one-time code back to the main origin.
    private static async Task<IResult> MutualTlsAsync(
        HttpContext http, string? state, CertificateSignIn signIn, EIdentityDbContext db,
        IOptions<CertificateOptions> options, IDataProtectionProvider protection, TimeProvider time)
    {
        HandoffState? handoff = null;
        try
        {
            handoff = JsonSerializer.Deserialize<HandoffState>(protection.CreateProtector(StatePurpose).ToTimeLimitedDataProtector().Unprotect(state ?? ""));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
        }

        if (handoff is null)
        {
            // Without a sealed state there is no trustworthy origin to return to: answer here.
            return Results.Text("This sign-in link has expired or is not valid. Start again from the sign-in page. / Liên kết đăng nhập đã hết hạn hoặc không hợp lệ. Hãy bắt đầu lại từ trang đăng nhập.",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
        }

        var certificate = await http.Connection.GetClientCertificateAsync(http.RequestAborted);
        if (certificate is null)
        {
            return Results.Redirect(handoff.Origin + RefusedPath(CertificateRefusal.NoCertificate, handoff.ReturnUrl));
        }

        var outcome = await signIn.AuthenticateAsync(certificate, "mtls", http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Results.Redirect(handoff.Origin + RefusedPath(outcome.Refusal, handoff.ReturnUrl));
        }

        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        db.CertificateHandoffs.Add(new CertificateHandoff
        {
            CodeHash = Hash(code),
            StateHash = handoff.StateHash,
            Thumbprint = outcome.Credential!.Thumbprint,
            ExpiresAt = time.GetUtcNow() + options.Value.MutualTls.HandoffLifetime,
        });
        await db.SaveChangesAsync(CancellationToken.None);
        return Results.Redirect($"{handoff.Origin}/account/certificate/complete?code={code}&returnUrl={Uri.EscapeDataString(handoff.ReturnUrl)}");
    }

    // Main origin: redeem the code once, in the browser that started, and sign in.
    private static async Task<IResult> CompleteAsync(
        HttpContext http, string? code, string? returnUrl, EIdentityDbContext db, CertificateBlockList blocks, SessionService sessions, TimeProvider time)
    {
        var state = http.Request.Cookies[StateCookie];
        http.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/account/certificate" });
        if (string.IsNullOrEmpty(code) || code.Length > 100 || string.IsNullOrEmpty(state))
        {
            return Refused(CertificateRefusal.Unreadable, returnUrl, "expired");
        }

        var codeHash = Hash(code);
        var handoff = await db.CertificateHandoffs.AsNoTracking().SingleOrDefaultAsync(h => h.CodeHash == codeHash, http.RequestAborted);
        var deleted = await db.CertificateHandoffs.Where(h => h.CodeHash == codeHash).ExecuteDeleteAsync(CancellationToken.None);
        if (handoff is null || deleted != 1 || handoff.ExpiresAt <= time.GetUtcNow()
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(handoff.StateHash), Encoding.ASCII.GetBytes(Hash(state))))
        {
            return Refused(CertificateRefusal.Unreadable, returnUrl, "expired");
        }

        var credential = await db.CertificateCredentials.AsNoTracking().SingleAsync(c => c.Thumbprint == handoff.Thumbprint, http.RequestAborted);
        var outcome = await RecheckAsync(db, blocks, credential, http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Refused(outcome.Refusal, returnUrl);
        }

        await SignInAsync(http, sessions, outcome);
        return Results.Redirect(LocalUrl.OrHome(returnUrl));
    }

    private static async Task<Results<Ok<ChallengeResponse>, ProblemHttpResult>> IssueChallengeAsync(
        HttpContext http, EIdentityDbContext db, IOptions<CertificateOptions> options, IOptions<HostingOptions> hosting,
        TimeProvider time, IStringLocalizer<SharedResource> text)
    {
        if (!options.Value.IsEnabled)
        {
            return Problem(StatusCodes.Status404NotFound, text["Certificate.Refused.Disabled"]);
        }

        var binding = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = new CertificateChallenge
        {
            Id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)),
            Nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)),
            Origin = OriginOf(http, hosting.Value),
            BrowserBindingHash = Hash(binding),
            ExpiresAt = time.GetUtcNow() + options.Value.ChallengeLifetime,
        };
        db.CertificateChallenges.Add(challenge);
        await db.CertificateChallenges.Where(c => c.ExpiresAt < time.GetUtcNow()).ExecuteDeleteAsync(http.RequestAborted);
        await db.SaveChangesAsync(http.RequestAborted);
        http.Response.Cookies.Append(ChallengeCookie, binding, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, MaxAge = options.Value.ChallengeLifetime, Path = "/api/certificates",
        });
        return TypedResults.Ok(new ChallengeResponse(challenge.Id, challenge.Origin, challenge.Nonce,
            SignedChallenge.ToBeSigned(challenge.Origin, challenge.Nonce), challenge.ExpiresAt));
    }

    private static async Task<Results<Ok<CertificateSignedInResponse>, ProblemHttpResult>> VerifyChallengeAsync(
        HttpContext http, EIdentityDbContext db, CertificateSignIn signIn, SessionService sessions,
        TimeProvider time, IStringLocalizer<SharedResource> text)
    {
        if (await JsonBody.ReadAsync<SignedChallengeRequest>(http.Request) is not { } request
            || string.IsNullOrEmpty(request.ChallengeId) || request.ChallengeId.Length > 64
            || !TryBase64(request.Signature, out var signature) || signature.Length == 0
            || !TryBase64(request.Certificate, out var certificateBytes))
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Request.Malformed"]);
        }

        // Single use: the first attempt consumes the challenge, whatever its outcome.
        var challenge = await db.CertificateChallenges.AsNoTracking().SingleOrDefaultAsync(c => c.Id == request.ChallengeId, http.RequestAborted);
        var consumed = await db.CertificateChallenges.Where(c => c.Id == request.ChallengeId).ExecuteDeleteAsync(CancellationToken.None);
        var binding = http.Request.Cookies[ChallengeCookie];
        if (challenge is null || consumed != 1)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Certificate.Challenge.Used"]);
        }

        if (challenge.ExpiresAt <= time.GetUtcNow())
        {
            return Problem(StatusCodes.Status400BadRequest, text["Certificate.Challenge.Expired"]);
        }

        // Another origin's page cannot spend a challenge issued here (browsers send Origin on POST).
        var origin = http.Request.Headers.Origin.ToString();
        if (binding is null || Hash(binding) != challenge.BrowserBindingHash || (origin.Length > 0 && origin != challenge.Origin))
        {
            return Problem(StatusCodes.Status400BadRequest, text["Certificate.Challenge.OtherBrowser"]);
        }

        var (signer, problem) = SignedChallenge.Verify(SignedChallenge.ToBeSigned(challenge.Origin, challenge.Nonce), signature, certificateBytes);
        if (signer is null)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Certificate.Challenge.BadSignature"], problem);
        }

        using (signer)
        {
            var outcome = await signIn.AuthenticateAsync(signer, "signed-challenge", http.RequestAborted);
            if (!outcome.Succeeded)
            {
                return Problem(outcome.Refusal is CertificateRefusal.IdentitySuspended or CertificateRefusal.Blocked ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest,
                    text[$"Certificate.Refused.{outcome.Refusal}"], outcome.Reason, outcome.Refusal.ToString());
            }

            await SignInAsync(http, sessions, outcome);
            return TypedResults.Ok(new CertificateSignedInResponse(LocalUrl.OrHome(request.ReturnUrl)));
        }
    }

    /// <summary>A hand-off waits up to a minute: the block list and the identity's status are read again.</summary>
    private static async Task<CertificateSignInOutcome> RecheckAsync(EIdentityDbContext db, CertificateBlockList blocks, CertificateCredential credential, CancellationToken cancellationToken)
    {
        if (await blocks.IsBlockedAsync(credential.IssuerName, credential.SerialNumber, cancellationToken))
        {
            return new(CertificateRefusal.Blocked, "A security officer has blocked this certificate in EIdentity.");
        }

        var person = await db.Users.AsNoTracking().SingleOrDefaultAsync(p => p.Id == credential.PersonId, cancellationToken);
        var organization = credential.OrganizationId is { } organizationId
            ? await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken)
            : null;
        if (person is null || !person.IsActive || (credential.OrganizationId is not null && organization?.IsActive != true))
        {
            return new(CertificateRefusal.IdentitySuspended, "The electronic identity is suspended.");
        }

        return new(CertificateRefusal.None, "", person, organization, credential);
    }

    private static async Task SignInAsync(HttpContext http, SessionService sessions, CertificateSignInOutcome outcome)
    {
        // A new sign-in replaces whatever session this browser had.
        if (await sessions.ResolveAsync(http.User, http.RequestAborted) is { } replaced)
        {
            await sessions.EndAsync(replaced.Session, "replaced", cancellationToken: CancellationToken.None);
        }

        await sessions.SignInAsync(http, outcome.Person!, outcome.Evidence);
    }

    private static string OriginOf(HttpContext http, HostingOptions hosting) =>
        !string.IsNullOrWhiteSpace(hosting.PublicOrigin)
            ? hosting.PublicOrigin.TrimEnd('/')
            : $"{http.Request.Scheme}://{http.Request.Host}";

    private static string RefusedPath(CertificateRefusal refusal, string? returnUrl, string? why = null) =>
        $"/account/certificate/refused?reason={(why ?? refusal.ToString())}&returnUrl={Uri.EscapeDataString(LocalUrl.OrHome(returnUrl))}";

    private static IResult Refused(CertificateRefusal refusal, string? returnUrl, string? why = null) =>
        Results.Redirect(RefusedPath(refusal, returnUrl, why));

    private static bool TryBase64(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (text.Length > 64 * 1024)
        {
            return false;
        }

        try
        {
            bytes = text.Contains('-', StringComparison.Ordinal) || text.Contains('_', StringComparison.Ordinal)
                ? Base64Url.DecodeFromChars(text)
                : Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static ProblemHttpResult Problem(int status, string detail, string? reason = null, string? refusal = null)
    {
        var extensions = new Dictionary<string, object?>();
        if (reason is not null)
        {
            extensions["reason"] = reason;
        }

        if (refusal is not null)
        {
            extensions["refusal"] = refusal;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, extensions: extensions.Count == 0 ? null : extensions);
    }

    private sealed record HandoffState(string StateHash, string Origin, string ReturnUrl);
}
