using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LogStore.Extensions.Hosting.Tests.TestSupport;

/// <summary>Real generic hosts over a temp directory, configured in memory, logging only to a <see cref="LogCapture"/>.</summary>
internal static class TestHosts
{
    /// <summary>Guards every wait on a signal; never reached when things work.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static HostApplicationBuilder NewBuilder(string contentRoot, LogCapture? logs = null, params (string Key, string? Value)[] settings)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot,
            EnvironmentName = Environments.Development,
        });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
            builder.Logging.AddProvider(logs);
        return builder;
    }

    /// <summary>Stops the host and disposes it the asynchronous way, as the Broker is only IAsyncDisposable.</summary>
    public static async Task StopAndDisposeAsync(this IHost host)
    {
        try
        {
            await host.StopAsync();
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }
}
