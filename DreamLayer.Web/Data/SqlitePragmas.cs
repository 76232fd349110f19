using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DreamLayer.Web.Data;

/// <summary>
/// Per-connection SQLite settings. <c>busy_timeout</c> lets SQLite wait for a concurrent writer in short
/// steps (the driver's own retry sleeps 150 ms); <c>synchronous=NORMAL</c> is the usual pairing with WAL:
/// commits stay atomic and consistent, and only a power cut can lose the last moments.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
