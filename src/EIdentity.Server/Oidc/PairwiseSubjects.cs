using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace EIdentity.Server.Oidc;

/// <summary>
/// Pairwise subject identifiers (OIDC Core 8.1): <c>sub</c> = HMAC-SHA256(secret, sector ‖ person id).
/// The secret lives in the database, so every node and every restart computes the same value,
/// while two sectors can never correlate their subjects.
/// </summary>
internal sealed class PairwiseSubjects(ServerKeyStore keys)
{
    public async Task<string> ForAsync(string sector, Guid personId, CancellationToken cancellationToken = default)
    {
        var secret = await keys.GetPairwiseSecretAsync(cancellationToken);
        var input = Encoding.UTF8.GetBytes($"{sector}\n{personId:N}");
        return Base64Url.EncodeToString(HMACSHA256.HashData(secret, input));
    }
}
