using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Oidc;

namespace EIdentity.Tests.Oidc;

/// <summary>What an operator sees when registering a portal's TLS client certificate (RFC 8705 2.2).</summary>
public sealed class PortalCertificateTests
{
    [Fact]
    public void Self_signed_client_certificate_is_accepted()
    {
        using var certificate = TestClientCertificate.SelfSigned();

        Assert.Empty(Registration(certificate.Pem).Validate(TimeProvider.System));
    }

    [Fact]
    public void Pem_holding_the_private_key_is_refused()
    {
        using var certificate = TestClientCertificate.SelfSigned();
        var pem = certificate.Pem + "\n" + certificate.WithKey.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();

        var errors = Registration(pem).Validate(TimeProvider.System).ToList();

        Assert.Contains(errors, e => e.StartsWith("TLS client certificate: ", StringComparison.Ordinal) && e.Contains("private key", StringComparison.Ordinal));
    }

    [Fact]
    public void Expired_certificate_is_refused_with_its_expiry_date()
    {
        var expired = DateTimeOffset.UtcNow.AddDays(-3);
        using var certificate = TestClientCertificate.SelfSigned(notAfter: expired);

        var errors = Registration(certificate.Pem).Validate(TimeProvider.System).ToList();

        Assert.Contains(errors, e => e.Contains($"expired on {expired.UtcDateTime:yyyy-MM-dd}", StringComparison.Ordinal));
    }

    [Fact]
    public void Ca_certificate_is_refused()
    {
        using var ca = TestClientCertificate.SelfSigned("portal CA", ca: true);

        var errors = Registration(ca.Pem).Validate(TimeProvider.System).ToList();

        Assert.Contains(errors, e => e.Contains("CA certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void Certificate_issued_by_a_ca_is_refused_as_not_self_signed()
    {
        using var ca = TestClientCertificate.SelfSigned("portal CA", ca: true);
        using var issued = TestClientCertificate.IssuedBy(ca);

        Assert.Contains(Registration(issued.Pem).Validate(TimeProvider.System), e => e.Contains("not self-signed", StringComparison.Ordinal));
        Assert.Contains(Registration(issued.Pem + "\n" + ca.Pem).Validate(TimeProvider.System), e => e.Contains("not a chain", StringComparison.Ordinal));
    }

    [Fact]
    public void Certificate_without_client_authentication_usage_is_refused()
    {
        using var certificate = TestClientCertificate.SelfSigned(clientAuth: false);

        Assert.Contains(Registration(certificate.Pem).Validate(TimeProvider.System), e => e.Contains("clientAuth", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"keys\":[]}", "no PEM certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a valid X.509 certificate")]
    public void Something_else_than_a_pem_certificate_is_refused(string pem, string reason)
    {
        var errors = Registration(pem).Validate(TimeProvider.System).ToList();

        Assert.Contains(errors, e => e.StartsWith("TLS client certificate: ", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Certificate_with_a_secret_or_for_an_admin_client_is_refused()
    {
        using var certificate = TestClientCertificate.SelfSigned();
        var withSecret = Registration(certificate.Pem);
        withSecret.ClientSecret = "a-long-secret-for-tests";
        var admin = Registration(certificate.Pem);
        admin.Scopes = [OidcScopes.Admin];

        Assert.Contains(withSecret.Validate(TimeProvider.System), e => e.Contains("no client secret", StringComparison.Ordinal));
        Assert.Contains(admin.Validate(TimeProvider.System), e => e.Contains("admin client", StringComparison.Ordinal));
    }

    [Fact]
    public void Registered_certificate_joins_the_key_set_with_its_x5c_and_thumbprint()
    {
        using var certificate = TestClientCertificate.SelfSigned();

        var key = PortalCertificate.ToJsonWebKey(certificate.Pem);

        Assert.Equal("EC", (string?)key["kty"]);
        Assert.Equal(certificate.Thumbprint, (string?)key["x5t#S256"]);
        Assert.Equal(Convert.ToBase64String(certificate.WithKey.RawData), (string?)key["x5c"]![0]);
        Assert.Null(key["d"]);
    }

    private static PortalRegistration Registration(string pem) => new()
    {
        ClientId = "svc-mtls",
        DisplayName = "Dịch vụ mTLS",
        AllowClientCredentials = true,
        TlsClientCertificate = pem,
    };
}
