using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Metadata;

public sealed class AttestationChainsTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly TestCertificateAuthority _root = TestCertificateAuthority.CreateRoot("CN=Vendor Attestation Root");
    private readonly TestCertificateAuthority _intermediate;
    private readonly X509Certificate2 _attestation;

    public AttestationChainsTests()
    {
        _intermediate = _root.CreateIntermediate("CN=Vendor Attestation CA 1");
        _attestation = _intermediate.IssueLeaf("CN=Vendor Key Batch 42");
    }

    public void Dispose()
    {
        _attestation.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }

    [Fact]
    public void Attestation_chaining_through_its_intermediate_to_the_model_root_is_trusted()
    {
        var result = AttestationChains.Validate([_attestation, _intermediate.Certificate], [_root.Certificate], Now);

        Assert.True(result.IsTrusted, result.Reason);
        Assert.Null(result.Reason);
    }

    [Fact]
    public void Attestation_whose_x5c_also_carries_the_root_is_trusted()
    {
        var result = AttestationChains.Validate([_attestation, _intermediate.Certificate, _root.Certificate], [_root.Certificate], Now);

        Assert.True(result.IsTrusted, result.Reason);
    }

    [Fact]
    public void Attestation_certificate_that_is_itself_a_configured_root_is_trusted()
    {
        var result = AttestationChains.Validate([_intermediate.Certificate], [_intermediate.Certificate], Now);

        Assert.True(result.IsTrusted, result.Reason);
    }

    [Fact]
    public void Expired_attestation_certificate_is_not_trusted()
    {
        using var expired = _intermediate.IssueLeaf("CN=Old Batch",
            notBefore: new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero), notAfter: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var result = AttestationChains.Validate([expired, _intermediate.Certificate], [_root.Certificate], Now);

        Assert.False(result.IsTrusted);
        Assert.Equal("The attestation certificate expired on 2025-01-01.", result.Reason);
    }

    [Fact]
    public void Expired_intermediate_is_named_as_the_reason()
    {
        using var oldCa = _root.CreateIntermediate("CN=Retired CA", Now.AddYears(-3), Now.AddDays(-10));
        // Signed directly: the test CA (like .NET's CertificateRequest) will not issue past its own expiry,
        // but real attestation CAs have done so.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Batch under retired CA", key, HashAlgorithmName.SHA256);
        using var caKey = oldCa.Certificate.GetECDsaPrivateKey()!;
        using var leaf = request.Create(oldCa.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), Now.AddYears(-2), Now.AddYears(2), [7]);

        var result = AttestationChains.Validate([leaf, oldCa.Certificate], [_root.Certificate], Now);

        Assert.False(result.IsTrusted);
        Assert.StartsWith("An intermediate certificate of the attestation chain expired on", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Attestation_chaining_to_a_root_of_another_model_is_not_trusted()
    {
        using var otherRoot = TestCertificateAuthority.CreateRoot("CN=Other Vendor Root");

        var result = AttestationChains.Validate([_attestation, _intermediate.Certificate], [otherRoot.Certificate], Now);

        Assert.False(result.IsTrusted);
        Assert.Equal("The attestation certificate does not chain to a root trusted for this authenticator model.", result.Reason);
    }

    [Fact]
    public void Attestation_without_its_intermediate_is_not_trusted()
    {
        var result = AttestationChains.Validate([_attestation], [_root.Certificate], Now);

        Assert.False(result.IsTrusted);
        Assert.Equal("The attestation certificate does not chain to a root trusted for this authenticator model.", result.Reason);
    }

    [Fact]
    public void Model_without_roots_trusts_no_attestation()
    {
        var result = AttestationChains.Validate([_attestation, _intermediate.Certificate], [], Now);

        Assert.False(result.IsTrusted);
        Assert.Equal("No attestation roots are configured for this authenticator model.", result.Reason);
    }

    [Fact]
    public void Root_trust_comes_from_the_model_and_never_from_the_machine_store()
    {
        // A self-signed certificate offered in x5c is only a path-building hint, not an anchor.
        using var selfMade = TestCertificateAuthority.CreateRoot("CN=Self Made");
        using var leaf = selfMade.IssueLeaf("CN=Self Made Key");

        var result = AttestationChains.Validate([leaf, selfMade.Certificate], [_root.Certificate], Now);

        Assert.False(result.IsTrusted);
    }
}
