using System.CommandLine;
using NotebookSlm.Cli.Commands;

// `slm`: the command-line face of NotebookSlm. Each command lives in Commands/.
var root = new RootCommand("NotebookSlm: encoder-decoder vs decoder-only small language models (Return of the Encoder)");
root.Subcommands.Add(ModelCommands.Presets());
root.Subcommands.Add(ModelCommands.Params());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(TokenizeCommand.Train());
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(TrainCommands.Pretrain());
root.Subcommands.Add(TrainCommands.Finetune());
root.Subcommands.Add(TrainCommands.Distill());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
var import = new System.CommandLine.Command("import", "read checkpoints of other layouts into ours");
import.Subcommands.Add(ReleasedCommands.Import());
root.Subcommands.Add(import);
// `bench train` is registered here, beside the others, so that the generation studies'
// code (BenchCommands.cs) does not change with it.
var bench = BenchCommands.Create();
bench.Subcommands.Add(TrainBenchCommand.Create());
root.Subcommands.Add(bench);
root.Subcommands.Add(DoctorCommand.Create());
return root.Parse(args).Invoke();
