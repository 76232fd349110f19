using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Images;
using DreamLayer.Web.Operations;
using DreamLayer.Web.Security;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and Blazor's files from the build output in every environment (a no-op when published).
builder.WebHost.UseStaticWebAssets();

builder.AddSecurity();
builder.AddDreamLayerLogging();
builder.AddDreamLayerData();
builder.AddAccounts();
builder.AddImages();
builder.AddGallery();
builder.AddComfyUi();
builder.AddGenerationFeatures();
builder.AddWorkflows();
builder.AddDreamLayerUi();
builder.AddOperations();

var app = builder.Build();

app.UseSecurity();
app.UseDreamLayerLogging();
app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseAccounts();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapAccounts();
app.MapImages();
app.MapPreviews();
app.MapOperations();
// The framework's own frame-ancestors header would be a second policy beside the full one UseSecurity sends (which has it).
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

app.Run();

public partial class Program;
