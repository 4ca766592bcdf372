using System.CommandLine;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using NotebookSlm.Runtime;

namespace NotebookSlm.Cli.Commands;

/// <summary>
/// The hand-off to and from the authors' PyTorch code, for runs larger than one machine
/// (TorchSharp binds no <c>torch.distributed</c>): <c>slm export released</c> writes a checkpoint
/// in their <c>torch.save</c> layout (<c>{"model_state_dict": ...}</c>, their key names, the tied
/// <c>lm_head.weight</c> present), which their <c>torchrun</c> scripts load; <c>slm import
/// released</c> reads one of theirs (or a bare state_dict) into our checkpoint folder
/// (<c>model.safetensors</c> with the same names, and <c>config.json</c>).
/// </summary>
static class ReleasedCommands
{
    public static Command Export()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "our checkpoint folder", Required = true };
        var output = new Option<string>("--out") { Description = "the .pt file to write", Required = true };
        var cmd = new Command("released", "our checkpoint in the authors' torch.save layout (model_state_dict), for their PyTorch scripts") { checkpoint, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var model = Checkpoint.Load(r.GetValue(checkpoint)!);
            Checkpoint.SaveReleased(model, r.GetValue(output)!);
            Console.WriteLine($"{r.GetValue(output)}: {model.Config.Name} ({Accounting.ParameterCounts.Of(model.Config).Total:N0} parameters) in the authors' layout");
            return 0;
        }));
        return cmd;
    }

    public static Command Import()
    {
        var file = new Argument<string>("file") { Description = "a torch.save file in the authors' layout (or a bare state_dict)" };
        var preset = new Option<string?>("--preset") { Description = "the configuration it was trained with (default: the released 330M)" };
        var config = new Option<string?>("--config") { Description = "or a config.json of ours" };
        var output = new Option<string>("--out") { Description = "the checkpoint folder to write", Required = true };
        var cmd = new Command("released", "a checkpoint of the authors' torch.save layout into our safetensors folder") { file, preset, config, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            ModelConfig? c = (r.GetValue(preset), r.GetValue(config)) switch
            {
                (null, null) => null,
                ({ } name, null) => Presets.Get(name),
                (null, { } path) => ModelConfig.Load(path),
                _ => throw new ArgumentException("give at most one of --preset or --config"),
            };
            var model = Checkpoint.LoadReleased(r.GetValue(file)!, c);
            Checkpoint.Save(model, r.GetValue(output)!, new Dictionary<string, string> { ["imported_from"] = Path.GetFullPath(r.GetValue(file)!) });
            Console.WriteLine($"{r.GetValue(output)}: {model.Config.Name} from {r.GetValue(file)}");
            return 0;
        }));
        return cmd;
    }
}
