[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("KShotNas.MLNet.Tests")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("KShotNas.Benchmarks")]
