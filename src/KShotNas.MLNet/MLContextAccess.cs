using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace KShotNas.MLNet;

/// <summary>
/// The two things ML.NET keeps internal that a trainer outside ML.NET needs: the environment behind a catalog (for
/// MLContext.Log and the transformers it builds) and whether MLContext.CancelExecution() was called.
/// Both are reached by reflection on names that tests pin (MLContextAccessTests), so an ML.NET upgrade that moves
/// them fails a test instead of a user's Fit.
/// </summary>
internal static class MLContextAccess
{
    private const string InternalCatalog = "Microsoft.ML.Data.IInternalCatalog";
    private const string Cancelable = "Microsoft.ML.Runtime.ICancelable";

    /// <summary>The environment (the MLContext itself) a catalog was created by.</summary>
    public static IHostEnvironment EnvironmentOf(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var iface = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == InternalCatalog)
                    ?? throw new MissingMemberException($"{catalog.GetType().Name} no longer implements {InternalCatalog}; this ML.NET version is not supported.");
        var property = iface.GetProperty("Environment") ?? throw new MissingMemberException($"{InternalCatalog}.Environment is gone in this ML.NET version.");
        return (IHostEnvironment)(property.GetValue(catalog) ?? throw new InvalidOperationException("The catalog has no environment."));
    }

    /// <summary>
    /// A probe that is true once MLContext.CancelExecution() was called on <paramref name="environment"/>; resolved
    /// here, so a missing member fails before training rather than on a timer thread.
    /// </summary>
    public static Func<bool> CancellationProbe(IHostEnvironment environment)
    {
        var iface = environment.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == Cancelable)
                    ?? throw new MissingMemberException($"{environment.GetType().Name} no longer implements {Cancelable}; this ML.NET version is not supported.");
        var property = iface.GetProperty("IsCanceled", BindingFlags.Public | BindingFlags.Instance)
                       ?? throw new MissingMemberException($"{Cancelable}.IsCanceled is gone in this ML.NET version.");
        return () => (bool)property.GetValue(environment)!;
    }

    /// <summary>True once MLContext.CancelExecution() was called on <paramref name="environment"/>.</summary>
    public static bool IsCanceled(IHostEnvironment environment) => CancellationProbe(environment)();

    /// <summary>Calls ML.NET's internal MLContext.CancelExecution() (as AutoML does); for tests and hosts that own the context.</summary>
    public static void CancelExecution(MLContext ml) =>
        (typeof(MLContext).GetMethod("CancelExecution", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)
         ?? throw new MissingMemberException("MLContext.CancelExecution is gone in this ML.NET version.")).Invoke(ml, null);

    /// <summary>A column of a <see cref="SchemaShape"/> (its constructor is internal to ML.NET).</summary>
    public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, Microsoft.ML.Data.DataViewType itemType, bool isKey,
        SchemaShape? annotations = null)
    {
        var ctor = typeof(SchemaShape.Column).GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance)
                       .FirstOrDefault(c => c.GetParameters().Length == 5)
                   ?? throw new MissingMemberException("SchemaShape.Column's constructor changed in this ML.NET version.");
        return (SchemaShape.Column)ctor.Invoke([name, kind, itemType, isKey, annotations ?? new SchemaShape([])]);
    }
}
