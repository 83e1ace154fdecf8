using System.Globalization;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// One HTTP exchange with an OCSP responder or CRL server, bounded in time and size. Network
/// failures are results with a sentence a support person can act on, not exceptions.
/// </summary>
internal static class RevocationHttp
{
    /// <param name="what">Who answers, for the sentence: "the OCSP responder", "the CRL server".</param>
    /// <returns>The body, or why there is none (the end of a sentence).</returns>
    public static async Task<(byte[]? Body, string? Problem)> SendAsync(
        HttpClient http,
        HttpRequestMessage request,
        string what,
        long maxBytes,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var at = $"{what} at {request.RequestUri}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"{at} answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase ?? response.StatusCode.ToString()})");
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                return (null, $"{at} sent {response.Content.Headers.ContentLength} bytes, more than the {maxBytes} bytes allowed");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            using var body = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    return (null, $"{at} sent more than the {maxBytes} bytes allowed");
                }

                body.Write(buffer, 0, read);
            }

            return (body.ToArray(), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our deadline, or HttpClient.Timeout if that is shorter.
            return (null, $"{at} did not answer within {Seconds(timeout)}");
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => $"{at} could not be reached (the connection failed)",
                HttpRequestError.NameResolutionError => $"{at} could not be reached (its host name does not resolve)",
                _ => $"{at} could not be reached ({e.Message.TrimEnd('.')})",
            });
        }
        catch (IOException e)
        {
            return (null, $"{at} broke off the answer ({e.Message.TrimEnd('.')})");
        }
    }

    public static string Seconds(TimeSpan time) => $"{time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
}
