namespace EIdentity.Server.Identities;

internal static class ActivationMessages
{
    /// <summary>The localized message key for an activation check.</summary>
    public static string For(ActivationCheck status) => status switch
    {
        ActivationCheck.Expired => "Error.Activation.Expired",
        ActivationCheck.AlreadyUsed => "Error.Activation.Used",
        ActivationCheck.IdentitySuspended => "Error.Identity.Suspended",
        _ => "Error.Activation.Unknown",
    };
}
