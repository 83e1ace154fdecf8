namespace EIdentity.Server.Audit;

/// <summary>
/// One row of the append-only audit log. Each row carries the hash of the previous one, so a
/// changed, inserted or deleted row breaks the chain from there on (<c>audit verify</c>).
/// Details never hold national ID numbers, names, certificate subjects or tokens.
/// </summary>
internal sealed class AuditEvent
{
    /// <summary>Position in the chain, starting at 1, without gaps.</summary>
    public long Sequence { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>What happened, e.g. <c>passkey.suspended</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The identity concerned, when there is one.</summary>
    public Guid? PersonId { get; set; }

    /// <summary>Who acted: <c>citizen</c>, <c>system</c>, <c>cli</c>, an admin client id...</summary>
    public string Actor { get; set; } = "";

    /// <summary>The object acted on (credential id, session id...).</summary>
    public string? Target { get; set; }

    /// <summary>Short machine-readable detail (reason codes, statuses).</summary>
    public string? Detail { get; set; }

    /// <summary>Lower-case hex SHA-256 of the previous row (64 zeros for the first).</summary>
    public string PreviousHash { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 over this row's fields and <see cref="PreviousHash"/>.</summary>
    public string Hash { get; set; } = "";
}
