using EIdentity.Server.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Identities;

/// <summary>
/// ASP.NET Core Identity's EF Core store for persons, with the lookups a passkey sign-in makes
/// taken as compiled queries (EF Core would otherwise rebuild and hash the same LINQ tree on every
/// call) and without fetching the same passkey twice in one request. What each method returns is
/// what <see cref="UserOnlyStore{TUser, TContext, TKey}"/> returns; the WebAuthn checks stay
/// Identity's <see cref="PasskeyHandler{TUser}"/>, which calls these lookups.
/// </summary>
internal sealed class PersonStore(EIdentityDbContext context, IdentityErrorDescriber? describer = null)
    : UserOnlyStore<Person, EIdentityDbContext, Guid>(context, describer)
{
    // Tracked, as the base store's lookups are: callers change a person and save.
    private static readonly ModelCompiledQuery<Func<EIdentityDbContext, Guid, CancellationToken, Task<Person?>>> PersonById = new(() =>
        EF.CompileAsyncQuery((EIdentityDbContext db, Guid id, CancellationToken _) =>
            db.Users.SingleOrDefault(p => p.Id == id)));

    private static readonly ModelCompiledQuery<Func<EIdentityDbContext, byte[], CancellationToken, Task<Person?>>> PersonByPasskeyId = new(() =>
        EF.CompileAsyncQuery((EIdentityDbContext db, byte[] credentialId, CancellationToken _) =>
            db.Users.SingleOrDefault(p => db.UserPasskeys.Any(k => k.CredentialId == credentialId && k.UserId == p.Id))));

    private static readonly ModelCompiledQuery<Func<EIdentityDbContext, Guid, byte[], CancellationToken, Task<IdentityUserPasskey<Guid>?>>> PasskeyOf = new(() =>
        EF.CompileAsyncQuery((EIdentityDbContext db, Guid userId, byte[] credentialId, CancellationToken _) =>
            db.UserPasskeys.SingleOrDefault(k => k.UserId == userId && k.CredentialId == credentialId)));

    // The passkey row this request last read, tracked: the counter write after a verification
    // changes it in place instead of reading it a second time.
    private IdentityUserPasskey<Guid>? _lastPasskey;

    public override Task<Person?> FindByIdAsync(string userId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        // The base store's conversion, so a malformed id fails the way it always did.
        return PersonById.For(Context)(Context, ConvertIdFromString(userId)!, cancellationToken);
    }

    public override Task<Person?> FindByPasskeyIdAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(credentialId);
        // One round trip for the owner (the base store reads the passkey row, then the person).
        return PersonByPasskeyId.For(Context)(Context, credentialId, cancellationToken);
    }

    public override async Task<UserPasskeyInfo?> FindPasskeyAsync(Person user, byte[] credentialId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(credentialId);
        var passkey = await PasskeyOf.For(Context)(Context, user.Id, credentialId, cancellationToken);
        if (passkey is null)
        {
            return null;
        }

        _lastPasskey = passkey;
        return ToInfo(passkey);
    }

    public override async Task AddOrUpdatePasskeyAsync(Person user, UserPasskeyInfo passkey, CancellationToken cancellationToken)
    {
        if (TrackedPasskey(user, passkey.CredentialId) is { } stored)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            Update(stored, passkey);
            await SaveChanges(cancellationToken);
            return;
        }

        await base.AddOrUpdatePasskeyAsync(user, passkey, cancellationToken);
    }

    /// <summary>
    /// Puts what a verified assertion changed on the stored passkey (WebAuthn L3 7.2 step 24: the
    /// signature counter and backup state) into the unit of work, for the caller's one
    /// <see cref="DbContext.SaveChangesAsync(CancellationToken)"/> with its own rows. Unlike
    /// <see cref="UserManager{TUser}.AddOrUpdatePasskeyAsync"/> it neither rewrites the person's row
    /// (a sign-in changes nothing about the person) nor re-creates a passkey that was removed in
    /// the meantime: saving then fails with <see cref="DbUpdateConcurrencyException"/>.
    /// </summary>
    public async Task StageAssertionAsync(Person user, UserPasskeyInfo passkey, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var stored = TrackedPasskey(user, passkey.CredentialId)
            ?? await PasskeyOf.For(Context)(Context, user.Id, passkey.CredentialId, cancellationToken)
            ?? throw new DbUpdateConcurrencyException("The passkey was removed while its assertion was being verified.");
        _lastPasskey = stored;
        Update(stored, passkey);
    }

    private IdentityUserPasskey<Guid>? TrackedPasskey(Person user, byte[] credentialId)
        => _lastPasskey is { } last
            && last.UserId == user.Id
            && last.CredentialId.AsSpan().SequenceEqual(credentialId)
            && Context.Entry(last).State is EntityState.Unchanged or EntityState.Modified
                ? last
                : null;

    // What the base store copies from a UserPasskeyInfo onto an existing row; only changed values are written.
    private static void Update(IdentityUserPasskey<Guid> stored, UserPasskeyInfo passkey)
    {
        stored.Data.Name = passkey.Name;
        stored.Data.SignCount = passkey.SignCount;
        stored.Data.IsBackedUp = passkey.IsBackedUp;
        stored.Data.IsUserVerified = passkey.IsUserVerified;
    }

    private static UserPasskeyInfo ToInfo(IdentityUserPasskey<Guid> passkey) => new(
        passkey.CredentialId,
        passkey.Data.PublicKey,
        passkey.Data.CreatedAt,
        passkey.Data.SignCount,
        passkey.Data.Transports,
        passkey.Data.IsUserVerified,
        passkey.Data.IsBackupEligible,
        passkey.Data.IsBackedUp,
        passkey.Data.AttestationObject,
        passkey.Data.ClientDataJson)
    {
        Name = passkey.Data.Name,
    };
}
