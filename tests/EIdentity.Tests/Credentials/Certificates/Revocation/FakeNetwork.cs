using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using EIdentity.Server.Credentials.Certificates.Revocation;

namespace EIdentity.Tests.Credentials.Certificates.Revocation;

/// <summary>
/// An in-process network for revocation tests: each URL answers through a function (often the
/// real <see cref="OcspResponder"/>), and every request is counted so a test can tell whether a
/// cache or a policy kept a request from being made.
/// </summary>
internal sealed class FakeNetwork : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _routes = new();
    private readonly ConcurrentDictionary<string, int> _requests = new();

    public HttpClient Client() => new(this, disposeHandler: false);

    public int RequestsTo(string url) => _requests.GetValueOrDefault(url);

    public void Route(string url, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) => _routes[url] = answer;

    /// <summary>POSTed OCSP requests go to <paramref name="responder"/>; <paramref name="rewrite"/> may change the request first.</summary>
    public void Ocsp(string url, OcspResponder responder, Func<byte[], byte[]>? rewrite = null) =>
        Route(url, async (request, cancellationToken) =>
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            return Bytes(responder.Respond(rewrite is null ? body : rewrite(body)), "application/ocsp-response");
        });

    /// <summary>The CRL <paramref name="crl"/> returns at the time of each request.</summary>
    public void Crl(string url, Func<byte[]> crl) =>
        Route(url, (_, _) => Task.FromResult(Bytes(crl(), "application/pkix-crl")));

    public void Fail(string url, HttpStatusCode status) =>
        Route(url, (_, _) => Task.FromResult(new HttpResponseMessage(status)));

    /// <summary>The server accepts the connection and never answers.</summary>
    public void Hang(string url) =>
        Route(url, async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.ToString();
        _requests.AddOrUpdate(url, 1, (_, n) => n + 1);
        return _routes.TryGetValue(url, out var answer)
            ? answer(request, cancellationToken)
            : throw new HttpRequestException(HttpRequestError.ConnectionError, $"No route to {url} in the test network.");
    }

    private static HttpResponseMessage Bytes(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }
}
