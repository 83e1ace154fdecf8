using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.SignIn;

/// <summary>One in-process server shared by the tests of a class; each test uses its own national ID number.</summary>
public sealed class SharedServer : IAsyncDisposable
{
    public EIdentityServerFactory Server { get; } = new();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>The texts a citizen reads (Vietnamese, the default UI language), as in SharedResource.vi.resx.</summary>
internal static class Vietnamese
{
    public const string SignInRequired = "Bạn cần đăng nhập trước.";
    public const string ActivationUnknown = "Đường liên kết kích hoạt không hợp lệ. Hãy kiểm tra lại thư kích hoạt hoặc liên hệ nơi cấp.";
    public const string ActivationExpired = "Đường liên kết kích hoạt đã hết hạn. Hãy liên hệ nơi cấp để nhận thư kích hoạt mới.";
    public const string ActivationUsed = "Đường liên kết kích hoạt này đã được sử dụng. Hãy đăng nhập bằng khóa bảo mật đã đăng ký.";
    public const string IdentitySuspended = "Định danh điện tử này đang bị tạm khóa. Hãy liên hệ cơ quan quản lý định danh.";
    public const string PasskeyMalformed = "Phản hồi của khóa bảo mật không đúng định dạng.";
    public const string ChallengeUsed = "Yêu cầu này đã được dùng hoặc không tồn tại. Vui lòng thử lại từ đầu.";
    public const string ChallengeExpired = "Yêu cầu đã hết hạn. Vui lòng thử lại.";
    public const string AlreadyRegistered = "Khóa bảo mật này đã được đăng ký.";
    public const string VerificationFailed = "Không xác minh được khóa bảo mật. Hãy thử lại với đúng khóa đã đăng ký.";
    public const string NationalIdFormat = "Số CCCD gồm đúng 12 chữ số.";
    public const string NationalIdUnknown = "Không có định danh điện tử đã kích hoạt nào với số CCCD này.";
}

internal sealed record Problem(HttpStatusCode Status, string? ContentType, string? Detail, string Body);

/// <summary>Steps of the sign-in and enrolment stories, on any browser and any security key.</summary>
internal static class SignInSteps
{
    public const string SessionCookie = "eid.session";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A 12-digit national ID number no other test in this process uses.</summary>
    public static string NewNationalId() =>
        "0" + Random.Shared.NextInt64(0, 100_000_000_000).ToString("D11", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A browser with an empty cookie jar, as on another device.</summary>
    public static HttpClient NewBrowser(this EIdentityServerFactory server) => server.CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri(EIdentityServerFactory.Origin),
        AllowAutoRedirect = false,
        HandleCookies = true,
    });

    /// <summary>A registrar creates the person; the citizen activates a key from the letter and is signed in.</summary>
    public static async Task<(Citizen Citizen, Guid PersonId, string NationalId)> ActivatedCitizenAsync(this EIdentityServerFactory server, string name = "Phạm Thị Dung")
    {
        var nationalId = NewNationalId();
        var (personId, code) = await server.CreateCitizenAsync(nationalId, name);
        var citizen = new Citizen(server);
        await citizen.ActivateAsync(code);
        return (citizen, personId, nationalId);
    }

    public static async Task<(HttpResponseMessage Response, string? CeremonyId, string? Options)> BeginAsync(HttpClient browser, string path, object body)
    {
        var response = await browser.PostAsJsonAsync(path, body, Ct);
        if (!response.IsSuccessStatusCode)
        {
            return (response, null, null);
        }

        var started = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (response, started.GetProperty("ceremonyId").GetString(), started.GetProperty("options").GetRawText());
    }

    public static Task<HttpResponseMessage> FinishAsync(HttpClient browser, string path, string? ceremonyId, string credentialJson, string? returnUrl = null)
    {
        var body = new JsonObject
        {
            ["ceremonyId"] = ceremonyId,
            ["credential"] = JsonNode.Parse(credentialJson),
            ["returnUrl"] = returnUrl,
        };
        return PostJsonAsync(browser, path, body.ToJsonString());
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient browser, string path, string json) =>
        browser.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    /// <summary>Username-less or identifier-first sign-in with <paramref name="key"/> in <paramref name="browser"/>.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, SoftwareAuthenticator key, string? nationalId = null, string? returnUrl = null)
    {
        var (options, ceremonyId, request) = await BeginAsync(browser, "/api/passkeys/assertion/options", new { nationalId });
        await Expect.Status(HttpStatusCode.OK, options);
        return await FinishAsync(browser, "/api/passkeys/assertion", ceremonyId, key.Assert(request!), returnUrl);
    }

    /// <summary>Enrols <paramref name="key"/> in <paramref name="browser"/> with an activation code, or with the browser's session when null.</summary>
    public static async Task<HttpResponseMessage> EnrolAsync(HttpClient browser, SoftwareAuthenticator key, string? activationCode)
    {
        var (options, ceremonyId, creation) = await BeginAsync(browser, "/api/passkeys/registration/options", new { activationCode });
        return ceremonyId is null
            ? options
            : await FinishAsync(browser, "/api/passkeys/registration", ceremonyId, key.Register(creation!));
    }

    public static async Task<Problem> ReadProblemAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        string? detail = null;
        if (body.TrimStart().StartsWith('{'))
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("detail", out var value) && value.ValueKind == JsonValueKind.String)
            {
                detail = value.GetString();
            }
        }

        return new(response.StatusCode, response.Content.Headers.ContentType?.MediaType, detail, body);
    }

    /// <summary>Asserts a refusal the page script can show: the status and the problem's <c>detail</c>.</summary>
    public static async Task ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        var problem = await ReadProblemAsync(response);
        Assert.True(problem.Status == status && problem.Detail == detail,
            $"Expected {(int)status} \"{detail}\" but got {(int)problem.Status} {problem.ContentType}: {problem.Body}");
        Assert.Equal("application/problem+json", problem.ContentType);
    }

    public static bool SetsSessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
        && cookies.Any(c => c.StartsWith(SessionCookie + "=", StringComparison.Ordinal)
            && !c.StartsWith(SessionCookie + "=;", StringComparison.Ordinal));

    /// <summary>The name on the account page, or null when the browser is sent to the login page instead.</summary>
    public static async Task<string?> SignedInNameAsync(HttpClient browser)
    {
        var response = await browser.GetAsync("/account", Ct);
        if (response.StatusCode == HttpStatusCode.Redirect
            && response.Headers.Location?.OriginalString.Contains("/account/login", StringComparison.Ordinal) == true)
        {
            return null;
        }

        await Expect.Status(HttpStatusCode.OK, response);
        var html = await response.Content.ReadAsStringAsync(Ct);
        var match = System.Text.RegularExpressions.Regex.Match(html, "<dd id=\"person-name\">([^<]*)</dd>");
        Assert.True(match.Success, "The account page shows no name: " + html);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static async Task InDatabaseAsync(this EIdentityServerFactory server, Func<EIdentityDbContext, Task> change)
    {
        await using var scope = server.Services.CreateAsyncScope();
        await change(scope.ServiceProvider.GetRequiredService<EIdentityDbContext>());
    }

    public static Task SuspendAsync(this EIdentityServerFactory server, Guid personId) =>
        server.InDatabaseAsync(db => db.Users.Where(p => p.Id == personId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PersonStatus.Suspended), Ct));

    public static async Task<string> IssueActivationAsync(this EIdentityServerFactory server, Guid personId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<IdentityRegistry>().IssueActivationAsync(personId, Ct)).Code;
    }
}
