using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;

namespace EIdentity.Server.Hosting;

/// <summary>Settings under <c>RateLimits</c>: per client address, per minute.</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sign-in ceremonies (options and verification) per address per minute.</summary>
    [Range(1, 1_000_000)]
    public int SignInPerMinute { get; set; } = 30;

    /// <summary>Admin API requests (<c>/api/admin</c>) per address per minute, before the token is checked.</summary>
    [Range(1, 1_000_000)]
    public int AdminPerMinute { get; set; } = 120;

    /// <summary>Every other request per address per minute (protocol endpoints, pages).</summary>
    [Range(1, 10_000_000)]
    public int GlobalPerMinute { get; set; } = 600;
}

internal static class RateLimits
{
    public const string SignInPolicy = "sign-in";
    public const string AdminPolicy = "admin";

    /// <summary>
    /// Limits by client address. Behind a load balancer, configure forwarded headers so that the
    /// address is the citizen's, not the balancer's (docs/operations.md).
    /// </summary>
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>()
            .Bind(builder.Configuration.GetSection(RateLimitOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => Window(Options(http).GlobalPerMinute)));
            limiter.AddPolicy(SignInPolicy, http =>
                RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => Window(Options(http).SignInPerMinute)));
            limiter.AddPolicy(AdminPolicy, http =>
                RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => Window(Options(http).AdminPerMinute)));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = "Please wait a minute and try again." },
                });
            };
        });
        return builder;
    }

    private static RateLimitOptions Options(HttpContext http) =>
        http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value;

    private static string ClientKey(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "local";

    private static FixedWindowRateLimiterOptions Window(int permits) => new()
    {
        PermitLimit = permits,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
    };
}
