namespace EIdentity.SamplePortal;

/// <summary>Error codes the sign-in failure page explains; anything else is shown as a generic failure.</summary>
internal static class SignInErrors
{
    // RFC 6749 4.1.2.1, OIDC Core 3.1.2.6, OpenID Connect Unmet Authentication Requirements 1.0.
    public const string AccessDenied = "access_denied";
    public const string UnmetAuthenticationRequirements = "unmet_authentication_requirements";
    public const string LoginRequired = "login_required";
    public const string InteractionRequired = "interaction_required";
    public const string ConsentRequired = "consent_required";
    public const string TemporarilyUnavailable = "temporarily_unavailable";
    public const string ServerError = "server_error";
    public const string InvalidClient = "invalid_client";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string InvalidRequest = "invalid_request";
    public const string InvalidScope = "invalid_scope";

    // The portal's own: discovery, PAR or the token endpoint could not be reached.
    public const string IdpUnreachable = "idp_unreachable";
    public const string SignInFailed = "signin_failed";

    public static string Normalize(string? error) => error switch
    {
        AccessDenied or UnmetAuthenticationRequirements or LoginRequired or InteractionRequired
            or ConsentRequired or TemporarilyUnavailable or ServerError or IdpUnreachable
            or InvalidClient or UnauthorizedClient or InvalidRequest or InvalidScope => error,
        _ => SignInFailed,
    };

    public static string Describe(string error) => Normalize(error) switch
    {
        AccessDenied => "Bạn đã hủy đăng nhập hoặc không đồng ý chia sẻ thông tin với cổng dịch vụ này.",
        UnmetAuthenticationRequirements =>
            "Dịch vụ này yêu cầu mức độ xác thực cao hơn mức bạn vừa sử dụng. Vui lòng đăng nhập bằng khóa bảo mật phần cứng hoặc chứng thư số.",
        LoginRequired or InteractionRequired => "Bạn cần đăng nhập lại tại hệ thống định danh điện tử.",
        ConsentRequired => "Bạn cần đồng ý chia sẻ thông tin với cổng dịch vụ này để tiếp tục.",
        TemporarilyUnavailable or ServerError or IdpUnreachable =>
            "Hệ thống định danh điện tử tạm thời không phản hồi. Vui lòng thử lại sau ít phút.",
        InvalidClient or UnauthorizedClient or InvalidRequest or InvalidScope =>
            "Cổng dịch vụ này chưa được đăng ký đúng với hệ thống định danh điện tử. Vui lòng báo bộ phận hỗ trợ của cổng.",
        _ => "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.",
    };
}
