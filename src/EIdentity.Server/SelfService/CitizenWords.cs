using EIdentity.Server.Sessions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.SelfService;

/// <summary>How a sign-in was made, read back from an audit row's detail (see <see cref="SessionService.Describe"/>).</summary>
internal sealed record SignInDescription(IReadOnlyList<string> Amr, string? Acr, string? Device)
{
    /// <summary>Reads "amr=…; acr=…; device=…"; missing or unknown parts are left empty.</summary>
    public static SignInDescription Parse(string? detail)
    {
        IReadOnlyList<string> amr = [];
        string? acr = null, device = null;
        foreach (var part in (detail ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var at = part.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                continue;
            }

            var value = part[(at + 1)..].Trim();
            switch (part[..at])
            {
                case "amr":
                    amr = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    break;
                case "acr":
                    acr = value.Length > 0 ? value : null;
                    break;
                case "device":
                    device = value is "" or "?" ? null : value;
                    break;
            }
        }

        return new(amr, acr, device);
    }
}

/// <summary>
/// Resource keys that put protocol values (amr, acr, scopes, end reasons) in a citizen's words.
/// Null means "no words for this": the page shows the value plainly or leaves it out.
/// </summary>
internal static class CitizenWords
{
    /// <summary>The kind of credential behind RFC 8176 amr values.</summary>
    public static string Method(IReadOnlyCollection<string> amr) =>
        amr.Contains(AuthenticationMethods.SmartCard) ? "SelfService.Method.Certificate"
        : amr.Contains(AuthenticationMethods.HardwareKey) ? "SelfService.Method.HardwareKey"
        : amr.Contains(AuthenticationMethods.ProofOfPossession) || amr.Contains(AuthenticationMethods.SoftwareKey) ? "SelfService.Method.Passkey"
        : "SelfService.Method.Other";

    public static string? Level(string? acr) => acr switch
    {
        AuthenticationMethods.LoaHigh => "Level.High",
        AuthenticationMethods.LoaSubstantial => "Level.Substantial",
        _ => null,
    };

    private static readonly string[] ScopeReadingOrder = [Scopes.OpenId, Scopes.Profile, Oidc.OidcScopes.NationalId, Scopes.OfflineAccess];

    /// <summary>Scopes in the order a citizen reads them: who you are, what about you, for how long; unknown ones last.</summary>
    public static IEnumerable<string> InReadingOrder(IEnumerable<string> scopes) =>
        scopes.OrderBy(s => Array.IndexOf(ScopeReadingOrder, s) is var at and >= 0 ? at : int.MaxValue).ThenBy(s => s, StringComparer.Ordinal);

    /// <summary>What a portal receives with a scope.</summary>
    public static string? Scope(string scope) => scope switch
    {
        Scopes.OpenId => "SelfService.Scope.openid",
        Scopes.Profile => "SelfService.Scope.profile",
        Oidc.OidcScopes.NationalId => "SelfService.Scope.national_id",
        Scopes.OfflineAccess => "SelfService.Scope.offline_access",
        _ => null,
    };

    /// <summary>Why a session ended (the reasons <see cref="SessionService.EndWhereAsync"/> is given).</summary>
    public static string? EndReason(string? reason) => reason switch
    {
        "logout" or "idle_timeout" or "expired" or "replaced" or "credential_removed" or "credential_revoked" or "credential_suspended"
            or "credential_blocked" or "credential_downgraded" or "identity_suspended" or "ended_by_admin" or CitizenSessions.EndedByCitizen or ActivityHistory.ReportedByCitizen
            => "SelfService.EndReason." + reason,
        _ => null,
    };

    /// <summary>Why a sign-in failed (passkey.signin_failed reason codes, certificate refusals).</summary>
    public static string? FailureReason(string? reason) => reason switch
    {
        "unknown_credential" or "verification_failed" or "credential_suspended" or "credential_revoked"
            or "identity_suspended" or "wrong_identity" or "counter_regression" => "SelfService.Failure." + reason,
        _ => null,
    };
}
