using Microsoft.Extensions.Logging.Abstractions;

namespace DreamLayer.Web.Events;

/// <summary>
/// The app's one publish/subscribe mechanism: handlers are called synchronously on the publisher's thread (a server's
/// receive loop, the dispatcher, a completion worker, a circuit), so a handler only schedules work. Subscribing and
/// unsubscribing swap a copy-on-write array under a lock; publishing reads it without one. A handler that throws is
/// logged and the others are still told: a page's bug must never stop the pipeline that raised the message.
/// </summary>
/// <typeparam name="T">What is published.</typeparam>
public sealed class Topic<T>
{
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Action<T>[] _handlers = [];

    /// <param name="name">Names the topic in the log when a handler fails.</param>
    /// <param name="logger">Where a failing handler is logged.</param>
    public Topic(string name, ILogger? logger = null)
    {
        _name = name;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many handlers are subscribed now.</summary>
    public int Count => Volatile.Read(ref _handlers).Length;

    /// <summary>Calls <paramref name="handler"/> with every message published from now on, until the result is disposed.</summary>
    public IDisposable Subscribe(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_lock)
        {
            _handlers = [.. _handlers, handler];
        }
        return new Subscription(() =>
        {
            lock (_lock)
            {
                _handlers = Subscription.Without(_handlers, handler);
            }
        });
    }

    public void Publish(T message) => Subscription.Deliver(Volatile.Read(ref _handlers), message, _name, _logger);
}

/// <summary>
/// A <see cref="Topic{T}"/> per key (a job, an owner): a message published under a key reaches only that key's
/// handlers, so the cost of a message does not grow with the subscribers of other keys. Keys without handlers are
/// forgotten, so memory follows the open subscriptions.
/// </summary>
/// <typeparam name="TKey">What subscribers choose.</typeparam>
/// <typeparam name="T">What is published.</typeparam>
public sealed class KeyedTopic<TKey, T>
    where TKey : notnull
{
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TKey, Action<T>[]> _handlers = new();

    /// <param name="name">Names the topic in the log when a handler fails.</param>
    /// <param name="logger">Where a failing handler is logged.</param>
    public KeyedTopic(string name, ILogger? logger = null)
    {
        _name = name;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many handlers listen to <paramref name="key"/> now.</summary>
    public int Count(TKey key) => _handlers.TryGetValue(key, out var handlers) ? handlers.Length : 0;

    /// <summary>How many keys have a handler now.</summary>
    public int Keys => _handlers.Count;

    /// <summary>Calls <paramref name="handler"/> with every message published under <paramref name="key"/> from now on, until the result is disposed.</summary>
    public IDisposable Subscribe(TKey key, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_lock)
        {
            _handlers[key] = _handlers.TryGetValue(key, out var handlers) ? [.. handlers, handler] : [handler];
        }
        return new Subscription(() =>
        {
            lock (_lock)
            {
                if (_handlers.TryGetValue(key, out var handlers))
                {
                    var rest = Subscription.Without(handlers, handler);
                    if (rest.Length == 0)
                    {
                        _handlers.TryRemove(key, out _);
                    }
                    else
                    {
                        _handlers[key] = rest;
                    }
                }
            }
        });
    }

    public void Publish(TKey key, T message)
    {
        if (_handlers.TryGetValue(key, out var handlers))
        {
            Subscription.Deliver(handlers, message, _name, _logger);
        }
    }
}

/// <summary>One subscription: disposing it (once; again is harmless) removes the handler.</summary>
internal sealed partial class Subscription(Action unsubscribe) : IDisposable
{
    private Action? _unsubscribe = unsubscribe;

    public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();

    /// <summary>The handlers without one occurrence of <paramref name="handler"/> (the same handler may be subscribed twice).</summary>
    internal static Action<T>[] Without<T>(Action<T>[] handlers, Action<T> handler)
    {
        var index = Array.IndexOf(handlers, handler);
        return index < 0 ? handlers : [.. handlers[..index], .. handlers[(index + 1)..]];
    }

    internal static void Deliver<T>(Action<T>[] handlers, T message, string topic, ILogger logger)
    {
        foreach (var handler in handlers)
        {
            try
            {
                handler(message);
            }
#pragma warning disable CA1031 // the publisher is the pipeline or another circuit: a subscriber's bug is the subscriber's
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandlerFailed(logger, topic, message?.ToString() ?? "null", ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber to {Topic} failed on {Message}")]
    private static partial void LogHandlerFailed(ILogger logger, string topic, string message, Exception ex);
}
