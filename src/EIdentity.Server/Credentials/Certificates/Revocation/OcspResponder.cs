using X509RevocationReason = System.Security.Cryptography.X509Certificates.X509RevocationReason;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>What a CA says about one of its serial numbers.</summary>
/// <param name="RevokedAt">When it was revoked (revoked only).</param>
/// <param name="Reason">The RFC 5280 5.3.1 reason, when the CA gives one (revoked only).</param>
internal sealed record OcspEntryStatus(CertificateState State, DateTimeOffset? RevokedAt = null, X509RevocationReason? Reason = null)
{
    public static OcspEntryStatus Good { get; } = new(CertificateState.Good);

    /// <summary>The CA never issued this serial number (or does not say).</summary>
    public static OcspEntryStatus Unknown { get; } = new(CertificateState.Unknown);

    public static OcspEntryStatus Revoked(DateTimeOffset at, X509RevocationReason? reason = null) => new(CertificateState.Revoked, at, reason);
}

internal enum CertificateState
{
    Good,
    Revoked,
    Unknown,
}

/// <summary>
/// An RFC 6960 OCSP responder for one CA: the development server serves it for the development
/// PKI, and tests answer the OCSP client with it. It signs with the CA key itself, or with a
/// delegated responder's key whose certificate it then includes (RFC 6960 4.2.2.2).
/// </summary>
internal sealed class OcspResponder
{
    /// <summary>Largest request accepted over HTTP: a request for a few certificates is well under 1 KiB.</summary>
    public const int MaxRequestBytes = 16 * 1024;

    private readonly X509Certificate _ca;
    private readonly AsymmetricKeyParameter _signingKey;
    private readonly X509Certificate? _responderCertificate;
    private readonly Func<BigInteger, OcspEntryStatus> _statusOf;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _validity;
    private readonly ILogger _logger;

    /// <param name="ca">The CA whose certificates this responder speaks for.</param>
    /// <param name="signingKey">The CA's private key, or the delegated responder's when <paramref name="responderCertificate"/> is given (ECDSA or RSA).</param>
    /// <param name="statusOf">The status of a serial number the CA issued.</param>
    /// <param name="time">Gives thisUpdate and producedAt.</param>
    /// <param name="validity">How long an answer may be relied on (nextUpdate = now + validity); <see langword="null"/> omits nextUpdate, which tells clients not to cache.</param>
    /// <param name="responderCertificate">A delegated responder certificate the CA issued with id-kp-OCSPSigning; <see langword="null"/> when the CA key signs.</param>
    public OcspResponder(
        X509Certificate ca,
        AsymmetricKeyParameter signingKey,
        Func<BigInteger, OcspEntryStatus> statusOf,
        TimeProvider time,
        TimeSpan? validity,
        X509Certificate? responderCertificate = null,
        ILogger<OcspResponder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(statusOf);
        ArgumentNullException.ThrowIfNull(time);
        if (!signingKey.IsPrivate)
        {
            throw new ArgumentException("The OCSP signing key must be a private key.", nameof(signingKey));
        }

        _ca = ca;
        _signingKey = signingKey;
        _statusOf = statusOf;
        _time = time;
        _validity = validity;
        _responderCertificate = responderCertificate;
        _logger = logger ?? NullLogger<OcspResponder>.Instance;
    }

    /// <summary>Answers a DER OCSPRequest with a DER OCSPResponse; a request that cannot be read gets malformedRequest.</summary>
    public byte[] Respond(byte[] derRequest)
    {
        ArgumentNullException.ThrowIfNull(derRequest);
        Req[] requests;
        OcspReq request;
        try
        {
            request = new OcspReq(derRequest);
            requests = request.GetRequestList();
        }
        catch (Exception e) when (e is OcspException || CertificatePathValidator.IsBadInput(e))
        {
            requests = [];
            request = null!;
        }

        // RFC 6960 4.2.1: a request that is not syntactically valid gets malformedRequest.
        if (requests.Length == 0)
        {
            _logger.OcspMalformedRequest(derRequest.Length);
            return new OCSPRespGenerator().Generate(OCSPRespGenerator.MalformedRequest, null).GetEncoded();
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var generator = new BasicOcspRespGenerator((_responderCertificate ?? _ca).GetPublicKey());
        foreach (var one in requests)
        {
            var id = one.GetCertID();
            generator.AddResponse(id, StatusOf(id), now, _validity is { } validity ? now + validity : null, null);
        }

        // RFC 8954 / RFC 6960 4.4.1: echo the nonce so the client knows this answer is not a replay.
        if (request.RequestExtensions?.GetExtension(OcspObjectIdentifiers.PkixOcspNonce) is { } nonce)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, nonce.Value.GetOctets());
            generator.SetResponseExtensions(extensions.Generate());
        }

        var algorithm = _signingKey is ECPrivateKeyParameters ? "SHA256WITHECDSA" : "SHA256WITHRSA";
        var basic = generator.Generate(
            new Asn1SignatureFactory(algorithm, _signingKey),
            _responderCertificate is null ? null : [_responderCertificate],
            now);
        return new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, basic).GetEncoded();
    }

    /// <summary>
    /// Serves <see cref="Respond"/> over HTTP (RFC 6960 Appendix A): POST with an
    /// <c>application/ocsp-request</c> body, or GET with the base64 request as the last path part
    /// (map the GET route as <c>{**request}</c> so that a '/' in the base64 survives).
    /// </summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] der;
        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (!string.Equals(context.Request.ContentType, "application/ocsp-request", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return;
            }

            if (await ReadBodyAsync(context.Request, context.RequestAborted) is not { } body)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            der = body;
        }
        else if (HttpMethods.IsGet(context.Request.Method))
        {
            var encoded = context.Request.RouteValues["request"] as string
                ?? context.Request.Path.Value?[(context.Request.Path.Value.LastIndexOf('/') + 1)..]
                ?? "";
            der = FromBase64(Uri.UnescapeDataString(encoded));
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var response = Respond(der);
        context.Response.ContentType = "application/ocsp-response";
        context.Response.ContentLength = response.Length;
        await context.Response.Body.WriteAsync(response, context.RequestAborted);
    }

    private CertificateStatus? StatusOf(CertificateID id)
    {
        bool ours;
        try
        {
            // RFC 6960 4.1.1: issuerNameHash and issuerKeyHash must be this CA's.
            ours = id.MatchesIssuer(_ca);
        }
        catch (Exception e) when (e is OcspException || CertificatePathValidator.IsBadInput(e))
        {
            ours = false;
        }

        var status = ours ? _statusOf(id.SerialNumber) : OcspEntryStatus.Unknown;
        return status.State switch
        {
            CertificateState.Good => CertificateStatus.Good,
            CertificateState.Revoked when status.Reason is { } reason => new RevokedStatus(status.RevokedAt!.Value.UtcDateTime, (int)reason),
            CertificateState.Revoked => new RevokedStatus(status.RevokedAt!.Value.UtcDateTime),
            _ => new UnknownStatus(),
        };
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxRequestBytes)
        {
            return null;
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxRequestBytes)
            {
                return null;
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    private static byte[] FromBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
