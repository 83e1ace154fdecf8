using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Oidc;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace EIdentity.Server.Persistence;

/// <summary>
/// The one database of EIdentity: ASP.NET Core Identity (schema Version3, with passkeys),
/// OpenIddict's applications/authorizations/scopes/tokens, data-protection keys and our own tables.
/// Provider-specific subclasses exist only so that each provider keeps its own migrations.
/// </summary>
internal class EIdentityDbContext(DbContextOptions options)
    : IdentityUserContext<Person, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<ActivationCode> ActivationCodes => Set<ActivationCode>();
    public DbSet<PasskeyCeremony> PasskeyCeremonies => Set<PasskeyCeremony>();
    public DbSet<SsoSession> SsoSessions => Set<SsoSession>();
    public DbSet<SessionGrant> SessionGrants => Set<SessionGrant>();
    public DbSet<LogoutDelivery> LogoutDeliveries => Set<LogoutDelivery>();
    public DbSet<ClientAssertionUse> ClientAssertionUses => Set<ClientAssertionUse>();
    public DbSet<ServerKey> ServerKeys => Set<ServerKey>();
    public DbSet<PasskeyCredential> PasskeyCredentials => Set<PasskeyCredential>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<CertificateCredential> CertificateCredentials => Set<CertificateCredential>();
    public DbSet<CertificateBlock> CertificateBlocks => Set<CertificateBlock>();
    public DbSet<CertificateChallenge> CertificateChallenges => Set<CertificateChallenge>();
    public DbSet<CertificateHandoff> CertificateHandoffs => Set<CertificateHandoff>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.UseOpenIddict();

        builder.Entity<Person>(person =>
        {
            person.ToTable("Persons");
            person.Property(p => p.NationalId)
                .HasConversion(id => id.Value, value => NationalIdNumber.Parse(value))
                .HasMaxLength(NationalIdNumber.Length)
                .IsRequired();
            person.HasIndex(p => p.NationalId).IsUnique();
            person.Property(p => p.FullName).HasMaxLength(200).IsRequired();
            person.Property(p => p.Status).HasConversion<string>().HasMaxLength(20);
            // Identity's password, e-mail and phone columns stay empty: there are no passwords in EIdentity.
        });
        builder.Entity<IdentityUserPasskey<Guid>>().ToTable("PersonPasskeys");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("PersonClaims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("PersonLogins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("PersonTokens");

        builder.Entity<ActivationCode>(code =>
        {
            code.HasKey(c => c.Id);
            code.Property(c => c.CodeHash).HasMaxLength(64).IsRequired();
            code.HasIndex(c => c.CodeHash).IsUnique();
            code.HasIndex(c => c.PersonId);
        });

        builder.Entity<PasskeyCeremony>(ceremony =>
        {
            ceremony.HasKey(c => c.Id);
            ceremony.Property(c => c.Id).HasMaxLength(64);
            ceremony.Property(c => c.Kind).HasConversion<string>().HasMaxLength(20);
            ceremony.HasIndex(c => c.ExpiresAt);
        });

        builder.Entity<SsoSession>(session =>
        {
            session.HasKey(s => s.Id);
            session.Property(s => s.Id).HasMaxLength(64);
            session.Property(s => s.Acr).HasMaxLength(100);
            session.Property(s => s.Amr).HasMaxLength(100);
            session.Property(s => s.EndReason).HasMaxLength(50);
            session.Property(s => s.Device).HasMaxLength(100);
            session.HasIndex(s => s.PersonId);
            session.HasIndex(s => s.CredentialId);
            // The sweep looks for live sessions past their end or idle.
            session.HasIndex(s => new { s.EndedAt, s.ExpiresAt });
            session.HasIndex(s => new { s.EndedAt, s.LastSeenAt });
        });

        builder.Entity<SessionGrant>(grant =>
        {
            grant.HasKey(g => g.Id);
            grant.Property(g => g.SessionId).HasMaxLength(64);
            grant.Property(g => g.ClientId).HasMaxLength(100);
            grant.Property(g => g.AuthorizationId).HasMaxLength(100);
            grant.Property(g => g.Issuer).HasMaxLength(300);
            grant.HasIndex(g => g.SessionId);
        });

        builder.Entity<LogoutDelivery>(delivery =>
        {
            delivery.HasKey(d => d.Id);
            delivery.Property(d => d.SessionId).HasMaxLength(64);
            delivery.Property(d => d.ClientId).HasMaxLength(100);
            delivery.Property(d => d.Reason).HasMaxLength(50);
            delivery.Property(d => d.Issuer).HasMaxLength(300);
            delivery.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
            delivery.Property(d => d.LastError).HasMaxLength(300);
            delivery.HasIndex(d => new { d.SessionId, d.ClientId }).IsUnique();
            delivery.HasIndex(d => new { d.Status, d.NextAttemptAt });
            delivery.HasIndex(d => d.PersonId);
        });

        builder.Entity<ClientAssertionUse>(use =>
        {
            use.HasKey(u => new { u.ClientId, u.TokenId });
            use.Property(u => u.ClientId).HasMaxLength(100);
            use.Property(u => u.TokenId).HasMaxLength(200);
        });

        builder.Entity<PasskeyCredential>(credential =>
        {
            credential.HasKey(c => c.CredentialId);
            // WebAuthn L3: credential ids are at most 1023 bytes, 1364 base64url characters.
            credential.Property(c => c.CredentialId).HasMaxLength(1364);
            credential.Property(c => c.Format).HasMaxLength(32);
            credential.Property(c => c.AttestationType).HasConversion<string>().HasMaxLength(20);
            credential.Property(c => c.Model).HasMaxLength(200);
            credential.Property(c => c.ModelStatus).HasMaxLength(64);
            credential.Property(c => c.Level).HasMaxLength(100);
            credential.Property(c => c.AttestedLevel).HasMaxLength(100);
            credential.Property(c => c.Status).HasConversion<string>().HasMaxLength(20);
            credential.Property(c => c.StatusReason).HasMaxLength(64);
            credential.HasIndex(c => c.PersonId);
            credential.HasIndex(c => c.Aaguid);
        });

        builder.Entity<AuditEvent>(audit =>
        {
            audit.ToTable("AuditLog");
            audit.HasKey(e => e.Sequence);
            audit.Property(e => e.Sequence).ValueGeneratedNever();
            audit.Property(e => e.Type).HasMaxLength(64);
            audit.Property(e => e.Actor).HasMaxLength(100);
            audit.Property(e => e.Target).HasMaxLength(1400);
            audit.Property(e => e.Detail).HasMaxLength(500);
            audit.Property(e => e.PreviousHash).HasMaxLength(64);
            audit.Property(e => e.Hash).HasMaxLength(64);
            audit.HasIndex(e => e.PersonId);
        });

        builder.Entity<Organization>(organization =>
        {
            organization.HasKey(o => o.Id);
            organization.Property(o => o.TaxCode)
                .HasConversion(code => code.Value, value => TaxCode.Parse(value))
                .HasMaxLength(TaxCode.BaseLength + 1 + TaxCode.BranchLength)
                .IsRequired();
            organization.HasIndex(o => o.TaxCode).IsUnique();
            organization.Property(o => o.Name).HasMaxLength(300).IsRequired();
            organization.Property(o => o.Status).HasConversion<string>().HasMaxLength(20);
        });

        builder.Entity<CertificateCredential>(credential =>
        {
            credential.HasKey(c => c.Thumbprint);
            credential.Property(c => c.Thumbprint).HasMaxLength(64);
            credential.Property(c => c.IssuerName).HasMaxLength(1000);
            credential.Property(c => c.IssuerDisplayName).HasMaxLength(1000);
            credential.Property(c => c.SerialNumber).HasMaxLength(64);
            credential.Property(c => c.SubjectCommonName).HasMaxLength(300);
            credential.Property(c => c.Level).HasMaxLength(100);
            credential.Ignore(c => c.CredentialReference);
            credential.HasIndex(c => c.PersonId);
            credential.HasIndex(c => new { c.IssuerName, c.SerialNumber });
        });

        builder.Entity<CertificateBlock>(block =>
        {
            block.HasKey(b => b.Id);
            block.Property(b => b.IssuerName).HasMaxLength(1000);
            block.Property(b => b.IssuerDisplayName).HasMaxLength(1000);
            block.Property(b => b.SerialNumber).HasMaxLength(64);
            block.Property(b => b.Reason).HasMaxLength(500);
            block.Property(b => b.BlockedBy).HasMaxLength(100);
            block.HasIndex(b => new { b.IssuerName, b.SerialNumber }).IsUnique();
        });

        builder.Entity<CertificateChallenge>(challenge =>
        {
            challenge.HasKey(c => c.Id);
            challenge.Property(c => c.Id).HasMaxLength(64);
            challenge.Property(c => c.Nonce).HasMaxLength(64);
            challenge.Property(c => c.Origin).HasMaxLength(300);
            challenge.Property(c => c.BrowserBindingHash).HasMaxLength(64);
            challenge.HasIndex(c => c.ExpiresAt);
        });

        builder.Entity<CertificateHandoff>(handoff =>
        {
            handoff.HasKey(h => h.CodeHash);
            handoff.Property(h => h.CodeHash).HasMaxLength(64);
            handoff.Property(h => h.StateHash).HasMaxLength(64);
            handoff.Property(h => h.Thumbprint).HasMaxLength(64);
            handoff.HasIndex(h => h.ExpiresAt);
        });

        builder.Entity<ServerKey>(key =>
        {
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(64);
            key.Property(k => k.Kind).HasMaxLength(20);
        });
    }
}

/// <summary>SQLite flavour: carries the SQLite migrations (Persistence/Migrations/Sqlite).</summary>
internal sealed class SqliteEIdentityDbContext(DbContextOptions<SqliteEIdentityDbContext> options) : EIdentityDbContext(options)
{
    // SQLite has no timestamp-with-offset type and EF cannot compare DateTimeOffset stored as text;
    // all our instants are UTC, so a sortable 64-bit encoding keeps comparisons in SQL.
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>PostgreSQL flavour: carries the PostgreSQL migrations (Persistence/Migrations/PostgreSql).</summary>
internal sealed class PostgreSqlEIdentityDbContext(DbContextOptions<PostgreSqlEIdentityDbContext> options) : EIdentityDbContext(options);
