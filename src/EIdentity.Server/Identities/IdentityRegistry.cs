using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Identities;

internal sealed record CreatePersonRequest(NationalIdNumber NationalId, string FullName, DateOnly BirthDate);

internal sealed record CreatePersonResult(Person? Person, string? Error)
{
    public bool Succeeded => Person is not null;
}

internal sealed record IssuedActivation(Guid PersonId, string Code, DateTimeOffset ExpiresAt);

internal enum ActivationCheck
{
    Valid,
    Unknown,
    Expired,
    AlreadyUsed,
    IdentitySuspended,
}

internal sealed record ActivationLookup(ActivationCheck Status, ActivationCode? Code, Person? Person);

/// <summary>Creates identities and their activation codes; the registrar's side of the system.</summary>
internal sealed partial class IdentityRegistry(
    EIdentityDbContext db,
    TimeProvider time,
    IOptions<IdentitiesOptions> options,
    ILogger<IdentityRegistry> logger)
{
    public async Task<CreatePersonResult> CreatePersonAsync(CreatePersonRequest request, CancellationToken cancellationToken = default)
    {
        var name = request.FullName.Trim();
        if (name.Length is 0 or > 200)
        {
            return new(null, "The full name must have between 1 and 200 characters.");
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (request.BirthDate > today || request.BirthDate < today.AddYears(-150))
        {
            return new(null, "The birth date is not plausible.");
        }

        if (await db.Users.AnyAsync(p => p.NationalId == request.NationalId, cancellationToken))
        {
            return new(null, "An identity with this national ID number already exists.");
        }

        var id = Guid.CreateVersion7(time.GetUtcNow());
        var person = new Person
        {
            Id = id,
            UserName = id.ToString(),
            NormalizedUserName = id.ToString().ToUpperInvariant(),
            SecurityStamp = Guid.NewGuid().ToString("N"),
            ConcurrencyStamp = Guid.NewGuid().ToString("N"),
            NationalId = request.NationalId,
            FullName = name,
            BirthDate = request.BirthDate,
            Status = PersonStatus.Active,
            CreatedAt = time.GetUtcNow(),
        };
        db.Users.Add(person);
        await db.SaveChangesAsync(cancellationToken);
        LogPersonCreated(logger, person.Id);
        return new(person, null);
    }

    public Task<Person?> FindByNationalIdAsync(NationalIdNumber nationalId, CancellationToken cancellationToken = default) =>
        db.Users.SingleOrDefaultAsync(p => p.NationalId == nationalId, cancellationToken);

    /// <summary>Creates the minimal organization record certificate sign-in maps tax codes (MST) to.</summary>
    public async Task<(Organization? Organization, string? Error)> CreateOrganizationAsync(TaxCode taxCode, string name, CancellationToken cancellationToken = default)
    {
        var trimmed = name.Trim();
        if (trimmed.Length is 0 or > 300)
        {
            return (null, "The organization's name must have between 1 and 300 characters.");
        }

        if (await db.Organizations.AnyAsync(o => o.TaxCode == taxCode, cancellationToken))
        {
            return (null, "An organization with this tax code already exists.");
        }

        var now = time.GetUtcNow();
        var organization = new Organization { Id = Guid.CreateVersion7(now), TaxCode = taxCode, Name = trimmed, CreatedAt = now };
        db.Organizations.Add(organization);
        await db.SaveChangesAsync(cancellationToken);
        LogOrganizationCreated(logger, organization.Id);
        return (organization, null);
    }

    public Task<Organization?> FindOrganizationAsync(TaxCode taxCode, CancellationToken cancellationToken = default) =>
        db.Organizations.SingleOrDefaultAsync(o => o.TaxCode == taxCode, cancellationToken);

    /// <summary>Issues a fresh activation code; earlier unused codes of the person stop working.</summary>
    public async Task<IssuedActivation> IssueActivationAsync(Guid personId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var earlier = await db.ActivationCodes
            .Where(c => c.PersonId == personId && c.UsedAt == null)
            .ToListAsync(cancellationToken);
        foreach (var old in earlier.Where(c => c.ExpiresAt > now))
        {
            old.ExpiresAt = now;
        }

        var activation = new ActivationCode
        {
            Id = Guid.CreateVersion7(now),
            PersonId = personId,
            CodeHash = Hash(code),
            CreatedAt = now,
            ExpiresAt = now + options.Value.ActivationLifetime,
        };
        db.ActivationCodes.Add(activation);
        await db.SaveChangesAsync(cancellationToken);
        LogActivationIssued(logger, personId, activation.ExpiresAt);
        return new(personId, code, activation.ExpiresAt);
    }

    public async Task<ActivationLookup> FindActivationAsync(string? code, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 100)
        {
            return new(ActivationCheck.Unknown, null, null);
        }

        var hash = Hash(code.Trim());
        var activation = await db.ActivationCodes.SingleOrDefaultAsync(c => c.CodeHash == hash, cancellationToken);
        if (activation is null)
        {
            return new(ActivationCheck.Unknown, null, null);
        }

        var person = await db.Users.SingleAsync(p => p.Id == activation.PersonId, cancellationToken);
        var now = time.GetUtcNow();
        var status = activation.UsedAt is not null ? ActivationCheck.AlreadyUsed
            : now >= activation.ExpiresAt ? ActivationCheck.Expired
            : !person.IsActive ? ActivationCheck.IdentitySuspended
            : ActivationCheck.Valid;
        return new(status, activation, person);
    }

    /// <summary>
    /// Marks the code used, atomically: of two concurrent uses exactly one succeeds. When it cannot
    /// be used, says why (used, or expired — including replaced by a newer letter).
    /// </summary>
    public async Task<ActivationCheck> ConsumeActivationAsync(Guid activationId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var updated = await db.ActivationCodes
            .Where(c => c.Id == activationId && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), cancellationToken);
        if (updated == 1)
        {
            LogActivationUsed(logger, activationId);
            return ActivationCheck.Valid;
        }

        var usedAt = await db.ActivationCodes.Where(c => c.Id == activationId).Select(c => c.UsedAt).SingleOrDefaultAsync(cancellationToken);
        return usedAt is null ? ActivationCheck.Expired : ActivationCheck.AlreadyUsed;
    }

    private static string Hash(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Identity {PersonId} created.")]
    private static partial void LogPersonCreated(ILogger logger, Guid personId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Activation code issued for identity {PersonId}, valid until {ExpiresAt:O}.")]
    private static partial void LogActivationIssued(ILogger logger, Guid personId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Organization {OrganizationId} created.")]
    private static partial void LogOrganizationCreated(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Activation code {ActivationId} used.")]
    private static partial void LogActivationUsed(ILogger logger, Guid activationId);
}
