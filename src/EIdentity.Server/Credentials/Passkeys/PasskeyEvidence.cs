using EIdentity.Server.Sessions;

namespace EIdentity.Server.Credentials.Passkeys;

internal static class PasskeyEvidence
{
    /// <summary>
    /// What a sign-in with this passkey proves (docs/passkey-policy.md). Every ceremony requires
    /// user verification. A key the policy placed at <c>high</c> is an attested hardware key:
    /// <c>hwk</c> + <c>user</c> + <c>mfa</c>; any other passkey is proof of possession of a key whose
    /// storage we cannot vouch for: <c>pop</c> + <c>user</c> + <c>mfa</c> at <c>substantial</c>.
    /// </summary>
    public static SignInEvidence For(PasskeyCredential credential) => credential.Level == AuthenticationMethods.LoaHigh
        ? new(credential.CredentialId, AuthenticationMethods.LoaHigh,
            [AuthenticationMethods.HardwareKey, AuthenticationMethods.UserPresence, AuthenticationMethods.MultiFactor])
        : new(credential.CredentialId, AuthenticationMethods.LoaSubstantial,
            [AuthenticationMethods.ProofOfPossession, AuthenticationMethods.UserPresence, AuthenticationMethods.MultiFactor]);
}
