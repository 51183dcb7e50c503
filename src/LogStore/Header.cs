namespace LogStore;

/// <summary>One record header: a UTF-8 key (never null) and a value that may be null.</summary>
/// <param name="Key">The header's key.</param>
/// <param name="Value">The header's value, or null.</param>
public readonly record struct Header(string Key, byte[]? Value);
