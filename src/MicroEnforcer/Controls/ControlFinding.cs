namespace MicroEnforcer.Controls;

/// <summary>A control's objection, with the reason written to the audit event.</summary>
internal sealed record ControlFinding(string Control, string Reason)
{
    /// <summary>For network findings: the remote end, "address:port".</summary>
    public string? Remote { get; init; }

    /// <summary>For network findings: the local end a bind or listen asks for, "address:port".</summary>
    public string? Local { get; init; }

    /// <summary>For network findings: tcp, udp, raw.</summary>
    public string? Protocol { get; init; }

    /// <summary>For DNS findings: the name looked up.</summary>
    public string? Domain { get; init; }

    /// <summary>
    /// The objection stands only until the image baseline is recorded: the file is not provably
    /// the image's yet, and the recorded baseline may still vouch for it (or say why not). The
    /// entry check holds such an exec until then; the exec-event check, which cannot wait, takes
    /// it as it is.
    /// </summary>
    public bool AwaitsBaseline { get; init; }

    /// <summary>For file findings: the file the call names, as resolved (the event's <c>requestedPath</c>).</summary>
    public string? File { get; init; }
}
