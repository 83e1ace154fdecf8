using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

internal static class MetadataExtensions
{
    /// <summary>The authenticator catalog (MDS3 BLOB + allow-list) and its settings under <c>Passkeys:Metadata</c>.</summary>
    public static WebApplicationBuilder AddAuthenticatorMetadata(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddOptions<PasskeyMetadataOptions>()
            .Bind(builder.Configuration.GetSection(PasskeyMetadataOptions.Section))
            .PostConfigure(o => o.ResolvePaths(contentRoot))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PasskeyMetadataOptions>, PasskeyMetadataOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IAuthenticatorCatalog, AuthenticatorCatalog>();
        builder.Services.AddHostedService<AuthenticatorCatalogWarmUp>();
        return builder;
    }
}

/// <summary>Loads the catalog while the server starts, so its problems are in the log before the first enrolment.</summary>
internal sealed class AuthenticatorCatalogWarmUp(IAuthenticatorCatalog catalog) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = catalog.Current;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
