namespace EIdentity.Server.Localization;

/// <summary>Marker for the UI strings in Resources/SharedResource.{vi,en}.resx.</summary>
internal sealed class SharedResource;
