using System.Text.Json;
using EIdentity.Server.Hosting;
using EIdentity.Server.Identities;
using EIdentity.Server.Localization;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys;

internal sealed record RegistrationOptionsRequest(string? ActivationCode);

internal sealed record AssertionOptionsRequest(string? NationalId);

internal sealed record CeremonyOptionsResponse(string CeremonyId, JsonElement Options);

internal sealed record FinishCeremonyRequest(string? CeremonyId, JsonElement Credential, string? ReturnUrl);

internal sealed record CeremonyFinishedResponse(string Redirect);

/// <summary>
/// The JSON endpoints behind the WebAuthn pages (documented in docs/passkey-api.md), usable by
/// any client: options out, credential JSON (<c>PublicKeyCredential.toJSON()</c>) in.
/// </summary>
internal static class PasskeyEndpoints
{
    public static IEndpointRouteBuilder MapPasskeyEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/passkeys")
            .RequireRateLimiting(RateLimits.SignInPolicy)
            .DisableAntiforgery(); // JSON-only (a cross-site form cannot send application/json) and origin-bound by WebAuthn.

        api.MapPost("/registration/options", BeginRegistrationAsync);
        api.MapPost("/registration", FinishRegistrationAsync);
        api.MapPost("/assertion/options", BeginAssertionAsync);
        api.MapPost("/assertion", FinishAssertionAsync);
        return app;
    }

    private static async Task<Results<Ok<CeremonyOptionsResponse>, ProblemHttpResult>> BeginRegistrationAsync(
        HttpContext http, IdentityRegistry registry, SessionService sessions,
        PasskeyCeremonies ceremonies, IOptions<PasskeyOptions> options, TimeProvider time, IStringLocalizer<SharedResource> text)
    {
        if (await JsonBody.ReadAsync<RegistrationOptionsRequest>(http.Request) is not { } request)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Request.Malformed"]);
        }

        Person person;
        Guid? activationId = null;
        if (!string.IsNullOrWhiteSpace(request.ActivationCode))
        {
            var activation = await registry.FindActivationAsync(request.ActivationCode, http.RequestAborted);
            if (activation.Status != ActivationCheck.Valid)
            {
                return Problem(StatusCodes.Status400BadRequest, text[ActivationMessages.For(activation.Status)]);
            }

            person = activation.Person!;
            activationId = activation.Code!.Id;
        }
        else
        {
            var current = await sessions.ResolveAsync(http.User, http.RequestAborted);
            if (current is null)
            {
                return Problem(StatusCodes.Status401Unauthorized, text["Error.SignInRequired"]);
            }

            if (!options.Value.IsRecentEnoughForKeyChanges(current.Value.Session.AuthenticatedAt, time.GetUtcNow()))
            {
                return Problem(StatusCodes.Status401Unauthorized, text["Error.Passkey.SignInAgain"]);
            }

            person = current.Value.Person;
        }

        var started = await ceremonies.BeginRegistrationAsync(http, person, activationId);
        return TypedResults.Ok(new CeremonyOptionsResponse(started.CeremonyId, Parse(started.OptionsJson)));
    }

    private static async Task<Results<Ok<CeremonyFinishedResponse>, ProblemHttpResult>> FinishRegistrationAsync(
        HttpContext http, IdentityRegistry registry, SessionService sessions,
        PasskeyCeremonies ceremonies, IOptions<PasskeyOptions> options, TimeProvider time, IStringLocalizer<SharedResource> text)
    {
        if (await JsonBody.ReadAsync<FinishCeremonyRequest>(http.Request) is not { } request)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Request.Malformed"]);
        }

        if (request.Credential.ValueKind != JsonValueKind.Object)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Passkey.Malformed"]);
        }

        var outcome = await ceremonies.FinishRegistrationAsync(http, request.CeremonyId ?? "", request.Credential.GetRawText());
        if (!outcome.Succeeded)
        {
            // The policy's reason (English, technical) goes with the localized message for support staff.
            return Problem(StatusCodes.Status400BadRequest, text[MessageFor(outcome.Failure)],
                outcome.Failure is PasskeyFailure.AttestationRefused or PasskeyFailure.UnsupportedAlgorithm ? outcome.Detail : null);
        }

        var person = outcome.Person!;
        var current = await sessions.ResolveAsync(http.User, http.RequestAborted);
        if (outcome.ActivationCodeId is { } activationId)
        {
            var consumed = await registry.ConsumeActivationAsync(activationId, http.RequestAborted);
            if (consumed != ActivationCheck.Valid)
            {
                return Problem(StatusCodes.Status400BadRequest, text[ActivationMessages.For(consumed)]);
            }
        }
        else if (current?.Person.Id != person.Id)
        {
            // Adding a key needs the session of the same person that began the ceremony.
            return Problem(StatusCodes.Status401Unauthorized, text["Error.SignInRequired"]);
        }
        else if (!options.Value.IsRecentEnoughForKeyChanges(current.Value.Session.AuthenticatedAt, time.GetUtcNow()))
        {
            return Problem(StatusCodes.Status401Unauthorized, text["Error.Passkey.SignInAgain"]);
        }

        // A key added from a session is bound at no higher level than that session was signed in
        // at; a registrar's activation letter is the other way to bind a key at its attested level.
        var levelCap = outcome.ActivationCodeId is null ? current!.Value.Session.Acr : null;
        var count = (await ceremonies.CountPasskeysAsync(person)) + 1;
        var credential = await ceremonies.StorePasskeyAsync(person, outcome.Passkey!, text["Passkey.DefaultName", count], outcome.Verdict!, levelCap);
        if (current?.Person.Id != person.Id)
        {
            // Activation in a browser signed in as someone else: that session ends here.
            if (current is { } replaced)
            {
                await sessions.EndAsync(replaced.Session, "replaced", cancellationToken: http.RequestAborted);
            }

            await sessions.SignInAsync(http, person, PasskeyEvidence.For(credential));
        }

        return TypedResults.Ok(new CeremonyFinishedResponse("/account"));
    }

    private static async Task<Results<Ok<CeremonyOptionsResponse>, ProblemHttpResult>> BeginAssertionAsync(
        HttpContext http, IdentityRegistry registry,
        PasskeyCeremonies ceremonies, IStringLocalizer<SharedResource> text)
    {
        if (await JsonBody.ReadAsync<AssertionOptionsRequest>(http.Request) is not { } request)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Request.Malformed"]);
        }

        Person? person = null;
        if (!string.IsNullOrWhiteSpace(request.NationalId))
        {
            if (!NationalIdNumber.TryParse(request.NationalId, out var nationalId))
            {
                return Problem(StatusCodes.Status400BadRequest, text["Error.NationalId.Format"]);
            }

            person = await registry.FindByNationalIdAsync(nationalId, http.RequestAborted);
            if (person is null || await ceremonies.CountPasskeysAsync(person) == 0)
            {
                return Problem(StatusCodes.Status404NotFound, text["Error.NationalId.Unknown"]);
            }

            if (!person.IsActive)
            {
                return Problem(StatusCodes.Status403Forbidden, text["Error.Identity.Suspended"]);
            }
        }

        var started = await ceremonies.BeginAssertionAsync(http, person);
        return TypedResults.Ok(new CeremonyOptionsResponse(started.CeremonyId, Parse(started.OptionsJson)));
    }

    private static async Task<Results<Ok<CeremonyFinishedResponse>, ProblemHttpResult>> FinishAssertionAsync(
        HttpContext http, SessionService sessions,
        PasskeyCeremonies ceremonies, IStringLocalizer<SharedResource> text)
    {
        if (await JsonBody.ReadAsync<FinishCeremonyRequest>(http.Request) is not { } request)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Request.Malformed"]);
        }

        if (request.Credential.ValueKind != JsonValueKind.Object)
        {
            return Problem(StatusCodes.Status400BadRequest, text["Error.Passkey.Malformed"]);
        }

        var outcome = await ceremonies.FinishAssertionAsync(http, request.CeremonyId ?? "", request.Credential.GetRawText());
        if (!outcome.Succeeded)
        {
            return Problem(StatusCodes.Status400BadRequest, text[MessageFor(outcome.Failure)]);
        }

        // A new sign-in replaces whatever session this browser had.
        if (await sessions.ResolveAsync(http.User, http.RequestAborted) is { } replaced)
        {
            await sessions.EndAsync(replaced.Session, "replaced", cancellationToken: http.RequestAborted);
        }

        await sessions.SignInAsync(http, outcome.Person!, PasskeyEvidence.For(outcome.Credential!));
        return TypedResults.Ok(new CeremonyFinishedResponse(LocalUrl.OrHome(request.ReturnUrl)));
    }

    private static string MessageFor(PasskeyFailure failure) => failure switch
    {
        PasskeyFailure.CeremonyUnknownOrUsed => "Error.Passkey.ChallengeUsed",
        PasskeyFailure.CeremonyExpired => "Error.Passkey.ChallengeExpired",
        PasskeyFailure.CredentialAlreadyRegistered => "Error.Passkey.AlreadyRegistered",
        PasskeyFailure.IdentitySuspended => "Error.Identity.Suspended",
        PasskeyFailure.WrongIdentity => "Error.Passkey.WrongIdentity",
        PasskeyFailure.AttestationRefused => "Error.Passkey.AttestationRefused",
        PasskeyFailure.UnsupportedAlgorithm => "Error.Passkey.UnsupportedAlgorithm",
        PasskeyFailure.CredentialRevoked => "Error.Passkey.Revoked",
        PasskeyFailure.CredentialSuspended => "Error.Passkey.Suspended",
        PasskeyFailure.CounterRegression => "Error.Passkey.Cloned",
        _ => "Error.Passkey.VerificationFailed",
    };

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static ProblemHttpResult Problem(int status, string detail, string? reason = null) =>
        TypedResults.Problem(detail: detail, statusCode: status,
            extensions: reason is null ? null : new Dictionary<string, object?> { ["reason"] = reason });
}
