using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>What an OCSP responder said, and for which period (to cache it).</summary>
/// <param name="Check">Good or revoked with <see cref="RevocationCheck.Source"/> "OCSP", or unknown with the reason.</param>
internal sealed record OcspAnswer(RevocationCheck Check, DateTimeOffset? ThisUpdate = null, DateTimeOffset? NextUpdate = null)
{
    public static OcspAnswer Failed(string problem) => new(RevocationCheck.Unknown(problem));
}

/// <summary>
/// Asks the OCSP responder named in a certificate (RFC 6960) and believes only an answer that
/// the certificate's CA vouches for. Every failure, network or cryptographic, is an unknown status
/// with a sentence saying what went wrong; nothing is thrown for bad input.
/// </summary>
/// <remarks>
/// Nonces: every request carries a fresh random nonce (RFC 8954). A response that echoes a
/// different nonce is refused (it answers someone else's question, or is a replay). A response
/// without a nonce is accepted, because responders that pre-produce answers (RFC 5019) never echo
/// one; its replay window is then bounded by its nextUpdate, so a response with neither a nonce nor
/// a nextUpdate is accepted only when its thisUpdate is within the clock skew of now.
/// The delegated responder's own revocation is not checked: RFC 6960 4.2.2.2.1 lets a CA mark it
/// id-pkix-ocsp-nocheck, and CAs issue such certificates short-lived.
/// </remarks>
internal sealed class OcspClient
{
    /// <summary>Largest response accepted: a signed answer for one certificate plus a responder certificate is a few KiB.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    private const string OcspSigning = "1.3.6.1.5.5.7.3.9";

    private readonly HttpClient _http;
    private readonly IOptions<CertificateOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OcspClient> _logger;

    public OcspClient(HttpClient http, IOptions<CertificateOptions> options, TimeProvider time, ILogger<OcspClient> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _http = http;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public async Task<OcspAnswer> QueryAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var answer = await AskAsync(certificate, issuer, at, cancellationToken);
        if (answer.Check.Problem is { } problem)
        {
            _logger.OcspFailed(RevocationIds.Serial(certificate), RevocationIds.IssuerKeyId(issuer), problem);
        }

        return answer;
    }

    private async Task<OcspAnswer> AskAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (RevocationUrls.Ocsp(certificate) is not { } url)
        {
            return OcspAnswer.Failed("the certificate names no http OCSP responder (authority information access)");
        }

        // RFC 6960 4.1.1: SHA-1 CertID hashes, which every responder understands.
        CertificateID id;
        try
        {
            id = new CertificateID(new AlgorithmIdentifier(OiwObjectIdentifiers.IdSha1, DerNull.Instance), issuer, certificate.SerialNumber);
        }
        catch (OcspException)
        {
            return OcspAnswer.Failed("the OCSP request could not be built from the issuer's certificate");
        }

        var nonce = RandomNumberGenerator.GetBytes(16);
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        var extensions = new X509ExtensionsGenerator();
        extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
        generator.SetRequestExtensions(extensions.Generate());

        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(generator.Generate().GetEncoded()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/ocsp-response"));
        var (body, httpProblem) = await RevocationHttp.SendAsync(_http, request, "the OCSP responder", MaxResponseBytes, _options.Value.FetchTimeout, cancellationToken);
        if (body is null)
        {
            return OcspAnswer.Failed(httpProblem!);
        }

        try
        {
            return Read(body, url, id, nonce, issuer, at);
        }
        catch (Exception e) when (e is OcspException || CertificatePathValidator.IsBadInput(e))
        {
            return OcspAnswer.Failed($"the OCSP responder at {url} sent a response that cannot be read");
        }
    }

    private OcspAnswer Read(byte[] body, Uri url, CertificateID id, byte[] nonce, X509Certificate issuer, DateTimeOffset at)
    {
        var response = new OcspResp(body);

        // RFC 6960 4.2.1: only "successful" carries an answer.
        if (response.Status != OcspRespStatus.Successful)
        {
            return OcspAnswer.Failed($"the OCSP responder at {url} refused to answer ({StatusName(response.Status)})");
        }

        if (response.GetResponseObject() is not BasicOcspResp basic)
        {
            return OcspAnswer.Failed($"the OCSP responder at {url} sent a response type other than the basic one");
        }

        // RFC 6960 3.2 (2), (3): signed by the CA or by a responder the CA authorised.
        if (SignerProblem(basic, issuer, at) is { } signerProblem)
        {
            return OcspAnswer.Failed(signerProblem);
        }

        // RFC 6960 3.2 (1): the answer is about the certificate we asked for.
        if (basic.Responses.FirstOrDefault(r => r.GetCertID().Equals(id)) is not { } single)
        {
            return OcspAnswer.Failed("the OCSP response does not answer for this certificate (no response matches the requested issuer and serial number)");
        }

        var skew = _options.Value.ClockSkew;
        var thisUpdate = Utc(single.ThisUpdate);
        DateTimeOffset? nextUpdate = single.NextUpdate is { } next ? Utc(next) : null;

        // RFC 8954: a nonce answers this request only.
        if (basic.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is { } echoed)
        {
            if (!IsOurNonce(echoed.GetOctets(), nonce))
            {
                return OcspAnswer.Failed("the OCSP response carries a nonce other than the one in our request (it may be a replay)");
            }
        }
        else if (nextUpdate is null && (thisUpdate < _time.GetUtcNow() - skew))
        {
            return OcspAnswer.Failed("the OCSP response neither echoes our nonce nor says until when it is valid (no nextUpdate), and it was not produced just now, so it may be a replay");
        }

        // RFC 6960 3.2 (4), (5): the answer is fresh at the time asked.
        if (thisUpdate > at + skew)
        {
            return OcspAnswer.Failed($"the OCSP response is dated later than the time asked (thisUpdate {thisUpdate:u})");
        }

        if (nextUpdate is { } until && until <= at - skew)
        {
            return OcspAnswer.Failed($"the OCSP response is stale (its nextUpdate was {until:u})");
        }

        var check = single.GetCertStatus() switch
        {
            null => new RevocationCheck(RevocationStatus.Good, Source: "OCSP"),
            RevokedStatus revoked => new RevocationCheck(
                RevocationStatus.Revoked,
                Utc(revoked.RevocationTime),
                revoked.HasRevocationReason ? CrlRevocationSource.ReasonName(revoked.RevocationReason) : null,
                Source: "OCSP"),
            _ => new RevocationCheck(RevocationStatus.Unknown, Problem: $"the OCSP responder at {url} does not know the certificate (status unknown), so the CA may never have issued it", Source: "OCSP", IsConclusive: true),
        };
        return new OcspAnswer(check, thisUpdate, nextUpdate);
    }

    /// <returns>Why the response's signer is not to be believed, or <see langword="null"/>.</returns>
    private static string? SignerProblem(BasicOcspResp basic, X509Certificate issuer, DateTimeOffset at)
    {
        if (Verifies(basic, issuer))
        {
            return null;
        }

        // RFC 6960 4.2.2.2: a delegated responder's certificate is included in the response, issued
        // directly by the CA, and carries id-kp-OCSPSigning.
        foreach (var responder in basic.GetCerts() ?? [])
        {
            if (!Verifies(basic, responder))
            {
                continue;
            }

            if (!responder.IssuerDN.Equivalent(issuer.SubjectDN, true) || !IsIssuedBy(responder, issuer))
            {
                return "the OCSP response is signed by a responder certificate the CA did not issue";
            }

            if (!HasOcspSigning(responder))
            {
                return "the OCSP response is signed by a responder certificate the CA did not authorise for OCSP (no id-kp-OCSPSigning extended key usage)";
            }

            if (at < Utc(responder.NotBefore) || at > Utc(responder.NotAfter))
            {
                return $"the OCSP response is signed by a responder certificate that is not valid at this time (valid {Utc(responder.NotBefore):u} to {Utc(responder.NotAfter):u})";
            }

            return null;
        }

        return "the OCSP response is signed by a key that is neither the CA's nor a responder the CA authorised";
    }

    private static bool Verifies(BasicOcspResp basic, X509Certificate signer)
    {
        try
        {
            return basic.Verify(signer.GetPublicKey());
        }
        catch (Exception e) when (e is OcspException || CertificatePathValidator.IsBadInput(e))
        {
            return false;
        }
    }

    private static bool IsIssuedBy(X509Certificate certificate, X509Certificate issuer)
    {
        try
        {
            certificate.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (CertificatePathValidator.IsBadInput(e))
        {
            return false;
        }
    }

    private static bool HasOcspSigning(X509Certificate responder)
    {
        try
        {
            return responder.GetExtendedKeyUsage()?.Any(p => p.Id == OcspSigning) == true;
        }
        catch (Exception e) when (CertificatePathValidator.IsBadInput(e))
        {
            return false;
        }
    }

    // The extnValue holds a DER OCTET STRING with the nonce (RFC 8954); some responders echo the bare bytes.
    private static bool IsOurNonce(byte[] extensionValue, byte[] nonce) =>
        CryptographicOperations.FixedTimeEquals(extensionValue, new DerOctetString(nonce).GetEncoded())
        || CryptographicOperations.FixedTimeEquals(extensionValue, nonce);

    private static string StatusName(int status) => status switch
    {
        OcspRespStatus.MalformedRequest => "malformedRequest",
        OcspRespStatus.InternalError => "internalError",
        OcspRespStatus.TryLater => "tryLater",
        OcspRespStatus.SigRequired => "sigRequired",
        OcspRespStatus.Unauthorized => "unauthorized",
        _ => $"status {status}",
    };

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
