using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Credentials.Certificates;

internal enum BlockChange
{
    Done,
    AlreadyBlocked,
    NotFound,
}

/// <summary>
/// A security officer's block list: one certificate (issuer + serial) refused from the moment it is
/// saved, whatever its CA says; sessions it established end and grants from them stop refreshing.
/// </summary>
internal sealed partial class CertificateBlockList(EIdentityDbContext db, AuditLog audit, SessionService sessions, TimeProvider time, ILogger<CertificateBlockList> logger)
{
    public Task<(BlockChange Change, int SessionsEnded)> BlockAsync(X500DistinguishedName issuer, string serial, string reason, string officer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return BlockAsync(CertificateNames.Canonical(issuer), issuer.Name, serial, reason, officer, cancellationToken);
    }

    /// <summary>Blocks a certificate that has signed in, by the issuer and serial recorded for it.</summary>
    public Task<(BlockChange Change, int SessionsEnded)> BlockAsync(CertificateCredential credential, string reason, string officer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return BlockAsync(credential.IssuerName, credential.IssuerDisplayName, credential.SerialNumber, reason, officer, cancellationToken);
    }

    private async Task<(BlockChange Change, int SessionsEnded)> BlockAsync(string issuerName, string issuerDisplayName, string serial, string reason, string officer, CancellationToken cancellationToken)
    {
        if (await IsBlockedAsync(issuerName, serial, cancellationToken))
        {
            return (BlockChange.AlreadyBlocked, 0);
        }

        var now = time.GetUtcNow();
        db.CertificateBlocks.Add(new CertificateBlock
        {
            Id = Guid.CreateVersion7(now),
            IssuerName = issuerName,
            IssuerDisplayName = issuerDisplayName,
            SerialNumber = serial,
            Reason = reason,
            BlockedBy = officer,
            BlockedAt = now,
        });
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateException)
        {
            return (BlockChange.AlreadyBlocked, 0);
        }

        var credentials = await db.CertificateCredentials.AsNoTracking()
            .Where(c => c.IssuerName == issuerName && c.SerialNumber == serial)
            .Select(c => new { c.Thumbprint, c.PersonId }).ToListAsync(CancellationToken.None);
        var ended = 0;
        foreach (var credential in credentials)
        {
            var reference = CredentialReferences.For(credential.Thumbprint);
            ended += await sessions.EndWhereAsync(s => s.CredentialId == reference, "credential_blocked",
                SessionEndScope.SessionAndGrants, cancellationToken: CancellationToken.None);
            // Grants with offline access outlive a logout; they end with the certificate too.
            await sessions.RevokeGrantsWhereAsync(s => s.CredentialId == reference);
        }

        await audit.RecordAsync(new AuditEntry("certificate.blocked", officer, credentials.FirstOrDefault()?.PersonId,
            $"{issuerName}#{serial}", reason), CancellationToken.None);
        LogBlocked(logger, serial, ended);
        return (BlockChange.Done, ended);
    }

    public async Task<BlockChange> UnblockAsync(X500DistinguishedName issuer, string serial, string officer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var issuerName = CertificateNames.Canonical(issuer);
        var removed = await db.CertificateBlocks.Where(b => b.IssuerName == issuerName && b.SerialNumber == serial).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            return BlockChange.NotFound;
        }

        await audit.RecordAsync(new AuditEntry("certificate.unblocked", officer, null, $"{issuerName}#{serial}"), CancellationToken.None);
        LogUnblocked(logger, serial);
        return BlockChange.Done;
    }

    public Task<List<CertificateBlock>> ListAsync(CancellationToken cancellationToken = default) =>
        db.CertificateBlocks.AsNoTracking().OrderBy(b => b.BlockedAt).ToListAsync(cancellationToken);

    /// <summary>Whether the credential a session or grant names (<c>x509:</c> + thumbprint) is blocked.</summary>
    public async Task<bool> IsCredentialBlockedAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        var credential = await db.CertificateCredentials.AsNoTracking().SingleOrDefaultAsync(c => c.Thumbprint == thumbprint, cancellationToken);
        return credential is null || await IsBlockedAsync(credential.IssuerName, credential.SerialNumber, cancellationToken);
    }

    /// <summary>Whether a certificate (canonical issuer name, hex serial) is blocked: the one place the block list is read.</summary>
    public Task<bool> IsBlockedAsync(string issuerName, string serial, CancellationToken cancellationToken = default) =>
        db.CertificateBlocks.AsNoTracking().AnyAsync(b => b.IssuerName == issuerName && b.SerialNumber == serial, cancellationToken);

    [LoggerMessage(EventId = 3410, Level = LogLevel.Warning, Message = "Certificate with serial {Serial} blocked; {Sessions} session(s) ended.")]
    private static partial void LogBlocked(ILogger logger, string serial, int sessions);

    [LoggerMessage(EventId = 3411, Level = LogLevel.Warning, Message = "Certificate with serial {Serial} unblocked.")]
    private static partial void LogUnblocked(ILogger logger, string serial);
}
