using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>The operator's allow-list as loaded, with a digest of every byte it was made from (the list and its root files).</summary>
internal sealed record AllowList(IReadOnlyList<AuthenticatorModel> Models, byte[] Digest)
{
    public static AllowList Absent { get; } = new([], SHA256.HashData("absent"u8));
}

/// <summary>
/// The outcome of reading the allow-list: the list (possibly empty, with a problem when the file is
/// missing), or a refusal (the caller keeps the previous list). <paramref name="ReferencedFiles"/>
/// are the root files it names, watched for changes like the list itself.
/// </summary>
internal sealed record AllowListReadResult(AllowList? AllowList, IReadOnlyList<string> ReferencedFiles, string? Problem);

/// <summary>
/// Reads the allow-list (format in certs/README.md). The file is applied whole or not at all: one
/// bad entry refuses the file, so an edit half done never leaves a mixture of old and new trust.
/// </summary>
internal static class AllowListReader
{
    private static readonly string[] CertificateFileExtensions = [".pem", ".crt", ".cer", ".der"];
    private static readonly HashSet<string> EntryProperties =
        ["aaguid", "description", "attestationRootCertificates", "attestationCertificateKeyIdentifiers", "hardware"];

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static AllowListReadResult Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new(AllowList.Absent, [], $"Allow-list: no file at {path}; no authenticator is allow-listed.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(null, [], $"Allow-list: {path} cannot be read ({e.Message}).");
        }

        var folder = Path.GetDirectoryName(path) ?? ".";
        var referenced = new List<string>();
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(bytes);
        try
        {
            using var document = JsonDocument.Parse(bytes, JsonOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("authenticators", out var authenticators)
                || authenticators.ValueKind != JsonValueKind.Array)
            {
                return new(null, referenced, $"Allow-list {path}: expected an object with an \"authenticators\" array.");
            }

            var models = new List<AuthenticatorModel>();
            var seenAaguids = new HashSet<Guid>();
            var seenKeyIds = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var entry in authenticators.EnumerateArray())
            {
                var (model, error) = ReadEntry(entry, folder, referenced, hash);
                if (error is not null)
                {
                    DisposeAll(models);
                    return new(null, referenced, $"Allow-list {path}, entry #{index}: {error} The file was not applied.");
                }

                if ((model!.Aaguid is { } aaguid && !seenAaguids.Add(aaguid))
                    || model.AttestationCertificateKeyIdentifiers.Any(k => !seenKeyIds.Add(k)))
                {
                    DisposeAll([.. models, model]);
                    return new(null, referenced, $"Allow-list {path}, entry #{index}: the AAGUID or a key identifier is listed twice. The file was not applied.");
                }

                models.Add(model);
                index++;
            }

            return new(new AllowList(models, hash.GetHashAndReset()), referenced, null);
        }
        catch (JsonException e)
        {
            return new(null, referenced, $"Allow-list {path} is not valid JSON (line {e.LineNumber + 1}). The file was not applied.");
        }
        finally
        {
            hash.Dispose();
        }
    }

    private static (AuthenticatorModel? Model, string? Error) ReadEntry(JsonElement entry, string folder, List<string> referenced, IncrementalHash hash)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return (null, "not an object.");
        }

        foreach (var property in entry.EnumerateObject())
        {
            if (!property.Name.StartsWith('$') && !EntryProperties.Contains(property.Name))
            {
                return (null, $"unknown property \"{property.Name}\" (expected {string.Join(", ", EntryProperties)}).");
            }
        }

        Guid? aaguid = null;
        if (entry.TryGetProperty("aaguid", out var a))
        {
            if (a.ValueKind != JsonValueKind.String || !Guid.TryParse(a.GetString(), out var parsed) || parsed == Guid.Empty)
            {
                return (null, "\"aaguid\" must be a non-zero UUID such as cb69481e-8ff7-4039-93ec-0a2729a154a8.");
            }

            aaguid = parsed;
        }

        if (!TryStrings(entry, "attestationCertificateKeyIdentifiers", out var keyIds)
            || keyIds.Any(k => k.Length != 40 || !k.All(char.IsAsciiHexDigit)))
        {
            return (null, "\"attestationCertificateKeyIdentifiers\" must be an array of 40-digit hex SHA-1 key identifiers.");
        }

        if (aaguid is null && keyIds.Count == 0)
        {
            return (null, "give an \"aaguid\" or \"attestationCertificateKeyIdentifiers\" (FIDO U2F keys).");
        }

        if (!entry.TryGetProperty("description", out var d) || d.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(d.GetString()))
        {
            return (null, "\"description\" is required: it is the name citizens and support staff see.");
        }

        var hardware = false;
        if (entry.TryGetProperty("hardware", out var h))
        {
            if (h.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (null, "\"hardware\" must be true or false.");
            }

            hardware = h.GetBoolean();
        }

        if (!TryStrings(entry, "attestationRootCertificates", out var rootValues) || rootValues.Count == 0)
        {
            return (null, "\"attestationRootCertificates\" must list at least one root (a file name or base64 DER).");
        }

        var roots = new List<X509Certificate2>();
        foreach (var value in rootValues)
        {
            var (certificates, error) = LoadRoot(value, folder, referenced, hash);
            if (error is not null)
            {
                roots.ForEach(r => r.Dispose());
                return (null, error);
            }

            roots.AddRange(certificates);
        }

        return (new AuthenticatorModel(aaguid, [.. keyIds.Select(k => k.ToLowerInvariant())], d.GetString()!, roots, null, null, hardware,
            AuthenticatorSource.AllowList), null);
    }

    /// <summary>A value ending in .pem, .crt, .cer or .der is a file next to the allow-list; anything else is base64 DER (which never holds a dot).</summary>
    private static (IReadOnlyList<X509Certificate2> Certificates, string? Error) LoadRoot(string value, string folder, List<string> referenced, IncrementalHash hash)
    {
        if (CertificateFileExtensions.Any(e => value.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            var file = Path.GetFullPath(value, folder);
            referenced.Add(file);
            var (certificates, bytes, problem) = CertificateFiles.LoadCertificates(file);
            if (problem is not null)
            {
                return ([], $"root certificate file: {problem}");
            }

            hash.AppendData(Encoding.UTF8.GetBytes(file));
            hash.AppendData(bytes!);
            return (certificates, null);
        }

        var certificate = CertificateFiles.FromBase64(value);
        return certificate is null
            ? ([], "a value in \"attestationRootCertificates\" is neither a certificate file name (.pem, .crt, .cer, .der) nor base64 DER.")
            : ([certificate], null);
    }

    private static bool TryStrings(JsonElement entry, string property, out List<string> values)
    {
        values = [];
        if (!entry.TryGetProperty(property, out var array))
        {
            return true;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            values.Add(item.GetString()!);
        }

        return true;
    }

    private static void DisposeAll(IEnumerable<AuthenticatorModel> models)
    {
        foreach (var root in models.SelectMany(m => m.AttestationRoots))
        {
            root.Dispose();
        }
    }
}
