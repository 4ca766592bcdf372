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
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(BenchCommands.Create());
root.Subcommands.Add(DoctorCommand.Create());
return root.Parse(args).Invoke();
