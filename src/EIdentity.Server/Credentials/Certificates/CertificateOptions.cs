using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>Which revocation evidence is asked first, and whether the other is asked at all.</summary>
internal enum RevocationSourceOrder
{
    /// <summary>OCSP from the certificate's AIA; the CRL from its distribution points when OCSP cannot answer.</summary>
    OcspThenCrl,

    /// <summary>The CRL first; OCSP when no usable CRL can be had.</summary>
    CrlThenOcsp,

    OcspOnly,

    CrlOnly,
}

/// <summary>What happens when no revocation evidence can be had (responder and CRL server unreachable).</summary>
internal enum RevocationFailureMode
{
    /// <summary>The certificate is refused: its status is unknown (the default).</summary>
    FailClosed,

    /// <summary>The certificate is accepted, and the decision says that revocation was not checked.</summary>
    FailOpen,
}

/// <summary>How the certificates one CA issues are checked for revocation.</summary>
internal sealed class RevocationPolicyOptions
{
    public RevocationSourceOrder Order { get; set; } = RevocationSourceOrder.OcspThenCrl;

    public RevocationFailureMode FailureMode { get; set; } = RevocationFailureMode.FailClosed;
}

/// <summary>An intermediate (licensed) CA allowed under a trust anchor.</summary>
internal sealed class IntermediateCaOptions
{
    /// <summary>PEM or DER file of the CA certificate (real certificates often lack an AIA issuer URL).</summary>
    [Required]
    public string Path { get; set; } = "";

    /// <summary>How the certificates this CA issues are checked; the default policy when unset.</summary>
    public RevocationPolicyOptions? Revocation { get; set; }
}

/// <summary>A trust anchor (a national root) and the intermediate CAs allowed under it.</summary>
internal sealed class TrustAnchorOptions
{
    /// <summary>A name for operators and logs, e.g. "National root CA".</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>PEM or DER file of the root certificate.</summary>
    [Required]
    public string Path { get; set; } = "";

    /// <summary>How the intermediates directly under this root are checked; the default policy when unset.</summary>
    public RevocationPolicyOptions? Revocation { get; set; }

    /// <summary>
    /// The intermediate CAs allowed under this root. Only these may issue sign-in certificates: a
    /// CA the root certified but the operator did not list is not trusted.
    /// </summary>
    public List<IntermediateCaOptions> Intermediates { get; set; } = [];
}

/// <summary>The dedicated mutual-TLS listener for certificate sign-in.</summary>
internal sealed class MutualTlsOptions
{
    /// <summary>
    /// The listener, e.g. <c>https://localhost:5443</c> or <c>https://cert.id.example.gov.vn:443</c>;
    /// empty disables mutual-TLS sign-in. It must be https and differ from every main listener.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The TLS server certificate of this listener: a PKCS#12 file.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>How long the one-time code handed back to the main origin is valid.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:05:00")]
    public TimeSpan HandoffLifetime { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>What the mutual-TLS listener serves besides certificate sign-in; filled by the features that share it.</summary>
internal sealed class MutualTlsListenerOptions
{
    /// <summary>Paths answered on the listener as well as on the main listener (e.g. the OAuth mTLS endpoint aliases).</summary>
    public HashSet<string> SharedPaths { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Settings under <c>Certificates</c>: certificate sign-in.</summary>
internal sealed class CertificateOptions
{
    public const string Section = "Certificates";

    /// <summary>The trust anchors; none means certificate sign-in is off.</summary>
    public List<TrustAnchorOptions> TrustAnchors { get; set; } = [];

    /// <summary>The policy for any CA without its own.</summary>
    public RevocationPolicyOptions DefaultRevocation { get; set; } = new();

    /// <summary>
    /// Certificate policy OIDs that mark a key held in a hardware token (a qualified signature
    /// creation device): a certificate carrying one signs in at the high level with amr <c>hwk</c>.
    /// </summary>
    public List<string> HardwareTokenPolicies { get; set; } = [];

    /// <summary>An extended key usage the leaf must carry (e.g. 1.3.6.1.5.5.7.3.2); none required when empty.</summary>
    public string? RequiredExtendedKeyUsage { get; set; }

    /// <summary>How long an OCSP responder or CRL server may take before it counts as unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest CRL accepted from a distribution point.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxCrlBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Clock skew tolerated on OCSP thisUpdate/nextUpdate and CRL times.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a signed-challenge nonce is valid.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:10:00")]
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    public MutualTlsOptions MutualTls { get; set; } = new();

    /// <summary>Development only: serve the development PKI's CRLs and OCSP responder under <c>/dev-pki</c>.</summary>
    public bool ServeDevelopmentPki { get; set; }

    /// <summary>Where the development PKI lives (certs/dev-pki, made by <c>certs dev-pki</c>).</summary>
    public string DevelopmentPkiPath { get; set; } = "../../certs/dev-pki";

    public bool IsEnabled => TrustAnchors.Count > 0;
}
