using Microsoft.Extensions.Logging;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// Log messages of online revocation checking (event ids 3300–3319). They name certificates by
/// serial number (hex) and issuer key id only: never a subject, which holds a name and a CCCD.
/// </summary>
internal static partial class RevocationLog
{
    [LoggerMessage(EventId = 3300, Level = LogLevel.Warning, Message = "OCSP could not answer for serial {Serial} (issuer key {IssuerKeyId}): {Problem}")]
    public static partial void OcspFailed(this ILogger logger, string serial, string issuerKeyId, string problem);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "No usable CRL from a distribution point for serial {Serial} (issuer key {IssuerKeyId}): {Problem}")]
    public static partial void CrlFailed(this ILogger logger, string serial, string issuerKeyId, string problem);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Revocation of serial {Serial} (issuer key {IssuerKeyId}) not checked; accepted because the CA's policy is fail-open: {Problems}")]
    public static partial void FailedOpen(this ILogger logger, string serial, string issuerKeyId, string problems);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "CRL from {Url} (issuer key {IssuerKeyId}) cached until {NextUpdate:O}.")]
    public static partial void CrlCached(this ILogger logger, string url, string issuerKeyId, DateTimeOffset nextUpdate);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Refreshing the CRL from {Url} failed; the cached one stays in use until {NextUpdate:O}: {Problem}")]
    public static partial void CrlRefreshFailed(this ILogger logger, string url, DateTimeOffset nextUpdate, string problem);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Error, Message = "The background CRL refresh failed.")]
    public static partial void CrlRefreshCrashed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3306, Level = LogLevel.Information, Message = "OCSP responder refused a malformed request ({Length} bytes).")]
    public static partial void OcspMalformedRequest(this ILogger logger, int length);
}
