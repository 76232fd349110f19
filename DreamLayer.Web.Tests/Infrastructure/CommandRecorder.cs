using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>Records every query EF Core sends (its SQL, then each parameter's value), for tests of what a piece of code reads.</summary>
public sealed class CommandRecorder : DbCommandInterceptor
{
    public ConcurrentQueue<string> Commands { get; } = new();

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        Commands.Enqueue(string.Join(' ', [command.CommandText, .. command.Parameters.Cast<DbParameter>().Select(p => $"{p.Value} ")]));
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}
