using System.Buffers.Text;
using System.Security.Cryptography;
using EIdentity.Server.Oidc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace EIdentity.Server.Sessions.BackchannelLogout;

/// <summary>
/// Signs OpenID Connect Back-Channel Logout 1.0 logout tokens (section 2.4): a JWT naming the
/// ended session (<c>sid</c>) and the person as the portal knows them (pairwise <c>sub</c>), signed
/// with the key that signs ID tokens, so a portal validates it with what it already trusts.
/// </summary>
internal sealed class LogoutTokenIssuer(
    IOptions<OpenIddictServerOptions> server,
    PairwiseSubjects subjects,
    TimeProvider time,
    IOptions<BackchannelLogoutOptions> options)
{
    /// <summary>Section 2.4: the explicit type, so a logout token cannot pass for another JWT and vice versa.</summary>
    public const string TokenType = "logout+jwt";

    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>A fresh token (new <c>jti</c>, <c>iat</c>, <c>exp</c>) for one delivery attempt.</summary>
    /// <param name="sector">The portal's pairwise sector (<see cref="PortalProfile.Sector"/>).</param>
    public async Task<string> IssueAsync(LogoutDelivery delivery, string sector, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var subject = await subjects.ForAsync(sector, delivery.PersonId, cancellationToken);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            // The issuer the portal's ID token named, so its iss check matches.
            Issuer = delivery.Issuer,
            Audience = delivery.ClientId,
            IssuedAt = now.UtcDateTime,
            Expires = (now + options.Value.TokenLifetime).UtcDateTime,
            SigningCredentials = SigningCredentials(),
            // Section 2.4: no nonce, ever (it would let the token pass for an ID token).
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["jti"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
                ["sub"] = subject,
                ["sid"] = delivery.SessionId,
                ["events"] = new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    [EventType] = new Dictionary<string, object>(),
                },
            },
        });
    }

    // Section 2.4: "The same keys are used to sign and encrypt Logout Tokens as are used for ID
    // Tokens": RS256, as SelectSigningCredentials picks for ID tokens.
    private SigningCredentials SigningCredentials() =>
        server.Value.SigningCredentials.FirstOrDefault(c => c.Algorithm == SecurityAlgorithms.RsaSha256)
        ?? throw new InvalidOperationException("No RS256 signing key is configured; ID tokens could not be signed either.");
}
