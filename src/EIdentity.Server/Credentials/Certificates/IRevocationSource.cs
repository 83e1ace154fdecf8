using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// Says whether a certificate was revoked, at a given time. The CRL list the caller supplies is one
/// source (<see cref="CrlRevocationSource"/>); OCSP and fetching CRLs from distribution points are others.
/// </summary>
internal interface IRevocationSource
{
    /// <param name="certificate">The certificate whose status is asked.</param>
    /// <param name="issuer">The certificate of the CA that issued it: its key must have signed the evidence.</param>
    /// <param name="at">The time at which the status matters.</param>
    /// <param name="cancellationToken">Ends a fetch the caller no longer waits for.</param>
    ValueTask<RevocationCheck> CheckAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken);
}

internal enum RevocationStatus
{
    /// <summary>Fresh evidence signed by the issuer does not list the certificate.</summary>
    Good,

    /// <summary>Fresh evidence signed by the issuer lists the certificate.</summary>
    Revoked,

    /// <summary>No evidence could decide; a caller must treat this as not valid (fail closed).</summary>
    Unknown,
}

/// <param name="Status">What the evidence says.</param>
/// <param name="RevokedAt">When the certificate was revoked (<see cref="RevocationStatus.Revoked"/> only).</param>
/// <param name="RevocationReason">The RFC 5280 5.3.1 reason code name, e.g. <c>keyCompromise</c>, when the evidence gives one.</param>
/// <param name="Problem">Why the status is unknown, as the end of a sentence, e.g. "no CRL from its issuer was supplied".</param>
/// <param name="Source">Which evidence decided, e.g. <c>OCSP</c> or <c>CRL</c>, for the decision's sentence; <see langword="null"/> when unsaid.</param>
/// <param name="Note">
/// Something a <see cref="RevocationStatus.Good"/> decision must say, as the end of a sentence, e.g. that revocation
/// was not checked because the CA's policy is fail-open; <see langword="null"/> when there is nothing to add.
/// </param>
/// <param name="IsConclusive">
/// An unknown status that is the CA's own answer (an OCSP responder saying "unknown": the CA does not
/// know the serial number, as with a certificate forged under a stolen CA key), not a failure to ask.
/// It refuses the certificate even under a fail-open policy, and no other source is asked.
/// </param>
internal sealed record RevocationCheck(
    RevocationStatus Status,
    DateTimeOffset? RevokedAt = null,
    string? RevocationReason = null,
    string? Problem = null,
    string? Source = null,
    string? Note = null,
    bool IsConclusive = false)
{
    public static RevocationCheck Good { get; } = new(RevocationStatus.Good);

    public static RevocationCheck Unknown(string problem) => new(RevocationStatus.Unknown, Problem: problem);
}
