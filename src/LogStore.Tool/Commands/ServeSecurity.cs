using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LogStore.Tool.Commands;

/// <summary>
/// Builds <c>logstore serve</c>'s TLS and SASL listener settings from its flags and files: the server certificate (PEM
/// with its key in the same file or in <c>--tls-key</c>, or PKCS#12 without a password), the client CA that makes
/// client certificates required, and the SASL users, whose passwords are salted (SCRAM-SHA-256 and -512, 4096
/// iterations) as they are read and never kept. Like ssh with a private key, a users file that every user may read is
/// refused. Every problem is a <see cref="CommandException"/> that names the file or flag.
/// </summary>
internal static class ServeSecurity
{
    public static KafkaListenerTlsOptions? Tls(string? certificatePath, string? keyPath, string? clientCaPath)
    {
        if (certificatePath is null)
        {
            if (keyPath is not null || clientCaPath is not null)
                throw CommandException.Usage($"{(keyPath is not null ? "--tls-key" : "--tls-client-ca")} needs --tls-cert");
            return null;
        }
        X509Certificate2 certificate = LoadCertificate(certificatePath, keyPath, "--tls-cert", "--tls-key");
        if (!certificate.HasPrivateKey)
            throw new CommandException($"--tls-cert {certificatePath} has no private key: put it in the same PEM file or give --tls-key");
        X509Certificate2Collection? authorities = null;
        if (clientCaPath is not null)
        {
            authorities = [];
            int count = Read(clientCaPath, "--tls-client-ca", () =>
            {
                authorities.ImportFromPemFile(clientCaPath);
                return authorities.Count;
            });
            if (count == 0)
                throw new CommandException($"--tls-client-ca {clientCaPath} holds no PEM certificate");
        }
        return new KafkaListenerTlsOptions
        {
            ServerCertificate = certificate,
            RequireClientCertificate = authorities is not null,
            TrustedClientCertificateAuthorities = authorities,
        };
    }

    /// <summary>Peer TLS (<c>--peer-cert</c>, <c>--peer-key</c>, <c>--peer-ca</c>): this node's certificate, named
    /// <c>CN=node-&lt;id&gt;</c>, and the authorities the other nodes' certificates must chain to. All three files or
    /// none (the key may sit in the certificate's file).</summary>
    public static PeerTlsOptions? PeerTls(string? certificatePath, string? keyPath, string? caPath)
    {
        if (certificatePath is null || caPath is null)
        {
            if (certificatePath is not null)
                throw CommandException.Usage("--peer-cert needs --peer-ca: the authority the other nodes' certificates must chain to");
            if (caPath is not null || keyPath is not null)
                throw CommandException.Usage($"{(caPath is not null ? "--peer-ca" : "--peer-key")} needs --peer-cert");
            return null;
        }
        X509Certificate2 certificate = LoadCertificate(certificatePath, keyPath, "--peer-cert", "--peer-key");
        if (!certificate.HasPrivateKey)
            throw new CommandException($"--peer-cert {certificatePath} has no private key: put it in the same PEM file or give --peer-key");
        var authorities = new X509Certificate2Collection();
        int count = Read(caPath, "--peer-ca", () =>
        {
            authorities.ImportFromPemFile(caPath);
            return authorities.Count;
        });
        if (count == 0)
            throw new CommandException($"--peer-ca {caPath} holds no PEM certificate");
        return new PeerTlsOptions { Certificate = certificate, TrustedCertificateAuthorities = authorities };
    }

    public static KafkaListenerSaslOptions? Sasl(string? mechanisms, string? usersPath)
    {
        if (usersPath is null)
            return mechanisms is null ? null : throw CommandException.Usage("--sasl-mechanisms needs --sasl-users FILE");
        var options = new KafkaListenerSaslOptions { Credentials = ReadUsers(usersPath) };
        return mechanisms is null ? options : new KafkaListenerSaslOptions { Credentials = options.Credentials, EnabledMechanisms = ParseMechanisms(mechanisms) };
    }

    internal static SaslMechanism[] ParseMechanisms(string text)
    {
        var mechanisms = new List<SaslMechanism>();
        foreach (string name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            SaslMechanism mechanism = name switch
            {
                "PLAIN" => SaslMechanism.Plain,
                "SCRAM-SHA-256" => SaslMechanism.ScramSha256,
                "SCRAM-SHA-512" => SaslMechanism.ScramSha512,
                _ => throw CommandException.Usage($"--sasl-mechanisms: '{name}' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
            };
            if (!mechanisms.Contains(mechanism))
                mechanisms.Add(mechanism);
        }
        return mechanisms.Count > 0 ? [.. mechanisms] : throw CommandException.Usage("--sasl-mechanisms names no mechanism");
    }

    /// <summary>Reads <c>user:password</c> lines (blank lines and # comments skipped) into salted credentials.</summary>
    private static SaslCredentialStore ReadUsers(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0)
            throw new CommandException($"--sasl-users {path} is readable by every user: make it private (chmod 600 {path})");
        string[] lines = Read(path, "--sasl-users", () => File.ReadAllLines(path));
        var store = new SaslCredentialStore();
        int users = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == line.Length - 1)
                throw new CommandException($"--sasl-users {path} line {i + 1}: expected user:password");
            store.AddUser(line[..colon], line[(colon + 1)..]);
            users++;
        }
        return users > 0 ? store : throw new CommandException($"--sasl-users {path} names no user");
    }

    private static X509Certificate2 LoadCertificate(string path, string? keyPath, string certificateFlag, string keyFlag)
    {
        bool pem = Read(path, certificateFlag, () => File.ReadAllText(path)).Contains("-----BEGIN", StringComparison.Ordinal);
        if (!pem && keyPath is not null)
            throw CommandException.Usage($"{keyFlag} goes with a PEM certificate; a PKCS#12 file holds its key");
        try
        {
            return pem
                ? X509Certificate2.CreateFromPemFile(path, keyPath ?? path)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            string what = keyPath is null ? $"{certificateFlag} {path}" : $"{certificateFlag} {path} with {keyFlag} {keyPath}";
            throw new CommandException($"{what}: not a certificate and private key LogStore can read ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"{keyFlag} {keyPath}: cannot read it ({e.Message})", e);
        }
    }

    private static T Read<T>(string path, string flag, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new CommandException($"{flag} {path}: cannot read it ({why})", e);
        }
        catch (CryptographicException e)
        {
            throw new CommandException($"{flag} {path}: not a PEM certificate file ({e.Message})", e);
        }
    }
}
