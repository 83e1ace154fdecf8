using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.Extensions.Logging.Abstractions;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Credentials.Certificates.Revocation;

/// <summary>
/// The online revocation source under each CA policy: responders that are down, the fallback to
/// the CRL, fail-closed against fail-open, and CRLs fetched from distribution points.
/// </summary>
public sealed class OnlineRevocationTests : RevocationScenario
{
    [Fact]
    public async Task Responder_answering_500_under_fail_closed_makes_the_certificate_invalid_with_the_reason()
    {
        Network.Fail(OcspUrl, HttpStatusCode.InternalServerError);

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal($"The revocation status of the certificate is unknown: OCSP: the OCSP responder at {OcspUrl} answered HTTP 500 (Internal Server Error).", result.Reason);
    }

    [Fact]
    public async Task Responder_that_never_answers_under_fail_closed_makes_the_certificate_invalid_after_the_timeout()
    {
        Options.FetchTimeout = TimeSpan.FromMilliseconds(200);
        Network.Hang(OcspUrl);

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly));

        Assert.False(result.IsValid);
        Assert.Equal($"The revocation status of the certificate is unknown: OCSP: the OCSP responder at {OcspUrl} did not answer within 0.2 s.", result.Reason);
    }

    [Fact]
    public async Task Responder_refusing_connections_under_fail_closed_makes_the_certificate_invalid()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}/ocsp";
        var leaf = Own(TestPki.Leaf(Ca, ocspUrl: url));
        using var http = new HttpClient();

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly, ocsp: OcspClient(http)), leaf);

        Assert.False(result.IsValid);
        Assert.Equal($"The revocation status of the certificate is unknown: OCSP: the OCSP responder at {url} could not be reached (the connection failed).", result.Reason);
    }

    [Fact]
    public async Task Responder_down_under_fail_open_leaves_the_certificate_valid_and_the_reason_says_revocation_was_not_checked()
    {
        Network.Fail(OcspUrl, HttpStatusCode.ServiceUnavailable);

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspOnly, RevocationFailureMode.FailOpen));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(
            "The certificate chains to a trust anchor, and no certificate in its path is expired, misused or revoked. Revocation status came from supplied CRL for the issuing CA certificate."
            + $" For the certificate, revocation was not checked (OCSP: the OCSP responder at {OcspUrl} answered HTTP 503 (Service Unavailable)), and its CA's policy is fail-open.",
            result.Reason);
    }

    [Fact]
    public async Task Both_sources_down_under_fail_closed_gives_both_reasons()
    {
        Network.Fail(OcspUrl, HttpStatusCode.InternalServerError);
        Network.Fail(CrlUrl, HttpStatusCode.NotFound);

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspThenCrl));

        Assert.False(result.IsValid);
        Assert.Equal(
            $"The revocation status of the certificate is unknown: OCSP: the OCSP responder at {OcspUrl} answered HTTP 500 (Internal Server Error); "
            + $"CRL: no CRL from its issuer was supplied, and the CRL server at {CrlUrl} answered HTTP 404 (Not Found).",
            result.Reason);
    }

    [Fact]
    public async Task Ocsp_then_crl_falls_back_to_the_crl_when_the_responder_is_down()
    {
        Network.Fail(OcspUrl, HttpStatusCode.InternalServerError);
        Network.Crl(CrlUrl, () => Crl(Ca, [Leaf]));

        var result = await ValidateAsync(Source(RevocationSourceOrder.OcspThenCrl));

        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-03-01 (keyCompromise), according to CRL.", result.Reason);
        Assert.Equal(1, Network.RequestsTo(OcspUrl));
    }

    [Fact]
    public async Task Crl_only_never_asks_the_responder()
    {
        var result = await ValidateAsync(Source(RevocationSourceOrder.CrlOnly));

        Assert.True(result.IsValid, result.Reason);
        Assert.EndsWith("Revocation status came from CRL for the certificate, supplied CRL for the issuing CA certificate.", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Network.RequestsTo(OcspUrl));
        Assert.Equal(1, Network.RequestsTo(CrlUrl));
    }

    [Fact]
    public async Task Crl_then_ocsp_asks_the_responder_only_when_the_crl_cannot_decide()
    {
        Network.Fail(CrlUrl, HttpStatusCode.NotFound);

        var result = await ValidateAsync(Source(RevocationSourceOrder.CrlThenOcsp));

        Assert.True(result.IsValid, result.Reason);
        Assert.Contains("OCSP for the certificate", result.Reason, StringComparison.Ordinal);
        Assert.Equal(1, Network.RequestsTo(CrlUrl));
        Assert.Equal(1, Network.RequestsTo(OcspUrl));
    }

    [Fact]
    public async Task Crl_with_a_bad_signature_from_the_distribution_point_is_refused()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Network.Crl(CrlUrl, () => Crl(Ca, signedBy: forger));

        var result = await ValidateAsync(Source(RevocationSourceOrder.CrlOnly));

        Assert.False(result.IsValid);
        Assert.Equal(
            $"The revocation status of the certificate is unknown: CRL: no CRL from its issuer was supplied, and the CRL from its issuer has a signature that does not verify with the issuer's public key (downloaded from {CrlUrl}).",
            result.Reason);
    }

    [Fact]
    public async Task Stale_crl_from_the_distribution_point_is_refused()
    {
        Network.Crl(CrlUrl, () => Crl(Ca, thisUpdate: Now.AddDays(-10), nextUpdate: Now.AddDays(-3)));

        var result = await ValidateAsync(Source(RevocationSourceOrder.CrlOnly));

        Assert.False(result.IsValid);
        Assert.Equal(
            $"The revocation status of the certificate is unknown: CRL: no CRL from its issuer was supplied, and the CRL from its issuer is stale (its next update was due on 2026-05-29) (downloaded from {CrlUrl}).",
            result.Reason);
    }

    [Fact]
    public async Task Crl_larger_than_allowed_is_refused()
    {
        Options.MaxCrlBytes = 64;

        var check = await Fetcher().CheckAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None);

        Assert.Equal(RevocationStatus.Unknown, check.Status);
        Assert.StartsWith($"the CRL server at {CrlUrl} sent ", check.Problem, StringComparison.Ordinal);
        Assert.EndsWith("more than the 64 bytes allowed", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crl_is_cached_until_its_next_update_and_not_used_after()
    {
        Network.Crl(CrlUrl, () => Crl(Ca, thisUpdate: Time.GetUtcNow().AddMinutes(-1), nextUpdate: Time.GetUtcNow().AddHours(1)));
        var source = Source(RevocationSourceOrder.CrlOnly);

        Assert.True((await ValidateAsync(source)).IsValid);
        Time.Advance(TimeSpan.FromMinutes(50));
        Assert.True((await ValidateAsync(source)).IsValid);
        Assert.Equal(1, Network.RequestsTo(CrlUrl));

        Time.Advance(TimeSpan.FromMinutes(11));
        Assert.True((await ValidateAsync(source)).IsValid);
        Assert.Equal(2, Network.RequestsTo(CrlUrl));
    }

    [Fact]
    public async Task Cached_crl_is_refreshed_in_the_background_before_its_next_update_so_a_new_revocation_is_seen_without_a_download()
    {
        var revoked = false;
        Network.Crl(CrlUrl, () => Crl(Ca, revoked ? [Leaf] : [], thisUpdate: Time.GetUtcNow().AddMinutes(-1), nextUpdate: Time.GetUtcNow().AddHours(1)));
        var fetcher = Fetcher();
        var source = Source(RevocationSourceOrder.CrlOnly, crls: fetcher);
        Assert.True((await ValidateAsync(source)).IsValid);

        using var refresher = new CrlRefreshService(fetcher, Time, NullLogger<CrlRefreshService>.Instance);
        await refresher.StartAsync(CancellationToken.None);
        revoked = true;
        await MinuteByMinuteUntil(() => Network.RequestsTo(CrlUrl) == 2);
        await refresher.StopAsync(CancellationToken.None);

        // Refreshed ahead of time: the first CRL's nextUpdate (now + 1 h) had not come.
        Assert.InRange(Time.GetUtcNow(), Now.AddMinutes(45), Now.AddMinutes(59));

        var result = await ValidateAsync(source);
        Assert.False(result.IsValid);
        Assert.Equal("The certificate was revoked on 2026-03-01 (keyCompromise), according to CRL.", result.Reason);
        Assert.Equal(2, Network.RequestsTo(CrlUrl));
    }

    [Fact]
    public async Task Refresh_leaves_a_crl_alone_while_its_next_update_is_far()
    {
        var fetcher = Fetcher();
        Assert.Equal(RevocationStatus.Good, (await fetcher.CheckAsync(Bc(Leaf.Certificate), Bc(Ca.Certificate), Now, CancellationToken.None)).Status);

        Assert.Equal(0, await fetcher.RefreshDueAsync(CancellationToken.None));
        Assert.Equal(1, Network.RequestsTo(CrlUrl));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Lets fake time pass a minute at a time (the refresher's tick) until <paramref name="condition"/> holds.</summary>
    private async Task MinuteByMinuteUntil(Func<bool> condition)
    {
        for (var i = 0; i < 120 && !condition(); i++)
        {
            Time.Advance(CrlRefreshService.Interval);
            await Task.Delay(20);
        }

        Assert.True(condition(), "The background refresh did not happen within two hours of fake time.");
    }
}
