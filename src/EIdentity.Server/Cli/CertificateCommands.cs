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
    /// <param name="online">
    /// Without --no-fetch: makes the revocation source that also asks OCSP responders and CRL
    /// distribution points (given the CRLs from the command line). Null: never fetch.
    /// </param>
    public static async Task<int> VerifyAsync(CommandArguments args, TimeProvider time, TextWriter output, Func<IReadOnlyList<byte[]>, IRevocationSource>? online = null)
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

        var anchors = args.All("trust-anchor").SelectMany(f => ReadCertificates(f, "--trust-anchor")).ToList();
        var intermediates = args.All("intermediate").SelectMany(f => ReadCertificates(f, "--intermediate")).ToList();
        var crls = args.All("crl").SelectMany(ReadCrls).ToList();
        IRevocationSource revocation = online is null || args.Flag("no-fetch") ? new CrlRevocationSource(crls) : online(crls);

        var allValid = true;
        foreach (var file in args.Positional)
        {
            string verdict;
            X509Certificate2? certificate = null;
            try
            {
                certificate = ReadCertificates(file, "certificate").First();
                var result = await CertificatePathValidator.ValidateAsync(certificate, anchors, intermediates, revocation, at, CertificateValidationOptions.Default, CancellationToken.None);
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

    /// <summary><c>certificate block</c>: a security officer refuses one certificate from now on.</summary>
    public static async Task<int> BlockAsync(IServiceProvider services, CommandArguments args)
    {
        var (issuer, serial) = IssuerAndSerial(args);
        var (change, ended) = await services.GetRequiredService<CertificateBlockList>()
            .BlockAsync(issuer, serial, args.Optional("reason") ?? "blocked by a security officer", args.Optional("officer") ?? "cli");
        Console.WriteLine(change == BlockChange.Done
            ? $"Blocked certificate {serial} of {issuer.Name}; {ended} session(s) ended."
            : $"Certificate {serial} of {issuer.Name} was already blocked.");
        return 0;
    }

    public static async Task<int> UnblockAsync(IServiceProvider services, CommandArguments args)
    {
        var (issuer, serial) = IssuerAndSerial(args);
        var change = await services.GetRequiredService<CertificateBlockList>().UnblockAsync(issuer, serial, args.Optional("officer") ?? "cli");
        if (change == BlockChange.NotFound)
        {
            await Console.Error.WriteLineAsync($"error: certificate {serial} of {issuer.Name} is not blocked");
            return 1;
        }

        Console.WriteLine($"Unblocked certificate {serial} of {issuer.Name}.");
        return 0;
    }

    public static async Task<int> ListBlocksAsync(IServiceProvider services)
    {
        var blocks = await services.GetRequiredService<CertificateBlockList>().ListAsync();
        if (blocks.Count == 0)
        {
            Console.WriteLine("No certificate is blocked.");
        }

        foreach (var block in blocks)
        {
            Console.WriteLine($"{block.BlockedAt:u}  serial {block.SerialNumber}  issuer {block.IssuerDisplayName}  by {block.BlockedBy}: {block.Reason}");
        }

        return 0;
    }

    /// <summary>From <c>--cert &lt;file&gt;</c>, or <c>--issuer "&lt;DN&gt;" --serial &lt;hex&gt;</c>.</summary>
    private static (System.Security.Cryptography.X509Certificates.X500DistinguishedName Issuer, string Serial) IssuerAndSerial(CommandArguments args)
    {
        if (args.Optional("cert") is { } file)
        {
            using var certificate = ReadCertificates(file, "--cert").First();
            return (new System.Security.Cryptography.X509Certificates.X500DistinguishedName(certificate.IssuerName.RawData), CertificateNames.Serial(certificate));
        }

        if (!CertificateNames.TryParse(args.Required("issuer"), out var issuer))
        {
            throw new CommandException("--issuer must be a distinguished name such as \"CN=Example CA, O=Example, C=VN\"");
        }

        if (!CertificateNames.TryParseSerial(args.Required("serial"), out var serial))
        {
            throw new CommandException("--serial must be the serial number in hexadecimal, e.g. 741FD11F92500A53");
        }

        return (issuer!, serial);
    }
}
