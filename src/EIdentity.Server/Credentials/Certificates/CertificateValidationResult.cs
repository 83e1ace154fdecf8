using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// The outcome of validating a certificate: valid or not, one English sentence saying why, and on
/// success the certification path from the certificate up to (and including) its trust anchor.
/// </summary>
internal sealed record CertificateValidationResult(bool IsValid, string Reason, IReadOnlyList<X509Certificate2>? Path)
{
    public static CertificateValidationResult Invalid(string reason) => new(false, reason, null);
}

/// <summary>What a caller requires of a certificate beyond a valid, unrevoked path.</summary>
internal sealed record CertificateValidationOptions
{
    public static CertificateValidationOptions Default { get; } = new();

    /// <summary>
    /// An extended key usage OID the certificate must list (e.g. 1.3.6.1.5.5.7.3.2 for TLS client
    /// authentication); <see langword="null"/> requires none.
    /// </summary>
    public string? RequiredExtendedKeyUsage { get; init; }
}
