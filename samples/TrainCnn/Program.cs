// A hand-written training loop on the KShotNas engine: the pieces the NAS layers are built from.
using KShotNas.Data;
using KShotNas.Torch;
using KShotNas.Torch.Nn;
using KShotNas.Torch.Optim;
using KShotNas.Torch.Serialization;
using KShotNas.Training;

TorchRuntime.Threads = Environment.ProcessorCount; // libtorch starts with one thread when loaded from .NET
TorchRuntime.ManualSeed(0);

using var all = FashionMnist.Load(DataSplit.Train);
using var train = all.Subset(10_000, seed: 0);
using var test = FashionMnist.Load(DataSplit.Test);

using var model = new Sequential(
    new Conv2d(1, 16, 3, padding: 1, bias: false), new BatchNorm2d(16), Layers.ReLU(), Layers.MaxPool2d(2),
    new Conv2d(16, 32, 3, padding: 1, bias: false), new BatchNorm2d(32), Layers.ReLU(), Layers.MaxPool2d(2),
    Layers.Flatten(), new Linear(32 * 7 * 7, 10));
using var sgd = new Sgd(model.Parameters(), new SgdOptions { Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 });
var schedule = new CosineSchedule(0.02, TotalSteps: 2 * train.BatchCount(64));

long step = 0;
for (var epoch = 0; epoch < 2; epoch++)
{
    foreach (var (images, labels) in train.Batches(64, shuffleSeed: epoch))
    {
        using var scope = TensorScope.Begin(); // frees every tensor of this step
        using var x = images;
        using var y = labels;
        var loss = Functional.CrossEntropy(model.Forward(x), y);
        sgd.ZeroGrad();
        loss.Backward();
        sgd.Step(schedule.At(step++));
        if (step % 50 == 0) Console.WriteLine($"step {step}: loss {loss.ToDouble():F3}");
    }
}

Console.WriteLine($"test accuracy: {ClassifierTrainer.Evaluate(model, test):P2}");
SafeTensors.Save("sample-cnn.safetensors", model.StateDict());
Console.WriteLine($"live native tensors: {TorchRuntime.LiveNativeTensors} (the model's parameters and buffers, and the data)");
