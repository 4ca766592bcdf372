using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NotebookSlm.Data;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Tokenization;
using TorchSharp;

namespace NotebookSlm.Cli.Serving;

/// <summary>What <c>slm serve</c> was started with.</summary>
sealed record ServeOptions(ILanguageModel Model, ITokenizer Tokenizer, string ModelId, int Port = 8000, string? ApiKey = null,
    int DefaultMaxTokens = 256, int MaxSourceLength = 1024);

/// <summary>
/// An OpenAI-compatible endpoint over one of our checkpoints, on loopback: <c>/v1/chat/completions</c>
/// (plain and streamed as server-sent events, with stop strings, seeds and usage),
/// <c>/v1/models</c>, <c>/v1/embeddings</c> (encoder-decoder checkpoints: mean-pooled encoder
/// states, L2-normalised) and <c>/health</c>. The model runs one request at a time (a libtorch
/// module is not re-entrant; a request waits for the one before it), each through the one
/// decoding loop with its KV cache, so what it returns is exactly what <c>model.Generate</c> gives.
/// </summary>
sealed class ChatServer : IAsyncDisposable
{
    readonly ServeOptions o;
    readonly WebApplication app;
    readonly SemaphoreSlim gate = new(1, 1);
    static readonly JsonSerializerOptions Json = new(Commands.Cli.Json) { WriteIndented = false };

    public string BaseUrl { get; private set; } = "";

    ChatServer(ServeOptions options)
    {
        o = options;
        o.Model.Module.eval();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, o.Port));
        app = builder.Build();
        app.Use(async (ctx, next) =>
        {
            if (o.ApiKey is { } key && ctx.Request.Path.StartsWithSegments("/v1") && ctx.Request.Headers.Authorization.ToString() != $"Bearer {key}")
                await Error(ctx, 401, "missing or wrong API key (Authorization: Bearer ...)", "invalid_api_key");
            else await next(ctx);
        });
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = o.ModelId, @object = "model", created = Created, owned_by = "notebookslm" } },
        }, Json));
        app.MapPost("/v1/chat/completions", (RequestDelegate)Chat);
        app.MapPost("/v1/embeddings", (RequestDelegate)Embeddings);
    }

    static readonly long Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Starts listening; <see cref="BaseUrl"/> is then <c>http://127.0.0.1:PORT/v1</c>
    /// (with port 0, the port the system chose).</summary>
    public static async Task<ChatServer> StartAsync(ServeOptions options)
    {
        var server = new ChatServer(options);
        await server.app.StartAsync();
        var address = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    async Task Chat(HttpContext ctx)
    {
        ChatRequest request;
        int[] prompt;
        try
        {
            using var doc = await ReadJson(ctx);
            request = ChatRequest.Parse(doc.RootElement);
            prompt = Batching.Tokenize(new TextPair(request.Prompt, ""), o.Tokenizer, o.MaxSourceLength, 1).Source;
        }
        catch (RequestException e) { await Error(ctx, 400, e.Message, "invalid_request_error", e.Param); return; }
        var options = new GenerationOptions
        {
            MaxNewTokens = request.MaxTokens ?? o.DefaultMaxTokens,
            Greedy = request.Temperature == 0, Temperature = Math.Max(request.Temperature, 1e-6), TopP = request.TopP,
            Seed = request.Seed ?? Random.Shared.NextInt64(), UseCache = true,
        };
        var id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!request.Stream)
        {
            var done = await Complete(prompt, options, request.Stop, null, ctx.RequestAborted);
            await Write(ctx, new
            {
                id, @object = "chat.completion", created, model = o.ModelId,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = done.Text }, finish_reason = done.FinishReason, logprobs = (object?)null } },
                usage = Usage(prompt.Length, done.Tokens),
            });
            return;
        }
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var pieces = Channel.CreateUnbounded<string>();
        var running = Complete(prompt, options, request.Stop, p => pieces.Writer.TryWrite(p), ctx.RequestAborted)
            .ContinueWith(t => { pieces.Writer.TryComplete(); return t.Result; }, TaskScheduler.Default);
        object Chunk(object delta, string? finish) => new
        {
            id, @object = "chat.completion.chunk", created, model = o.ModelId,
            choices = new[] { new { index = 0, delta, finish_reason = finish, logprobs = (object?)null } },
        };
        await Event(ctx, Chunk(new { role = "assistant", content = "" }, null));
        await foreach (var piece in pieces.Reader.ReadAllAsync(CancellationToken.None))
            await Event(ctx, Chunk(new { content = piece }, null));
        var result = await running;
        await Event(ctx, Chunk(new { }, result.FinishReason));
        if (request.IncludeUsage)
            await Event(ctx, new { id, @object = "chat.completion.chunk", created, model = o.ModelId, choices = Array.Empty<object>(), usage = Usage(prompt.Length, result.Tokens) });
        await ctx.Response.WriteAsync("data: [DONE]\n\n");
    }

    sealed record Completion(string Text, int Tokens, string FinishReason);

    /// <summary>One generation, in its turn. <paramref name="onPiece"/> gets the text as it
    /// becomes final: a piece is held back while it ends in an incomplete UTF-8 sequence or
    /// could still be the start of a stop string, so what streams is exactly the final text.</summary>
    async Task<Completion> Complete(int[] prompt, GenerationOptions options, IReadOnlyList<string> stops, Action<string>? onPiece, CancellationToken aborted)
    {
        await gate.WaitAsync(aborted);
        try
        {
            return await Task.Run(() =>
            {
                var ids = new List<int>();
                string emitted = "", final = "";
                bool stopped = false;
                var result = o.Model.Generate([prompt], options, (_, token) =>
                {
                    if (aborted.IsCancellationRequested) return false;
                    if (token == o.Model.Config.EosId) return true;       // the loop ends the row itself
                    ids.Add(token);
                    var text = o.Tokenizer.Decode(ids);
                    int cut = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
                    if (cut >= 0) { final = text[..cut]; stopped = true; return false; }
                    int safe = text.Length - HeldBack(text, stops);
                    if (onPiece is not null && safe > emitted.Length && text.StartsWith(emitted, StringComparison.Ordinal))
                    {
                        onPiece(text[emitted.Length..safe]);
                        emitted = text[..safe];
                    }
                    return true;
                });
                if (!stopped) final = o.Tokenizer.Decode(ids);
                if (onPiece is not null && final.Length > emitted.Length && final.StartsWith(emitted, StringComparison.Ordinal)) onPiece(final[emitted.Length..]);
                var row = result.Tokens[0];
                bool atEos = row.Length > 0 && row[^1] == o.Model.Config.EosId;
                return new Completion(final, row.Length, stopped || atEos ? "stop" : "length");
            }, CancellationToken.None);
        }
        finally { gate.Release(); }
    }

    /// <summary>How many trailing characters may still change or be cut: a replacement
    /// character (bytes of a character not all generated yet), or the longest suffix that
    /// begins some stop string.</summary>
    static int HeldBack(string text, IReadOnlyList<string> stops)
    {
        int hold = text.EndsWith('\uFFFD') ? 1 : 0;
        foreach (var s in stops)
            for (int k = Math.Min(s.Length - 1, text.Length); k > hold; k--)
                if (text.EndsWith(s[..k], StringComparison.Ordinal)) { hold = k; break; }
        return hold;
    }

    async Task Embeddings(HttpContext ctx)
    {
        List<string> inputs;
        bool base64;
        try
        {
            using var doc = await ReadJson(ctx);
            var root = doc.RootElement;
            if (o.Model is not EncoderDecoderLM)
                throw new RequestException($"'{o.ModelId}' is a decoder-only model: embeddings come from an encoder (serve an encoder-decoder checkpoint)", "model");
            inputs = root.TryGetProperty("input", out var input) ? input.ValueKind switch
            {
                JsonValueKind.String => [input.GetString()!],
                JsonValueKind.Array when input.GetArrayLength() > 0 && input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                    input.EnumerateArray().Select(e => e.GetString()!).ToList(),
                _ => throw new RequestException("'input' must be a string or a non-empty list of strings", "input"),
            } : throw new RequestException("'input' is required", "input");
            var format = root.TryGetProperty("encoding_format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : "float";
            if (format is not ("float" or "base64")) throw new RequestException($"'encoding_format' is '{format}': float or base64", "encoding_format");
            base64 = format == "base64";
        }
        catch (RequestException e) { await Error(ctx, 400, e.Message, "invalid_request_error", e.Param); return; }
        var rows = inputs.Select(t => Batching.Tokenize(new TextPair(t, ""), o.Tokenizer, o.MaxSourceLength, 1).Source).ToList();
        await gate.WaitAsync(ctx.RequestAborted);
        float[][] vectors;
        try { vectors = await Task.Run(() => Pool((EncoderDecoderLM)o.Model, rows)); }
        finally { gate.Release(); }
        await Write(ctx, new
        {
            @object = "list", model = o.ModelId,
            data = vectors.Select((v, i) => new
            {
                @object = "embedding", index = i,
                embedding = base64 ? (object)Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())) : v,
            }).ToArray(),
            usage = new { prompt_tokens = rows.Sum(r => r.Length), total_tokens = rows.Sum(r => r.Length) },
        });
    }

    /// <summary>Mean of the encoder states over each input's tokens, L2-normalised (B, D).</summary>
    static float[][] Pool(EncoderDecoderLM model, IReadOnlyList<int[]> rows)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var (ids, mask) = Seq2SeqBatch.Pad(rows, model.Config.PadId, "input", model.Device());
        var states = model.Encode(ids, Seq2SeqBatch.Padded(rows) ? mask : null).to(torch.ScalarType.Float32);   // (B, S, D)
        var weights = mask.unsqueeze(-1).to(torch.ScalarType.Float32);                                          // (B, S, 1)
        var mean = (states * weights).sum(1) / weights.sum(1);                                                     // (B, D)
        var unit = torch.nn.functional.normalize(mean, p: 2, dim: -1).cpu();
        return Enumerable.Range(0, rows.Count).Select(i => unit[i].data<float>().ToArray()).ToArray();
    }

    static object Usage(int prompt, int completion) => new { prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion };

    static async Task<JsonDocument> ReadJson(HttpContext ctx)
    {
        try { return await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted); }
        catch (JsonException e) { throw new RequestException($"the request body is not JSON: {e.Message}"); }
    }

    static Task Write(HttpContext ctx, object body) => ctx.Response.WriteAsJsonAsync(body, Json);

    static async Task Event(HttpContext ctx, object body)
    {
        await ctx.Response.WriteAsync($"data: {JsonSerializer.Serialize(body, Json)}\n\n", Encoding.UTF8);
        await ctx.Response.Body.FlushAsync();
    }

    static Task Error(HttpContext ctx, int status, string message, string type, string? param = null)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new { error = new { message, type, param, code = (string?)null } }, Json);
    }
}
