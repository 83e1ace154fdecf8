using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Credentials.Certificates;

/// <summary>
/// RFC 5280 path validation with caller-supplied trust anchors, intermediates and CRLs: each test
/// breaks one thing in a root → intermediate → leaf hierarchy and expects the sentence that says so.
/// </summary>
public sealed class PathValidationTests : IDisposable
{
    private readonly TestKey _root = Root();
    private readonly TestKey _intermediate;
    private readonly TestKey _leaf;
    private readonly List<IDisposable> _disposables = [];

    public PathValidationTests()
    {
        _intermediate = Ca("CN=EIdentity Test Issuing CA, O=EIdentity Tests, C=VN", _root);
        _leaf = Leaf(_intermediate);
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Certificate_chaining_to_the_trust_anchor_with_fresh_crls_is_valid_and_its_path_is_returned()
    {
        var result = await ValidateAsync(_leaf);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(
            [_leaf.Certificate.Thumbprint, _intermediate.Certificate.Thumbprint, _root.Certificate.Thumbprint],
            result.Path!.Select(c => c.Thumbprint));
    }

    [Fact]
    public async Task Certificate_signed_by_another_key_than_its_issuers_is_invalid()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = Own(Leaf(_intermediate, signedBy: forger));

        var result = await ValidateAsync(forged);

        Assert.False(result.IsValid);
        Assert.Equal("The signature on the certificate does not verify with the public key of the issuing CA certificate.", result.Reason);
    }

    [Fact]
    public async Task Expired_certificate_is_invalid_with_its_expiry_date()
    {
        var expired = Own(Leaf(_intermediate, notBefore: Now.AddYears(-2), notAfter: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        var result = await ValidateAsync(expired);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate expired on 2025-01-01.", result.Reason);
    }

    [Fact]
    public async Task Certificate_issued_by_an_expired_ca_is_invalid()
    {
        using var expiredCa = Ca("CN=EIdentity Test Issuing CA, O=EIdentity Tests, C=VN", _root, notBefore: Now.AddYears(-3), notAfter: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var leaf = Own(Leaf(expiredCa));

        var result = await ValidateAsync(leaf, intermediates: [expiredCa.Certificate], crls: [Crl(_root), Crl(expiredCa)]);

        Assert.False(result.IsValid);
        Assert.Equal("The issuing CA certificate expired on 2026-02-01.", result.Reason);
    }

    [Fact]
    public async Task Certificate_not_yet_valid_is_invalid_with_its_start_date()
    {
        var future = Own(Leaf(_intermediate, notBefore: new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero)));

        var result = await ValidateAsync(future);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate is not valid before 2026-07-01.", result.Reason);
    }

    [Fact]
    public async Task Certificate_whose_issuer_name_matches_no_supplied_ca_is_invalid_even_when_a_supplied_ca_signed_it()
    {
        var misnamed = Own(Leaf(_intermediate, issuerName: "CN=Some Other CA, O=EIdentity Tests, C=VN"));

        var result = await ValidateAsync(misnamed);

        Assert.False(result.IsValid);
        Assert.StartsWith("The certificate's issuer is neither a trust anchor nor one of the supplied intermediate CA certificates", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_issued_by_a_ca_without_basic_constraints_is_invalid()
    {
        using var notCa = Ca("CN=Not A CA, O=EIdentity Tests, C=VN", _root, basicConstraints: false);
        var leaf = Own(Leaf(notCa));

        var result = await ValidateAsync(leaf, intermediates: [notCa.Certificate], crls: [Crl(_root), Crl(notCa)]);

        Assert.False(result.IsValid);
        Assert.Equal("The issuing CA certificate is not a CA certificate (no basicConstraints with cA=true), so it cannot issue certificates.", result.Reason);
    }

    [Fact]
    public async Task Path_longer_than_a_cas_path_length_constraint_allows_is_invalid()
    {
        using var policyCa = Ca("CN=EIdentity Test Policy CA, O=EIdentity Tests, C=VN", _root, pathLength: 0);
        using var subCa = Ca("CN=EIdentity Test Sub CA, O=EIdentity Tests, C=VN", policyCa);
        var leaf = Own(Leaf(subCa));

        var result = await ValidateAsync(leaf, intermediates: [subCa.Certificate, policyCa.Certificate], crls: [Crl(_root), Crl(policyCa), Crl(subCa)]);

        Assert.False(result.IsValid);
        Assert.Equal("The intermediate CA certificate 2 levels above the certificate allows at most 0 intermediate CA certificate(s) below it (pathLenConstraint), but the path has 1.", result.Reason);
    }

    [Fact]
    public async Task Certificate_issued_by_a_ca_without_key_cert_sign_is_invalid()
    {
        using var crlOnly = Ca("CN=EIdentity Test CRL Signer, O=EIdentity Tests, C=VN", _root, usage: X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature);
        var leaf = Own(Leaf(crlOnly));

        var result = await ValidateAsync(leaf, intermediates: [crlOnly.Certificate], crls: [Crl(_root), Crl(crlOnly)]);

        Assert.False(result.IsValid);
        Assert.Equal("The issuing CA certificate is not allowed to sign certificates (no keyCertSign).", result.Reason);
    }

    [Fact]
    public async Task Certificate_without_digital_signature_key_usage_is_invalid()
    {
        var encipherOnly = Own(Leaf(_intermediate, usage: X509KeyUsageFlags.KeyAgreement));

        var result = await ValidateAsync(encipherOnly);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate is not allowed to make digital signatures (no digitalSignature key usage).", result.Reason);
    }

    [Fact]
    public async Task Certificate_listed_on_its_issuers_crl_is_revoked_with_date_and_reason()
    {
        var result = await ValidateAsync(_leaf, crls: [Crl(_root), Crl(_intermediate, revoked: [_leaf])]);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-03-01 (keyCompromise).", result.Reason);
    }

    [Fact]
    public async Task Certificate_whose_issuing_ca_is_listed_on_the_roots_crl_is_invalid()
    {
        var result = await ValidateAsync(_leaf, crls: [Crl(_root, revoked: [_intermediate], reason: X509RevocationReason.CACompromise), Crl(_intermediate)]);

        Assert.False(result.IsValid);
        Assert.Equal("The issuing CA certificate was revoked on 2026-03-01 (cACompromise).", result.Reason);
    }

    [Fact]
    public async Task Crl_with_a_bad_signature_decides_nothing_and_the_status_is_unknown()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await ValidateAsync(_leaf, crls: [Crl(_root), Crl(_intermediate, signedBy: forger)]);

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: the CRL from its issuer has a signature that does not verify with the issuer's public key.", result.Reason);
    }

    [Fact]
    public async Task Forged_crl_that_lists_nobody_does_not_make_a_revoked_certificate_valid()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await ValidateAsync(_leaf, crls: [Crl(_root), Crl(_intermediate, signedBy: forger, thisUpdate: Now.AddHours(-1)), Crl(_intermediate, revoked: [_leaf])]);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-03-01 (keyCompromise).", result.Reason);
    }

    [Fact]
    public async Task Crl_past_its_next_update_is_stale_and_the_status_is_unknown()
    {
        var stale = Crl(_intermediate, thisUpdate: Now.AddDays(-10), nextUpdate: new DateTimeOffset(2026, 5, 25, 0, 0, 0, TimeSpan.Zero));

        var result = await ValidateAsync(_leaf, crls: [Crl(_root), stale]);

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: the CRL from its issuer is stale (its next update was due on 2026-05-25).", result.Reason);
    }

    [Fact]
    public async Task Certificate_without_any_crl_has_an_unknown_status_and_is_invalid()
    {
        var result = await ValidateAsync(_leaf, crls: []);

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: no CRL from its issuer was supplied.", result.Reason);
    }

    [Fact]
    public async Task Every_certificate_of_the_path_needs_a_crl_not_only_the_leaf()
    {
        var result = await ValidateAsync(_leaf, crls: [Crl(_intermediate)]);

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the issuing CA certificate is unknown: no CRL from its issuer was supplied.", result.Reason);
    }

    [Fact]
    public async Task Unreadable_crl_bytes_decide_nothing_and_throw_nothing()
    {
        var result = await ValidateAsync(_leaf, crls: [Crl(_root), [0x30, 0x03, 0x02, 0x01]]);

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: no CRL from its issuer was supplied (1 supplied CRL(s) could not be read).", result.Reason);
    }

    [Fact]
    public async Task Truncated_crls_of_every_length_refuse_the_certificate_without_throwing()
    {
        var crl = Crl(_intermediate);

        for (var length = 0; length < crl.Length; length++)
        {
            var result = await ValidateAsync(_leaf, crls: [Crl(_root), crl[..length]]);

            Assert.False(result.IsValid);
            Assert.StartsWith("The revocation status of the certificate is unknown: ", result.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Certificate_with_an_unknown_critical_extension_is_invalid()
    {
        var odd = Own(Leaf(_intermediate, configure: r => r.CertificateExtensions.Add(new X509Extension(new Oid("1.3.6.1.4.1.55555.1.1"), [0x05, 0x00], critical: true))));

        var result = await ValidateAsync(odd);

        Assert.False(result.IsValid);
        Assert.Equal("The certificate has a critical extension this validator does not recognise (1.3.6.1.4.1.55555.1.1).", result.Reason);
    }

    [Fact]
    public async Task Certificate_with_an_unknown_non_critical_extension_is_valid()
    {
        var odd = Own(Leaf(_intermediate, configure: r => r.CertificateExtensions.Add(new X509Extension(new Oid("1.3.6.1.4.1.55555.1.1"), [0x05, 0x00], critical: false))));

        var result = await ValidateAsync(odd, crls: [Crl(_root), Crl(_intermediate)]);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public async Task Required_extended_key_usage_is_enforced_and_a_critical_one_is_understood()
    {
        var clientAuth = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") };
        var tlsClient = Own(Leaf(_intermediate, configure: r => r.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(clientAuth, critical: true))));
        var options = new CertificateValidationOptions { RequiredExtendedKeyUsage = "1.3.6.1.5.5.7.3.2" };

        var withEku = await ValidateAsync(tlsClient, options: options);
        var withoutEku = await ValidateAsync(_leaf, options: options);

        Assert.True(withEku.IsValid, withEku.Reason);
        Assert.False(withoutEku.IsValid);
        Assert.Equal("The certificate has no extended key usage, but 1.3.6.1.5.5.7.3.2 is required.", withoutEku.Reason);
    }

    [Fact]
    public async Task Certificate_is_judged_at_the_time_asked_not_now()
    {
        var result = await CertificatePathValidator.ValidateAsync(_leaf.Certificate, [_root.Certificate], [_intermediate.Certificate],
            [Crl(_root), Crl(_intermediate)], Now.AddYears(6), CertificateValidationOptions.Default);

        Assert.False(result.IsValid);
        Assert.StartsWith("The certificate expired on 2031-06-01", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_from_another_hierarchy_is_not_trusted()
    {
        using var otherRoot = Root("CN=Other Root, O=Elsewhere, C=VN");

        var result = await CertificatePathValidator.ValidateAsync(_leaf.Certificate, [otherRoot.Certificate], [_intermediate.Certificate],
            [Crl(_root), Crl(_intermediate)], Now, CertificateValidationOptions.Default);

        Assert.False(result.IsValid);
        Assert.StartsWith("The issuer of the issuing CA certificate is neither a trust anchor nor one of the supplied intermediate CA certificates", result.Reason, StringComparison.Ordinal);
    }

    private Task<CertificateValidationResult> ValidateAsync(TestKey leaf, X509Certificate2[]? intermediates = null, byte[][]? crls = null, CertificateValidationOptions? options = null) =>
        CertificatePathValidator.ValidateAsync(
            leaf.Certificate,
            [_root.Certificate],
            intermediates ?? [_intermediate.Certificate],
            crls ?? [Crl(_root), Crl(_intermediate)],
            Now,
            options ?? CertificateValidationOptions.Default);

    private TestKey Own(TestKey key)
    {
        _disposables.Add(key);
        return key;
    }
}
