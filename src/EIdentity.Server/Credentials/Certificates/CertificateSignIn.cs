using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Audit;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>Why a certificate did not sign in; each has a page text saying what to do.</summary>
internal enum CertificateRefusal
{
    None,
    NoCertificate,
    Unreadable,
    Blocked,
    Expired,
    Revoked,
    RevocationUnknown,
    Untrusted,
    NoIdentifier,
    UnknownIdentity,
    IdentitySuspended,
    OrganizationSeal,
    Disabled,
}

/// <summary>
/// The result of judging a certificate for sign-in. <see cref="Reason"/> is the validator's English
/// sentence for support staff; it never quotes a national ID number.
/// </summary>
internal sealed record CertificateSignInOutcome(
    CertificateRefusal Refusal,
    string Reason,
    Person? Person = null,
    Organization? Organization = null,
    CertificateCredential? Credential = null)
{
    public bool Succeeded => Refusal == CertificateRefusal.None;

    public SignInEvidence Evidence => Credential is { } credential
        ? new SignInEvidence(credential.CredentialReference, credential.Level,
            credential.Level == AuthenticationMethods.LoaHigh
                ? [AuthenticationMethods.SmartCard, AuthenticationMethods.HardwareKey]
                : [AuthenticationMethods.SmartCard],
            credential.OrganizationId)
        : throw new InvalidOperationException("A refused certificate gives no evidence.");
}

/// <summary>
/// Certificate sign-in, whichever way the certificate arrived (mutual TLS or a signed challenge):
/// the block list, RFC 5280 path validation with live revocation, then the subject's identifiers
/// mapped to a person (and the organization they act for).
/// </summary>
internal sealed partial class CertificateSignIn(
    EIdentityDbContext db,
    CertificateBlockList blocks,
    CertificateTrustStore trust,
    IRevocationSource revocation,
    AuditLog audit,
    TimeProvider time,
    IOptions<CertificateOptions> options,
    ILogger<CertificateSignIn> logger)
{
    public async Task<CertificateSignInOutcome> AuthenticateAsync(X509Certificate2 certificate, string channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var outcome = await JudgeAsync(certificate, cancellationToken);
        var thumbprint = Thumbprint(certificate);
        if (outcome.Succeeded)
        {
            LogAccepted(logger, thumbprint, outcome.Person!.Id, channel, outcome.Credential!.Level);
            await audit.RecordAsync(new AuditEntry("certificate.signin", "citizen", outcome.Person.Id, CredentialReferences.For(thumbprint), channel), CancellationToken.None);
        }
        else
        {
            LogRefused(logger, thumbprint, channel, outcome.Refusal);
            await audit.RecordAsync(new AuditEntry("certificate.refused", "citizen", outcome.Person?.Id, CredentialReferences.For(thumbprint), $"{channel}: {outcome.Refusal}"), CancellationToken.None);
        }

        return outcome;
    }

    private async Task<CertificateSignInOutcome> JudgeAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.IsEnabled)
        {
            return new(CertificateRefusal.Disabled, "Certificate sign-in is not configured on this server.");
        }

        string issuer, serial;
        try
        {
            issuer = CertificateNames.Canonical(certificate.IssuerName);
            serial = CertificateNames.Serial(certificate);
        }
        catch (Exception e) when (e is System.Formats.Asn1.AsnContentException or CryptographicException)
        {
            return new(CertificateRefusal.Unreadable, "The certificate's issuer name cannot be read.");
        }

        // An officer's block wins over whatever the CA says, and costs no network round trip.
        if (await blocks.IsBlockedAsync(issuer, serial, cancellationToken))
        {
            return new(CertificateRefusal.Blocked, "A security officer has blocked this certificate in EIdentity.");
        }

        var now = time.GetUtcNow();
        var validation = await CertificatePathValidator.ValidateAsync(certificate, trust.TrustAnchors, trust.Intermediates, revocation, now,
            new CertificateValidationOptions { RequiredExtendedKeyUsage = string.IsNullOrWhiteSpace(settings.RequiredExtendedKeyUsage) ? null : settings.RequiredExtendedKeyUsage },
            cancellationToken);
        if (!validation.IsValid)
        {
            return new(Classify(validation.Reason), validation.Reason);
        }

        var identifiers = CertificateIdentifiers.Read(certificate);
        if (!identifiers.IsValid)
        {
            return new(CertificateRefusal.NoIdentifier, identifiers.Reason ?? "The certificate's identifiers cannot be read.");
        }

        var ids = identifiers.Ids;
        if (ids.Kind is CertificateSubjectKind.None)
        {
            return new(CertificateRefusal.NoIdentifier, "The certificate names no person or organization by an identifier EIdentity knows (CCCD, CMND or MST in the UID attribute).");
        }

        Organization? organization = null;
        if (ids.TaxCodes.Count > 0)
        {
            var codes = ids.TaxCodes.ToList();
            var organizations = await db.Organizations.Where(o => codes.Contains(o.TaxCode)).ToListAsync(cancellationToken);
            if (organizations.Count != 1)
            {
                return new(CertificateRefusal.UnknownIdentity, organizations.Count == 0
                    ? "No organization in EIdentity has the tax code (MST) the certificate names."
                    : "The certificate names several organizations in EIdentity; it cannot say which one its holder acts for.");
            }

            organization = organizations[0];
            if (!organization.IsActive)
            {
                return new(CertificateRefusal.IdentitySuspended, "The organization the certificate names is suspended.", Organization: organization);
            }
        }

        if (ids.Kind is CertificateSubjectKind.Organization)
        {
            return new(CertificateRefusal.OrganizationSeal,
                "The certificate is an organization's own seal (tax code only); sign-in needs a person's certificate (CCCD, with the tax code for acting for the organization).",
                Organization: organization);
        }

        if (ids.PersonIds.Count == 0)
        {
            return new(CertificateRefusal.NoIdentifier,
                "The certificate names its holder only by an old 9-digit ID card number (CMND); EIdentity knows people by their 12-digit CCCD number.");
        }

        var personIds = ids.PersonIds.ToList();
        var people = await db.Users.Where(p => personIds.Contains(p.NationalId)).ToListAsync(cancellationToken);
        if (people.Count != 1)
        {
            return new(CertificateRefusal.UnknownIdentity, people.Count == 0
                ? "No electronic identity in EIdentity has the national ID number the certificate names."
                : "The certificate names several people in EIdentity.");
        }

        var person = people[0];
        if (!person.IsActive)
        {
            return new(CertificateRefusal.IdentitySuspended, "The electronic identity the certificate names is suspended.", person, organization);
        }

        var credential = await RememberAsync(certificate, issuer, serial, person, organization, now, cancellationToken);
        return new(CertificateRefusal.None, validation.Reason, person, organization, credential);
    }

    private async Task<CertificateCredential> RememberAsync(X509Certificate2 certificate, string issuer, string serial, Person person, Organization? organization, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var thumbprint = Thumbprint(certificate);
        var level = IsHardwareToken(certificate, options.Value.HardwareTokenPolicies) ? AuthenticationMethods.LoaHigh : AuthenticationMethods.LoaSubstantial;
        var credential = await db.CertificateCredentials.SingleOrDefaultAsync(c => c.Thumbprint == thumbprint, cancellationToken);
        if (credential is null)
        {
            credential = new CertificateCredential
            {
                Thumbprint = thumbprint,
                IssuerName = issuer,
                IssuerDisplayName = certificate.Issuer,
                SerialNumber = serial,
                SubjectCommonName = CertificateNames.CommonName(certificate),
                NotBefore = certificate.NotBefore.ToUniversalTime(),
                NotAfter = certificate.NotAfter.ToUniversalTime(),
                FirstUsedAt = now,
            };
            db.CertificateCredentials.Add(credential);
        }

        credential.PersonId = person.Id;
        credential.OrganizationId = organization?.Id;
        credential.Level = level;
        credential.LastUsedAt = now;
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateException)
        {
            // The same certificate signed in on two nodes at once: the other node's row stands.
            db.ChangeTracker.Clear();
            credential = await db.CertificateCredentials.AsNoTracking().SingleAsync(c => c.Thumbprint == thumbprint, CancellationToken.None);
        }

        return credential;
    }

    /// <summary>Whether the certificate carries a policy OID the operator marked as "hardware token".</summary>
    public static bool IsHardwareToken(X509Certificate2 certificate, IReadOnlyCollection<string> hardwarePolicies)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (hardwarePolicies.Count == 0 || certificate.Extensions["2.5.29.32"] is not { } extension)
        {
            return false;
        }

        try
        {
            var reader = new System.Formats.Asn1.AsnReader(extension.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
            var policies = reader.ReadSequence();
            while (policies.HasData)
            {
                var information = policies.ReadSequence();
                if (hardwarePolicies.Contains(information.ReadObjectIdentifier()))
                {
                    return true;
                }
            }
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            // Path validation has already refused unreadable critical policies; an unreadable
            // non-critical one proves nothing.
        }

        return false;
    }

    public static string Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    private static CertificateRefusal Classify(string reason) =>
        reason.Contains(" was revoked", StringComparison.Ordinal) ? CertificateRefusal.Revoked
        : reason.Contains("revocation status", StringComparison.Ordinal) ? CertificateRefusal.RevocationUnknown
        : reason.Contains(" expired on ", StringComparison.Ordinal) || reason.Contains("is not valid before", StringComparison.Ordinal) ? CertificateRefusal.Expired
        : reason.StartsWith("The certificate could not be read", StringComparison.Ordinal) ? CertificateRefusal.Unreadable
        : CertificateRefusal.Untrusted;

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Certificate {Thumbprint} signed in identity {PersonId} by {Channel} at {Acr}.")]
    private static partial void LogAccepted(ILogger logger, string thumbprint, Guid personId, string channel, string acr);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Information, Message = "Certificate {Thumbprint} refused by {Channel}: {Refusal}.")]
    private static partial void LogRefused(ILogger logger, string thumbprint, string channel, CertificateRefusal refusal);
}
