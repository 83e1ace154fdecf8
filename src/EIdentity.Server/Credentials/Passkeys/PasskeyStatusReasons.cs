namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>Reason codes stored with a passkey's status change and in the audit log.</summary>
internal static class PasskeyStatusReasons
{
    /// <summary>The signature counter went backwards: the key may have been cloned.</summary>
    public const string CounterRegression = "counter-regression";

    /// <summary>A security officer revoked the credential.</summary>
    public const string RevokedByOfficer = "revoked-by-officer";

    /// <summary>The citizen removed a suspended key; it stays refused.</summary>
    public const string RemovedByCitizen = "removed-by-citizen";

    /// <summary>The model's metadata status now compromises it (prefix of <c>model-status:STATUS</c>).</summary>
    public const string ModelStatusPrefix = "model-status:";
}
