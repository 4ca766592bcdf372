using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace NotebookSlm.Evaluation;

/// <summary>
/// Clients for a user-configured OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server,
/// Ollama, <c>slm serve</c>): <paramref name="baseUrl"/> is the part before
/// <c>/chat/completions</c>, e.g. <c>http://127.0.0.1:8000/v1</c>. A server without keys still
/// gets one (the OpenAI client insists); <c>slm serve</c> ignores it unless started with
/// <c>--api-key</c>.
/// </summary>
public static class JudgeClients
{
    public static IChatClient OpenAiCompatible(string baseUrl, string model, string? apiKey = null) =>
        new OpenAI.Chat.ChatClient(model, Key(apiKey), Options(baseUrl)).AsIChatClient();

    public static IEmbeddingGenerator<string, Embedding<float>> OpenAiCompatibleEmbeddings(string baseUrl, string model, string? apiKey = null) =>
        new OpenAI.Embeddings.EmbeddingClient(model, Key(apiKey), Options(baseUrl)).AsIEmbeddingGenerator();

    /// <summary>The judge the paper used (Ragas over GPT), on any such endpoint.</summary>
    public static RagasJudge Ragas(string baseUrl, string model, string? embeddingModel = null, string? apiKey = null) =>
        new(OpenAiCompatible(baseUrl, model, apiKey), embeddingModel is null ? null : OpenAiCompatibleEmbeddings(baseUrl, embeddingModel, apiKey));

    static ApiKeyCredential Key(string? apiKey) =>
        new(string.IsNullOrEmpty(apiKey) ? Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } k ? k : "unused" : apiKey);

    static OpenAIClientOptions Options(string baseUrl)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"judge endpoint '{baseUrl}' is not an http(s) URL such as http://127.0.0.1:8000/v1");
        return new OpenAIClientOptions { Endpoint = uri };
    }
}
