using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EIdentity.Server.Persistence.Migrations.PostgreSql
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
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LogoutDeliveries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SessionId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ClientId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    PersonId = table.Column<Guid>(type: "uuid", nullable: false),
                    Issuer = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    Reason = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NextAttemptAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LogoutDeliveries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SessionGrants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SessionId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ClientId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    AuthorizationId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    GrantedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Issuer = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false)
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
