namespace EIdentity.Server.Identities;

internal enum OrganizationStatus
{
    Active,
    Suspended,
}

/// <summary>
/// A business or agency, known by its tax code (MST). This is the minimal record certificate sign-in
/// maps to; representation (who may act for it, under which mandate) arrives with the organization
/// registry. A branch (<c>0101234567-001</c>) is its own record.
/// </summary>
internal sealed class Organization
{
    public Guid Id { get; set; }

    public TaxCode TaxCode { get; set; }

    public string Name { get; set; } = "";

    public OrganizationStatus Status { get; set; } = OrganizationStatus.Active;

    public DateTimeOffset CreatedAt { get; set; }

    public bool IsActive => Status == OrganizationStatus.Active;
}
