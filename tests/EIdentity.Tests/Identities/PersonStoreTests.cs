using System.Buffers.Text;
using System.Net;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.Credentials.Passkeys.KeyCeremonies;

namespace EIdentity.Tests.Identities;

/// <summary>
/// The person store's own passkey lookups (compiled queries, one read per request, one write per
/// sign-in) answer as ASP.NET Core Identity's store did, on SQLite and on PostgreSQL.
/// </summary>
public sealed class PersonStoreTests
{
    public static TheoryData<string> Databases => ["SQLite", "PostgreSQL"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_key_is_found_for_its_owner_only(string database)
    {
        await using var server = Server(database, "eid_store_owner");
        var (owner, ownerId, _) = await server.ActivatedCitizenAsync("Chủ Khóa");
        var (other, otherId, _) = await server.ActivatedCitizenAsync("Người Khác");
        using var _ = owner;
        using var __ = other;
        var key = Base64Url.DecodeFromChars(owner.Key.CredentialIds.Single());

        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<Person>>();
        var ownerRecord = await users.FindByIdAsync(ownerId.ToString());
        var otherRecord = await users.FindByIdAsync(otherId.ToString());

        Assert.Equal(ownerId, (await users.FindByPasskeyIdAsync(key))?.Id);
        Assert.Equal(key, (await users.GetPasskeyAsync(ownerRecord!, key))?.CredentialId);
        Assert.Null(await users.GetPasskeyAsync(otherRecord!, key));
        Assert.Null(await users.FindByPasskeyIdAsync([.. key.Reverse()]));
        Assert.Null(await users.FindByIdAsync(Guid.NewGuid().ToString()));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_cloned_key_is_still_caught_by_its_counter_and_a_replay_is_still_refused(string database)
    {
        await using var server = Server(database, "eid_store_clone");
        var (citizen, _, _) = await server.ActivatedCitizenAsync();
        using var _ = citizen;
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        using var copy = citizen.Key.Clone();
        var (ceremonyId, options) = await citizen.BeginSignInAsync();
        var assertion = citizen.Key.Assert(options);
        await Expect.Status(HttpStatusCode.OK, await citizen.FinishSignInAsync(ceremonyId, assertion));

        // The same response again: the ceremony was taken by the first finish.
        await Expect.Status(HttpStatusCode.BadRequest, await citizen.FinishSignInAsync(ceremonyId, assertion));
        // The copy signs with a counter the original already used: only a stored counter tells.
        await Expect.Status(HttpStatusCode.BadRequest, await SignInWithAsync(citizen, copy));
        var record = await CredentialAsync(server, citizen.Key.CredentialIds.Single());
        Assert.Equal((PasskeyStatus.Suspended, PasskeyStatusReasons.CounterRegression), (record.Status, record.StatusReason));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_revoked_key_is_refused_and_its_owner_can_no_longer_be_found_by_it(string database)
    {
        await using var server = Server(database, "eid_store_revoked");
        var (citizen, _, _) = await server.ActivatedCitizenAsync();
        using var _ = citizen;
        var id = citizen.Key.CredentialIds.Single();
        await using (var scope = server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PasskeyKeyring>().RevokeAsync(id, "officer-1", null, Ct);
        }

        await Expect.Status(HttpStatusCode.BadRequest, await SignInWithAsync(citizen, citizen.Key));
        await using (var scope = server.Services.CreateAsyncScope())
        {
            Assert.Null(await scope.ServiceProvider.GetRequiredService<UserManager<Person>>().FindByPasskeyIdAsync(Base64Url.DecodeFromChars(id)));
        }
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_sign_in_keeps_the_counter_and_last_use_but_does_not_rewrite_the_identity(string database)
    {
        await using var server = Server(database, "eid_store_write");
        var (citizen, personId, _) = await server.ActivatedCitizenAsync();
        using var _ = citizen;
        var before = await PersonAsync(server, personId);

        citizen.Key.NextSignCount = 41;
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));

        var after = await PersonAsync(server, personId);
        Assert.Equal(before.ConcurrencyStamp, after.ConcurrencyStamp);
        var key = Base64Url.DecodeFromChars(citizen.Key.CredentialIds.Single());
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<Person>>();
        Assert.Equal(41u, (await users.GetPasskeyAsync(after, key))!.SignCount);
        Assert.NotNull((await CredentialAsync(server, citizen.Key.CredentialIds.Single())).LastUsedAt);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_key_revoked_while_its_assertion_is_verified_is_not_written_back(string database)
    {
        await using var server = Server(database, "eid_store_race");
        var (citizen, personId, _) = await server.ActivatedCitizenAsync();
        using var _ = citizen;
        var id = citizen.Key.CredentialIds.Single();
        var key = Base64Url.DecodeFromChars(id);

        // The sign-in has read the key (as the handler does) when an officer revokes it.
        await using var signIn = server.Services.CreateAsyncScope();
        var store = signIn.ServiceProvider.GetRequiredService<PersonStore>();
        var person = (await store.FindByIdAsync(personId.ToString(), Ct))!;
        var passkey = (await store.FindPasskeyAsync(person, key, Ct))!;
        await using (var officer = server.Services.CreateAsyncScope())
        {
            await officer.ServiceProvider.GetRequiredService<PasskeyKeyring>().RevokeAsync(id, "officer-1", null, Ct);
        }

        passkey.SignCount++;
        await store.StageAssertionAsync(person, passkey, Ct);
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(
            () => signIn.ServiceProvider.GetRequiredService<EIdentityDbContext>().SaveChangesAsync(Ct));

        await using var check = server.Services.CreateAsyncScope();
        Assert.Null(await check.ServiceProvider.GetRequiredService<UserManager<Person>>().FindByPasskeyIdAsync(key));
    }

    private static EIdentityServerFactory Server(string database, string prefix) => database == "PostgreSQL"
        ? new EIdentityServerFactory(Suites.NewPostgresDatabase(prefix))
        : new EIdentityServerFactory();

    private static async Task<Person> PersonAsync(EIdentityServerFactory server, Guid personId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().Users.AsNoTracking().SingleAsync(p => p.Id == personId, Ct);
    }

    private static async Task<PasskeyCredential> CredentialAsync(EIdentityServerFactory server, string credentialId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().PasskeyCredentials.AsNoTracking()
            .SingleAsync(c => c.CredentialId == credentialId, Ct);
    }
}
