namespace KShotNas.Spaces;

/// <summary>
/// A seeded <see cref="Random"/> (xoshiro256**, seeded through SplitMix64) whose whole state is four
/// 64-bit words, so training and search can checkpoint and resume their random streams exactly.
/// </summary>
public sealed class CheckpointableRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator.</summary>
    public CheckpointableRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>Restores a generator from <see cref="State"/>.</summary>
    public CheckpointableRandom(IReadOnlyList<ulong> state)
    {
        if (state.Count != 4 || state.All(s => s == 0)) throw new ArgumentException("A generator state is four words, not all zero.");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>The full state (four words).</summary>
    public ulong[] State => [_s0, _s1, _s2, _s3];

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitRotate(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = BitRotate(_s3, 45);
        return result;
    }

    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <inheritdoc />
    protected override double Sample() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    public override double NextDouble() => Sample();

    /// <inheritdoc />
    public override int Next() => (int)(NextUInt64() >> 33);

    /// <inheritdoc />
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (int)Bounded((ulong)maxValue);
    }

    /// <inheritdoc />
    public override int Next(int minValue, int maxValue)
    {
        if (minValue > maxValue) throw new ArgumentOutOfRangeException(nameof(minValue));
        return minValue + (int)Bounded((ulong)((long)maxValue - minValue));
    }

    // Lemire-free rejection sampling: unbiased and simple.
    private ulong Bounded(ulong n)
    {
        if (n <= 1) return 0;
        var limit = ulong.MaxValue - ulong.MaxValue % n;
        ulong v;
        do v = NextUInt64(); while (v >= limit);
        return v % n;
    }

    /// <inheritdoc />
    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }

    /// <inheritdoc />
    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());
}
