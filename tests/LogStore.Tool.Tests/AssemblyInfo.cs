// Each test has its own data directory and its own in-process streams, and most of a test's time is fsync at open
// and close: fixtures overlap those waits.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(4)]
