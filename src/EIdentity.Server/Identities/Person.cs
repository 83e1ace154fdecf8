using Microsoft.AspNetCore.Identity;

namespace EIdentity.Server.Identities;

internal enum PersonStatus
{
    Active,
    Suspended,
}

/// <summary>
/// A natural person with an electronic identity. The ASP.NET Core Identity user is the person:
/// there is no password, e-mail or phone; credentials are passkeys (and later certificates).
/// <see cref="IdentityUser{TKey}.UserName"/> holds the internal id so that the national ID number
/// stays in one column only.
/// </summary>
internal sealed class Person : IdentityUser<Guid>
{
    public NationalIdNumber NationalId { get; set; }

    public string FullName { get; set; } = "";

    public DateOnly BirthDate { get; set; }

    public PersonStatus Status { get; set; } = PersonStatus.Active;

    public DateTimeOffset CreatedAt { get; set; }

    public bool IsActive => Status == PersonStatus.Active;
}
