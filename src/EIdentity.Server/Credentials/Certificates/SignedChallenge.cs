using System.Security.Cryptography;
using Org.BouncyCastle.Cms;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// The string a USB-token signing plugin signs to sign in (docs/certificate-sign-in.md): UTF-8,
/// three lines separated by LF, no trailing newline. The origin is part of it, so a signature made
/// for another site's challenge never verifies here.
/// </summary>
internal static class SignedChallenge
{
    public const string Header = "EIdentity certificate sign-in v1";

    public static string ToBeSigned(string origin, string nonce) => $"{Header}\norigin: {origin}\nnonce: {nonce}";

    /// <summary>
    /// Verifies a CMS (PKCS#7) detached signature over <see cref="ToBeSigned"/> and returns the
    /// signer's certificate, or why not. Exactly one signer; when the client also sends the
    /// certificate separately, it must be the signer's.
    /// </summary>
    public static (X509Certificate2? Signer, string? Problem) Verify(string toBeSigned, byte[] cms, byte[]? certificate)
    {
        ArgumentNullException.ThrowIfNull(cms);
        X509Certificate2? supplied = null;
        if (certificate is { Length: > 0 })
        {
            try
            {
                supplied = X509CertificateLoader.LoadCertificate(certificate);
            }
            catch (CryptographicException)
            {
                return (null, "The certificate sent with the signature is not an X.509 certificate.");
            }
        }

        CmsSignedData signed;
        List<SignerInformation> signers;
        try
        {
            signed = new CmsSignedData(new CmsProcessableByteArray(Encoding.UTF8.GetBytes(toBeSigned)), cms);
            signers = [.. signed.GetSignerInfos().GetSigners()];
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return (null, "The signature is not a CMS (PKCS#7) SignedData structure.");
        }

        if (signers.Count != 1)
        {
            return (null, "The signature must have exactly one signer.");
        }

        var signer = signers[0];
        X509Certificate2? signerCertificate = null;
        try
        {
            var embedded = signed.GetCertificates().EnumerateMatches(signer.SignerID).FirstOrDefault();
            signerCertificate = embedded is not null ? X509CertificateLoader.LoadCertificate(embedded.GetEncoded()) : supplied;
        }
        catch (Exception e) when (IsBadInput(e) || e is CryptographicException)
        {
            return (null, "The certificate inside the signature cannot be read.");
        }

        if (signerCertificate is null)
        {
            return (null, "Neither the signature nor the request carries the signer's certificate.");
        }

        if (supplied is not null && !supplied.RawData.AsSpan().SequenceEqual(signerCertificate.RawData))
        {
            return (null, "The certificate sent with the signature is not the one that signed it.");
        }

        try
        {
            // The signature over the challenge (and the signed attributes' message digest); the
            // certificate itself is judged by path validation, at the time of sign-in.
            if (!signer.Verify(new Org.BouncyCastle.X509.X509Certificate(signerCertificate.RawData).GetPublicKey()))
            {
                return (null, "The signature does not verify over this challenge with the certificate's key.");
            }
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return (null, "The signature does not verify over this challenge with the certificate's key.");
        }

        return (X509CertificateLoader.LoadCertificate(signerCertificate.RawData), null);
    }

    private static bool IsBadInput(Exception e) => CertificatePathValidator.IsBadInput(e) || e is CmsException;
}
