using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Sdk;

namespace EIdentity.Tests.Browser;

/// <summary>The kind of security key a citizen's browser has plugged in.</summary>
public enum SecurityKeyKind
{
    /// <summary>A FIDO2 (CTAP2) key with discoverable credentials and user verification (a PIN).</summary>
    Ctap2,

    /// <summary>A legacy FIDO U2F (CTAP1) key: user presence only, no user verification, no discoverable credentials.</summary>
    U2f,
}

/// <summary>
/// A credential as a virtual key holds it (CDP <c>WebAuthn.Credential</c>): id, RP id, user
/// handle, private key and signature counter. Whoever has it can make a copy of the key.
/// </summary>
public sealed record KeyCredential(JsonElement Json)
{
    public long SignCount => Json.GetProperty("signCount").GetInt64();

    /// <summary>The credential id as the server names it (base64url; CDP gives standard base64).</summary>
    public string CredentialId => Convert.ToBase64String(Convert.FromBase64String(Json.GetProperty("credentialId").GetString()!))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>A navigation of the tab (including each redirect hop), with the status it got.</summary>
public sealed record Navigation(string Method, string Url, int? Status)
{
    public override string ToString() => $"{Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "---"} {Method} {Url}";
}

/// <summary>
/// One citizen's browser: a fresh Chromium context (no cookies), one tab, and a security key
/// plugged into it (a CDP virtual authenticator, touched automatically; by default a FIDO2 key with
/// resident keys and user verification, see <see cref="SecurityKeyKind"/>). It records every navigation of the tab and every use of the key, and turns a
/// failing step into a message with the URL, a screenshot, the page HTML and the hosts' logs.
/// </summary>
public sealed class CitizenBrowser : IAsyncDisposable
{
    public const float StepTimeoutMs = 15_000;

    private readonly IBrowserContext _context;
    private readonly ICDPSession _cdp;
    private string _authenticatorId;
    private readonly IReadOnlyList<HostLog> _logs;
    private readonly string _testName;
    private readonly List<Navigation> _navigations = [];
    private readonly Lock _gate = new();
    private int _keyUses;

    private CitizenBrowser(IBrowserContext context, IPage page, ICDPSession cdp, string authenticatorId, IReadOnlyList<HostLog> logs, string testName)
    {
        _context = context;
        Page = page;
        _cdp = cdp;
        _authenticatorId = authenticatorId;
        _logs = logs;
        _testName = testName;

        page.Response += (_, response) =>
        {
            if (response.Request.IsNavigationRequest && response.Frame == page.MainFrame)
            {
                Record(new Navigation(response.Request.Method, response.Url, response.Status));
            }
        };
        page.RequestFailed += (_, request) =>
        {
            if (request.IsNavigationRequest && request.Frame == page.MainFrame)
            {
                Record(new Navigation(request.Method, $"{request.Url} ({request.Failure})", null));
            }
        };

        // WebAuthn.credentialAdded / credentialAsserted: the authenticator did a ceremony.
        cdp.Event("WebAuthn.credentialAdded").OnEvent += (_, _) => Interlocked.Increment(ref _keyUses);
        cdp.Event("WebAuthn.credentialAsserted").OnEvent += (_, _) => Interlocked.Increment(ref _keyUses);
    }

    public IPage Page { get; }

    /// <summary>How many WebAuthn ceremonies (registrations and assertions) the key has performed.</summary>
    public int KeyUses => Volatile.Read(ref _keyUses);

    public static Task<CitizenBrowser> OpenAsync(IBrowser browser, IReadOnlyList<HostLog> logs, string testName, SecurityKeyKind key = SecurityKeyKind.Ctap2) =>
        OpenAsync(browser, logs, testName, new BrowserNewContextOptions { Locale = "vi-VN" }, key);

    /// <summary>
    /// As <see cref="OpenAsync(IBrowser, IReadOnlyList{HostLog}, string, SecurityKeyKind)"/>, with a
    /// context made from <paramref name="contextOptions"/> (the locale is vi-VN unless they set one).
    /// </summary>
    public static async Task<CitizenBrowser> OpenAsync(IBrowser browser, IReadOnlyList<HostLog> logs, string testName, BrowserNewContextOptions contextOptions, SecurityKeyKind key = SecurityKeyKind.Ctap2)
    {
        contextOptions.Locale ??= "vi-VN";
        var context = await browser.NewContextAsync(contextOptions);
        try
        {
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(StepTimeoutMs);
            page.SetDefaultNavigationTimeout(StepTimeoutMs);

            // The virtual authenticator belongs to this tab's target and survives its navigations.
            var cdp = await context.NewCDPSessionAsync(page);
            await cdp.SendAsync("WebAuthn.enable");
            var authenticatorId = await PlugInAsync(cdp, key);
            return new CitizenBrowser(context, page, cdp, authenticatorId, logs, testName);
        }
        catch
        {
            await context.DisposeAsync();
            throw;
        }
    }

    /// <summary>A position in the navigation record, to look at what happened after it.</summary>
    public int Mark()
    {
        lock (_gate)
        {
            return _navigations.Count;
        }
    }

    public IReadOnlyList<Navigation> NavigationsSince(int mark)
    {
        lock (_gate)
        {
            return [.. _navigations.Skip(mark)];
        }
    }

    /// <summary>The credentials the key holds, with their signature counters.</summary>
    public async Task<IReadOnlyList<(string RpId, bool IsResident, long SignCount)>> KeyCredentialsAsync()
    {
        var result = await _cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = _authenticatorId });
        return result is { } json
            ? [.. json.GetProperty("credentials").EnumerateArray().Select(c => (
                c.GetProperty("rpId").GetString() ?? "",
                c.GetProperty("isResidentCredential").GetBoolean(),
                c.GetProperty("signCount").GetInt64()))]
            : [];
    }

    /// <summary>The one credential the key holds, private key and signature counter included.</summary>
    public async Task<KeyCredential> ExportCredentialAsync()
    {
        var result = await _cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = _authenticatorId });
        var credentials = result?.GetProperty("credentials").EnumerateArray().ToList() ?? [];
        return new(Assert.Single(credentials).Clone());
    }

    /// <summary>
    /// Unplugs the key and plugs in another FIDO2 key: a blank one, or one holding
    /// <paramref name="credential"/> (a copy of a key, or the same key plugged in again), with its
    /// signature counter set to <paramref name="signCount"/> when given.
    /// </summary>
    public async Task SwapKeyAsync(KeyCredential? credential = null, long? signCount = null)
    {
        await _cdp.SendAsync("WebAuthn.removeVirtualAuthenticator", new Dictionary<string, object> { ["authenticatorId"] = _authenticatorId });
        _authenticatorId = await PlugInAsync(_cdp, SecurityKeyKind.Ctap2);
        if (credential is not null)
        {
            var fields = credential.Json.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
            if (signCount is { } count)
            {
                fields["signCount"] = count;
            }

            await _cdp.SendAsync("WebAuthn.addCredential", new Dictionary<string, object>
            {
                ["authenticatorId"] = _authenticatorId,
                ["credential"] = fields,
            });
        }
    }

    private static async Task<string> PlugInAsync(ICDPSession cdp, SecurityKeyKind key)
    {
        var options = key switch
        {
            SecurityKeyKind.Ctap2 => new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "usb",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
            // A FIDO U2F (CTAP1) key: one touch, no PIN or biometric, no discoverable credentials.
            SecurityKeyKind.U2f => new Dictionary<string, object>
            {
                ["protocol"] = "u2f",
                ["transport"] = "usb",
                ["hasResidentKey"] = false,
                ["hasUserVerification"] = false,
                ["automaticPresenceSimulation"] = true,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(key), key, null),
        };
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object> { ["options"] = options });
        return added?.GetProperty("authenticatorId").GetString()
            ?? throw new InvalidOperationException("WebAuthn.addVirtualAuthenticator returned no authenticatorId.");
    }

    /// <summary>
    /// Runs one step of the scenario. A failure becomes a message naming the step and the URL the
    /// tab was on, with a screenshot and the page HTML saved next to the test assembly (and
    /// attached to the test result), the recent navigations and the hosts' last log lines.
    /// </summary>
    public async Task StepAsync(string step, Func<IPage, Task> action)
    {
        var watch = Stopwatch.StartNew();
        var mark = Mark();
        try
        {
            await action(Page);

            // An error page the step happened not to look at is still a failure the citizen saw.
            var errors = NavigationsSince(mark).Where(n => n.Status >= 500).ToList();
            Assert.True(errors.Count == 0, $"A server answered with an error page:\n{string.Join('\n', errors)}");
            TestContext.Current.TestOutputHelper?.WriteLine($"{step}: {watch.ElapsedMilliseconds} ms");
        }
        catch (Exception failure)
        {
            throw new XunitException(await DescribeFailureAsync(step, failure), failure);
        }
    }

    private async Task<string> DescribeFailureAsync(string step, Exception failure)
    {
        var url = Page.Url;
        List<string> message = [$"Step '{step}' failed with the browser at {url}", failure.Message.Trim()];

        var folder = Path.Combine(AppContext.BaseDirectory, "browser-failures");
        Directory.CreateDirectory(folder);
        var name = $"{_testName}-{Slug(step)}-{DateTime.UtcNow:HHmmss}";
        var screenshot = Path.Combine(folder, name + ".png");
        var html = Path.Combine(folder, name + ".html");
        try
        {
            var png = await Page.ScreenshotAsync(new() { Path = screenshot, FullPage = true, Timeout = 5_000 });
            TestContext.Current.AddAttachment(name + ".png", png, "image/png");
            message.Add($"Screenshot: {screenshot}");
        }
        catch (PlaywrightException e)
        {
            message.Add($"Screenshot: none ({e.Message.Split('\n')[0]})");
        }

        try
        {
            var content = await Page.ContentAsync();
            await File.WriteAllTextAsync(html, content);
            TestContext.Current.AddAttachment(name + ".html", content);
            message.Add($"Page HTML: {html}");
        }
        catch (PlaywrightException e)
        {
            message.Add($"Page HTML: none ({e.Message.Split('\n')[0]})");
        }

        message.Add("Navigations of the tab (newest last):");
        foreach (var navigation in NavigationsSince(Math.Max(0, Mark() - 15)))
        {
            message.Add("  " + navigation);
        }

        message.Add("Last log lines:");
        foreach (var log in _logs)
        {
            message.Add(log.Tail(25));
        }

        return string.Join('\n', message);
    }

    private void Record(Navigation navigation)
    {
        lock (_gate)
        {
            _navigations.Add(navigation);
        }
    }

    private static string Slug(string text) =>
        new([.. text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')]);

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
    }
}
