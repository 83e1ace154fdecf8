using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.AspNetCore.Http;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Credentials.Certificates.Revocation;

/// <summary>The responder's HTTP side (RFC 6960 Appendix A) and its answers to requests it cannot or need not serve.</summary>
public sealed class OcspResponderTests : RevocationScenario
{
    [Fact]
    public async Task Post_with_an_ocsp_request_is_answered_with_a_signed_ocsp_response()
    {
        var context = Context("POST", "application/ocsp-request", Request());

        await Responder().HandleAsync(context);

        Assert.Equal("application/ocsp-response", context.Response.ContentType);
        var basic = Assert.IsType<BasicOcspResp>(new OcspResp(Body(context)).GetResponseObject());
        Assert.True(basic.Verify(Bc(Ca.Certificate).GetPublicKey()));
        Assert.Null(Assert.Single(basic.Responses).GetCertStatus());
    }

    [Fact]
    public async Task Get_with_the_base64_request_in_the_path_is_answered()
    {
        var context = Context("GET", null, []);
        context.Request.RouteValues["request"] = Uri.EscapeDataString(Convert.ToBase64String(Request()));

        await Responder().HandleAsync(context);

        Assert.Equal(OcspRespStatus.Successful, new OcspResp(Body(context)).Status);
    }

    [Fact]
    public async Task Post_with_another_content_type_is_refused()
    {
        var context = Context("POST", "application/octet-stream", Request());

        await Responder().HandleAsync(context);

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, context.Response.StatusCode);
    }

    [Fact]
    public void Malformed_request_gets_a_malformed_request_response()
    {
        var response = new OcspResp(Responder().Respond([0x30, 0x03, 0x02, 0x01]));

        Assert.Equal(OcspRespStatus.MalformedRequest, response.Status);
    }

    [Fact]
    public void Request_about_another_cas_certificate_is_answered_unknown()
    {
        using var otherCa = TestPki.Ca("CN=Other CA, O=EIdentity Tests, C=VN", Root);

        var response = new OcspResp(Responder().Respond(Request(otherCa)));

        var basic = Assert.IsType<BasicOcspResp>(response.GetResponseObject());
        Assert.IsType<UnknownStatus>(Assert.Single(basic.Responses).GetCertStatus());
    }

    private byte[] Request(TestKey? issuer = null)
    {
        var generator = new OcspReqGenerator();
        generator.AddRequest(new CertificateID(new AlgorithmIdentifier(OiwObjectIdentifiers.IdSha1, Org.BouncyCastle.Asn1.DerNull.Instance), Bc((issuer ?? Ca).Certificate), LeafSerial));
        return generator.Generate().GetEncoded();
    }

    private static DefaultHttpContext Context(string method, string? contentType, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(body);
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static byte[] Body(HttpContext context) => ((MemoryStream)context.Response.Body).ToArray();
}
