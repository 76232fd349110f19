using DreamLayer.Web.Events;
using Microsoft.Extensions.Logging;

namespace DreamLayer.Web.Tests.Events;

public sealed class TopicTests
{
    /// <summary>Keeps what was logged.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public void Publish_OneHandlerThrows_TheOthersAreStillToldAndTheFailureIsLogged()
    {
        var logger = new ListLogger();
        var topic = new Topic<string>("server changes", logger);
        var told = new List<string>();
        using var first = topic.Subscribe(m => told.Add("first " + m));
        using var broken = topic.Subscribe(_ => throw new InvalidOperationException("a page's bug"));
        using var last = topic.Subscribe(m => told.Add("last " + m));

        topic.Publish("gpu1");

        Assert.Equal(["first gpu1", "last gpu1"], told);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("server changes", entry.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public void Subscribe_Disposed_StopsDeliveryToThatHandlerOnly()
    {
        var topic = new Topic<int>("numbers");
        var (a, b) = (new List<int>(), new List<int>());
        var first = topic.Subscribe(a.Add);
        using var second = topic.Subscribe(b.Add);

        topic.Publish(1);
        first.Dispose();
        first.Dispose(); // twice is harmless
        topic.Publish(2);

        Assert.Equal([1], a);
        Assert.Equal([1, 2], b);
        Assert.Equal(1, topic.Count);
    }

    [Fact]
    public void Keyed_Publish_ReachesOnlyTheHandlersOfThatKey()
    {
        var topic = new KeyedTopic<Guid, string>("one job's events");
        var (jobA, jobB) = (Guid.NewGuid(), Guid.NewGuid());
        var (seenA, seenB) = (new List<string>(), new List<string>());
        using var a = topic.Subscribe(jobA, seenA.Add);
        using var b = topic.Subscribe(jobB, seenB.Add);

        for (var i = 0; i < 20; i++)
        {
            topic.Publish(jobB, "frame " + i);
        }
        topic.Publish(jobA, "step 3");
        topic.Publish(Guid.NewGuid(), "nobody's");

        Assert.Equal(["step 3"], seenA);
        Assert.Equal(20, seenB.Count);
    }

    [Fact]
    public void Keyed_LastHandlerOfAKeyDisposed_TheKeyIsForgotten()
    {
        var topic = new KeyedTopic<string, int>("a person's events");
        var seen = new List<int>();
        var one = topic.Subscribe("alice", seen.Add);
        var two = topic.Subscribe("alice", seen.Add); // the same handler twice: told twice, removed one at a time

        topic.Publish("alice", 1);
        one.Dispose();
        topic.Publish("alice", 2);
        two.Dispose();
        topic.Publish("alice", 3);

        Assert.Equal([1, 1, 2], seen);
        Assert.Equal(0, topic.Keys);
    }

    [Fact]
    public void Keyed_OneHandlerThrows_TheOthersOfTheKeyAreStillTold()
    {
        var logger = new ListLogger();
        var topic = new KeyedTopic<int, string>("one job's events", logger);
        var told = new List<string>();
        using var broken = topic.Subscribe(7, _ => throw new InvalidOperationException("bug"));
        using var fine = topic.Subscribe(7, told.Add);

        topic.Publish(7, "preview");

        Assert.Equal(["preview"], told);
        Assert.Single(logger.Entries);
    }
}
