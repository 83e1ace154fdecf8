using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.SelfService;

/// <summary>A certificate that has signed in as the citizen, as the account page shows it (read-only).</summary>
/// <param name="ActingFor">The organization the certificate's holder acts for, if it names one.</param>
/// <param name="Blocked">A security officer has blocked it in EIdentity.</param>
internal sealed record CertificateView(
    string IssuerDisplayName,
    string SerialNumber,
    string CommonName,
    string? ActingFor,
    string Level,
    DateTimeOffset NotAfter,
    DateTimeOffset FirstUsedAt,
    DateTimeOffset LastUsedAt,
    bool Blocked);

/// <summary>The certificates that have signed in as a person (EIdentity remembers each one at its first sign-in).</summary>
internal sealed class CitizenCertificates(EIdentityDbContext db, CertificateBlockList blocks)
{
    public async Task<IReadOnlyList<CertificateView>> ListAsync(Guid personId, CancellationToken cancellationToken = default)
    {
        var certificates = await db.CertificateCredentials.AsNoTracking().Where(c => c.PersonId == personId).ToListAsync(cancellationToken);
        var organizationIds = certificates.Select(c => c.OrganizationId).OfType<Guid>().Distinct().ToList();
        var organizations = await db.Organizations.AsNoTracking().Where(o => organizationIds.Contains(o.Id))
            .ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var views = new List<CertificateView>(certificates.Count);
        foreach (var certificate in certificates.OrderByDescending(c => c.LastUsedAt))
        {
            views.Add(new CertificateView(
                certificate.IssuerDisplayName,
                // Certificate viewers show serial numbers in upper-case hex.
                certificate.SerialNumber.ToUpperInvariant(),
                certificate.SubjectCommonName,
                certificate.OrganizationId is { } organizationId ? organizations.GetValueOrDefault(organizationId) : null,
                certificate.Level,
                certificate.NotAfter,
                certificate.FirstUsedAt,
                certificate.LastUsedAt,
                await blocks.IsBlockedAsync(certificate.IssuerName, certificate.SerialNumber, cancellationToken)));
        }

        return views;
    }
}
