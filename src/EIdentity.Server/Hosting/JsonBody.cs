using Microsoft.AspNetCore.Http.Features;
using System.Text.Json;

namespace EIdentity.Server.Hosting;

internal static class JsonBody
{
    /// <summary>The largest JSON body the ceremony endpoints read.</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Reads a JSON request body, or null when it is not JSON of that shape. Endpoints answer null
    /// with a ProblemDetails message the page can show, instead of the framework's empty 400.
    /// </summary>
    public static async Task<T?> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType() || request.ContentLength > MaxBytes)
        {
            return null;
        }

        // WebAuthn responses are a few kilobytes; never let one request make the server parse megabytes.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        try
        {
            return await request.ReadFromJsonAsync<T>(Options, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (BadHttpRequestException)
        {
            // The body was larger than MaxBytes.
            return null;
        }
    }
}
