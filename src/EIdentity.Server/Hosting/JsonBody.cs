using System.Text.Json;

namespace EIdentity.Server.Hosting;

internal static class JsonBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Reads a JSON request body, or null when it is not JSON of that shape. Endpoints answer null
    /// with a ProblemDetails message the page can show, instead of the framework's empty 400.
    /// </summary>
    public static async Task<T?> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            return await request.ReadFromJsonAsync<T>(Options, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
