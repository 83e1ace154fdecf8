using System.Buffers.Text;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Identity;

namespace EIdentity.Server.Credentials.Passkeys;

internal static class PasskeyEvidence
{
    /// <summary>
    /// What a passkey sign-in proves. Every passkey is user-verified (the ceremony requires it),
    /// which reaches <c>substantial</c>. Reaching <c>high</c> needs a verified hardware attestation,
    /// which the authenticator trust policy decides (not yet in place).
    /// </summary>
    public static SignInEvidence For(UserPasskeyInfo passkey) => new(
        Base64Url.EncodeToString(passkey.CredentialId),
        AuthenticationMethods.LoaSubstantial,
        passkey.IsUserVerified
            ? [AuthenticationMethods.ProofOfPossession, AuthenticationMethods.UserPresence, AuthenticationMethods.MultiFactor]
            : [AuthenticationMethods.ProofOfPossession, AuthenticationMethods.UserPresence]);
}
