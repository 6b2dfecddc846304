using System.Collections.Immutable;

namespace KShotNas.Spaces;

/// <summary>
/// One architecture of a search space: the chosen option index of every decision, in the space's
/// decision order. An immutable value (structural equality and hashing); its text form belongs to the
/// space (<see cref="SearchSpace.Format"/> / <see cref="SearchSpace.Parse"/>).
/// </summary>
public sealed class Architecture : IEquatable<Architecture>
{
    private readonly int _hash;

    /// <summary>Creates an architecture from option indices.</summary>
    public Architecture(IEnumerable<int> choices)
    {
        Choices = choices.ToImmutableArray();
        var h = new HashCode();
        foreach (var c in Choices) h.Add(c);
        _hash = h.ToHashCode();
    }

    /// <summary>Option index per decision.</summary>
    public ImmutableArray<int> Choices { get; }

    /// <summary>The option index of decision <paramref name="i"/>.</summary>
    public int this[int i] => Choices[i];

    /// <summary>A copy with decision <paramref name="i"/> set to <paramref name="option"/>.</summary>
    public Architecture With(int i, int option) => new(Choices.SetItem(i, option));

    /// <inheritdoc />
    public bool Equals(Architecture? other) => other is not null && (ReferenceEquals(this, other) || Choices.AsSpan().SequenceEqual(other.Choices.AsSpan()));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Architecture);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>The raw choices, e.g. "3,3,1,0,2,4" (use the space's Format for its own text form).</summary>
    public override string ToString() => string.Join(",", Choices);
}

/// <summary>One categorical decision of a space: a name and its options' names.</summary>
public sealed record Decision(string Name, ImmutableArray<string> Options)
{
    /// <summary>Number of options.</summary>
    public int Count => Options.Length;
}

/// <summary>A text is not an architecture of the space; the message says why.</summary>
public sealed class ArchitectureFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ArchitectureFormatException(string space, string text, string problem)
        : base($"'{text}' is not a {space} architecture: {problem}") { }
}
