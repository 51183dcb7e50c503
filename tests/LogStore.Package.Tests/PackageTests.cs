using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace LogStore.Package.Tests;

/// <summary>
/// The package works as users consume it, not just as a project reference (issue 7): <c>dotnet pack</c> of
/// src/LogStore into a folder, then a throwaway console application (PackageConsumer/) restored from that folder as a
/// package feed, built, and run: it produces records and consumes them back.
/// </summary>
/// <remarks>
/// The pack uses the project's own version and configuration (Release), so what is tested is what would be published.
/// The application restores into its own NuGet packages folder under the temporary directory, so no LogStore package
/// cached by an earlier run can stand in for this build; every other package comes from the machine's packages folder
/// (a fallback folder, no download) or its usual sources. Everything is deleted afterwards. Takes 30–60 s.
/// </remarks>
[TestFixture]
[Category("Package")]
[NonParallelizable]
public sealed partial class PackageTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    private string _root = null!;
    private string _feed = null!;
    private string _version = null!;
    private string _projectVersion = null!;

    [OneTimeSetUp]
    public void PackLibrary()
    {
        _root = Path.Combine(Path.GetTempPath(), "logstore-package-test-" + Guid.NewGuid().ToString("N"));
        _feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(_feed);
        string project = typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "LogStoreProject").Value!;
        _projectVersion = DotnetCli.RunOrFail(Path.GetDirectoryName(project)!, CommandTimeout, null,
            "msbuild", project, "-getProperty:Version", "-nologo").Trim();
        // A version of this run's own: a machine whose packages folder once restored the project's version (a
        // fallback folder the restore trusts) would otherwise hand the application that old package instead.
        string version = $"{_projectVersion}-test.{Guid.NewGuid().ToString("N")[..12]}";
        DotnetCli.RunOrFail(Path.GetDirectoryName(project)!, CommandTimeout, null,
            "pack", project, "-c", "Release", "-o", _feed, $"-p:Version={version}", "--disable-build-servers", "-nologo");
        string package = Directory.GetFiles(_feed, "LogStore.*.nupkg").Single();
        _version = PackageVersion().Match(Path.GetFileName(package)).Groups[1].Value;
        Assert.That(_version, Is.EqualTo(version));
    }

    [OneTimeTearDown]
    public void DeleteTemporaryFiles()
    {
        if (_root is not null && Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [Test]
    public void Pack_Library_ProducesPackageWithReadmeLicenseDocsAndSymbolPackage()
    {
        string nupkg = Path.Combine(_feed, $"LogStore.{_version}.nupkg");
        string snupkg = Path.Combine(_feed, $"LogStore.{_version}.snupkg");
        Assert.That(File.Exists(snupkg), Is.True, "the symbol package is missing");

        using (ZipArchive package = ZipFile.OpenRead(nupkg))
        {
            string[] entries = [.. package.Entries.Select(e => e.FullName)];
            Assert.That(entries, Does.Contain("lib/net10.0/LogStore.dll"));
            Assert.That(entries, Does.Contain("lib/net10.0/LogStore.xml"), "XML documentation");
            Assert.That(entries, Does.Contain("README.md"));
            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
                AssertWorksOnTheNuGetPage(readme.ReadToEnd());

            using Stream nuspecStream = package.GetEntry("LogStore.nuspec")!.Open();
            XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            XElement license = metadata.Elements().Single(e => e.Name.LocalName == "license");
            Assert.That(license.Attribute("type")?.Value, Is.EqualTo("expression"));
            Assert.That(license.Value, Is.EqualTo("MIT"));
            Assert.That(Value("readme"), Is.EqualTo("README.md"));
            XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.That(repository.Attribute("url")?.Value, Does.StartWith("https://"), "SourceLink's repository URL");
        }

        using ZipArchive symbols = ZipFile.OpenRead(snupkg);
        Assert.That(symbols.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/LogStore.pdb"));
    }

    [Test]
    public void ConsoleApplication_ReferencingThePackage_ProducesAndConsumes()
    {
        string app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        string template = Path.Combine(TestContext.CurrentContext.TestDirectory, "PackageConsumer");
        foreach (string file in Directory.GetFiles(template))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        WriteIsolationFiles(app);
        var environment = new Dictionary<string, string>
        {
            // A packages folder of its own: the LogStore package restored is the one just packed.
            ["NUGET_PACKAGES"] = Path.Combine(_root, "packages"),
        };

        DotnetCli.RunOrFail(app, CommandTimeout, environment, "restore", "-nologo");
        DotnetCli.RunOrFail(app, CommandTimeout, environment, "build", "--no-restore", "-c", "Release", "--disable-build-servers", "-nologo");
        DotnetCli.Result run = DotnetCli.Run(app, CommandTimeout, environment,
            "run", "--no-build", "-c", "Release", "--", Path.Combine(_root, "data"));

        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain($"LogStore {_version}"), "the application ran against another LogStore build");
        Assert.That(run.Output, Does.Contain("Consumed 10: 0:value-0 1:value-1 2:value-2 3:value-3 4:value-4 5:value-5 6:value-6 7:value-7 8:value-8 9:value-9"));
        Assert.That(File.Exists(Path.Combine(_root, "packages", "logstore", _version.ToLowerInvariant(), $"logstore.{_version.ToLowerInvariant()}.nupkg")),
            Is.True, "LogStore was not restored from the packed feed");
    }

    /// <summary>
    /// Makes the application's directory stand alone: a nuget.config adding the packed feed (the machine's usual
    /// sources stay) and the machine's packages folder as a read-only fallback, and Directory.Build.props/.targets and
    /// Directory.Packages.props stubs, so that no file above the temporary directory (say, a repository's central
    /// package management) changes how it builds.
    /// </summary>
    private void WriteIsolationFiles(string app)
    {
        string fallback = GlobalPackagesFolder();
        string stale = WriteStalePackage();
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="logstore-packed" value="{_feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="stale" value="{stale}" />
                <add key="machine" value="{fallback}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <LogStoreVersion>{_version}</LogStoreVersion>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
            </Project>
            """);
    }

    /// <summary>
    /// NuGet shows the package's README on its own page: a relative link or image (a file of the repository) is
    /// broken there, and a command that needs a clone of the repository does not work for the reader.
    /// </summary>
    private static void AssertWorksOnTheNuGetPage(string readme)
    {
        string[] relative = [.. MarkdownLink().Matches(readme).Select(m => m.Groups[1].Value)
            .Where(target => !target.StartsWith("https://", StringComparison.Ordinal) && !target.StartsWith('#'))];
        Assert.That(relative, Is.Empty, "links that only work inside the repository");
        Assert.That(readme, Does.Not.Contain("--project "), "commands that need a clone of the repository");
    }

    /// <summary>
    /// A packages folder holding an old, broken LogStore at the project's version, as a machine that once restored
    /// it has: the application must never get it (an empty assembly folder fails the build or the run).
    /// </summary>
    private string WriteStalePackage()
    {
        string folder = Path.Combine(_root, "stale-packages");
        string id = "logstore";
        string version = _projectVersion.ToLowerInvariant();
        string package = Path.Combine(folder, id, version);
        Directory.CreateDirectory(Path.Combine(package, "lib", "net10.0"));
        File.WriteAllText(Path.Combine(package, $"{id}.{version}.nupkg.sha512"), "stale");
        File.WriteAllText(Path.Combine(package, ".nupkg.metadata"), """{ "version": 2, "contentHash": "stale", "source": null }""");
        File.WriteAllText(Path.Combine(package, $"{id}.nuspec"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata><id>LogStore</id><version>{_projectVersion}</version><authors>stale</authors><description>stale</description></metadata>
            </package>
            """);
        File.WriteAllText(Path.Combine(package, "lib", "net10.0", "_._"), "");
        return folder;
    }

    /// <summary>This machine's NuGet packages folder, as <c>dotnet nuget locals</c> reports it.</summary>
    private string GlobalPackagesFolder()
    {
        string output = DotnetCli.RunOrFail(_root, CommandTimeout, null, "nuget", "locals", "global-packages", "--list");
        Match match = GlobalPackagesLine().Match(output);
        Assert.That(match.Success, Is.True, $"Unexpected output of 'dotnet nuget locals': {output}");
        return match.Groups[1].Value.Trim();
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^LogStore\.(.+)\.nupkg$")]
    private static partial Regex PackageVersion();

    [GeneratedRegex(@"global-packages:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex GlobalPackagesLine();
}
