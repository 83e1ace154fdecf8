using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Identities;

/// <summary>Settings under <c>Identities</c>.</summary>
internal sealed class IdentitiesOptions
{
    public const string Section = "Identities";

    /// <summary>How long an activation letter's link stays valid.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan ActivationLifetime { get; set; } = TimeSpan.FromDays(14);
}
