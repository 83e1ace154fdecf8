using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.SamplePortal.Pages;

[Authorize]
internal sealed class ProfileModel(TimeProvider timeProvider) : PageModel
{
    // RFC 8176 2.
    private static readonly Dictionary<string, string> AmrDescriptions = new(StringComparer.Ordinal)
    {
        ["hwk"] = "Khóa bảo mật phần cứng",
        ["swk"] = "Khóa phần mềm (passkey)",
        ["sc"] = "Thẻ thông minh / USB token",
        ["pin"] = "Mã PIN",
        ["user"] = "Xác minh người dùng",
        ["fpt"] = "Vân tay",
        ["face"] = "Khuôn mặt",
        ["mfa"] = "Xác thực đa yếu tố",
        ["pop"] = "Chứng minh sở hữu khóa",
    };

    public string Name { get; private set; } = "";

    public string Subject { get; private set; } = "";

    public string? Acr { get; private set; }

    public string AcrDescription { get; private set; } = "";

    public IReadOnlyList<AuthenticationMethod> Amr { get; private set; } = [];

    public DateTimeOffset? AuthTime { get; private set; }

    public DateTimeOffset? AccessTokenExpiresAt { get; private set; }

    public TimeSpan AccessTokenRemaining { get; private set; }

    public bool HasRefreshToken { get; private set; }

    public DateTimeOffset? SessionExpiresAt { get; private set; }

    public IReadOnlyList<Claim> Claims { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var result = await HttpContext.AuthenticateAsync(PortalAuthentication.CookieScheme);
        var user = result.Principal ?? User;

        Name = PersonName.Of(user);
        Subject = user.FindFirst("sub")?.Value ?? "";
        Acr = user.FindFirst("acr")?.Value;
        AcrDescription = AssuranceLevels.Describe(Acr);
        Amr = [.. user.FindAll("amr").Select(c => new AuthenticationMethod(
            c.Value, AmrDescriptions.GetValueOrDefault(c.Value, "Phương thức khác")))];
        AuthTime = long.TryParse(user.FindFirst("auth_time")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
        Claims = [.. user.Claims];

        // Saved by the OIDC handler (SaveTokens); the tokens themselves are never displayed.
        if (DateTimeOffset.TryParse(result.Properties?.GetTokenValue("expires_at"), CultureInfo.InvariantCulture,
                DateTimeStyles.RoundtripKind, out var expiresAt))
        {
            AccessTokenExpiresAt = expiresAt;
            AccessTokenRemaining = expiresAt - timeProvider.GetUtcNow();
        }

        HasRefreshToken = !string.IsNullOrEmpty(result.Properties?.GetTokenValue("refresh_token"));
        SessionExpiresAt = result.Properties?.ExpiresUtc;
    }
}

internal sealed record AuthenticationMethod(string Value, string Description);
