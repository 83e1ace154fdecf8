using System.Text.Json;
using EIdentity.Server.Sessions;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>
/// The assurance level an authorization request needs before a code is issued: the strictest of
/// the portal's <c>acr_values</c>, an <c>acr</c> it asked for as essential in the <c>claims</c>
/// parameter, and the minimum level it was registered with.
/// </summary>
/// <param name="Level">The lowest level that meets the request, or null when any level does.</param>
/// <param name="Unreachable">The request names only levels EIdentity does not know: nothing meets it.</param>
internal sealed record AssuranceRequirement(string? Level, bool Unreachable)
{
    public static readonly AssuranceRequirement None = new(null, false);

    public bool IsSatisfiedBy(string reached) =>
        !Unreachable && (Level is null || AuthenticationMethods.Satisfies(reached, Level));

    /// <summary>The requirement of a request that OpenIddict (and <see cref="ClaimsParameter"/>) validated.</summary>
    public static AssuranceRequirement For(OpenIddictRequest request, string? minimumAcr)
    {
        var requirement = Acceptable(request.GetAcrValues());
        // OIDC Core 5.5.1.1: an essential acr must be met; a voluntary one is only a preference, and
        // the ID token states the level reached either way.
        if (ClaimsParameter.TryReadAcr(request, out var acr) && acr is { Essential: true })
        {
            requirement = Strictest(requirement, Acceptable(acr.Values));
        }

        return string.IsNullOrEmpty(minimumAcr) ? requirement : Strictest(requirement, Acceptable([minimumAcr]));
    }

    // A request accepting any of several levels is met by the lowest of them EIdentity knows
    // (a higher level satisfies a lower one); one naming no level EIdentity knows cannot be met.
    private static AssuranceRequirement Acceptable(IReadOnlyCollection<string> levels)
    {
        if (levels.Count == 0)
        {
            return None;
        }

        var lowestKnown = AuthenticationMethods.Levels.FirstOrDefault(levels.Contains);
        return lowestKnown is null ? new(null, Unreachable: true) : new(lowestKnown, Unreachable: false);
    }

    private static AssuranceRequirement Strictest(AssuranceRequirement a, AssuranceRequirement b) =>
        new(Rank(a.Level) >= Rank(b.Level) ? a.Level : b.Level, a.Unreachable || b.Unreachable);

    // Levels are listed lowest first.
    private static int Rank(string? level) =>
        level is null ? -1 : AuthenticationMethods.Levels.TakeWhile(l => l != level).Count();
}

/// <summary>The <c>acr</c> a portal asked for in the <c>claims</c> request parameter (OIDC Core 5.5.1.1).</summary>
internal sealed record RequestedAcr(bool Essential, IReadOnlyList<string> Values);

/// <summary>
/// Reads the OIDC Core 5.5 <c>claims</c> request parameter: a JSON object whose <c>id_token</c> and
/// <c>userinfo</c> members name claims, each null or an object with <c>essential</c>,
/// <c>value</c> or <c>values</c>. EIdentity honours <c>id_token.acr</c>; other claims are released
/// by scope.
/// </summary>
internal static class ClaimsParameter
{
    /// <summary>
    /// False when the parameter is present but malformed (the request is then invalid_request);
    /// true otherwise, with the requested acr if the parameter names one for the ID token.
    /// </summary>
    public static bool TryReadAcr(OpenIddictRequest request, out RequestedAcr? acr)
    {
        acr = null;
        var parameter = request.GetParameter(Parameters.Claims);
        if (parameter is null)
        {
            return true;
        }

        var text = parameter.Value.GetRawValue() switch
        {
            string value => value,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            JsonElement { ValueKind: JsonValueKind.Object } element => element.GetRawText(),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var target in root.EnumerateObject())
            {
                // Members other than id_token and userinfo are ignored (OIDC Core 5.5).
                if (target.Name is not ("id_token" or "userinfo"))
                {
                    continue;
                }

                if (target.Value.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                foreach (var claim in target.Value.EnumerateObject())
                {
                    if (!TryReadRequest(claim.Value, out var essential, out var values)
                        || (claim.Name == Claims.AuthenticationContextReference && values.Any(v => v is null)))
                    {
                        return false;
                    }

                    if (target.Name == "id_token" && claim.Name == Claims.AuthenticationContextReference)
                    {
                        acr = new RequestedAcr(essential, [.. values.Select(v => v!)]);
                    }
                }
            }
        }

        return true;
    }

    // OIDC Core 5.5.1: null (the claim, by default rules) or { essential?, value?, values? }.
    // Values are returned as strings; a value that is not a string is returned as null.
    private static bool TryReadRequest(JsonElement request, out bool essential, out List<string?> values)
    {
        essential = false;
        values = [];
        if (request.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (request.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (request.TryGetProperty("essential", out var flag))
        {
            if (flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return false;
            }

            essential = flag.GetBoolean();
        }

        if (request.TryGetProperty("value", out var value))
        {
            values.Add(value.ValueKind == JsonValueKind.String ? value.GetString() : null);
        }

        if (request.TryGetProperty("values", out var many))
        {
            if (many.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            values.AddRange(many.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : null));
        }

        return true;
    }
}
