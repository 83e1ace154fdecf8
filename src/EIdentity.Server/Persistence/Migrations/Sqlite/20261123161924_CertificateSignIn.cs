using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EIdentity.Server.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CertificateSignIn : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "OrganizationId",
                table: "SsoSessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CertificateBlocks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IssuerName = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    IssuerDisplayName = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    SerialNumber = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    BlockedBy = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    BlockedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateBlocks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CertificateChallenges",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Nonce = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Origin = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    BrowserBindingHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateChallenges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CertificateCredentials",
                columns: table => new
                {
                    Thumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PersonId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OrganizationId = table.Column<Guid>(type: "TEXT", nullable: true),
                    IssuerName = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    IssuerDisplayName = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    SerialNumber = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SubjectCommonName = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    NotBefore = table.Column<long>(type: "INTEGER", nullable: false),
                    NotAfter = table.Column<long>(type: "INTEGER", nullable: false),
                    Level = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    FirstUsedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateCredentials", x => x.Thumbprint);
                });

            migrationBuilder.CreateTable(
                name: "CertificateHandoffs",
                columns: table => new
                {
                    CodeHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StateHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Thumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateHandoffs", x => x.CodeHash);
                });

            migrationBuilder.CreateTable(
                name: "Organizations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TaxCode = table.Column<string>(type: "TEXT", maxLength: 14, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Organizations", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CertificateBlocks_IssuerName_SerialNumber",
                table: "CertificateBlocks",
                columns: new[] { "IssuerName", "SerialNumber" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CertificateChallenges_ExpiresAt",
                table: "CertificateChallenges",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_CertificateCredentials_IssuerName_SerialNumber",
                table: "CertificateCredentials",
                columns: new[] { "IssuerName", "SerialNumber" });

            migrationBuilder.CreateIndex(
                name: "IX_CertificateCredentials_PersonId",
                table: "CertificateCredentials",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_CertificateHandoffs_ExpiresAt",
                table: "CertificateHandoffs",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_Organizations_TaxCode",
                table: "Organizations",
                column: "TaxCode",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CertificateBlocks");

            migrationBuilder.DropTable(
                name: "CertificateChallenges");

            migrationBuilder.DropTable(
                name: "CertificateCredentials");

            migrationBuilder.DropTable(
                name: "CertificateHandoffs");

            migrationBuilder.DropTable(
                name: "Organizations");

            migrationBuilder.DropColumn(
                name: "OrganizationId",
                table: "SsoSessions");
        }
    }
}
