namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// A certificate that has signed in, remembered so the citizen can see it, a security officer can
/// block it and a session or grant it established can be traced back to it. Not an enrolment: any
/// valid certificate that maps to an identity signs in; this row records that it did.
/// </summary>
internal sealed class CertificateCredential
{
    /// <summary>Lowercase hex SHA-256 of the certificate (DER).</summary>
    public string Thumbprint { get; set; } = "";

    public Guid PersonId { get; set; }

    /// <summary>The organization the certificate's holder acts for (MST + CCCD certificates).</summary>
    public Guid? OrganizationId { get; set; }

    /// <summary>The issuer's name, canonical (see <see cref="CertificateNames.Canonical(System.Security.Cryptography.X509Certificates.X500DistinguishedName)"/>).</summary>
    public string IssuerName { get; set; } = "";

    /// <summary>The issuer's name as an operator reads it.</summary>
    public string IssuerDisplayName { get; set; } = "";

    /// <summary>Lowercase hex, without leading zeros.</summary>
    public string SerialNumber { get; set; } = "";

    /// <summary>The subject's common name, shown to the citizen on the account page; never logged.</summary>
    public string SubjectCommonName { get; set; } = "";

    public DateTimeOffset NotBefore { get; set; }

    public DateTimeOffset NotAfter { get; set; }

    /// <summary>The acr a sign-in with this certificate reaches.</summary>
    public string Level { get; set; } = "";

    public DateTimeOffset FirstUsedAt { get; set; }

    public DateTimeOffset LastUsedAt { get; set; }

    /// <summary>The session credential reference (<c>x509:</c> + thumbprint) kept in sessions and grants.</summary>
    public string CredentialReference => CredentialReferences.For(Thumbprint);
}

/// <summary>How sessions and grants name a certificate credential (passkeys are named by their credential id).</summary>
internal static class CredentialReferences
{
    public const string CertificatePrefix = "x509:";

    public static string For(string thumbprint) => CertificatePrefix + thumbprint;

    public static bool IsCertificate(string? reference, out string thumbprint)
    {
        if (reference is not null && reference.StartsWith(CertificatePrefix, StringComparison.Ordinal))
        {
            thumbprint = reference[CertificatePrefix.Length..];
            return true;
        }

        thumbprint = "";
        return false;
    }
}

/// <summary>
/// A security officer's block of one certificate (issuer + serial number), honoured whatever the CA
/// says, from the moment it is saved.
/// </summary>
internal sealed class CertificateBlock
{
    public Guid Id { get; set; }

    /// <summary>Canonical issuer name (see <see cref="CertificateNames"/>).</summary>
    public string IssuerName { get; set; } = "";

    public string IssuerDisplayName { get; set; } = "";

    /// <summary>Lowercase hex, without leading zeros.</summary>
    public string SerialNumber { get; set; } = "";

    public string Reason { get; set; } = "";

    public string BlockedBy { get; set; } = "";

    public DateTimeOffset BlockedAt { get; set; }
}

/// <summary>A signed-challenge nonce: single-use, short-lived, bound to one browser and this origin.</summary>
internal sealed class CertificateChallenge
{
    public string Id { get; set; } = "";

    /// <summary>The nonce (base64url of 32 random bytes), part of the string the token signs.</summary>
    public string Nonce { get; set; } = "";

    /// <summary>The origin the challenge was issued for, part of the signed string.</summary>
    public string Origin { get; set; } = "";

    /// <summary>SHA-256 (hex) of the browser-binding cookie value.</summary>
    public string BrowserBindingHash { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// The one-time code the mutual-TLS listener hands back to the main origin after validating the
/// client certificate. Only its hash is stored; it is deleted when used.
/// </summary>
internal sealed class CertificateHandoff
{
    public string CodeHash { get; set; } = "";

    /// <summary>SHA-256 (hex) of the state the main origin set in the browser before sending it to the listener.</summary>
    public string StateHash { get; set; } = "";

    public string Thumbprint { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }
}
