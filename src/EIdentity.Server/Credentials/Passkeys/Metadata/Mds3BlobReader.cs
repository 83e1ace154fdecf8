using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>A verified MDS3 BLOB payload.</summary>
/// <param name="Number">The payload's serial number (<c>no</c>); higher is newer.</param>
/// <param name="NextUpdate">The date by which the FIDO Alliance publishes the next BLOB.</param>
/// <param name="Models">Its FIDO2 (AAGUID) and U2F (key identifier) entries; UAF-only entries are left out.</param>
/// <param name="Problems">Entries or parts of entries that could not be read and were skipped.</param>
internal sealed record Mds3Blob(long Number, DateOnly NextUpdate, IReadOnlyList<AuthenticatorModel> Models, IReadOnlyList<string> Problems);

/// <summary>The BLOB, or why it was refused.</summary>
internal sealed record Mds3BlobReadResult(Mds3Blob? Blob, string? Refusal)
{
    public static Mds3BlobReadResult Refused(string reason) => new(null, reason);
}

/// <summary>
/// Reads a FIDO Metadata Service 3.0 BLOB (a JWS in compact serialization, RFC 7515 7.1) and
/// verifies it as FIDO MDS 3.0 "Metadata BLOB object processing rules" ask:
/// the x5c chain to the configured root, then the signature with x5c[0].
/// </summary>
internal static class Mds3BlobReader
{
    private static readonly string[] HardwareProtection = ["hardware", "secure_element", "tee"];

    public static Mds3BlobReadResult Read(ReadOnlySpan<byte> file, IReadOnlyList<X509Certificate2> roots, string? signerName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(roots);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(file).Trim();
        }
        catch (DecoderFallbackException)
        {
            return Mds3BlobReadResult.Refused("The BLOB is not text: expected a JWS (header.payload.signature).");
        }

        var parts = text.Split('.');
        if (parts.Length != 3
            || Decode(parts[0]) is not { } headerBytes
            || Decode(parts[1]) is not { } payloadBytes
            || Decode(parts[2]) is not { } signature)
        {
            return Mds3BlobReadResult.Refused("The BLOB is not a JWS in compact serialization (header.payload.signature, base64url).");
        }

        var header = ReadHeader(headerBytes);
        if (header.Refusal is not null)
        {
            return Mds3BlobReadResult.Refused(header.Refusal);
        }

        try
        {
            if (CheckChain(header.Chain, roots, signerName, now) is { } chainProblem)
            {
                return Mds3BlobReadResult.Refused(chainProblem);
            }

            // RFC 7515 5.2 step 8: the signing input is the ASCII of "header.payload" exactly as received.
            var signingInput = Encoding.ASCII.GetBytes(string.Concat(parts[0], ".", parts[1]));
            if (VerifySignature(header.Algorithm, header.Chain[0], signingInput, signature) is { } signatureProblem)
            {
                return Mds3BlobReadResult.Refused(signatureProblem);
            }
        }
        finally
        {
            foreach (var certificate in header.Chain)
            {
                certificate.Dispose();
            }
        }

        return ReadPayload(payloadBytes);
    }

    private static byte[]? Decode(string part)
    {
        var buffer = new byte[Base64Url.GetMaxDecodedLength(part.Length)];
        return Base64Url.TryDecodeFromChars(part, buffer, out var written) ? buffer[..written] : null;
    }

    private static (string Algorithm, X509Certificate2[] Chain, string? Refusal) ReadHeader(byte[] headerBytes)
    {
        try
        {
            using var document = JsonDocument.Parse(headerBytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
            {
                return ("", [], "The BLOB's JWS header has no alg.");
            }

            // FIDO MDS 3.0, Metadata BLOB format: the signing chain comes in x5c; x5u would need a download, which we never do.
            if (!root.TryGetProperty("x5c", out var x5c) || x5c.ValueKind != JsonValueKind.Array || x5c.GetArrayLength() == 0)
            {
                return ("", [], "The BLOB's JWS header has no x5c certificate chain (x5u is not followed offline).");
            }

            var chain = new List<X509Certificate2>();
            foreach (var item in x5c.EnumerateArray())
            {
                // RFC 7515 4.1.6: base64 (not base64url) DER.
                var certificate = item.ValueKind == JsonValueKind.String ? CertificateFiles.FromBase64(item.GetString()!) : null;
                if (certificate is null)
                {
                    chain.ForEach(c => c.Dispose());
                    return ("", [], "The BLOB's x5c holds something that is not a base64 DER certificate.");
                }

                chain.Add(certificate);
            }

            return (alg.GetString()!, [.. chain], null);
        }
        catch (JsonException)
        {
            return ("", [], "The BLOB's JWS header is not JSON.");
        }
    }

    private static string? CheckChain(X509Certificate2[] x5c, IReadOnlyList<X509Certificate2> roots, string? signerName, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(x5c[1..]);
        // Offline by design: no AIA downloads and no CRL/OCSP for the BLOB chain (docs/authenticator-metadata.md).
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;

        if (!chain.Build(x5c[0]))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            if (flags.HasFlag(X509ChainStatusFlags.NotTimeValid))
            {
                return "The BLOB's signing certificate chain is expired or not yet valid.";
            }

            return flags.HasFlag(X509ChainStatusFlags.PartialChain) || flags.HasFlag(X509ChainStatusFlags.UntrustedRoot)
                ? "The BLOB's signing certificate does not chain to the configured BLOB root certificate."
                : $"The BLOB's signing certificate chain is not valid ({flags}).";
        }

        if (!string.IsNullOrEmpty(signerName) && !x5c[0].MatchesHostname(signerName, allowWildcards: false))
        {
            return $"The BLOB is signed by a certificate not issued for {signerName} (Passkeys:Metadata:BlobSignerName).";
        }

        return null;
    }

    private static string? VerifySignature(string algorithm, X509Certificate2 signer, byte[] input, byte[] signature)
    {
        // RFC 7518 3.1: the algorithms a JWS may name; "none" and HMAC make no sense for a published BLOB.
        var (family, hash) = algorithm switch
        {
            "RS256" => ("RS", HashAlgorithmName.SHA256),
            "RS384" => ("RS", HashAlgorithmName.SHA384),
            "RS512" => ("RS", HashAlgorithmName.SHA512),
            "PS256" => ("PS", HashAlgorithmName.SHA256),
            "PS384" => ("PS", HashAlgorithmName.SHA384),
            "PS512" => ("PS", HashAlgorithmName.SHA512),
            "ES256" => ("ES", HashAlgorithmName.SHA256),
            "ES384" => ("ES", HashAlgorithmName.SHA384),
            "ES512" => ("ES", HashAlgorithmName.SHA512),
            _ => ("", default),
        };

        bool valid;
        if (family is "RS" or "PS")
        {
            using var rsa = signer.GetRSAPublicKey();
            if (rsa is null)
            {
                return $"The BLOB names {algorithm} but its signing certificate holds no RSA key.";
            }

            // RFC 7518 3.3: RSA keys of 2048 bits or more.
            if (rsa.KeySize < 2048)
            {
                return "The BLOB's RSA signing key is shorter than 2048 bits.";
            }

            valid = rsa.VerifyData(input, signature, hash, family == "RS" ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss);
        }
        else if (family == "ES")
        {
            using var ecdsa = signer.GetECDsaPublicKey();
            // RFC 7518 3.4: ES256 uses P-256, ES384 P-384, ES512 P-521.
            var expectedSize = algorithm switch { "ES256" => 256, "ES384" => 384, _ => 521 };
            if (ecdsa is null || ecdsa.KeySize != expectedSize)
            {
                return $"The BLOB names {algorithm} but its signing certificate holds no matching EC key.";
            }

            // RFC 7518 3.4: the JWS signature is R || S (IEEE P1363), not DER.
            valid = ecdsa.VerifyData(input, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        else
        {
            return $"The BLOB is signed with {algorithm}, which is not accepted (RS*, PS*, ES* only).";
        }

        return valid ? null : "The BLOB's signature is not valid.";
    }

    private static Mds3BlobReadResult ReadPayload(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("no", out var no) || !no.TryGetInt64(out var number)
                || !root.TryGetProperty("nextUpdate", out var next) || ParseDate(next) is not { } nextUpdate
                || !root.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                return Mds3BlobReadResult.Refused("The BLOB payload lacks no, nextUpdate (YYYY-MM-DD) or entries (FIDO MDS 3.0, MetadataBLOBPayload).");
            }

            var models = new List<AuthenticatorModel>();
            var problems = new List<string>();
            var index = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                if (ReadEntry(entry, index++, problems) is { } model)
                {
                    models.Add(model);
                }
            }

            return new(new Mds3Blob(number, nextUpdate, models, problems), null);
        }
        catch (JsonException)
        {
            return Mds3BlobReadResult.Refused("The BLOB payload is not JSON.");
        }
    }

    private static AuthenticatorModel? ReadEntry(JsonElement entry, int index, List<string> problems)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"MDS3 entry #{index} is not an object; skipped.");
            return null;
        }

        // FIDO MDS 3.0, MetadataBLOBPayloadEntry: FIDO2 entries have an aaguid, U2F entries attestationCertificateKeyIdentifiers,
        // UAF entries an aaid (not usable with WebAuthn, left out).
        Guid? aaguid = null;
        if (entry.TryGetProperty("aaguid", out var aaguidElement))
        {
            if (aaguidElement.ValueKind != JsonValueKind.String || !Guid.TryParse(aaguidElement.GetString(), out var parsed))
            {
                problems.Add($"MDS3 entry #{index} has an aaguid that is not a UUID; skipped.");
                return null;
            }

            aaguid = parsed;
        }

        var keyIdentifiers = Strings(entry, "attestationCertificateKeyIdentifiers").Select(k => k.ToLowerInvariant()).ToArray();
        if (aaguid is null && keyIdentifiers.Length == 0)
        {
            return null;
        }

        var label = aaguid?.ToString() ?? $"#{index}";
        var description = $"Authenticator {label}";
        var roots = new List<X509Certificate2>();
        var hardware = false;
        if (entry.TryGetProperty("metadataStatement", out var statement) && statement.ValueKind == JsonValueKind.Object)
        {
            if (statement.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(d.GetString()))
            {
                description = d.GetString()!;
            }

            foreach (var encoded in Strings(statement, "attestationRootCertificates"))
            {
                if (CertificateFiles.FromBase64(encoded) is { } certificate)
                {
                    roots.Add(certificate);
                }
                else
                {
                    problems.Add($"MDS3 entry {label}: an attestation root certificate is not base64 DER; that root is skipped.");
                }
            }

            hardware = IsHardware(statement);
        }

        var (status, effective) = LatestStatus(entry);
        return new AuthenticatorModel(aaguid, keyIdentifiers, description, roots, status, effective, hardware, AuthenticatorSource.MetadataService);
    }

    private static bool IsHardware(JsonElement statement)
    {
        if (!statement.TryGetProperty("keyProtection", out var protection))
        {
            return false;
        }

        // FIDO Registry of Predefined Values, Key Protection Types: MDS3 lists names. Earlier statements used a bit field
        // (KEY_PROTECTION_HARDWARE 0x2, _TEE 0x4, _SECURE_ELEMENT 0x8).
        return protection.ValueKind switch
        {
            JsonValueKind.Array => Strings(statement, "keyProtection").Any(p => HardwareProtection.Contains(p, StringComparer.OrdinalIgnoreCase)),
            JsonValueKind.Number => protection.TryGetInt32(out var bits) && (bits & 0x0E) != 0,
            _ => false,
        };
    }

    // Reports that compromise every device of a model. A later report (UPDATE_AVAILABLE, a new
    // certification for fixed firmware) does not clear them: the server cannot see which firmware a
    // key runs, so the devices already in the field stay suspect.
    private static readonly string[] CompromiseStatuses =
    [
        "REVOKED",
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    ];

    /// <summary>
    /// FIDO MDS 3.0, StatusReport: the report with the latest effectiveDate states the model's status
    /// (on a tie, the last one listed) — except that a compromise report, once made, sticks.
    /// </summary>
    private static (string? Status, DateOnly? EffectiveDate) LatestStatus(JsonElement entry)
    {
        if (!entry.TryGetProperty("statusReports", out var reports) || reports.ValueKind != JsonValueKind.Array)
        {
            return (null, null);
        }

        (string? Status, DateOnly? EffectiveDate) latest = (null, null);
        (string? Status, DateOnly? EffectiveDate) compromise = (null, null);
        foreach (var report in reports.EnumerateArray())
        {
            if (report.ValueKind != JsonValueKind.Object
                || !report.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var date = report.TryGetProperty("effectiveDate", out var e) ? ParseDate(e) : null;
            if (latest.Status is null || (date ?? DateOnly.MinValue) >= (latest.EffectiveDate ?? DateOnly.MinValue))
            {
                latest = (s.GetString(), date);
            }

            if (CompromiseStatuses.Contains(s.GetString(), StringComparer.Ordinal)
                && (compromise.Status is null || (date ?? DateOnly.MinValue) >= (compromise.EffectiveDate ?? DateOnly.MinValue)))
            {
                compromise = (s.GetString(), date);
            }
        }

        return compromise.Status is not null ? compromise : latest;
    }

    private static string[] Strings(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray()
            : [];

    private static DateOnly? ParseDate(JsonElement element) =>
        element.ValueKind == JsonValueKind.String
        && DateOnly.TryParseExact(element.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : null;
}
