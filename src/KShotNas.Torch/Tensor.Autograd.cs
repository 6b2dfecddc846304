using KShotNas.Torch.Native;

namespace KShotNas.Torch;

public sealed partial class Tensor
{
    /// <summary>Whether autograd records operations on this tensor (leaf parameters set it).</summary>
    public bool RequiresGrad
    {
        get { Status.Check(AutogradNative.kst_requires_grad(Ptr, out var v)); return v != 0; }
        set => Status.Check(AutogradNative.kst_set_requires_grad(Ptr, value ? 1 : 0));
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor.</summary>
    public Tensor WithRequiresGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>Back-propagates from this tensor (a scalar unless <paramref name="gradient"/> is given).</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        Status.Check(AutogradNative.kst_backward(Ptr, gradient?.Ptr ?? IntPtr.Zero, retainGraph ? 1 : 0));

    /// <summary>
    /// A new handle to the accumulated gradient, or null when none exists yet. The caller owns the handle
    /// (or its scope does); it aliases the gradient storage.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            Status.Check(AutogradNative.kst_grad(Ptr, out var g));
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
    }
}
