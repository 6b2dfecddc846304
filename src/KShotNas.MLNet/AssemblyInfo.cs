[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("KShotNas.MLNet.Tests")]
