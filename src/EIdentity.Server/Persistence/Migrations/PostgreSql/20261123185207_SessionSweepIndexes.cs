using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EIdentity.Server.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class SessionSweepIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_SsoSessions_EndedAt_ExpiresAt",
                table: "SsoSessions",
                columns: new[] { "EndedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SsoSessions_EndedAt_LastSeenAt",
                table: "SsoSessions",
                columns: new[] { "EndedAt", "LastSeenAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_SsoSessions_EndedAt_ExpiresAt",
                table: "SsoSessions");

            migrationBuilder.DropIndex(
                name: "IX_SsoSessions_EndedAt_LastSeenAt",
                table: "SsoSessions");
        }
    }
}
