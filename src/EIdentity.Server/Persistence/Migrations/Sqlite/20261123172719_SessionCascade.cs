using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EIdentity.Server.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SessionCascade : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Device",
                table: "SsoSessions",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LogoutDeliveries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SessionId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    PersonId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DeliveredAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LogoutDeliveries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SessionGrants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SessionId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    AuthorizationId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    GrantedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SessionGrants", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SsoSessions_CredentialId",
                table: "SsoSessions",
                column: "CredentialId");

            migrationBuilder.CreateIndex(
                name: "IX_LogoutDeliveries_PersonId",
                table: "LogoutDeliveries",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_LogoutDeliveries_SessionId_ClientId",
                table: "LogoutDeliveries",
                columns: new[] { "SessionId", "ClientId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LogoutDeliveries_Status_NextAttemptAt",
                table: "LogoutDeliveries",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SessionGrants_SessionId",
                table: "SessionGrants",
                column: "SessionId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LogoutDeliveries");

            migrationBuilder.DropTable(
                name: "SessionGrants");

            migrationBuilder.DropIndex(
                name: "IX_SsoSessions_CredentialId",
                table: "SsoSessions");

            migrationBuilder.DropColumn(
                name: "Device",
                table: "SsoSessions");
        }
    }
}
