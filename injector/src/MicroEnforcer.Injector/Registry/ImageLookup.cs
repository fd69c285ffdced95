namespace MicroEnforcer.Injector.Registry;

/// <summary>An image as the registry gave it, or why it could not be read (a message for the user).</summary>
public sealed record ImageLookup(ImageConfig? Config, string? Error);
