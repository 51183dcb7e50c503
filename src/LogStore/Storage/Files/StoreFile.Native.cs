using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage.Files;

// The system calls behind StoreFile on Linux and macOS: open(2) with O_NOFOLLOW, the file's type and link count
// (statx on Linux, whose layout is the same on every architecture; fstat's 64-bit-inode layout on macOS), and the
// advisory lock .NET takes for FileShare.None. The open flags differ per OS and, on Linux, per architecture: arm64
// (and 32-bit arm) put O_DIRECTORY and O_NOFOLLOW where x86-64 has O_DIRECT's neighbours.
internal static partial class StoreFile
{
    /// <summary>The file's type and link count, as fstat reports them.</summary>
    internal readonly record struct FileStatus(bool IsRegularFile, long Links);

    internal static unsafe partial class Native
    {
        public static bool Supported { get; } = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

        private static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

        private const int OWrOnly = 1;
        private const int ORdWr = 2;
        private static readonly int OCreat = OperatingSystem.IsMacOS() ? 0x200 : 0x40;
        private static readonly int OExcl = OperatingSystem.IsMacOS() ? 0x800 : 0x80;
        private static readonly int ONonBlock = OperatingSystem.IsMacOS() ? 0x4 : 0x800;
        private static readonly int OCloExec = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;

        /// <summary>O_NOFOLLOW: the open fails with ELOOP when the last component is a symbolic link.</summary>
        private static readonly int ONoFollow = OperatingSystem.IsMacOS() ? 0x100 : Arm ? 0x8000 : 0x20000;

        /// <summary>O_DIRECTORY, for <see cref="DurableFile.FsyncDirectoryNow"/>.</summary>
        public static readonly int ODirectory = OperatingSystem.IsMacOS() ? 0x100000 : Arm ? 0x4000 : 0x10000;

        private static readonly int Eloop = OperatingSystem.IsMacOS() ? 62 : 40;
        private static readonly int EWouldBlock = OperatingSystem.IsMacOS() ? 35 : 11;
        private const int Enoent = 2;
        private const int Eperm = 1;
        private const int Eacces = 13;
        private const int Eexist = 17;
        private const int Enotdir = 20;
        private const int Eisdir = 21;

        private const int AtEmptyPath = 0x1000;
        private const uint StatxType = 0x1, StatxNlink = 0x4;
        private const int FileTypeMask = 0xF000, RegularFile = 0x8000;
        private const int FGetFl = 3, FSetFl = 4;
        private const int LockEx = 2, LockNb = 4;

        private static bool s_statUnavailable;

        /// <summary>open(2) with O_NOFOLLOW and O_CLOEXEC; on Linux, for reading or writing only, also O_NONBLOCK, so
        /// that a FIFO planted under a store name cannot block the open (Linux never blocks a read-write open of one);
        /// <see cref="ClearNonBlocking"/> removes it once the file is known regular. Never O_TRUNC: truncation waits
        /// until the checks passed.</summary>
        public static SafeFileHandle Open(string path, FileMode mode, FileAccess access)
        {
            int flags = ONoFollow | OCloExec | (GuardsFifo(access) ? ONonBlock : 0);
            flags |= access switch
            {
                FileAccess.Write => OWrOnly,
                FileAccess.ReadWrite => ORdWr,
                _ => 0,
            };
            int create = mode switch
            {
                FileMode.CreateNew => OCreat | OExcl,
                FileMode.Create or FileMode.OpenOrCreate or FileMode.Append => OCreat,
                _ => 0,
            };
            if (create != 0 && OperatingSystem.IsMacOS())
                return OpenCreatingFirst(path, flags, mode);
            // 0666 less the umask, as .NET creates files.
            int fd = OpenFile(path, flags | create, 0x1B6);
            if (fd < 0)
                throw Error(Marshal.GetLastPInvokeError(), path);
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        /// <summary>
        /// open(2)'s mode is a variadic argument, which Apple's arm64 convention passes on the stack where a P/Invoke
        /// cannot put it; so on macOS a missing file is first created by .NET with O_CREAT|O_EXCL (which never follows
        /// a link, dangling or not) and then opened like an existing one.
        /// </summary>
        private static SafeFileHandle OpenCreatingFirst(string path, int flags, FileMode mode)
        {
            if (mode != FileMode.CreateNew)
            {
                int fd = OpenFile(path, flags, 0);
                if (fd >= 0)
                    return new SafeFileHandle(fd, ownsHandle: true);
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Enoent)
                    throw Error(errno, path);
            }
            try
            {
                File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
            }
            catch (IOException) when (mode != FileMode.CreateNew && File.Exists(path))
            {
                // Created meanwhile by someone else: open what is there, with the same checks.
            }
            int created = OpenFile(path, flags, 0);
            if (created < 0)
                throw Error(Marshal.GetLastPInvokeError(), path);
            return new SafeFileHandle(created, ownsHandle: true);
        }

        /// <summary>The type and link count of an open file, or null where the C library cannot tell.</summary>
        public static FileStatus? Inspect(SafeFileHandle handle)
        {
            if (Volatile.Read(ref s_statUnavailable))
                return null;
            byte* buffer = stackalloc byte[256];
            int result;
            try
            {
                result = OperatingSystem.IsLinux()
                    ? Statx(handle, "", AtEmptyPath, StatxType | StatxNlink, buffer)
                    : RuntimeInformation.ProcessArchitecture == Architecture.X64 ? FstatInode64(handle, buffer) : Fstat(handle, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                Volatile.Write(ref s_statUnavailable, true);
                return null;
            }
            if (result != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // ENOSYS (an old kernel), EPERM (a seccomp filter that predates statx): fall back to O_NOFOLLOW alone.
                if (errno is 38 or 78 or Eperm)
                {
                    Volatile.Write(ref s_statUnavailable, true);
                    return null;
                }
                throw DiskErrors.Exception(errno, $"Cannot read the status of an open file (errno {errno}).");
            }
            // struct statx: stx_nlink (u32) at 16, stx_mode (u16) at 28. macOS struct stat (64-bit inodes): st_mode
            // (u16) at 4, st_nlink (u16) at 6.
            int fileMode = OperatingSystem.IsLinux() ? *(ushort*)(buffer + 28) : *(ushort*)(buffer + 4);
            long links = OperatingSystem.IsLinux() ? *(uint*)(buffer + 16) : *(ushort*)(buffer + 6);
            return new FileStatus((fileMode & FileTypeMask) == RegularFile, links);
        }

        private static bool GuardsFifo(FileAccess access) => OperatingSystem.IsLinux() && access != FileAccess.ReadWrite;

        /// <summary>Clears the O_NONBLOCK that <see cref="Open"/> set, so .NET treats the handle as synchronous.</summary>
        public static void ClearNonBlocking(SafeFileHandle handle, FileAccess access)
        {
            if (!GuardsFifo(access))
                return;
            int flags = Fcntl(handle, FGetFl, 0);
            if (flags < 0 || Fcntl(handle, FSetFl, flags & ~ONonBlock) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw DiskErrors.Exception(errno, $"Cannot configure an open file (errno {errno}).");
            }
        }

        /// <summary>The exclusive advisory lock .NET takes for <see cref="FileShare.None"/>: held elsewhere, the open
        /// fails as .NET's would (an IOException); a file system without locks is accepted, as .NET accepts it.</summary>
        public static void LockExclusive(SafeFileHandle handle, string path)
        {
            if (Flock(handle, LockEx | LockNb) == 0)
                return;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EWouldBlock)
                throw new IOException($"The file '{path}' is locked by another process or handle.", errno);
        }

        private static Exception Error(int errno, string path)
        {
            if (errno == Eloop)
                return NotRegularFile(path, "a symbolic link");
            return errno switch
            {
                Enoent => new FileNotFoundException($"Could not find file '{path}'.", path),
                Enotdir => new DirectoryNotFoundException($"Could not find a part of the path '{path}'."),
                Eacces or Eperm => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
                Eisdir => NotRegularFile(path, "a directory"),
                Eexist => new IOException($"The file '{path}' already exists.", errno),
                _ => DiskErrors.Exception(errno, $"Cannot open '{path}' (errno {errno})."),
            };
        }

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int OpenFile(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte* buffer);

        [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
        private static partial int Fstat(SafeFileHandle fd, byte* buffer);

        [LibraryImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)]
        private static partial int FstatInode64(SafeFileHandle fd, byte* buffer);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Fcntl(SafeFileHandle fd, int command, int argument);

        [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
        private static partial int Flock(SafeFileHandle fd, int operation);
    }
}
