using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EIdentity.Server.Persistence.Migrations.PostgreSql
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
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CertificateBlocks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    IssuerName = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    IssuerDisplayName = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    SerialNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    BlockedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    BlockedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateBlocks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CertificateChallenges",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Nonce = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Origin = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    BrowserBindingHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateChallenges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CertificateCredentials",
                columns: table => new
                {
                    Thumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrganizationId = table.Column<Guid>(type: "uuid", nullable: true),
                    IssuerName = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    IssuerDisplayName = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    SerialNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SubjectCommonName = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    NotBefore = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NotAfter = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Level = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    FirstUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateCredentials", x => x.Thumbprint);
                });

            migrationBuilder.CreateTable(
                name: "CertificateHandoffs",
                columns: table => new
                {
                    CodeHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StateHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Thumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CertificateHandoffs", x => x.CodeHash);
                });

            migrationBuilder.CreateTable(
                name: "Organizations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TaxCode = table.Column<string>(type: "character varying(14)", maxLength: 14, nullable: false),
                    Name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
