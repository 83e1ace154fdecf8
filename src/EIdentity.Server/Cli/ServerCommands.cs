using System.Globalization;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using EIdentity.Server.Hosting;
using EIdentity.Server.Identities;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using Microsoft.Extensions.Options;
using QRCoder;

namespace EIdentity.Server.Cli;

/// <summary>
/// Verbs of the server executable for registrars and operators, e.g.
/// <c>dotnet run --project src/EIdentity.Server -- identity create --national-id ... --name ... --birth-date ...</c>.
/// They use the same configuration (and database) as the server.
/// </summary>
internal static class ServerCommands
{
    private const string Usage = """
        EIdentity server — commands

          (no command)                  run the server
          db migrate                    apply pending database migrations
          identity create --national-id <12 digits> --name "<full name>" --birth-date <yyyy-mm-dd>
                                        create a person's electronic identity and print its activation letter
          identity activation --national-id <12 digits>
                                        issue a new activation link (earlier unused ones stop working)
          identity suspend --national-id <12 digits> [--reason "<text>"] [--officer <name>]
                                        suspend an identity: every session ends (portals are told),
                                        every grant and token is revoked; sign-in is refused
          identity reinstate --national-id <12 digits> [--reason "<text>"] [--officer <name>]
                                        let a suspended identity sign in again (ended sessions and
                                        revoked tokens stay ended)
          client register --client-id <id> --display-name "<name>"
                          [--generate-secret | --secret <secret>] [--jwks-file <file.json>]
                          [--tls-client-certificate <file.pem>]
                          --redirect-uri <uri>... [--post-logout-uri <uri>...] [--scope <scope>...]
                          [--sector <sector id>] [--client-credentials]
                          [--backchannel-logout-uri <uri>] [--first-party] [--minimum-acr <acr>]
                          [--access-token-alg ES256|RS256]
                                        register or update a portal (scopes: openid profile offline_access national_id;
                                        eid.admin for an admin client: --client-credentials, no redirect URI);
                                        --first-party skips the consent screen, --minimum-acr refuses
                                        sign-ins below that level whatever the portal's request says;
                                        --generate-secret prints a new 256-bit secret once (cheap to
                                        check; a --secret you choose is stored with PBKDF2), --jwks-file
                                        registers public keys for private_key_jwt client authentication,
                                        --tls-client-certificate the portal's self-signed certificate
                                        (PEM, no private key) for self_signed_tls_client_auth (RFC 8705)
                                        on the mutual-TLS listener; not with a secret
          passkey list --national-id <12 digits>
                                        list a person's keys: credential id, model, level, status
          passkey revoke --credential-id <base64url> [--reason "<text>"] [--officer <name>]
                                        revoke a key for good (it can never be registered again)
          passkey verify-registration --rp-id <id> --origin <origin> --challenge <base64url>
                          --response <file.json> [--any-authenticator]
                                        explain whether a registration response would be accepted
                                        (exit 0 only when it would be)
          passkey metadata [--reload]   show the authenticator metadata and re-review registered keys
          audit verify                  recompute the audit log's hash chain
          keys list                     the token signing keys: kid, algorithm, state, when each signs and retires
          keys rotate [--publish-for <hh:mm:ss>] [--retire-now] [--officer <name>]
                                        new ES256 and RS256 signing keys: published at once, signing after
                                        --publish-for (default 01:00:00) so portals' JWKS caches have them;
                                        the old keys stay published until their last refresh token expires.
                                        --retire-now (after a compromise): the new keys sign at once and the
                                        old ones are withdrawn, refusing every token they signed
          certificate verify <cert-file>... --trust-anchor <file>... [--intermediate <file>]...
                          [--crl <file>]... [--at <ISO 8601 time>] [--no-fetch]
                                        RFC 5280 path validation (signatures, validity, CA constraints,
                                        key usage, revocation of every certificate by the given CRLs);
                                        prints VALID or INVALID and the reason for each file, exit 0
                                        only when all are valid. Files are PEM or DER. Without
                                        --no-fetch, OCSP responders and CRL distribution points
                                        named in the certificates are asked too; with it, only the
                                        CRLs given count, and a certificate whose revocation cannot
                                        be decided is INVALID.
          certificate block (--cert <file> | --issuer "<DN>" --serial <hex>) [--reason "<text>"] [--officer <name>]
                                        refuse one certificate from now on, whatever its CA says;
                                        sessions it established end
          certificate unblock (--cert <file> | --issuer "<DN>" --serial <hex>) [--officer <name>]
          certificate blocks            list blocked certificates
          organization create --tax-code <MST> --name "<name>"
                                        create the organization record certificates with this MST map to
          certs dev-pki [--out <dir>] [--base-url <url>] [--force]
                                        generate the development PKI (default: certs/dev-pki of the
                                        repository; AIA and CRL URLs under --base-url, default
                                        http://localhost:5000); an existing folder is left alone
                                        unless --force. Development only: its keys are public.
          help                          this text

        Configuration comes from appsettings.json, appsettings.{Environment}.json and environment
        variables (e.g. Database__Provider, Database__ConnectionString), as for the server.
        """;

    private static readonly HashSet<string> Verbs = ["db", "identity", "organization", "client", "passkey", "audit", "keys", "certificate", "certs", "help", "--help", "-h"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        try
        {
            var verb = string.Join(' ', args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Take(2));
            var rest = args.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal));
            if (verb is "help" or "--help" or "-h" || rest.Contains("--help"))
            {
                Console.WriteLine(Usage);
                return 0;
            }

            if (verb == "db migrate")
            {
                await app.Services.MigrateDatabaseAsync();
                Console.WriteLine("Database is up to date.");
                return 0;
            }

            if (verb == "certificate verify")
            {
                // Needs no database; its file arguments may come before the options.
                return await CertificateCommands.VerifyAsync(
                    CommandArguments.Parse(args.Skip(2), CertificateCommands.VerifyFlags, positional: true),
                    app.Services.GetRequiredService<TimeProvider>(),
                    Console.Out,
                    crls => new OnlineRevocationSource(
                        _ => app.Services.GetRequiredService<IOptions<CertificateOptions>>().Value.DefaultRevocation,
                        app.Services.GetRequiredService<OcspClient>(), app.Services.GetRequiredService<OcspCache>(),
                        app.Services.GetRequiredService<CrlDistributionPointFetcher>(),
                        app.Services.GetRequiredService<ILogger<OnlineRevocationSource>>(), crls));
            }

            if (verb == "certs dev-pki")
            {
                return await DevelopmentPkiCommands.GenerateAsync(
                    CommandArguments.Parse(args.Skip(2), DevelopmentPkiCommands.Flags),
                    app.Services.GetRequiredService<TimeProvider>(),
                    Console.Out,
                    Console.Error);
            }

            await app.MigrateDatabaseIfConfiguredAsync();
            await using var scope = app.Services.CreateAsyncScope();
            return verb switch
            {
                "identity create" => await CreateIdentityAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "identity activation" => await IssueActivationAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "identity suspend" => await ChangeStatusAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>()), suspend: true),
                "identity reinstate" => await ChangeStatusAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>()), suspend: false),
                "client register" => await RegisterClientAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string> { "client-credentials", "first-party", "generate-secret" })),
                "passkey list" => await PasskeyCommands.ListAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "passkey revoke" => await PasskeyCommands.RevokeAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "passkey verify-registration" => await PasskeyCommands.VerifyRegistrationAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string> { "any-authenticator" })),
                "passkey metadata" => await PasskeyCommands.MetadataAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string> { "reload" })),
                "certificate block" => await CertificateCommands.BlockAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "certificate unblock" => await CertificateCommands.UnblockAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "certificate blocks" => await CertificateCommands.ListBlocksAsync(scope.ServiceProvider),
                "organization create" => await CreateOrganizationAsync(scope.ServiceProvider, CommandArguments.Parse(rest, new HashSet<string>())),
                "audit verify" => await PasskeyCommands.VerifyAuditAsync(scope.ServiceProvider),
                "keys list" => await KeyCommands.ListAsync(scope.ServiceProvider),
                "keys rotate" => await KeyCommands.RotateAsync(scope.ServiceProvider, CommandArguments.Parse(rest, KeyCommands.RotateFlags)),
                _ => throw new CommandException($"unknown command '{verb}'"),
            };
        }
        catch (CommandException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}\n\n{Usage}");
            return 2;
        }
    }

    private static async Task<int> CreateOrganizationAsync(IServiceProvider services, CommandArguments args)
    {
        if (!TaxCode.TryParse(args.Required("tax-code"), out var taxCode))
        {
            throw new CommandException("--tax-code must be a tax code (MST): 10 digits, optionally -NNN for a branch");
        }

        var (organization, error) = await services.GetRequiredService<IdentityRegistry>().CreateOrganizationAsync(taxCode, args.Required("name"));
        if (organization is null)
        {
            await Console.Error.WriteLineAsync($"error: {error}");
            return 1;
        }

        Console.WriteLine($"Organization created: {organization.Id} (MST {organization.TaxCode})");
        return 0;
    }

    private static async Task<int> CreateIdentityAsync(IServiceProvider services, CommandArguments args)
    {
        if (!NationalIdNumber.TryParse(args.Required("national-id"), out var nationalId))
        {
            throw new CommandException("--national-id must be a national ID number (CCCD) of exactly 12 digits");
        }

        if (!DateOnly.TryParseExact(args.Required("birth-date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate))
        {
            throw new CommandException("--birth-date must be a date as yyyy-mm-dd");
        }

        var registry = services.GetRequiredService<IdentityRegistry>();
        var created = await registry.CreatePersonAsync(new CreatePersonRequest(nationalId, args.Required("name"), birthDate));
        if (!created.Succeeded)
        {
            await Console.Error.WriteLineAsync($"error: {created.Error}");
            return 1;
        }

        Console.WriteLine($"Identity created: {created.Person!.Id}");
        await PrintActivationAsync(services, created.Person.Id);
        return 0;
    }

    private static async Task<int> IssueActivationAsync(IServiceProvider services, CommandArguments args)
    {
        if (!NationalIdNumber.TryParse(args.Required("national-id"), out var nationalId))
        {
            throw new CommandException("--national-id must be a national ID number (CCCD) of exactly 12 digits");
        }

        var person = await services.GetRequiredService<IdentityRegistry>().FindByNationalIdAsync(nationalId);
        if (person is null)
        {
            await Console.Error.WriteLineAsync("error: no identity has this national ID number.");
            return 1;
        }

        await PrintActivationAsync(services, person.Id);
        return 0;
    }

    private static async Task<int> ChangeStatusAsync(IServiceProvider services, CommandArguments args, bool suspend)
    {
        if (!NationalIdNumber.TryParse(args.Required("national-id"), out var nationalId))
        {
            throw new CommandException("--national-id must be a national ID number (CCCD) of exactly 12 digits");
        }

        var person = await services.GetRequiredService<IdentityRegistry>().FindByNationalIdAsync(nationalId);
        if (person is null)
        {
            await Console.Error.WriteLineAsync("error: no identity has this national ID number.");
            return 1;
        }

        var statuses = services.GetRequiredService<IdentityStatusService>();
        var actor = "cli:" + (args.Optional("officer") ?? Environment.UserName);
        var reason = args.Optional("reason");
        var result = suspend
            ? await statuses.SuspendAsync(person.Id, reason, actor)
            : await statuses.ReinstateAsync(person.Id, reason, actor);
        Console.WriteLine((suspend, result.Change) switch
        {
            (true, IdentityStatusChange.Done) =>
                $"Identity {person.Id} suspended: {result.SessionsEnded} session(s) ended, {result.AuthorizationsRevoked} grant(s) revoked with their tokens.",
            (true, _) =>
                $"Identity {person.Id} was already suspended; {result.SessionsEnded} session(s) and {result.AuthorizationsRevoked} grant(s) still open were ended now.",
            (false, IdentityStatusChange.Done) =>
                $"Identity {person.Id} reinstated. It can sign in again; sessions and tokens ended by the suspension stay ended.",
            (false, _) => $"Identity {person.Id} is not suspended; nothing changed.",
        });
        return 0;
    }

    private static async Task PrintActivationAsync(IServiceProvider services, Guid personId)
    {
        var activation = await services.GetRequiredService<IdentityRegistry>().IssueActivationAsync(personId);
        var link = ActivationLinks.For(services.GetRequiredService<IOptions<HostingOptions>>().Value.PublicOrigin, activation.Code);
        Console.WriteLine($"Activation link (single use, valid until {activation.ExpiresAt:yyyy-MM-dd HH:mm} UTC):");
        Console.WriteLine($"  {link}");
        using var qr = QRCodeGenerator.GenerateQrCode(link, QRCodeGenerator.ECCLevel.M);
        Console.WriteLine(new AsciiQRCode(qr).GetGraphicSmall());
    }

    private static async Task<int> RegisterClientAsync(IServiceProvider services, CommandArguments args)
    {
        var generate = args.Flag("generate-secret");
        if (generate && args.Optional("secret") is not null)
        {
            await Console.Error.WriteLineAsync("error: give --secret or --generate-secret, not both");
            return 1;
        }

        string? keySet = null;
        if (args.Optional("jwks-file") is { } keySetFile)
        {
            if (!File.Exists(keySetFile))
            {
                await Console.Error.WriteLineAsync($"error: key set file '{keySetFile}' not found");
                return 1;
            }

            keySet = await File.ReadAllTextAsync(keySetFile);
        }

        string? certificate = null;
        if (args.Optional("tls-client-certificate") is { } certificateFile)
        {
            if (generate || args.Optional("secret") is not null)
            {
                await Console.Error.WriteLineAsync("error: a portal with --tls-client-certificate authenticates with it: give no --secret or --generate-secret");
                return 1;
            }

            if (!File.Exists(certificateFile))
            {
                await Console.Error.WriteLineAsync($"error: certificate file '{certificateFile}' not found");
                return 1;
            }

            certificate = await File.ReadAllTextAsync(certificateFile);
        }

        var registration = new PortalRegistration
        {
            ClientId = args.Required("client-id"),
            DisplayName = args.Required("display-name"),
            ClientSecret = generate ? ClientSecrets.Generate() : args.Optional("secret"),
            JsonWebKeySet = keySet,
            TlsClientCertificate = certificate,
            RedirectUris = [.. args.All("redirect-uri")],
            PostLogoutRedirectUris = [.. args.All("post-logout-uri")],
            Scopes = [.. args.All("scope").SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).DefaultIfEmpty("openid")],
            SectorIdentifier = args.Optional("sector"),
            AllowClientCredentials = args.Flag("client-credentials"),
            BackchannelLogoutUri = args.Optional("backchannel-logout-uri"),
            FirstParty = args.Flag("first-party"),
            MinimumAcr = args.Optional("minimum-acr"),
            AccessTokenAlgorithm = args.Optional("access-token-alg"),
        };

        var result = await services.GetRequiredService<PortalRegistry>().RegisterAsync(registration);
        if (!result.Succeeded)
        {
            await Console.Error.WriteLineAsync("error: the registration was refused:\n  - " + string.Join("\n  - ", result.Errors));
            return 1;
        }

        Console.WriteLine($"Portal '{registration.ClientId}' {(result.Created ? "registered" : "updated")}.");
        if (generate)
        {
            // Shown once: only a hash is stored. Any earlier secret of this portal stops working.
            Console.WriteLine("Client secret (shown once; keep it in the portal's secret store):");
            Console.WriteLine($"  {registration.ClientSecret}");
        }

        return 0;
    }
}
