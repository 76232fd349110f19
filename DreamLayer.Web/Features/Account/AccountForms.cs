using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Features.Account;

public sealed class SignInInput
{
    [Required(ErrorMessage = "Enter your user name.")]
    [Display(Name = "User name")]
    public string UserName { get; set; } = string.Empty;

    [Required(ErrorMessage = "Enter your password.")]
    [DataType(DataType.Password)]
    public string Password { get; set; } = string.Empty;

    [Display(Name = "Keep me signed in")]
    public bool RememberMe { get; set; }
}

/// <summary>A new account: the first admin on the setup page, and a self-registered member.</summary>
public sealed class NewAccountInput
{
    [Required(ErrorMessage = "Choose a user name.")]
    [StringLength(64, ErrorMessage = "A user name has at most 64 characters.")]
    [RegularExpression(@"^[A-Za-z0-9._@+-]+$", ErrorMessage = "A user name uses letters, digits and . _ @ + - only.")]
    [Display(Name = "User name")]
    public string UserName { get; set; } = string.Empty;

    [StringLength(64, ErrorMessage = "A display name has at most 64 characters.")]
    [Display(Name = "Display name")]
    public string? DisplayName { get; set; }

    [Required(ErrorMessage = "Choose a password.")]
    [StringLength(200, MinimumLength = 8, ErrorMessage = "A password has at least 8 characters.")]
    [DataType(DataType.Password)]
    public string Password { get; set; } = string.Empty;

    [Required(ErrorMessage = "Repeat the password.")]
    [Compare(nameof(Password), ErrorMessage = "The two passwords differ.")]
    [DataType(DataType.Password)]
    [Display(Name = "Repeat password")]
    public string ConfirmPassword { get; set; } = string.Empty;
}

public sealed class ChangePasswordInput
{
    [Required(ErrorMessage = "Enter your current password.")]
    [DataType(DataType.Password)]
    [Display(Name = "Current password")]
    public string CurrentPassword { get; set; } = string.Empty;

    [Required(ErrorMessage = "Choose a new password.")]
    [StringLength(200, MinimumLength = 8, ErrorMessage = "A password has at least 8 characters.")]
    [DataType(DataType.Password)]
    [Display(Name = "New password")]
    public string NewPassword { get; set; } = string.Empty;

    [Required(ErrorMessage = "Repeat the new password.")]
    [Compare(nameof(NewPassword), ErrorMessage = "The two passwords differ.")]
    [DataType(DataType.Password)]
    [Display(Name = "Repeat new password")]
    public string ConfirmPassword { get; set; } = string.Empty;
}
