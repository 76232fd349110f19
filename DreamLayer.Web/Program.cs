using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Features.ComfyApi;
using DreamLayer.Web.Features.Dashboard;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Img2Txt;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Features.Models;
using DreamLayer.Web.Features.Models.Install;
using DreamLayer.Web.Features.Presets;
using DreamLayer.Web.Features.SdApi;
using DreamLayer.Web.Features.Usage;
using DreamLayer.Web.Features.Users;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Operations;
using DreamLayer.Web.Security;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and Blazor's files from the build output in every environment (a no-op when published).
builder.WebHost.UseStaticWebAssets();

// Each area registers its own services, in its own XxxExtensions.cs. Hosted services start in this order.
builder.Services.AddSingleton(TimeProvider.System); // the one clock every area reads (tests replace it)
builder.AddSecurity();
builder.AddDreamLayerLogging();
builder.AddDreamLayerData();
builder.AddAccounts();
builder.AddImages();
builder.AddComfyUi();
builder.AddCloud();
builder.AddModels();
builder.AddJobs();
builder.AddComfyConnections();
builder.AddDreamLayerUi();
builder.AddJobFeatures();
builder.AddGenerationFeatures();
builder.AddImg2Txt();
builder.AddPresets();
builder.AddGallery();
builder.AddDashboard();
builder.AddWorkflows();
builder.AddUsers();
builder.AddModelInstall();
builder.AddOperations();
builder.AddApi();
builder.AddSdApi();
builder.AddComfyApi();

var app = builder.Build();

app.UseSecurity();
app.UseDreamLayerLogging();
app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseApi();
app.UseComfyApi();
app.UseAccounts();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapAccounts();
app.MapImages();
app.MapPreviews();
app.MapModelUploads();
app.MapModelPreviews();
app.MapOperations();
app.MapApi();
app.MapUsage();
app.MapDashboard();
app.MapSdApi();
app.MapComfyApi();
// The framework's own frame-ancestors header would be a second policy beside the full one UseSecurity sends (which has it).
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

app.Run();

public partial class Program;
