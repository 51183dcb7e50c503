using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>logstore serve</c>'s TLS and SASL flags: kcat over SASL_SSL with SCRAM and a client certificate against a
/// serving process, and a clear error for each bad flag or file before anything is served.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ServeSecurityTests : ToolTestBase
{
    // Certificates and users files live beside the data directory, which serve wants empty.
    private string _files = null!;

    [SetUp]
    public void CreateFilesDirectory() => _files = Directory.CreateTempSubdirectory("logstore-serve-").FullName;

    [TearDown]
    public void DeleteFilesDirectory() => Directory.Delete(_files, recursive: true);

    private string Users(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = Path.Combine(_files, $"users-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        return path;
    }

    [Test]
    public async Task Serve_SaslSslWithClientCertificates_KcatAuthenticatesWithScram_AndAWrongPasswordIsRefused()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/usr/bin/kcat"))
            Assert.Ignore("kcat and SIGTERM need a POSIX system with kcat installed.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        string dir = _files;
        using X509Certificate2 server = Create("CN=localhost", "1.3.6.1.5.5.7.3.1");
        using X509Certificate2 client = Create("CN=kcat", "1.3.6.1.5.5.7.3.2");
        string serverPem = Write(dir, "server.pem", server.ExportCertificatePem());
        string serverKey = Write(dir, "server.key", server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        string clientPem = Write(dir, "client.pem", client.ExportCertificatePem());
        string clientKey = Write(dir, "client.key", client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        string users = Users("# who may connect\nalice:wonderland\n\nbob:builder\n");

        using Process serve = StartServe("--tls-cert", serverPem, "--tls-key", serverKey, "--tls-client-ca", clientPem,
            "--sasl-mechanisms", "SCRAM-SHA-256,PLAIN", "--sasl-users", users);
        try
        {
            string? line = await serve.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Does.Contain(", TLS and SASL"), line ?? await serve.StandardError.ReadToEndAsync());
            string endpoint = line![(line!.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..line!.IndexOf(", TLS", StringComparison.Ordinal)];
            string[] secure =
            [
                "-b", endpoint, "-X", "security.protocol=sasl_ssl", "-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=alice",
                "-X", "ssl.ca.location=" + serverPem, "-X", "ssl.endpoint.identification.algorithm=none",
                "-X", "ssl.certificate.location=" + clientPem, "-X", "ssl.key.location=" + clientKey,
            ];

            (int code, string listed) = await ExternalProgram.RunAsync("kcat", timeout.Token, [.. secure, "-X", "sasl.password=wonderland", "-L", "-t", "secured", "-m", "10"]);
            Assert.That(code, Is.Zero, listed);
            Assert.That(listed, Does.Contain("topic \"secured\" with 1 partitions"));

            (int refused, string said) = await ExternalProgram.RunAsync("kcat", timeout.Token, [.. secure, "-X", "sasl.password=looking-glass", "-L", "-m", "5"]);
            Assert.That(refused, Is.Not.Zero, said);
            Assert.That(said, Does.Contain("Authentication failed").IgnoreCase.Or.Contain("SASL").IgnoreCase, said);
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task Serve_Pkcs12Certificate_ServesTlsWithIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using X509Certificate2 server = Create("CN=localhost", "1.3.6.1.5.5.7.3.1");
        string pfx = Path.Combine(_files, "server.pfx");
        File.WriteAllBytes(pfx, server.Export(X509ContentType.Pkcs12));

        using Process serve = StartServe("--tls-cert", pfx);
        try
        {
            string? line = await serve.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Does.EndWith(", TLS (Ctrl+C or SIGTERM stops)"), line ?? await serve.StandardError.ReadToEndAsync());
            IPEndPoint endpoint = IPEndPoint.Parse(line![(line!.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..line!.IndexOf(", TLS", StringComparison.Ordinal)]);
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(endpoint, timeout.Token);
            string? presented = null;
            await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false,
                (_, certificate, _, _) => (presented = certificate?.GetCertHashString()) is not null);
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);

            Assert.That(presented, Is.EqualTo(server.GetCertHashString()));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task Serve_UsersFileReadableByEveryone_IsRefused()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("Unix file modes.");
        string users = Users("alice:wonderland\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--sasl-users", users);

        AssertOneErrorLine(run, 1, "is readable by every user: make it private (chmod 600");
    }

    [Test]
    public async Task Serve_MissingUsersFile_IsAClearError()
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--sasl-users", "/nonexistent/users.txt");

        AssertOneErrorLine(run, 1, "--sasl-users /nonexistent/users.txt: cannot read it (no such file)");
    }

    [Test]
    public async Task Serve_UsersFileLineWithoutPassword_NamesTheLine()
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--sasl-users", Users("alice:wonderland\nbob\n"));

        AssertOneErrorLine(run, 1, "line 2: expected user:password");
        Assert.That(run.Err, Does.Not.Contain("wonderland"), "no password is echoed");
    }

    [TestCase("GSSAPI", "'GSSAPI' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")]
    [TestCase("scram-sha-256", "'scram-sha-256' is not one of")]
    public async Task Serve_UnknownSaslMechanism_IsAUsageError(string mechanisms, string error)
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--sasl-mechanisms", mechanisms, "--sasl-users", Users("alice:x\n"));

        AssertOneErrorLine(run, 2, error);
    }

    [TestCase("--tls-key", "--tls-key needs --tls-cert")]
    [TestCase("--tls-client-ca", "--tls-client-ca needs --tls-cert")]
    [TestCase("--sasl-mechanisms", "--sasl-mechanisms needs --sasl-users FILE")]
    public async Task Serve_FlagWithoutTheOneItNeeds_IsAUsageError(string flag, string error)
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", flag, flag == "--sasl-mechanisms" ? "PLAIN" : "x.pem");

        AssertOneErrorLine(run, 2, error);
    }

    [Test]
    public async Task Serve_MissingCertificate_IsAClearError()
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent/server.pem");

        AssertOneErrorLine(run, 1, "--tls-cert /nonexistent/server.pem: cannot read it (no such file)");
    }

    private Process StartServe(params string[] flags)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(LogStoreCli).Assembly.Location);
        foreach (string arg in (string[])["serve", "--data", Data, "--listen", "127.0.0.1:0", .. flags])
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    private static string Write(string dir, string name, string content)
    {
        string path = Path.Combine(dir, $"{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, content);
        return path;
    }

    private static X509Certificate2 Create(string subject, string extendedKeyUsage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }
}
