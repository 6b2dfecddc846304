using KShotNas.Torch.Native;

namespace KShotNas.Torch;

public sealed partial class Tensor
{
    /// <summary>The same elements with a new shape (-1 infers one dimension); a view when possible.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        fixed (long* s = shape) return From(MathNative.kst_reshape(Ptr, s, shape.Length, out var p), p);
    }

    /// <summary>Reorders the dimensions.</summary>
    public unsafe Tensor Permute(params long[] dims)
    {
        fixed (long* d = dims) return From(MathNative.kst_permute(Ptr, d, dims.Length, out var p), p);
    }

    /// <summary>Merges dimensions start..end into one.</summary>
    public Tensor Flatten(long start = 0, long end = -1) => From(MathNative.kst_flatten(Ptr, start, end, out var p), p);

    /// <summary>A view of <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/> (channel slicing).</summary>
    public Tensor Narrow(long dim, long start, long length) => From(MathNative.kst_narrow(Ptr, dim, start, length, out var p), p);

    /// <summary>Inserts a dimension of size one.</summary>
    public Tensor Unsqueeze(long dim) => From(MathNative.kst_unsqueeze(Ptr, dim, out var p), p);

    /// <summary>Rows (entries of <paramref name="dim"/>) picked by an int64 index tensor.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => From(MathNative.kst_index_select(Ptr, dim, index.Ptr, out var p), p);

    /// <summary>Concatenates tensors along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: false);

    /// <summary>Stacks tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: true);

    private static unsafe Tensor Join(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        var ptrs = new IntPtr[tensors.Count];
        for (var i = 0; i < ptrs.Length; i++) ptrs[i] = tensors[i].Ptr;
        fixed (IntPtr* p = ptrs)
        {
            var status = stack ? MathNative.kst_stack(p, ptrs.Length, dim, out var r) : MathNative.kst_cat(p, ptrs.Length, dim, out r);
            GC.KeepAlive(tensors);
            return From(status, r);
        }
    }

    private Tensor Convert(int kind, int arg = 0, int arg2 = 0) =>
        From(TensorNative.kst_tensor_convert(Ptr, kind, arg, arg2, out var p), p);

    /// <summary>The same data, cut from the autograd graph.</summary>
    public Tensor Detach() => Convert(0);
    /// <summary>A copy with its own storage (autograd records the copy).</summary>
    public Tensor Clone() => Convert(1);
    /// <summary>Row-major storage (a copy only when needed).</summary>
    public Tensor Contiguous() => Convert(2);
    /// <summary>Converted to another element type.</summary>
    public Tensor To(DType dtype) => Convert(3, (int)dtype);
    /// <summary>Moved to another device.</summary>
    public Tensor To(Device device) => Convert(4, (int)device.Type, device.Index);

    /// <summary>
    /// Replaces this tensor's data with <paramref name="source"/>'s (another dtype or device allowed), keeping this
    /// tensor's identity: existing handles, parameter lists and the requires-grad flag stay valid.
    /// </summary>
    public void SetData(Tensor source) => Status.Check(TensorNative.kst_tensor_set_data(Ptr, source.Ptr));

    /// <summary>A second handle to the same tensor (same storage and autograd identity), owned separately.</summary>
    public Tensor Alias() => From(TensorNative.kst_tensor_alias(Ptr, out var p), p);
}
