using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;

namespace EIdentity.Server.Cli;

/// <summary>
/// <c>certificate verify</c>: RFC 5280 path validation of certificate files against the trust
/// anchors, intermediates and CRLs given on the command line, the way sign-in will judge them.
/// </summary>
internal static class CertificateCommands
{
    public static readonly IReadOnlySet<string> VerifyFlags = new HashSet<string>(StringComparer.Ordinal) { "no-fetch" };

    /// <returns>0 when every certificate is valid, 1 otherwise.</returns>
    public static async Task<int> VerifyAsync(CommandArguments args, TimeProvider time, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Positional.Count == 0)
        {
            throw new CommandException("certificate verify needs at least one certificate file");
        }

        if (args.All("trust-anchor").Count == 0)
        {
            throw new CommandException("--trust-anchor is required");
        }

        var at = time.GetUtcNow();
        if (args.Optional("at") is { } atText
            && !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at))
        {
            throw new CommandException("--at must be an ISO 8601 time, e.g. 2026-03-01T12:00:00Z");
        }

        // --no-fetch is accepted for scripts written against later versions: this one never fetches.
        var anchors = args.All("trust-anchor").SelectMany(f => ReadCertificates(f, "--trust-anchor")).ToList();
        var intermediates = args.All("intermediate").SelectMany(f => ReadCertificates(f, "--intermediate")).ToList();
        var crls = args.All("crl").SelectMany(ReadCrls).ToList();

        var allValid = true;
        foreach (var file in args.Positional)
        {
            string verdict;
            X509Certificate2? certificate = null;
            try
            {
                certificate = ReadCertificates(file, "certificate").First();
                var result = await CertificatePathValidator.ValidateAsync(certificate, anchors, intermediates, crls, at, CertificateValidationOptions.Default);
                verdict = $"{(result.IsValid ? "VALID" : "INVALID")}: {result.Reason}";
                allValid &= result.IsValid;
            }
            catch (CommandException e)
            {
                verdict = $"INVALID: {e.Message}.";
                allValid = false;
            }
            finally
            {
                certificate?.Dispose();
            }

            await output.WriteLineAsync($"{file}: {verdict}");
        }

        return allValid ? 0 : 1;
    }

    private static byte[] ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CommandException($"{what}: cannot read '{path}': {e.Message}");
        }
    }

    /// <summary>Every certificate in a PEM file, or the one certificate of a DER file.</summary>
    private static List<X509Certificate2> ReadCertificates(string path, string what)
    {
        var bytes = ReadFile(path, what);
        try
        {
            var pem = Pem(bytes, "CERTIFICATE");
            return pem is null
                ? [X509CertificateLoader.LoadCertificate(bytes)]
                : pem.Count > 0 ? [.. pem.Select(der => X509CertificateLoader.LoadCertificate(der))] : throw new CryptographicException();
        }
        catch (CryptographicException)
        {
            throw new CommandException($"{what}: '{path}' is not a PEM or DER X.509 certificate");
        }
    }

    private static List<byte[]> ReadCrls(string path)
    {
        var bytes = ReadFile(path, "--crl");
        return Pem(bytes, "X509 CRL") ?? [bytes];
    }

    /// <returns>The DER of each PEM block with this label, or <see langword="null"/> when the file is not PEM.</returns>
    private static List<byte[]>? Pem(byte[] bytes, string label)
    {
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }

        if (!text.Contains("-----BEGIN ", StringComparison.Ordinal))
        {
            return null;
        }

        var blocks = new List<byte[]>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual(label))
            {
                blocks.Add(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
            }

            rest = rest[fields.Location.End..];
        }

        return blocks;
    }
}
