using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Credentials.Certificates.SignIn;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Admin;

/// <summary>
/// A server with an admin client registered (client credentials, <c>eid.admin</c>), portal A
/// registered for back-channel logout (portal B not), and a test PKI for certificate sign-in.
/// </summary>
public sealed class AdminServerFixture : IAsyncDisposable
{
    public AdminServerFixture()
    {
        Pki = new CertificateTestPki();
        // The back-channel sender is left out: these tests read the outbox rows an action queued,
        // and a sender attempting them at once (the portals here are unreachable) would race the read.
        Server = new EIdentityServerFactory(overrides: AdminKit.Settings(Pki.Settings()), services: services =>
        {
            Pki.Services(services);
            Sessions.BackchannelLogoutKit.WithoutWorker(services);
        });
    }

    internal CertificateTestPki Pki { get; }

    internal EIdentityServerFactory Server { get; }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Pki.Dispose();
    }
}

internal static class AdminKit
{
    public static readonly TestPortal Console = new("admin-console", "secret-admin-console-for-tests", "Bảng quản trị",
        null, null, ["eid.admin"], ClientCredentials: true);

    public const string Actor = "admin:admin-console";

    public const string PortalABackchannel = "https://portal-a.test/backchannel-logout";

    /// <summary>The admin client and portal A's back-channel URI, on top of <paramref name="settings"/>.</summary>
    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? settings = null)
    {
        var all = settings ?? [];
        var admin = $"Oidc:Clients:{TestPortals.All.Length}:";
        all[admin + "ClientId"] = Console.ClientId;
        all[admin + "ClientSecret"] = Console.Secret;
        all[admin + "DisplayName"] = Console.DisplayName;
        all[admin + "AllowClientCredentials"] = "true";
        all[admin + "Scopes:0"] = "eid.admin";
        all[$"Oidc:Clients:{Array.IndexOf(TestPortals.All, TestPortals.PortalA)}:BackchannelLogoutUri"] = PortalABackchannel;
        all.TryAdd("RateLimits:AdminPerMinute", "1000000");
        return all;
    }

    /// <summary>An access token from the client-credentials grant.</summary>
    public static async Task<string> TokenAsync(EIdentityServerFactory server, TestPortal client, string scope)
    {
        using var backChannel = new PortalBackChannel(server, client);
        var tokens = await backChannel.ClientCredentialsAsync(scope);
        Assert.True(tokens.Status == 200, $"No token for {client.ClientId}: {tokens.Status} {tokens.Raw}");
        return tokens.AccessToken;
    }

    public static async Task<AdminClient> ConnectAsync(EIdentityServerFactory server) =>
        new(server, await TokenAsync(server, Console, "eid.admin"));

    public static async Task<IReadOnlyList<AuditEvent>> AuditAsync(EIdentityServerFactory server, Guid personId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.AuditEvents.AsNoTracking().Where(e => e.PersonId == personId).OrderBy(e => e.Sequence).ToListAsync();
    }

    public static async Task<IReadOnlyList<LogoutDelivery>> DeliveriesAsync(EIdentityServerFactory server, Guid personId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.LogoutDeliveries.AsNoTracking().Where(d => d.PersonId == personId).ToListAsync();
    }

    /// <summary>Whether a portal's token is still alive in every way a portal can tell.</summary>
    public static async Task<bool> IsActiveAsync(EIdentityServerFactory server, TestPortal portal, string token)
    {
        using var backChannel = new PortalBackChannel(server, portal);
        var introspected = await backChannel.IntrospectAsync(token);
        Assert.True(introspected.Status == 200, introspected.Raw);
        return introspected.Json.GetProperty("active").GetBoolean();
    }
}

/// <summary>An admin tool calling <c>/api/admin</c> with a bearer token.</summary>
internal sealed class AdminClient(EIdentityServerFactory server, string? accessToken) : IDisposable
{
    public HttpClient Http { get; } = server.CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri(EIdentityServerFactory.Origin),
        AllowAutoRedirect = false,
        HandleCookies = false,
    });

    public Task<AdminAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<AdminAnswer> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public Task<AdminAnswer> PostAsync(string path, object? body = null) =>
        SendAsync(HttpMethod.Post, path, body is null ? null : JsonSerializer.Serialize(body));

    public async Task<AdminAnswer> SendAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, contentType);
        }

        return await AdminAnswer.ReadAsync(await Http.SendAsync(request));
    }

    public async Task<Guid> LookupAsync(string nationalId)
    {
        var found = await PostAsync("/api/admin/identities/lookup", new { nationalId });
        found.Expect(HttpStatusCode.OK);
        return found.Json.GetProperty("id").GetGuid();
    }

    public void Dispose() => Http.Dispose();
}

internal sealed record AdminAnswer(HttpStatusCode Status, string? ContentType, JsonElement Json, string Raw, HttpResponseHeaders Headers)
{
    public static async Task<AdminAnswer> ReadAsync(HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsStringAsync();
        var json = raw.TrimStart().StartsWith('{') ? JsonDocument.Parse(raw).RootElement.Clone() : default;
        return new(response.StatusCode, response.Content.Headers.ContentType?.MediaType, json, raw, response.Headers);
    }

    public string? this[string name] => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty(name, out var value)
        ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
        : null;

    public AdminAnswer Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"Expected {(int)status} but got {(int)Status}: {Raw}");
        return this;
    }

    /// <summary>Asserts an RFC 9457 problem with this status and title, and a detail saying what to do.</summary>
    public AdminAnswer ExpectProblem(HttpStatusCode status, string title)
    {
        Assert.True(Status == status && this["title"] == title, $"Expected {(int)status} \"{title}\" but got {(int)Status}: {Raw}");
        Assert.Equal("application/problem+json", ContentType);
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), this["status"]);
        Assert.False(string.IsNullOrWhiteSpace(this["detail"]), Raw);
        return this;
    }
}
