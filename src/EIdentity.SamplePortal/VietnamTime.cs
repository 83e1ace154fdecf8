using System.Globalization;

namespace EIdentity.SamplePortal;

internal static class VietnamTime
{
    // Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset needs no tz database.
    private static readonly TimeSpan Offset = TimeSpan.FromHours(7);

    public static string Format(DateTimeOffset instant) =>
        instant.ToOffset(Offset).ToString("HH:mm:ss 'ngày' dd/MM/yyyy", CultureInfo.InvariantCulture) + " (giờ Việt Nam)";

    public static string FormatRemaining(TimeSpan remaining) => remaining <= TimeSpan.Zero
        ? "đã hết hạn"
        : remaining.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"còn {(int)remaining.TotalHours} giờ {remaining.Minutes} phút")
            : string.Create(CultureInfo.InvariantCulture, $"còn {(int)remaining.TotalMinutes} phút {remaining.Seconds} giây");
}
