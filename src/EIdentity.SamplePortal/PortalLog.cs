namespace EIdentity.SamplePortal;

// Event ids 9000-9099: sample portal. No names, national ID numbers or tokens in these messages.
internal static partial class PortalLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning,
        Message = "Sign-in could not start: the identity provider at {Authority} is unreachable or rejected the request.")]
    public static partial void SignInCouldNotStart(this ILogger logger, string authority, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Sign-in callback failed ({Error}).")]
    public static partial void SignInCallbackFailed(this ILogger logger, string error, Exception? exception);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning,
        Message = "ID token acr {Reached} does not satisfy the required acr values {Required}.")]
    public static partial void AssuranceLevelNotMet(this ILogger logger, string reached, string required);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning,
        Message = "The local session ended, but logout at the identity provider at {Authority} could not start.")]
    public static partial void ProviderSignOutFailed(this ILogger logger, string authority, Exception exception);

    [LoggerMessage(EventId = 9010, Level = LogLevel.Warning, Message = "Back-channel logout refused: {Reason}")]
    public static partial void LogoutTokenRejected(this ILogger logger, string? reason);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Information, Message = "The identity provider logged out session {SessionId}; its next request here signs out.")]
    public static partial void SessionLoggedOut(this ILogger logger, string sessionId);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Warning, Message = "Back-channel logout could not be checked: the identity provider's keys could not be read.")]
    public static partial void LogoutKeysUnavailable(this ILogger logger, Exception exception);
}
