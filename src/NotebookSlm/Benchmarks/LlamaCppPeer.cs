using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NotebookSlm.Reporting;
using NotebookSlm.Models;
using NotebookSlm.Runtime;

namespace NotebookSlm.Benchmarks;

public sealed record LlamaCppResult(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("weights")] string Weights,
    [property: JsonPropertyName("input_tokens")] int InputTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("first_token_ms")] Stats FirstTokenMs,
    [property: JsonPropertyName("decode_tokens_per_s")] Stats DecodeTokensPerSecond,
    [property: JsonPropertyName("gguf_bytes")] long GgufBytes,
    [property: JsonPropertyName("runtime")] JsonNode? Runtime);

/// <summary>llama.cpp's greedy continuation of one prompt and its next-token distributions (ids in order).</summary>
public sealed record LlamaCppCheck(int[] Tokens, float[][] Probabilities, JsonNode? Runtime);

/// <summary>
/// llama.cpp as the peer runtime for the decoder-only baseline (issue 4 point 7): npm
/// <c>node-llama-cpp</c> 3.21.1 ships prebuilt llama.cpp CPU backends that load here, and
/// <c>llamacpp-bench.mjs</c> (shipped beside this assembly) drives them. Installed once into
/// <c>$NOTEBOOKSLM_CACHE/node-llama-cpp</c> with NODE_LLAMA_CPP_SKIP_DOWNLOAD set, so nothing
/// but the npm registry is contacted and nothing is compiled.
/// </summary>
public static class LlamaCppPeer
{
    public const string NodeLlamaCppVersion = "3.21.1";
    const string Script = "llamacpp-bench.mjs";

    public static string Prefix => Path.Combine(TorchRuntime.CacheRoot, "node-llama-cpp");

    public static bool Installed(string prefix) =>
        File.Exists(Path.Combine(prefix, "node_modules", "node-llama-cpp", "package.json"))
        && JsonNode.Parse(File.ReadAllText(Path.Combine(prefix, "node_modules", "node-llama-cpp", "package.json")))?["version"]?.GetValue<string>() == NodeLlamaCppVersion
        && Directory.Exists(Path.Combine(prefix, "node_modules", "@node-llama-cpp", "linux-x64", "bins"));

    /// <summary>Installs node-llama-cpp when it is not there yet (into a staging folder that is then
    /// renamed, so an interrupted install is never mistaken for a finished one); returns the prefix.</summary>
    public static string EnsureInstalled(Action<string>? log = null)
    {
        var prefix = Prefix;
        if (Installed(prefix)) return prefix;
        var staging = prefix + $".tmp{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, true);
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "package.json"), "{\"name\":\"notebookslm-llama-cpp-peer\",\"private\":true}\n");
        log?.Invoke($"npm i -E node-llama-cpp@{NodeLlamaCppVersion} (into {prefix})");
        var (code, _, err) = Run("npm", ["i", "-E", $"node-llama-cpp@{NodeLlamaCppVersion}", "--no-audit", "--no-fund"], staging, TimeSpan.FromMinutes(15));
        if (code != 0 || !Installed(staging))
            throw new InvalidOperationException($"npm i -E node-llama-cpp@{NodeLlamaCppVersion} failed (exit code {code}): {ProcessRunner.Tail(err)}");
        if (Directory.Exists(prefix)) Directory.Delete(prefix, true);
        Directory.Move(staging, prefix);
        return prefix;
    }

    /// <summary>First-token latency (prompt evaluation plus the first sampled token) and greedy decode
    /// throughput of llama.cpp on <paramref name="gguf"/>, over <see cref="Latency.Prompts"/> for the
    /// same protocol (lengths, examples, warm-up, threads, seed; the ONNX fields are not read).</summary>
    public static LlamaCppResult Bench(string gguf, ModelConfig config, string weights, LatencyOptions o, Action<string>? log = null)
    {
        var prompts = Latency.Prompts(config, o);
        var reply = Drive(new JsonObject
        {
            ["mode"] = "bench", ["model"] = Path.GetFullPath(gguf), ["threads"] = o.Threads,
            ["contextSize"] = o.InputTokens + o.OutputTokens + 8, ["batchSize"] = o.InputTokens,
            ["kvCacheType"] = weights.Contains("16") ? "F16" : "F32", ["flashAttention"] = "auto",   // llama.cpp's default
            ["prompts"] = Ids(prompts), ["outputTokens"] = o.OutputTokens, ["warmup"] = o.Warmup,
        }, log);
        var runs = reply["runs"]!.AsArray();
        var first = runs.Select(r => r!["first_token_ms"]!.GetValue<double>()).ToArray();
        var decode = runs.Select(r => (r!["tokens"]!.GetValue<int>() - 1) / (r["decode_ms"]!.GetValue<double>() / 1000.0)).ToArray();
        for (int e = 0; e < first.Length; e++)
            log?.Invoke($"{config.Name} llama.cpp {weights} example {e + 1}/{first.Length}: first {first[e]:F0} ms, {decode[e]:F1} tok/s");
        return new LlamaCppResult(config.Name, weights, o.InputTokens, o.OutputTokens, first.Length, o.Threads,
            Stats.Of(first), Stats.Of(decode), new FileInfo(gguf).Length, reply["about"]?.DeepClone());
    }

    /// <summary>llama.cpp's greedy continuation of <paramref name="prompt"/> for <paramref name="steps"/>
    /// tokens, with the full next-token distribution before each.</summary>
    public static LlamaCppCheck Check(string gguf, int vocabSize, int[] prompt, int steps, int threads = 1, Action<string>? log = null)
    {
        var reply = Drive(new JsonObject
        {
            ["mode"] = "check", ["model"] = Path.GetFullPath(gguf), ["threads"] = threads,
            ["contextSize"] = prompt.Length + steps + 8, ["batchSize"] = Math.Max(prompt.Length, 8), ["kvCacheType"] = "F32",
            // Off: llama.cpp's CPU flash attention rounds through f16 (measured here: probabilities
            // 1e-3 off on a sharp model, against 2e-5 without it); the check wants fp32 throughout.
            ["flashAttention"] = false,
            ["prompts"] = Ids([prompt]), ["outputTokens"] = steps, ["warmup"] = 0, ["vocabSize"] = vocabSize,
        }, log);
        var tokens = reply["tokens"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
        var probabilities = reply["distributions"]!.AsArray().Select(d => d!.AsArray().Select(p => (float)p!.GetValue<double>()).ToArray()).ToArray();
        return new LlamaCppCheck(tokens, probabilities, reply["about"]?.DeepClone());
    }

    static JsonArray Ids(IEnumerable<int[]> prompts) =>
        new(prompts.Select(p => (JsonNode)new JsonArray(p.Select(t => (JsonNode)JsonValue.Create(t)).ToArray())).ToArray());

    /// <summary>Writes the request, runs the driver from the install prefix and parses its JSON line.</summary>
    static JsonNode Drive(JsonObject request, Action<string>? log)
    {
        var prefix = EnsureInstalled(log);
        var source = Path.Combine(Path.GetDirectoryName(typeof(LlamaCppPeer).Assembly.Location)!, Script);
        if (!File.Exists(source)) throw new FileNotFoundException($"{Script} is not beside NotebookSlm.dll (it is copied to the build output)", source);
        // node resolves `import "node-llama-cpp"` from the script's folder: run a copy in the prefix.
        var script = Path.Combine(prefix, Script);
        if (!File.Exists(script) || File.ReadAllText(script) != File.ReadAllText(source)) File.Copy(source, script, overwrite: true);
        var requestPath = Path.Combine(Path.GetTempPath(), $"llamacpp-request-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        File.WriteAllText(requestPath, request.ToJsonString());
        try
        {
            var (code, stdout, stderr) = Run("node", [script, requestPath], prefix, TimeSpan.FromHours(3));
            if (code != 0) throw new InvalidOperationException($"llama.cpp driver failed (exit code {code}): {ProcessRunner.Tail(stderr)}");
            var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'))
                ?? throw new InvalidOperationException($"llama.cpp driver printed no JSON: {ProcessRunner.Tail(stdout + stderr)}");
            return JsonNode.Parse(line)!;
        }
        finally { File.Delete(requestPath); }
    }

    static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string cwd, TimeSpan timeout)
    {
        var r = ProcessRunner.Run(file, args, cwd, new Dictionary<string, string?> { ["NODE_LLAMA_CPP_SKIP_DOWNLOAD"] = "true" }, timeout);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }
}
