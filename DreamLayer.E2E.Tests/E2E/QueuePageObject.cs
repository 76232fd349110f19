using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Queue page: the servers strip, the table of waiting and running jobs, and the admin controls.</summary>
public sealed class QueuePageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Rows => Page.GetByTestId("queue-row");
    public ILocator Empty => Page.GetByTestId("queue-empty");
    public ILocator Summary => Page.GetByTestId("server-summary");
    public ILocator Resume => Page.GetByTestId("resume-dispatch");
    public ILocator Pause => Page.GetByTestId("pause-dispatch");
    public ILocator PausedNotice => Page.GetByTestId("dispatch-paused");

    public ILocator Row(Guid jobId) => Page.Locator($"[data-testid=queue-row][data-job-id='{jobId}']");

    public ILocator Server(string name) => Page.Locator($"[data-testid=server][data-server='{name}']");

    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/queue");

    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, "/queue").ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
    }
}
