namespace LogStore;

/// <summary>A controller command reached a node that is not the active controller (Kafka's NOT_CONTROLLER): send it to
/// the Raft leader, whose address <see cref="Controller"/> gives when this node knows it.</summary>
public sealed class NotControllerException : LogStoreException
{
    /// <summary>Creates the exception; <paramref name="controller"/> is the current controller's address, if known.</summary>
    public NotControllerException(string? controller)
        : base(controller is null ? "This node is not the controller and no controller is elected yet; retry."
            : $"This node is not the controller; the controller is {controller}.") => Controller = controller;

    /// <summary>The active controller's address, or null when none is known.</summary>
    public string? Controller { get; }
}
