using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;

namespace NotebookSlm.Cli.Commands;

/// <summary>Shared plumbing: one place turns expected failures into one-line errors (exit 1),
/// never a stack trace.</summary>
static class Cli
{
    /// <summary>JSON printed by commands: the results files' conventions (snake_case).</summary>
    public static JsonSerializerOptions Json => Reporting.ResultsFile.Json;

    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is ConfigException or CheckpointException or ArgumentException or FileNotFoundException
                                   or DirectoryNotFoundException or InvalidDataException or FormatException
                                   or Data.DataFormatException or Training.TrainingDivergedException or InvalidOperationException or IOException
                                   or UnauthorizedAccessException or System.Text.Json.JsonException
                                   or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>A preset, optionally changed by "key=value,..." overrides.</summary>
    public static ModelConfig Config(string preset, string? overrides) =>
        string.IsNullOrWhiteSpace(overrides) ? Presets.Get(preset) : Presets.Get(preset).WithOverrides(ModelConfig.ParseOverrides(overrides));
}
