using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;

namespace EIdentity.Benchmarks.Ceremonies;

/// <summary>
/// Scenario 6, the server side of a passkey sign-in, username-less (the options name no
/// credential; the key picks its discoverable one), one fresh challenge per operation.
/// </summary>
internal static class PasskeyScenarios
{
    public const double Target = 6_000;

    /// <summary>
    /// ASP.NET Core Identity's <see cref="IPasskeyHandler{TUser}"/> as the server configures it,
    /// verifying one assertion: client data, origin, RP ID hash, flags, the credential looked up in the
    /// database (user and passkey rows), the ES256 signature and the counter. Nothing is written.
    /// </summary>
    public static Scenario Verify(BenchHost host) => new("6. passkey: handler verification", [false, true], Target,
        (index, batch) => PasskeyWorker.CreateAsync(host, index, batch, PasskeyWorker.Mode.Verify));

    /// <summary>
    /// <see cref="PasskeyCeremonies.FinishAssertionAsync"/>, the finish request's whole server side:
    /// take (read and delete) the ceremony row, the credential's status row, the handler's
    /// verification, then the new signature counter and last use written back.
    /// </summary>
    public static Scenario Finish(BenchHost host) => new("6. passkey: finish (ceremony take + verify + counter write)", [false, true], Target,
        (index, batch) => PasskeyWorker.CreateAsync(host, index, batch, PasskeyWorker.Mode.Finish));

    /// <summary>Both requests of the ceremony: begin (challenge, ceremony row stored) and finish; the authenticator's signing is not counted.</summary>
    public static Scenario Ceremony(BenchHost host) => new("6. passkey: begin + finish", [true, false, true], Target,
        (index, batch) => PasskeyWorker.CreateAsync(host, index, batch, PasskeyWorker.Mode.Ceremony));

    private sealed class PasskeyWorker : ICeremonyWorker
    {
        private readonly BenchHost _host;
        private readonly SoftwareAuthenticator _key;
        private readonly Mode _mode;
        private readonly string[] _state;
        private readonly string[] _options;
        private readonly string[] _credential;

        private PasskeyWorker(BenchHost host, SoftwareAuthenticator key, Mode mode, int batch)
        {
            _host = host;
            _key = key;
            _mode = mode;
            _state = new string[batch];
            _options = new string[batch];
            _credential = new string[batch];
        }

        public enum Mode
        {
            Verify,
            Finish,
            Ceremony,
        }

        /// <summary>A citizen of the worker's own (so counters never race), enrolled through the real activation endpoints.</summary>
        public static async Task<ICeremonyWorker> CreateAsync(BenchHost host, int index, int batch, Mode mode)
        {
            Guid personId;
            string code;
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var registry = scope.ServiceProvider.GetRequiredService<IdentityRegistry>();
                var nationalId = NationalIdNumber.Parse("0" + Random.Shared.NextInt64(0, 100_000_000_000).ToString("D11", CultureInfo.InvariantCulture));
                var created = await registry.CreatePersonAsync(new CreatePersonRequest(nationalId, $"Người Đo {index}", new DateOnly(1990, 1, 1)));
                personId = created.Person?.Id ?? throw new InvalidOperationException("Creating the bench citizen failed: " + created.Error);
                code = (await registry.IssueActivationAsync(personId)).Code;
            }

            var key = new SoftwareAuthenticator(BenchHost.Origin);
            using var browser = host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(BenchHost.Origin), AllowAutoRedirect = false });
            var options = await browser.PostAsJsonAsync("/api/passkeys/registration/options", new { activationCode = code });
            options.EnsureSuccessStatusCode();
            var started = await options.Content.ReadFromJsonAsync<JsonElement>();
            var body = new JsonObject
            {
                ["ceremonyId"] = started.GetProperty("ceremonyId").GetString(),
                ["credential"] = JsonNode.Parse(key.Register(started.GetProperty("options").GetRawText())),
            };
            var enrolled = await browser.PostAsync("/api/passkeys/registration", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            if (!enrolled.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Enrolling the bench key failed: {(int)enrolled.StatusCode} {await enrolled.Content.ReadAsStringAsync()}");
            }

            return new PasskeyWorker(host, key, mode, batch);
        }

        public async ValueTask RunPhaseAsync(int phase, int slot)
        {
            switch (_mode, phase)
            {
                case (Mode.Verify, 0):
                    {
                        await using var scope = _host.Services.CreateAsyncScope();
                        var handler = scope.ServiceProvider.GetRequiredService<IPasskeyHandler<Person>>();
                        var request = await handler.MakeRequestOptionsAsync(null, Request(scope.ServiceProvider));
                        _state[slot] = request.AssertionState ?? "";
                        _credential[slot] = _key.Assert(request.RequestOptionsJson);
                        break;
                    }

                case (Mode.Verify, 1):
                    {
                        await using var scope = _host.Services.CreateAsyncScope();
                        var handler = scope.ServiceProvider.GetRequiredService<IPasskeyHandler<Person>>();
                        var result = await handler.PerformAssertionAsync(new PasskeyAssertionContext
                        {
                            HttpContext = Request(scope.ServiceProvider),
                            CredentialJson = _credential[slot],
                            AssertionState = _state[slot],
                        });
                        if (!result.Succeeded)
                        {
                            throw new InvalidOperationException("The handler refused a good assertion: " + result.Failure.Message);
                        }

                        break;
                    }

                case (Mode.Finish, 0):
                case (Mode.Ceremony, 0):
                    {
                        await using var scope = _host.Services.CreateAsyncScope();
                        var started = await scope.ServiceProvider.GetRequiredService<PasskeyCeremonies>().BeginAssertionAsync(Request(scope.ServiceProvider), null);
                        _state[slot] = started.CeremonyId;
                        _options[slot] = started.OptionsJson;
                        if (_mode == Mode.Finish)
                        {
                            _credential[slot] = _key.Assert(started.OptionsJson);
                        }

                        break;
                    }

                case (Mode.Ceremony, 1):
                    _credential[slot] = _key.Assert(_options[slot]);
                    break;

                case (Mode.Finish, 1):
                case (Mode.Ceremony, 2):
                    {
                        await using var scope = _host.Services.CreateAsyncScope();
                        var outcome = await scope.ServiceProvider.GetRequiredService<PasskeyCeremonies>()
                            .FinishAssertionAsync(Request(scope.ServiceProvider), _state[slot], _credential[slot]);
                        if (!outcome.Succeeded)
                        {
                            throw new InvalidOperationException($"The ceremony refused a good assertion: {outcome.Failure} {outcome.Detail}");
                        }

                        break;
                    }

                default:
                    throw new ArgumentOutOfRangeException(nameof(phase));
            }
        }

        public ValueTask DisposeAsync()
        {
            _key.Dispose();
            return ValueTask.CompletedTask;
        }

        // What a request to https://localhost carries that the passkey code reads.
        private static DefaultHttpContext Request(IServiceProvider services)
        {
            var http = new DefaultHttpContext { RequestServices = services };
            http.Request.Scheme = "https";
            http.Request.Host = new HostString("localhost");
            return http;
        }
    }
}
