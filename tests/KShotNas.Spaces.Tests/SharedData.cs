namespace KShotNas.Spaces.Tests;

/// <summary>Finds ../shared (beside the checkout) from the test binary, or $KSHOTNAS_SHARED.</summary>
internal static class SharedData
{
    public static string Path(params string[] parts)
    {
        var root = Environment.GetEnvironmentVariable("KSHOTNAS_SHARED");
        if (root is null)
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "KShotNas.sln")))
                {
                    root = System.IO.Path.Combine(dir.Parent!.FullName, "shared");
                    break;
                }
        }
        if (root is null || !Directory.Exists(root))
            throw new DirectoryNotFoundException("The shared/ folder beside the checkout was not found; set KSHOTNAS_SHARED.");
        return System.IO.Path.Combine([root, .. parts]);
    }
}
