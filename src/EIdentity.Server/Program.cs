using EIdentity.Server.Admin;
using EIdentity.Server.Audit;
using EIdentity.Server.Cli;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Hosting;
using EIdentity.Server.Identities;
using EIdentity.Server.Localization;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Server.SelfService;
using EIdentity.Server.Sessions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServerDefaults();
builder.AddPersistence();
builder.AddIdentities();
builder.AddAudit();
builder.AddPasskeys();
builder.AddCertificates();
builder.AddSessions();
builder.AddSelfService();
builder.AddOidc();
builder.AddUiLocalization();
builder.AddRateLimits();
builder.AddAdmin();

var app = builder.Build();

if (ServerCommands.IsCommand(args))
{
    return await ServerCommands.RunAsync(app, args);
}

await app.MigrateDatabaseIfConfiguredAsync();
await app.RegisterConfiguredPortalsAsync();
await app.SeedDemoDataAsync();

app.UseServerPipeline();
app.MapPasskeyEndpoints();
app.MapCertificateSignIn();
app.MapDevelopmentPki();
app.MapOidcEndpoints();
app.MapAdminApi();
app.MapLanguageSwitch();
app.MapRazorPages();

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the integration tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
