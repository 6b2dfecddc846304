using KShotNas.Torch.Native;

namespace KShotNas.Torch;

public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op) => From(MathNative.kst_unary((int)op, Ptr, out var p), p);
    private Tensor Binary(BinaryOp op, Tensor other) => From(MathNative.kst_binary((int)op, Ptr, other.Ptr, out var p), p);
    private Tensor BinaryScalar(ScalarOp op, double s) => From(MathNative.kst_binary_scalar((int)op, Ptr, s, out var p), p);

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary(UnaryOp.Relu);
    /// <summary>min(max(x, 0), 6).</summary>
    public Tensor Relu6() => Unary(UnaryOp.Relu6);
    /// <summary>-x.</summary>
    public Tensor Neg() => Unary(UnaryOp.Neg);
    /// <summary>e^x.</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp);
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log);
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    /// <summary>|x|.</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs);
    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    /// <summary>x * x.</summary>
    public Tensor Square() => Unary(UnaryOp.Square);
    /// <summary>Element-wise logical not.</summary>
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);

    /// <summary>Element-wise sum (broadcasting).</summary>
    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other);
    /// <summary>Element-wise difference.</summary>
    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other);
    /// <summary>Element-wise product.</summary>
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other);
    /// <summary>Element-wise quotient.</summary>
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other);
    /// <summary>Element-wise maximum.</summary>
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    /// <summary>Element-wise minimum.</summary>
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    /// <summary>Element-wise power.</summary>
    public Tensor Pow(Tensor other) => Binary(BinaryOp.Pow, other);
    /// <summary>Matrix product (batched, broadcasting).</summary>
    public Tensor MatMul(Tensor other) => Binary(BinaryOp.MatMul, other);
    /// <summary>x == y, as bool.</summary>
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    /// <summary>x != y, as bool.</summary>
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other);
    /// <summary>x &lt; y, as bool.</summary>
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);
    /// <summary>x &lt;= y, as bool.</summary>
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other);
    /// <summary>x &gt; y, as bool.</summary>
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    /// <summary>x &gt;= y, as bool.</summary>
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other);

    /// <summary>x + s.</summary>
    public Tensor Add(double s) => BinaryScalar(ScalarOp.Add, s);
    /// <summary>x - s.</summary>
    public Tensor Sub(double s) => BinaryScalar(ScalarOp.Sub, s);
    /// <summary>x * s.</summary>
    public Tensor Mul(double s) => BinaryScalar(ScalarOp.Mul, s);
    /// <summary>x / s.</summary>
    public Tensor Div(double s) => BinaryScalar(ScalarOp.Div, s);
    /// <summary>x ^ s.</summary>
    public Tensor Pow(double s) => BinaryScalar(ScalarOp.Pow, s);
    /// <summary>x == s, as bool.</summary>
    public Tensor Eq(double s) => BinaryScalar(ScalarOp.Eq, s);
    /// <summary>x &lt; s, as bool.</summary>
    public Tensor Lt(double s) => BinaryScalar(ScalarOp.Lt, s);
    /// <summary>x &gt; s, as bool.</summary>
    public Tensor Gt(double s) => BinaryScalar(ScalarOp.Gt, s);
    /// <summary>max(x, s).</summary>
    public Tensor ClampMin(double s) => BinaryScalar(ScalarOp.ClampMin, s);
    /// <summary>min(x, s).</summary>
    public Tensor ClampMax(double s) => BinaryScalar(ScalarOp.ClampMax, s);

#pragma warning disable CS1591 // operators are documented by their named counterparts
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    public static Tensor operator -(Tensor a) => a.Neg();
#pragma warning restore CS1591

    private unsafe Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepDim)
    {
        fixed (long* d = dims) return From(MathNative.kst_reduce((int)op, Ptr, d, dims.Length, keepDim ? 1 : 0, out var p), p);
    }

    /// <summary>Sum of all elements.</summary>
    public Tensor Sum() => Reduce(ReduceOp.Sum, default, false);
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor Sum(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Reduce(ReduceOp.Mean, default, false);
    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    /// <summary>Largest element.</summary>
    public Tensor Max() => Reduce(ReduceOp.Max, default, false);
    /// <summary>Largest values over <paramref name="dims"/>.</summary>
    public Tensor Max(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Max, dims, keepDim);
    /// <summary>Smallest element.</summary>
    public Tensor Min() => Reduce(ReduceOp.Min, default, false);
    /// <summary>Smallest values over <paramref name="dims"/>.</summary>
    public Tensor Min(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Min, dims, keepDim);
    /// <summary>Unbiased variance of all elements.</summary>
    public Tensor Var() => Reduce(ReduceOp.Var, default, false);
    /// <summary>Unbiased variance over <paramref name="dims"/>.</summary>
    public Tensor Var(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(ReduceOp.Var, dims, keepDim);
    /// <summary>Unbiased standard deviation of all elements.</summary>
    public Tensor Std() => Reduce(ReduceOp.Std, default, false);

    /// <summary>Index of the largest value along <paramref name="dim"/>.</summary>
    public Tensor ArgMax(long dim, bool keepDim = false) => From(MathNative.kst_argmax(Ptr, dim, keepDim ? 1 : 0, out var p), p);

    /// <summary>Picks from <paramref name="a"/> where this (bool) tensor is true, else from <paramref name="b"/>.</summary>
    public Tensor Where(Tensor a, Tensor b) => From(MathNative.kst_where(Ptr, a.Ptr, b.Ptr, out var p), p);

    /// <summary>True when all elements are within atol + rtol * |other|.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        Status.Check(MathNative.kst_allclose(Ptr, other.Ptr, rtol, atol, out var r));
        return r != 0;
    }

    // In-place operations (no new tensor): the building blocks of optimizers and initializers.

    /// <summary>x += alpha * other, in place.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1) { Status.Check(MathNative.kst_inplace((int)InPlaceOp.Add, Ptr, other.Ptr, alpha)); return this; }
    /// <summary>x -= alpha * other, in place.</summary>
    public Tensor SubInPlace(Tensor other, double alpha = 1) { Status.Check(MathNative.kst_inplace((int)InPlaceOp.Sub, Ptr, other.Ptr, alpha)); return this; }
    /// <summary>x *= other, in place.</summary>
    public Tensor MulInPlace(Tensor other) { Status.Check(MathNative.kst_inplace((int)InPlaceOp.Mul, Ptr, other.Ptr, 1)); return this; }
    /// <summary>x /= other, in place.</summary>
    public Tensor DivInPlace(Tensor other) { Status.Check(MathNative.kst_inplace((int)InPlaceOp.Div, Ptr, other.Ptr, 1)); return this; }
    /// <summary>Copies the values of <paramref name="source"/> into this tensor (broadcasting, converting dtype).</summary>
    public Tensor CopyFrom(Tensor source) { Status.Check(MathNative.kst_inplace((int)InPlaceOp.Copy, Ptr, source.Ptr, 1)); return this; }

    private Tensor InPlaceScalar(InPlaceScalarOp op, double s) { Status.Check(MathNative.kst_inplace_scalar((int)op, Ptr, s)); return this; }
    /// <summary>x += s, in place.</summary>
    public Tensor AddInPlace(double s) => InPlaceScalar(InPlaceScalarOp.Add, s);
    /// <summary>x *= s, in place.</summary>
    public Tensor MulInPlace(double s) => InPlaceScalar(InPlaceScalarOp.Mul, s);
    /// <summary>x /= s, in place.</summary>
    public Tensor DivInPlace(double s) => InPlaceScalar(InPlaceScalarOp.Div, s);
    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public Tensor Fill(double value) => InPlaceScalar(InPlaceScalarOp.Fill, value);
    /// <summary>Sets every element to zero.</summary>
    public Tensor Zero() => InPlaceScalar(InPlaceScalarOp.Zero, 0);
    /// <summary>x = max(x, s), in place.</summary>
    public Tensor ClampMinInPlace(double s) => InPlaceScalar(InPlaceScalarOp.ClampMin, s);
    /// <summary>x = min(x, s), in place.</summary>
    public Tensor ClampMaxInPlace(double s) => InPlaceScalar(InPlaceScalarOp.ClampMax, s);
}
