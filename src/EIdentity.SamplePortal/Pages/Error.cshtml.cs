using System.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.SamplePortal.Pages;

/// <summary>Target of UseExceptionHandler and UseStatusCodePagesWithReExecute; never shows exception details.</summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
internal sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Message { get; private set; } = "";

    public string RequestId { get; private set; } = "";

    // The exception handler re-executes the failed request with its original method.
    public void OnGet([FromQuery] int? code) => Describe(code);

    public void OnPost([FromQuery] int? code) => Describe(code);

    private void Describe(int? code)
    {
        RequestId = Activity.Current?.TraceId.ToString() ?? HttpContext.TraceIdentifier;
        (Title, Message) = code switch
        {
            StatusCodes.Status404NotFound =>
                ("Không tìm thấy trang", "Trang bạn tìm không tồn tại hoặc đã được chuyển đi."),
            StatusCodes.Status400BadRequest =>
                ("Yêu cầu không hợp lệ", "Biểu mẫu đã hết hạn hoặc yêu cầu không hợp lệ. Vui lòng tải lại trang và thử lại."),
            StatusCodes.Status403Forbidden =>
                ("Không có quyền truy cập", "Tài khoản của bạn không được phép sử dụng chức năng này."),
            _ => ("Đã có lỗi xảy ra", "Hệ thống gặp sự cố khi xử lý yêu cầu của bạn. Vui lòng thử lại sau ít phút."),
        };
    }
}
