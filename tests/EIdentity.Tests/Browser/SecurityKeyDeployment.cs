using System.Text.Json;

namespace EIdentity.Tests.Browser;

/// <summary>
/// The loopback deployment with an operator's authenticator allow-list that vouches for one
/// hardware model: Chromium's virtual security key, identified by its AAGUID and anchored at its
/// batch attestation certificate (Browser/Fixtures). The list lives in a temporary folder, as it
/// would under /etc/eidentity, and is given to the identity provider through
/// <c>Passkeys__Metadata__AllowListPath</c>.
/// </summary>
public sealed class SecurityKeyDeployment : IAsyncDisposable
{
    /// <summary>The name the allow-list gives the model; citizens see it on their account page.</summary>
    public const string ModelName = "Chromium virtual security key (tests)";

    /// <summary>The AAGUID every Chromium virtual CTAP2 authenticator reports.</summary>
    public const string ChromiumVirtualAuthenticatorAaguid = "01020304-0506-0708-0102-030405060708";

    private const string RootFileName = "chromium-virtual-authenticator-attestation.pem";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "eidentity-browser-tests", "allow-list-" + Guid.NewGuid().ToString("N"));

    public SecurityKeyDeployment()
    {
        Directory.CreateDirectory(_folder);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Browser", "Fixtures", RootFileName), Path.Combine(_folder, RootFileName));
        var allowListPath = Path.Combine(_folder, "allow-list.json");
        File.WriteAllText(allowListPath, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["$comment"] = "Written by the browser tests (SecurityKeyDeployment).",
            ["authenticators"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["aaguid"] = ChromiumVirtualAuthenticatorAaguid,
                    ["description"] = ModelName,
                    ["attestationRootCertificates"] = new[] { RootFileName },
                    ["hardware"] = true,
                },
            },
        }));

        Loopback = new LoopbackDeployment(new Dictionary<string, string>
        {
            ["Passkeys__Metadata__AllowListPath"] = allowListPath,
            ["Passkeys__Metadata__ReloadCheckInterval"] = "00:00:01",
        });
    }

    public LoopbackDeployment Loopback { get; }

    public async ValueTask DisposeAsync()
    {
        await Loopback.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The temp folder is reclaimed anyway.
        }
    }
}
