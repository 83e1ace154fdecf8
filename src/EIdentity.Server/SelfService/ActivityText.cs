using System.Globalization;
using EIdentity.Server.Localization;
using Microsoft.Extensions.Localization;

namespace EIdentity.Server.SelfService;

/// <summary>A fact shown under an activity row ("Device: Chrome / Windows").</summary>
internal sealed record ActivityFact(string Label, string Value);

/// <summary>An activity row in the citizen's words.</summary>
/// <param name="Kind">For styling: <c>signin</c>, <c>failure</c>, <c>security</c> or <c>other</c>.</param>
internal sealed record ActivityLine(ActivityEvent Event, string Kind, string Title, IReadOnlyList<ActivityFact> Facts);

/// <summary>Says what an audit event means for the citizen it concerns. Unknown types are shown generically.</summary>
internal static class ActivityText
{
    public static ActivityLine Describe(ActivityEvent e, IStringLocalizer<SharedResource> t)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(t);
        var facts = new List<ActivityFact>();
        void Fact(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                facts.Add(new(t[label], value));
            }
        }

        void SignIn()
        {
            var how = SignInDescription.Parse(e.Detail);
            Fact("SelfService.Fact.Method", t[CitizenWords.Method(how.Amr)]);
            Fact("SelfService.Fact.Level", CitizenWords.Level(how.Acr) is { } level ? t[level] : how.Acr);
            Fact("SelfService.Fact.Device", how.Device ?? t["SelfService.DeviceUnknown"]);
        }

        string Reason(string? key) => key is null ? "" : t[key];

        var portal = e.PortalName ?? e.Target ?? "";
        (string Kind, string? Title) known = e.Type switch
        {
            "session.started" => ("signin", t["SelfService.Activity.SessionStarted"].Value),
            "portal.signin" => ("signin", t["SelfService.Activity.PortalSignIn", portal].Value),
            "passkey.signin_failed" => ("failure", t["SelfService.Activity.PasskeyFailed"].Value),
            "certificate.refused" => ("failure", t["SelfService.Activity.CertificateRefused"].Value),
            "passkey.enrolled" => ("security", t["SelfService.Activity.KeyAdded"].Value),
            "passkey.removed" => ("security", t["SelfService.Activity.KeyRemoved"].Value),
            "passkey.suspended" => ("security", t["SelfService.Activity.KeySuspended"].Value),
            "passkey.revoked" => ("security", t["SelfService.Activity.KeyRevoked"].Value),
            "passkey.downgraded" => ("security", t["SelfService.Activity.KeyDowngraded"].Value),
            "passkey.restored" => ("security", t["SelfService.Activity.KeyRestored"].Value),
            "certificate.blocked" => ("security", t["SelfService.Activity.CertificateBlocked"].Value),
            "session.ended" => ("other", t["SelfService.Activity.SessionEnded"].Value),
            "consent.granted" => ("other", t["SelfService.Activity.ConsentGranted", portal].Value),
            "consent.revoked" => ("other", (e.Actor == "citizen"
                ? t["SelfService.Activity.ConsentRevokedByYou", portal]
                : t["SelfService.Activity.ConsentRevoked", portal]).Value),
            "identity.suspended" => ("security", t["SelfService.Activity.IdentitySuspended"].Value),
            "identity.reinstated" => ("security", t["SelfService.Activity.IdentityReinstated"].Value),
            ActivityHistory.ReportedType => ("security", t["SelfService.Activity.Reported"].Value),
            _ => ("other", null),
        };

        var title = known.Title;
        switch (e.Type)
        {
            case "session.started" or "portal.signin":
                SignIn();
                break;
            case "passkey.signin_failed":
                Fact("SelfService.Fact.Reason", Reason(CitizenWords.FailureReason(e.Detail?.Split(':', 2)[0].Trim())));
                break;
            case "certificate.refused" when e.Detail?.EndsWith(": IdentitySuspended", StringComparison.Ordinal) == true:
                Fact("SelfService.Fact.Reason", Reason(CitizenWords.FailureReason("identity_suspended")));
                break;
            case "passkey.suspended":
                Fact("SelfService.Fact.Reason", Reason(e.Detail switch
                {
                    "counter-regression" => "SelfService.KeyReason.counter-regression",
                    { } detail when detail.StartsWith("model-status", StringComparison.Ordinal) => "SelfService.KeyReason.model-status",
                    _ => null,
                }));
                break;
            case "session.ended":
                Fact("SelfService.Fact.Device", e.SessionDevice);
                Fact("SelfService.Fact.Reason", Reason(CitizenWords.EndReason(e.Detail)));
                break;
            case ActivityHistory.ReportedType:
                Fact("SelfService.Fact.SessionsEnded", ValueOf(e.Detail, "sessions_ended"));
                break;
        }

        if (title is null)
        {
            title = t["SelfService.Activity.Other"];
            Fact("SelfService.Fact.Type", e.Type);
        }

        return new ActivityLine(e, known.Kind, title, facts);
    }

    private static string? ValueOf(string? detail, string name) =>
        (detail ?? "").Split(';', StringSplitOptions.TrimEntries)
            .Where(p => p.StartsWith(name + "=", StringComparison.Ordinal))
            .Select(p => p[(name.Length + 1)..])
            .FirstOrDefault();

    /// <summary>A time as citizens read it: Vietnam time (UTC+7 all year), day first.</summary>
    public static string Time(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(7)).ToString("dd/MM/yyyy HH:mm", CultureInfo.InvariantCulture);
}
