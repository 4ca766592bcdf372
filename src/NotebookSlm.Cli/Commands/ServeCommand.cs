using System.CommandLine;
using NotebookSlm.Checkpoints;
using NotebookSlm.Cli.Serving;
using NotebookSlm.Runtime;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm serve</c>: an OpenAI-compatible endpoint over a checkpoint, on loopback, until
/// Ctrl+C (or SIGTERM). Any OpenAI client talks to it (base URL <c>http://127.0.0.1:PORT/v1</c>),
/// and so does the LLM judge (<c>NotebookSlm.Evaluation.JudgeClients</c>).</summary>
static class ServeCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint folder (config.json + model.safetensors)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "the tokenizer the model was trained with (default: the one its config names, when built in)" };
        var port = new Option<int>("--port") { Description = "loopback port (0: any free one; the address is printed)", DefaultValueFactory = _ => 8000 };
        var name = new Option<string?>("--model-name") { Description = "model id that /v1/models lists (default: the checkpoint folder's name)" };
        var apiKey = new Option<string?>("--api-key") { Description = "require 'Authorization: Bearer KEY' on /v1 requests" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "when a request gives no max_tokens", DefaultValueFactory = _ => 256 };
        var maxSource = new Option<int>("--max-source-length") { Description = "prompts are cut to this many tokens, the task cue kept", DefaultValueFactory = _ => 1024 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: libtorch's default)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("serve", "serve a checkpoint as an OpenAI-compatible /v1/chat/completions endpoint on loopback")
            { checkpoint, tokenizer, port, name, apiKey, maxNew, maxSource, threads };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            if (r.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(r.GetValue(threads));
            var dir = Path.GetFullPath(r.GetValue(checkpoint)!);
            var model = Checkpoint.Load(dir);
            var spec = r.GetValue(tokenizer) ?? (model.Config.Tokenizer.Length > 0 ? model.Config.Tokenizer
                : throw new ArgumentException($"{dir}: the config names no tokenizer; give --tokenizer"));
            ITokenizer tok;
            try { tok = AutoTokenizer.Load(spec); }
            catch (ArgumentException e) when (r.GetValue(tokenizer) is null)
            {
                throw new ArgumentException($"{dir}: its config names tokenizer '{spec}', which is not built in ({e.Message}); give --tokenizer");
            }
            model.Config.CheckTokenizer(tok, dir);
            if (r.GetValue(port) is < 0 or > 65535) throw new ArgumentException($"--port must be in 0..65535 (got {r.GetValue(port)})");
            var id = r.GetValue(name) ?? Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar));
            var options = new ServeOptions(model, tok, id, r.GetValue(port), r.GetValue(apiKey), r.GetValue(maxNew), r.GetValue(maxSource));
            return Run(options).GetAwaiter().GetResult();
        }));
        return cmd;
    }

    static async Task<int> Run(ServeOptions options)
    {
        await using var server = await ChatServer.StartAsync(options);
        // One line a script can wait for and read the address from.
        Console.WriteLine($"serving {options.ModelId} ({options.Model.Config.Architecture}, tokenizer {options.Tokenizer.Name}) at {server.BaseUrl}");
        Console.Out.Flush();
        await server.WaitForShutdownAsync();
        return 0;
    }
}
