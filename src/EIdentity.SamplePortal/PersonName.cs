using System.Security.Claims;

namespace EIdentity.SamplePortal;

internal static class PersonName
{
    /// <summary>The name to greet the signed-in person (or organization representative) with.</summary>
    public static string Of(ClaimsPrincipal user)
    {
        if (user.FindFirst("name")?.Value is { Length: > 0 } name)
        {
            return name;
        }

        // Vietnamese order: family name first.
        var parts = new[] { user.FindFirst("family_name")?.Value, user.FindFirst("given_name")?.Value }
            .Where(part => !string.IsNullOrWhiteSpace(part));
        var composed = string.Join(' ', parts);
        return composed.Length > 0 ? composed : "Người dùng";
    }
}
