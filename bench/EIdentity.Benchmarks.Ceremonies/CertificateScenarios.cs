using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.Extensions.Options;

namespace EIdentity.Benchmarks.Ceremonies;

/// <summary>
/// Scenario 7, a certificate of the development PKI (root → licensed CA 1 → the demo citizen's
/// certificate), with the OCSP answers for the leaf and the licensed CA already cached.
/// </summary>
internal static class CertificateScenarios
{
    public const double Target = 500;

    private const string Leaf = "dev-person-nguyen-van-an.pem";

    /// <summary>
    /// <see cref="CertificatePathValidator"/> with the server's trust store and revocation source:
    /// chain building, the explicit RFC 5280 checks, BouncyCastle's PKIX validation, and the
    /// revocation status of the leaf and of the licensed CA from the OCSP cache.
    /// </summary>
    public static Scenario Validate(BenchHost host) => new("7. certificate: path validation, cached OCSP", [true], Target,
        (_, _) => Task.FromResult<ICeremonyWorker>(new CertificateWorker(host, signIn: false)));

    /// <summary>
    /// <see cref="CertificateSignIn.AuthenticateAsync"/>: the block list (database), path validation as
    /// above, the subject's CCCD mapped to the person (database), the certificate's row updated and
    /// the sign-in audited (two writes).
    /// </summary>
    public static Scenario SignIn(BenchHost host) => new("7. certificate: sign-in (validation + lookups + writes)", [true], Target,
        (_, _) => Task.FromResult<ICeremonyWorker>(new CertificateWorker(host, signIn: true)));

    /// <summary>Fetches the OCSP answers once (through the development PKI's responder) and checks that they are cached.</summary>
    public static async Task WarmAsync(BenchHost host)
    {
        await new CertificateWorker(host, signIn: true).RunPhaseAsync(0, 0);
        var cached = host.Services.GetRequiredService<OcspCache>().Count;
        if (cached < 2)
        {
            throw new InvalidOperationException($"Expected the OCSP answers for the leaf and the licensed CA in the cache, found {cached}.");
        }
    }

    public static string LeafPath(BenchHost host)
    {
        var options = host.Services.GetRequiredService<IOptions<CertificateOptions>>().Value;
        var contentRoot = host.Services.GetRequiredService<IHostEnvironment>().ContentRootPath;
        return Path.Combine(CertificateTrustStore.ResolvePath(options.DevelopmentPkiPath, contentRoot), Leaf);
    }

    private sealed class CertificateWorker(BenchHost host, bool signIn) : ICeremonyWorker
    {
        private readonly byte[] _leaf = X509Certificate2.CreateFromPem(File.ReadAllText(LeafPath(host))).RawData;
        private readonly CertificateTrustStore _trust = host.Services.GetRequiredService<CertificateTrustStore>();
        private readonly IRevocationSource _revocation = host.Services.GetRequiredService<IRevocationSource>();
        private readonly TimeProvider _time = host.Services.GetRequiredService<TimeProvider>();

        public async ValueTask RunPhaseAsync(int phase, int slot)
        {
            // As it arrives from the TLS handshake: a certificate object made from its bytes.
            using var certificate = X509CertificateLoader.LoadCertificate(_leaf);
            if (signIn)
            {
                await using var scope = host.Services.CreateAsyncScope();
                var outcome = await scope.ServiceProvider.GetRequiredService<CertificateSignIn>().AuthenticateAsync(certificate, "mtls", CancellationToken.None);
                if (!outcome.Succeeded)
                {
                    throw new InvalidOperationException($"The development citizen's certificate was refused: {outcome.Refusal} {outcome.Reason}");
                }

                return;
            }

            var result = await CertificatePathValidator.ValidateAsync(certificate, _trust.TrustAnchors, _trust.Intermediates, _revocation, _time.GetUtcNow(),
                new CertificateValidationOptions(), CancellationToken.None);
            if (!result.IsValid)
            {
                throw new InvalidOperationException("The development citizen's certificate was refused: " + result.Reason);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
