using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace EIdentity.Server.Credentials.Certificates.Development;

/// <summary>
/// A development CA as the development server needs it to publish revocation evidence: its
/// certificate and private key (in .NET and BouncyCastle forms), what it issued and what it revoked.
/// </summary>
internal sealed class DevelopmentCa : IDisposable
{
    private readonly Dictionary<BigInteger, DevelopmentRevocation> _revoked;
    private readonly HashSet<BigInteger> _issued;

    internal DevelopmentCa(string name, X509Certificate2 certificate, ECDsa key, byte[] pkcs8, IEnumerable<DevelopmentRevocation> revoked, IEnumerable<BigInteger> issued)
    {
        Name = name;
        Key = key;
        Certificate = certificate.CopyWithPrivateKey(key);
        BcCertificate = new BcCertificate(certificate.RawData);
        BcPrivateKey = PrivateKeyFactory.CreateKey(pkcs8);
        _revoked = revoked.ToDictionary(r => r.SerialNumber);
        _issued = [.. issued];
    }

    /// <summary>The file name without extension, e.g. <c>dev-licensed-ca-1</c>; the <c>{ca}</c> of <c>/dev-pki/crl/{ca}.crl</c>.</summary>
    public string Name { get; }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public ECDsa Key { get; }

    public BcCertificate BcCertificate { get; }

    public AsymmetricKeyParameter BcPrivateKey { get; }

    /// <summary>What this CA revoked, in the order of <c>revoked-serials.dev.json</c>.</summary>
    public IReadOnlyCollection<DevelopmentRevocation> Revoked => _revoked.Values;

    /// <summary>The revocation of this serial number, or <see langword="null"/> when this CA has not revoked it.</summary>
    public DevelopmentRevocation? FindRevocation(BigInteger serialNumber) => _revoked.GetValueOrDefault(serialNumber);

    /// <summary>
    /// Whether a certificate with this serial number issued by this CA is among the folder's files
    /// (an OCSP responder answers "unknown" for a serial its CA never issued, RFC 6960 2.2).
    /// </summary>
    public bool Issued(BigInteger serialNumber) => _issued.Contains(serialNumber) || _revoked.ContainsKey(serialNumber);

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>
/// The development PKI (<c>certs/dev-pki/</c>, made by <c>certs dev-pki</c>) loaded for the
/// development server: the CAs that publish CRLs and OCSP responses, their keys and their revoked
/// serial numbers, and freshly signed CRLs.
/// </summary>
internal sealed class DevelopmentPkiStore : IDisposable
{
    /// <summary>How long a CRL from <see cref="FreshCrl"/> is fresh.</summary>
    public static readonly TimeSpan CrlLifetime = TimeSpan.FromDays(1);

    private readonly Dictionary<string, DevelopmentCa> _cas;

    private DevelopmentPkiStore(Dictionary<string, DevelopmentCa> cas)
    {
        _cas = cas;
    }

    public string Directory { get; private init; } = "";

    /// <summary>The publishing CAs: the national root and the licensed CAs.</summary>
    public IReadOnlyCollection<DevelopmentCa> CertificateAuthorities => _cas.Values;

    /// <summary>Every revoked certificate, of every CA.</summary>
    public IEnumerable<DevelopmentRevocation> Revoked => _cas.Values.SelectMany(ca => ca.Revoked);

    /// <summary>Loads the folder; a missing or inconsistent file is a configuration error, reported with what to do.</summary>
    /// <exception cref="InvalidDataException">The folder does not hold a usable development PKI.</exception>
    public static DevelopmentPkiStore Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        const string Regenerate = "Regenerate it with 'dotnet run --project src/EIdentity.Server -- certs dev-pki --force'.";

        var revocationsPath = Path.Combine(full, DevelopmentPki.RevocationListFile);
        var revocations = DevelopmentPki.ReadRevocations(Read(revocationsPath, Regenerate), revocationsPath);
        if (revocations.FirstOrDefault(r => !DevelopmentPki.PublishingCas.Contains(r.CaName)) is { } stray)
        {
            throw new InvalidDataException($"{revocationsPath} names the CA '{stray.CaName}', which is not one of {string.Join(", ", DevelopmentPki.PublishingCas)}.");
        }

        // Every certificate in the folder, to know which serial numbers each CA issued.
        var everything = System.IO.Directory.EnumerateFiles(full, "*.pem")
            .Where(f => !f.EndsWith(".key.dev-only.pem", StringComparison.Ordinal))
            .Select(f => X509CertificateLoader.LoadCertificate(PemCertificate(Read(f, Regenerate), f)))
            .ToList();

        var cas = new Dictionary<string, DevelopmentCa>(StringComparer.Ordinal);
        try
        {
            foreach (var name in DevelopmentPki.PublishingCas)
            {
                var certificatePath = Path.Combine(full, DevelopmentPki.CertificateFile(name));
                var keyPath = Path.Combine(full, DevelopmentPki.KeyFile(name));
                using var certificate = X509CertificateLoader.LoadCertificate(PemCertificate(Read(certificatePath, Regenerate), certificatePath));
                var pkcs8 = PemKey(Read(keyPath, Regenerate), keyPath);
                var key = ECDsa.Create();
                try
                {
                    key.ImportPkcs8PrivateKey(pkcs8, out _);
                    if (!certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                    {
                        throw new InvalidDataException($"{keyPath} is not the key of {certificatePath}. {Regenerate}");
                    }

                    var issued = everything
                        .Where(c => c.IssuerName.RawData.AsSpan().SequenceEqual(certificate.SubjectName.RawData) && c.Thumbprint != certificate.Thumbprint)
                        .Select(DevelopmentPki.SerialNumber);
                    cas.Add(name, new DevelopmentCa(name, certificate, key, pkcs8, revocations.Where(r => r.CaName == name), issued));
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException)
                {
                    key.Dispose();
                    throw new InvalidDataException($"{keyPath} is not a usable ECDSA private key for {certificatePath}: {e.Message} {Regenerate}", e);
                }
                catch
                {
                    key.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (var ca in cas.Values)
            {
                ca.Dispose();
            }

            throw;
        }
        finally
        {
            foreach (var certificate in everything)
            {
                certificate.Dispose();
            }
        }

        return new DevelopmentPkiStore(cas) { Directory = full };
    }

    public bool TryGetCa(string caName, [NotNullWhen(true)] out DevelopmentCa? ca) => _cas.TryGetValue(caName, out ca);

    /// <exception cref="ArgumentException">No publishing CA has this name.</exception>
    public DevelopmentCa GetCa(string caName) =>
        _cas.TryGetValue(caName, out var ca) ? ca : throw new ArgumentException($"'{caName}' is not a development CA.", nameof(caName));

    /// <summary>
    /// Whether the CA named <paramref name="caName"/> revoked this serial number: when and why, or
    /// <see langword="null"/> when it did not. For an OCSP responder, see also <see cref="DevelopmentCa.Issued"/>.
    /// </summary>
    public DevelopmentRevocation? FindRevocation(string caName, BigInteger serialNumber) => GetCa(caName).FindRevocation(serialNumber);

    /// <summary><see cref="FindRevocation(string, BigInteger)"/> for one CA, as a function of the serial number.</summary>
    public Func<BigInteger, DevelopmentRevocation?> RevocationLookup(string caName) => GetCa(caName).FindRevocation;

    /// <summary>
    /// A CRL from <paramref name="caName"/>, signed now: thisUpdate <paramref name="now"/>, nextUpdate a
    /// day later, the CRL number the seconds since 1970 (so it increases), listing what the CA revoked.
    /// </summary>
    /// <exception cref="ArgumentException">No publishing CA has this name.</exception>
    public byte[] FreshCrl(string caName, DateTimeOffset now)
    {
        var ca = GetCa(caName);
        now = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return DevelopmentPki.BuildCrl(ca.Certificate, ca.Revoked, now, CrlLifetime);
    }

    public void Dispose()
    {
        foreach (var ca in _cas.Values)
        {
            ca.Dispose();
        }
    }

    private static byte[] Read(string path, string regenerate)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"The development PKI file {path} cannot be read ({e.Message}). {regenerate}", e);
        }
    }

    private static byte[] PemCertificate(byte[] file, string path) => Pem(file, path, "CERTIFICATE");

    private static byte[] PemKey(byte[] file, string path) => Pem(file, path, "PRIVATE KEY");

    private static byte[] Pem(byte[] file, string path, string label)
    {
        var text = System.Text.Encoding.UTF8.GetString(file);
        if (!PemEncoding.TryFind(text, out var fields) || !text.AsSpan()[fields.Label].SequenceEqual(label))
        {
            throw new InvalidDataException($"{path} does not hold a PEM '{label}' block.");
        }

        return Convert.FromBase64String(text[fields.Base64Data]);
    }
}
