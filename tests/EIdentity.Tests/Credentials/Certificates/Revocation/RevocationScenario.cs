using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Credentials.Certificates.Revocation;

/// <summary>
/// Root → issuing CA → citizen's certificate, where the citizen's certificate names an OCSP
/// responder and a CRL distribution point on a <see cref="FakeNetwork"/>. The issuing CA's own
/// revocation is decided by a supplied CRL from the root, so each test is about the leaf.
/// </summary>
public abstract class RevocationScenario : IDisposable
{
    internal const string OcspUrl = "http://ocsp.test/issuing-ca";
    internal const string CrlUrl = "http://crl.test/issuing-ca.crl";

    private readonly List<IDisposable> _disposables = [];

    protected RevocationScenario()
    {
        Root = Own(TestPki.Root());
        Ca = Own(TestPki.Ca("CN=EIdentity Test Issuing CA, O=EIdentity Tests, C=VN", Root));
        Leaf = Own(TestPki.Leaf(Ca, ocspUrl: OcspUrl, crlUrl: CrlUrl));
        Network.Ocsp(OcspUrl, Responder());
        Network.Crl(CrlUrl, () => Crl(Ca));
    }

    internal TestKey Root { get; }

    internal TestKey Ca { get; }

    internal TestKey Leaf { get; }

    internal FakeTimeProvider Time { get; } = new(Now);

    internal FakeNetwork Network { get; } = new();

    internal CertificateOptions Options { get; } = new() { FetchTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>What the issuing CA's responder says per serial number; good when absent.</summary>
    internal Dictionary<BcBigInteger, OcspEntryStatus> Statuses { get; } = [];

    internal BcBigInteger LeafSerial => Bc(Leaf.Certificate).SerialNumber;

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        Network.Dispose();
        GC.SuppressFinalize(this);
    }

    internal T Own<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    /// <summary>The issuing CA's responder, signing with its key unless told otherwise.</summary>
    internal OcspResponder Responder(TimeSpan? validity = null, TestKey? delegated = null, TimeProvider? time = null, System.Security.Cryptography.ECDsa? signingKey = null, bool noNextUpdate = false) =>
        new(
            Bc(Ca.Certificate),
            BcKey(signingKey ?? delegated?.Key ?? Ca.Key),
            serial => Statuses.GetValueOrDefault(serial, OcspEntryStatus.Good),
            time ?? Time,
            noNextUpdate ? null : validity ?? TimeSpan.FromHours(1),
            delegated is null ? null : Bc(delegated.Certificate));

    internal OcspClient OcspClient(HttpClient? http = null) =>
        new(http ?? Network.Client(), Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<OcspClient>.Instance);

    internal CrlDistributionPointFetcher Fetcher() =>
        new(Network.Client(), Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<CrlDistributionPointFetcher>.Instance);

    /// <summary>The online source with <paramref name="policy"/> for the issuing CA; the root's CRL is supplied.</summary>
    internal OnlineRevocationSource Source(
        RevocationSourceOrder order = RevocationSourceOrder.OcspThenCrl,
        RevocationFailureMode failureMode = RevocationFailureMode.FailClosed,
        OcspClient? ocsp = null,
        CrlDistributionPointFetcher? crls = null,
        OcspCache? cache = null)
    {
        var policy = new RevocationPolicyOptions { Order = order, FailureMode = failureMode };
        var rootPolicy = new RevocationPolicyOptions { Order = RevocationSourceOrder.CrlOnly };
        var root = Bc(Root.Certificate);
        return new OnlineRevocationSource(
            issuer => issuer.Equals(root) ? rootPolicy : policy,
            ocsp ?? OcspClient(),
            cache ?? new OcspCache(Time),
            crls ?? Fetcher(),
            NullLogger<OnlineRevocationSource>.Instance,
            [Crl(Root)]);
    }

    internal Task<CertificateValidationResult> ValidateAsync(IRevocationSource source, TestKey? leaf = null) =>
        CertificatePathValidator.ValidateAsync(
            (leaf ?? Leaf).Certificate,
            [Root.Certificate],
            [Ca.Certificate],
            source,
            Time.GetUtcNow(),
            CertificateValidationOptions.Default,
            CancellationToken.None);
}
