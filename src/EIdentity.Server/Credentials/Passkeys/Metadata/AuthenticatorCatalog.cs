using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>Where an authenticator model's description came from.</summary>
internal enum AuthenticatorSource
{
    /// <summary>A FIDO Alliance Metadata Service (MDS3) BLOB.</summary>
    MetadataService,

    /// <summary>The operator's local allow-list under <c>certs/</c>.</summary>
    AllowList,
}

/// <summary>
/// One authenticator model we know: how to recognise it (AAGUID, or attestation certificate key
/// identifiers for FIDO U2F keys), the roots its attestation must chain to, and its latest status.
/// </summary>
/// <param name="Aaguid">The model's AAGUID; null for U2F-only models.</param>
/// <param name="AttestationCertificateKeyIdentifiers">Lower-case hex SHA-1 subject key identifiers of U2F attestation certificates.</param>
/// <param name="Description">The model's name as shown to citizens and support staff.</param>
/// <param name="AttestationRoots">Trust anchors for this model's attestation (never the machine store).</param>
/// <param name="Status">The latest MDS3 status report's status (e.g. <c>FIDO_CERTIFIED_L1</c>, <c>REVOKED</c>); null when none.</param>
/// <param name="StatusEffectiveDate">When that status took effect.</param>
/// <param name="IsHardware">Whether the key is protected by hardware (MDS3 keyProtection hardware / secure_element / tee, or the allow-list says so).</param>
/// <param name="Source">Which source described the model.</param>
internal sealed record AuthenticatorModel(
    Guid? Aaguid,
    IReadOnlyList<string> AttestationCertificateKeyIdentifiers,
    string Description,
    IReadOnlyList<X509Certificate2> AttestationRoots,
    string? Status,
    DateOnly? StatusEffectiveDate,
    bool IsHardware,
    AuthenticatorSource Source);

/// <summary>An immutable view of every authenticator model loaded at one moment.</summary>
internal interface IAuthenticatorCatalogSnapshot
{
    /// <summary>Changes whenever the loaded content changes (a hash of the sources); equal versions mean equal content.</summary>
    string Version { get; }

    IReadOnlyCollection<AuthenticatorModel> Models { get; }

    /// <summary>Problems met while loading (bad signature, unreadable file...); the sources that loaded still apply.</summary>
    IReadOnlyList<string> Problems { get; }

    /// <summary>False once the MDS3 BLOB is past its nextUpdate: its models then no longer reach the high level.</summary>
    bool MetadataServiceIsCurrent { get; }

    /// <summary>
    /// The model an attestation belongs to: by AAGUID when it is not all zeros, otherwise (FIDO U2F) by
    /// the attestation certificate's subject key identifier. Allow-list entries win over MDS3 entries.
    /// </summary>
    AuthenticatorModel? Find(Guid aaguid, X509Certificate2? attestationCertificate);
}

/// <summary>The authenticator metadata sources (MDS3 BLOB and local allow-list), reloadable without a restart.</summary>
internal interface IAuthenticatorCatalog
{
    /// <summary>The current snapshot; re-reads the sources when their files changed (checked at most every few seconds).</summary>
    IAuthenticatorCatalogSnapshot Current { get; }

    /// <summary>Re-reads every source now, whatever the file times say.</summary>
    IAuthenticatorCatalogSnapshot Reload();
}

/// <summary>The outcome of chaining an attestation trust path to a model's roots.</summary>
internal sealed record ChainResult(bool IsTrusted, string? Reason)
{
    public static ChainResult Trusted { get; } = new(true, null);

    public static ChainResult Untrusted(string reason) => new(false, reason);
}

/// <summary>
/// The catalog behind <see cref="IAuthenticatorCatalog"/>: one immutable snapshot read without locks,
/// replaced when the allow-list, its root files, the BLOB or the BLOB root change on disk (looked at
/// no more often than <see cref="PasskeyMetadataOptions.ReloadCheckInterval"/>). One reload runs at a
/// time; readers meanwhile keep the snapshot they have. A source that fails to load keeps what it
/// last loaded, so a bad edit or a bad BLOB never removes trust that was in place.
/// </summary>
internal sealed partial class AuthenticatorCatalog : IAuthenticatorCatalog
{
    private readonly PasskeyMetadataOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthenticatorCatalog> _logger;
    private readonly Lock _reloading = new();
    private volatile State _state;

    // Last good content per source; read and written only under _reloading.
    private AllowList _allowList = AllowList.Absent;
    private Mds3Blob? _blob;
    private byte[]? _blobDigest;

    public AuthenticatorCatalog(IOptions<PasskeyMetadataOptions> options, TimeProvider time, ILogger<AuthenticatorCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
        lock (_reloading)
        {
            _state = Load();
        }
    }

    public IAuthenticatorCatalogSnapshot Current
    {
        get
        {
            var state = _state;
            var now = _time.GetUtcNow();
            if (now - state.CheckedAt < _options.ReloadCheckInterval || !_reloading.TryEnter())
            {
                return state.Snapshot;
            }

            try
            {
                state = _state;
                if (now - state.CheckedAt < _options.ReloadCheckInterval)
                {
                    return state.Snapshot;
                }

                if (!Stamp(state.Files).SequenceEqual(state.Stamps) || BecameStale(state, now))
                {
                    _state = Load();
                }
                else
                {
                    _state = state with { CheckedAt = now };
                }

                return _state.Snapshot;
            }
            finally
            {
                _reloading.Exit();
            }
        }
    }

    public IAuthenticatorCatalogSnapshot Reload()
    {
        lock (_reloading)
        {
            _state = Load();
            return _state.Snapshot;
        }
    }

    private State Load()
    {
        var now = _time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var problems = new List<string>();
        var files = new List<string> { _options.AllowListPath };
        if (_options.BlobPath is not null)
        {
            files.Add(_options.BlobPath);
        }

        if (_options.BlobRootCertificatePath is not null)
        {
            files.Add(_options.BlobRootCertificatePath);
        }

        // Stamped before reading: a file that changes while it is read is read again at the next check.
        var stamps = Stamp(files);

        var allowList = AllowListReader.Read(_options.AllowListPath);
        if (allowList.AllowList is { } list)
        {
            _allowList = list;
        }

        if (allowList.Problem is not null)
        {
            problems.Add(allowList.AllowList is null && _allowList.Models.Count > 0
                ? $"{allowList.Problem} The allow-list loaded before stays in use."
                : allowList.Problem);
        }

        if (_options.BlobPath is not null)
        {
            LoadBlob(_options.BlobPath, now, problems);
        }

        if (_blob is not null)
        {
            problems.AddRange(_blob.Problems);
            // FIDO MDS 3.0: nextUpdate is the date the next BLOB is due; past it, what we hold may miss revocations.
            if (today > _blob.NextUpdate)
            {
                problems.Add($"MDS3 BLOB no {_blob.Number} is stale: its nextUpdate was {_blob.NextUpdate:yyyy-MM-dd}. Download a fresh BLOB (docs/authenticator-metadata.md).");
            }
        }

        files.AddRange(allowList.ReferencedFiles.Except(files));
        stamps = [.. stamps, .. Stamp(files.Skip(stamps.Length))];

        // A stale BLOB may miss revocations: it still names models and refuses compromised ones, but
        // no longer vouches for the high level. Its version changes, so registered keys are reviewed.
        var blobIsCurrent = _blob is null || today <= _blob.NextUpdate;
        var version = Version(_allowList.Digest, _blobDigest) + (blobIsCurrent ? "" : "-stale");
        var snapshot = new AuthenticatorCatalogSnapshot(version, _allowList.Models, _blob?.Models ?? [], problems, blobIsCurrent);
        LogLoaded(_logger, version, _allowList.Models.Count, _blob?.Models.Count ?? 0, problems.Count);
        foreach (var problem in problems)
        {
            LogProblem(_logger, problem);
        }

        var staleAfter = _blob is not null && today <= _blob.NextUpdate ? _blob.NextUpdate : (DateOnly?)null;
        return new State(snapshot, [.. files], stamps, now, staleAfter);
    }

    private void LoadBlob(string path, DateTimeOffset now, List<string> problems)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The operator removed the BLOB: MDS3 metadata no longer applies.
            _blob = null;
            _blobDigest = null;
            problems.Add($"MDS3 BLOB: no file at {path}; no MDS3 metadata is loaded.");
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(Kept($"MDS3 BLOB: {path} cannot be read ({e.Message})."));
            return;
        }

        var (roots, _, rootProblem) = CertificateFiles.LoadCertificates(_options.BlobRootCertificatePath!);
        if (rootProblem is not null)
        {
            problems.Add(Kept($"MDS3 BLOB refused: its root certificate cannot be loaded: {rootProblem}"));
            return;
        }

        try
        {
            var result = Mds3BlobReader.Read(bytes, roots, _options.BlobSignerName, now);
            if (result.Blob is not { } blob)
            {
                problems.Add(Kept($"MDS3 BLOB {path} refused: {result.Refusal}"));
            }
            else if (_blob is not null && blob.Number < _blob.Number)
            {
                // FIDO MDS 3.0 BLOB processing rules: a BLOB numbered below the one held is older; never roll back.
                problems.Add(Kept($"MDS3 BLOB {path} refused: its number ({blob.Number}) is lower than that of the BLOB loaded before."));
            }
            else
            {
                _blob = blob;
                _blobDigest = SHA256.HashData(bytes);
            }
        }
        finally
        {
            foreach (var root in roots)
            {
                root.Dispose();
            }
        }
    }

    private string Kept(string problem) =>
        _blob is null ? problem : $"{problem} The BLOB loaded before (no {_blob.Number}) stays in use.";

    private static bool BecameStale(State state, DateTimeOffset now) =>
        state.StaleAfter is { } nextUpdate && DateOnly.FromDateTime(now.UtcDateTime) > nextUpdate;

    private static FileStamp[] Stamp(IEnumerable<string> files) =>
        [.. files.Select(path =>
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(path, true, info.LastWriteTimeUtc, info.Length) : new FileStamp(path, false, default, 0);
        })];

    private static string Version(byte[] allowListDigest, byte[]? blobDigest)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(allowListDigest);
        hash.AppendData(blobDigest ?? "no-blob"u8.ToArray());
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private sealed record FileStamp(string Path, bool Exists, DateTime LastWriteUtc, long Length);

    /// <param name="Snapshot">What readers get.</param>
    /// <param name="Files">Every file the snapshot was made from.</param>
    /// <param name="Stamps">Their existence, last-write time and length when read.</param>
    /// <param name="CheckedAt">When the stamps were last compared.</param>
    /// <param name="StaleAfter">The held BLOB's nextUpdate while it is not yet stale: the snapshot is rebuilt once that date passes.</param>
    private sealed record State(AuthenticatorCatalogSnapshot Snapshot, string[] Files, FileStamp[] Stamps, DateTimeOffset CheckedAt, DateOnly? StaleAfter);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information,
        Message = "Authenticator metadata loaded: version {Version}, {AllowListed} allow-listed model(s), {FromMetadataService} MDS3 model(s), {Problems} problem(s).")]
    private static partial void LogLoaded(ILogger logger, string version, int allowListed, int fromMetadataService, int problems);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Authenticator metadata problem: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);
}
