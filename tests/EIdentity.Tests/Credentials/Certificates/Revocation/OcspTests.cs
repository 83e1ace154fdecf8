using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Credentials.Certificates.Revocation;

/// <summary>
/// The OCSP client against the real <see cref="OcspResponder"/>: what a signed, fresh answer
/// decides, and which answers are refused (and with what sentence) because they cannot be trusted.
/// </summary>
public sealed class OcspTests : RevocationScenario
{
    [Fact]
    public async Task Certificate_the_responder_calls_good_is_valid_and_the_reason_names_ocsp()
    {
        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(
            "The certificate chains to a trust anchor, and no certificate in its path is expired, misused or revoked. Revocation status came from OCSP for the certificate, supplied CRL for the issuing CA certificate.",
            result.Reason);
    }

    [Fact]
    public async Task Certificate_the_responder_calls_revoked_is_invalid_with_the_date_and_reason()
    {
        Statuses[LeafSerial] = OcspEntryStatus.Revoked(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), X509RevocationReason.KeyCompromise);

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-03-01 (keyCompromise), according to OCSP.", result.Reason);
    }

    [Fact]
    public async Task Certificate_the_responder_does_not_know_is_invalid()
    {
        Statuses[LeafSerial] = OcspEntryStatus.Unknown;

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal($"The revocation status of the certificate is unknown: the OCSP responder at {OcspUrl} does not know the certificate (status unknown), so the CA may never have issued it.", result.Reason);
    }

    [Fact]
    public async Task Certificate_the_responder_does_not_know_is_refused_even_under_fail_open_and_a_clean_crl()
    {
        Statuses[LeafSerial] = OcspEntryStatus.Unknown;
        Network.Crl(CrlUrl, () => Crl(Ca));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspThenCrl, RevocationFailureMode.FailOpen));

        Assert.False(result.IsValid);
        Assert.Contains("does not know the certificate", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Network.RequestsTo(CrlUrl));
    }

    [Fact]
    public async Task Response_with_another_nonce_than_the_requests_is_refused()
    {
        Network.Ocsp(OcspUrl, Responder(), rewrite: WithAnotherNonce);

        var answer = await OcspClient().QueryAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None);

        Assert.Equal(RevocationStatus.Unknown, answer.Check.Status);
        Assert.Equal("the OCSP response carries a nonce other than the one in our request (it may be a replay)", answer.Check.Problem);
    }

    [Fact]
    public async Task Response_without_a_nonce_or_next_update_that_is_not_fresh_is_refused()
    {
        var yesterday = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now.AddDays(-1));
        Network.Ocsp(OcspUrl, Responder(time: yesterday, noNextUpdate: true), rewrite: WithoutNonce);

        var answer = await OcspClient().QueryAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None);

        Assert.Equal(RevocationStatus.Unknown, answer.Check.Status);
        Assert.StartsWith("the OCSP response neither echoes our nonce nor says until when it is valid", answer.Check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_without_a_nonce_but_with_a_next_update_is_accepted()
    {
        Network.Ocsp(OcspUrl, Responder(), rewrite: WithoutNonce);

        var answer = await OcspClient().QueryAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None);

        Assert.Equal(RevocationStatus.Good, answer.Check.Status);
    }

    [Fact]
    public async Task Response_signed_by_a_stranger_is_refused()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Network.Ocsp(OcspUrl, Responder(signingKey: stranger));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: OCSP: the OCSP response is signed by a key that is neither the CA's nor a responder the CA authorised.", result.Reason);
    }

    [Fact]
    public async Task Response_from_a_delegated_responder_with_ocsp_signing_is_accepted()
    {
        var delegated = Own(OcspResponder(Ca));
        Statuses[LeafSerial] = OcspEntryStatus.Revoked(new DateTimeOffset(2026, 4, 2, 0, 0, 0, TimeSpan.Zero));
        Network.Ocsp(OcspUrl, Responder(delegated: delegated));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-04-02, according to OCSP.", result.Reason);
    }

    [Fact]
    public async Task Response_from_a_delegated_responder_without_ocsp_signing_is_refused()
    {
        var delegated = Own(OcspResponder(Ca, ocspSigning: false));
        Network.Ocsp(OcspUrl, Responder(delegated: delegated));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: OCSP: the OCSP response is signed by a responder certificate the CA did not authorise for OCSP (no id-kp-OCSPSigning extended key usage).", result.Reason);
    }

    [Fact]
    public async Task Response_from_a_responder_certified_by_another_ca_is_refused()
    {
        using var otherCa = TestPki.Ca("CN=EIdentity Test Issuing CA, O=EIdentity Tests, C=VN", Root);
        var delegated = Own(OcspResponder(otherCa));
        Network.Ocsp(OcspUrl, Responder(delegated: delegated));

        var answer = await OcspClient().QueryAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None);

        Assert.Equal("the OCSP response is signed by a responder certificate the CA did not issue", answer.Check.Problem);
    }

    [Fact]
    public async Task Stale_response_is_refused()
    {
        var twoDaysAgo = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now.AddDays(-2));
        Network.Ocsp(OcspUrl, Responder(time: twoDaysAgo));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal("The revocation status of the certificate is unknown: OCSP: the OCSP response is stale (its nextUpdate was 2026-05-30 13:00:00Z).", result.Reason);
    }

    [Fact]
    public async Task Answer_is_cached_until_its_next_update_and_asked_again_after()
    {
        var source = Source(RevocationSourceOrder.OcspOnly);

        Assert.True((await ValidateAsync(source)).IsValid);
        Time.Advance(TimeSpan.FromMinutes(59));
        Assert.True((await ValidateAsync(source)).IsValid);
        Assert.Equal(1, Network.RequestsTo(OcspUrl));

        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.True((await ValidateAsync(source)).IsValid);
        Assert.Equal(2, Network.RequestsTo(OcspUrl));
    }

    [Fact]
    public async Task Answer_without_next_update_is_not_cached()
    {
        Network.Ocsp(OcspUrl, Responder(noNextUpdate: true));
        var source = Source(RevocationSourceOrder.OcspOnly);

        Assert.True((await ValidateAsync(source)).IsValid);
        Assert.True((await ValidateAsync(source)).IsValid);

        Assert.Equal(2, Network.RequestsTo(OcspUrl));
    }

    [Fact]
    public async Task Responder_signs_with_an_rsa_ca_key_and_the_client_believes_it()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=EIdentity Test RSA CA, O=EIdentity Tests, C=VN", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var rsaCa = request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(5));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=Tran Thi Binh, C=VN", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([OcspUrl], null));
        using var leaf = leafRequest.Create(rsaCa.SubjectName, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), Now.AddDays(-1), Now.AddYears(1), [0x42]);
        Network.Ocsp(OcspUrl, new OcspResponder(
            Bc(rsaCa), BcKey(rsa), _ => OcspEntryStatus.Revoked(Now.AddDays(-3), X509RevocationReason.Superseded), Time, TimeSpan.FromHours(1)));

        var answer = await OcspClient().QueryAsync(Bc(leaf), Bc(rsaCa), Now, CancellationToken.None);

        Assert.Equal(new RevocationCheck(RevocationStatus.Revoked, Now.AddDays(-3), "superseded", Source: "OCSP"), answer.Check);
    }

    private static byte[] WithoutNonce(byte[] request) => Reissue(request, null);

    private static byte[] WithAnotherNonce(byte[] request) => Reissue(request, RandomNumberGenerator.GetBytes(16));

    /// <summary>The same question with another nonce (or none): the responder answers a request the client did not send.</summary>
    private static byte[] Reissue(byte[] der, byte[]? nonce)
    {
        var generator = new OcspReqGenerator();
        foreach (var one in new OcspReq(der).GetRequestList())
        {
            generator.AddRequest(one.GetCertID());
        }

        if (nonce is not null)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
            generator.SetRequestExtensions(extensions.Generate());
        }

        return generator.Generate().GetEncoded();
    }
}
