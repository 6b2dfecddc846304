using KShotNas.Torch;

namespace KShotNas.Data;

/// <summary>
/// Labelled images that trainers read as mini-batches: held in memory (<see cref="ImageDataset"/>) or streamed from
/// a source larger than memory. Every pass with the same shuffle seed yields the same batches in the same order, so
/// a resumed run can skip batches it already trained on.
/// </summary>
public interface IImageBatches
{
    /// <summary>Number of samples.</summary>
    int Count { get; }
    /// <summary>Number of classes.</summary>
    int Classes { get; }
    /// <summary>Shape of one image [C, H, W].</summary>
    long[] ImageShape { get; }

    /// <summary>
    /// Mini-batches (images [B, C, H, W], labels [B]) covering the data once, in a seeded order when
    /// <paramref name="shuffleSeed"/> is given; the caller owns each batch's tensors. <paramref name="startBatch"/>
    /// skips the first batches (resuming mid-epoch).
    /// </summary>
    IEnumerable<(Tensor Images, Tensor Labels)> Batches(int batchSize, int? shuffleSeed = null, bool dropLast = false, int startBatch = 0);

    /// <summary>Number of batches <see cref="Batches"/> yields.</summary>
    int BatchCount(int batchSize, bool dropLast = false);
}
