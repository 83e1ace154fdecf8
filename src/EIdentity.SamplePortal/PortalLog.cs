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
}
