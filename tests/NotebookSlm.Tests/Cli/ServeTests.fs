module NotebookSlm.Tests.Cli.ServeTests

open System
open System.Diagnostics
open System.IO
open System.Net.Http
open System.Text
open System.Text.Json
open Expecto
open Microsoft.Extensions.AI
open NotebookSlm.Models
open NotebookSlm.Generation
open NotebookSlm.Tokenization
open NotebookSlm.Checkpoints
open NotebookSlm.Evaluation
open NotebookSlm.Data
open NotebookSlm.Tests.Common

let bytes = ByteTokenizer() :> ITokenizer
let key = "test-key"

/// A small random encoder-decoder checkpoint whose greedy output is varied text, and the
/// weights loaded again in this process to compare with.
let checkpoint =
    lazy (
        let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-serve-{Guid.NewGuid():N}", "micro-encdec")
        let m = spicedModel (Presets.Micro.EncDec.ForTokenizer bytes) 11L
        Checkpoint.Save(m, dir)
        dir, Checkpoint.Load dir)

/// `slm serve` as a child process on a free loopback port, with an API key; the base URL is
/// read from the line it prints once listening. Killed when the test run ends.
let server =
    lazy (
        let dir, _ = checkpoint.Value
        let dll = Path.Combine(AppContext.BaseDirectory, "slm.dll")
        let psi = ProcessStartInfo("dotnet", [ dll; "serve"; "--checkpoint"; dir; "--port"; "0"; "--api-key"; key; "--threads"; "1" ],
                                   RedirectStandardOutput = true, RedirectStandardError = true)
        let p = Process.Start psi
        AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> try p.Kill true with _ -> ())
        let line = p.StandardOutput.ReadLineAsync()
        if not (line.Wait 60000) || isNull line.Result then
            failwith $"slm serve did not start: {p.StandardError.ReadToEnd()}"
        let url = line.Result.Substring(line.Result.IndexOf(" at http") + 4).Trim()
        url)

let chat () = JudgeClients.OpenAiCompatible(server.Value, "micro-encdec", key)
let http = lazy (new HttpClient())

let post (path: string) (body: string) (withKey: bool) =
    use req = new HttpRequestMessage(HttpMethod.Post, server.Value + path, Content = new StringContent(body, Encoding.UTF8, "application/json"))
    if withKey then req.Headers.Authorization <- Headers.AuthenticationHeaderValue("Bearer", key)
    use resp = http.Value.Send req
    int resp.StatusCode, resp.Content.ReadAsStringAsync().Result

let prompt = "Question: where do owls sleep?\n###Answer\n"

/// What the model gives in this process for the prompt, as the server tokenizes it.
let expected (options: GenerationOptions) =
    let _, model = checkpoint.Value
    let ids = Batching.Tokenize(TextPair(prompt, ""), bytes, 1024, 1).Source
    let row = model.Generate([ ids ], options).Tokens[0]
    bytes.Decode(row |> Array.filter (fun t -> t <> model.Config.EosId))

let ask (client: IChatClient) (options: ChatOptions) =
    client.GetResponseAsync([ ChatMessage(ChatRole.User, prompt) ], options).GetAwaiter().GetResult()

let streamed (client: IChatClient) (options: ChatOptions) =
    let updates = client.GetStreamingResponseAsync([ ChatMessage(ChatRole.User, prompt) ], options)
    let e = updates.GetAsyncEnumerator()
    let parts = ResizeArray<string>()
    while e.MoveNextAsync().AsTask().Result do parts.Add e.Current.Text
    parts

[<Tests>]
let tests =
    testSequenced <| testList "slm serve" [
        test "a greedy completion through an OpenAI client is exactly model.Generate's text, with usage" {
            let r = ask (chat ()) (ChatOptions(Temperature = 0.f, MaxOutputTokens = 24))
            let want = expected (GenerationOptions(MaxNewTokens = 24))
            Expect.isGreaterThan want.Length 0 "the model says something"
            Expect.equal r.Text want "same text as in-process generation"
            Expect.equal r.Usage.OutputTokenCount (Nullable 24L) "24 tokens, no EOS before"
            Expect.equal r.FinishReason (Nullable ChatFinishReason.Length) "cut by max_tokens"
            Expect.equal r.Usage.InputTokenCount (Nullable(int64 (Batching.Tokenize(TextPair(prompt, ""), bytes, 1024, 1).Source.Length))) "prompt tokens"
        }

        test "a streamed completion arrives in pieces that add up to the plain one" {
            let options = ChatOptions(Temperature = 0.f, MaxOutputTokens = 24)
            let parts = streamed (chat ()) options
            Expect.isGreaterThan parts.Count 2 "more than one piece"
            Expect.equal (String.Concat parts) (ask (chat ()) options).Text "same text"
        }

        test "sampling with a seed is reproducible and follows the same loop as in process" {
            let options = ChatOptions(Temperature = 0.9f, TopP = 0.95f, Seed = 7L, MaxOutputTokens = 16)
            let a, b = (ask (chat ()) options).Text, (ask (chat ()) options).Text
            Expect.equal a b "same seed, same text"
            Expect.equal a (expected (GenerationOptions(MaxNewTokens = 16, Greedy = false, Temperature = 0.9, TopP = 0.95, Seed = 7L))) "as model.Generate"
        }

        test "a stop string ends the text before it, streamed or not" {
            let full = expected (GenerationOptions(MaxNewTokens = 24))
            let stop = full.Substring(5, 3)
            let options = ChatOptions(Temperature = 0.f, MaxOutputTokens = 24, StopSequences = ResizeArray [ stop ])
            let want = full.Substring(0, full.IndexOf stop)
            let r = ask (chat ()) options
            Expect.equal r.Text want $"cut before '{stop}'"
            Expect.equal r.FinishReason (Nullable ChatFinishReason.Stop) "finish_reason stop"
            Expect.equal (String.Concat(streamed (chat ()) options)) want "the stream holds the stop string back"
        }

        test "embeddings are unit vectors, one per input, the same for the same text" {
            let gen = JudgeClients.OpenAiCompatibleEmbeddings(server.Value, "micro-encdec", key)
            let vs = gen.GenerateAsync([ "owls sleep in trees"; "a"; "owls sleep in trees" ]).GetAwaiter().GetResult()
            Expect.equal vs.Count 3 "three vectors"
            for v in vs do
                let n = v.Vector.ToArray() |> Array.sumBy (fun x -> float x * float x) |> sqrt
                Expect.floatClose Accuracy.medium n 1.0 "unit length"
                Expect.equal v.Vector.Length 32 "d_model"
            Expect.sequenceEqual (vs[0].Vector.ToArray()) (vs[2].Vector.ToArray()) "deterministic"
        }

        test "the Ragas judge runs against the server and says why each score it could not read is NaN" {
            let judge = JudgeClients.Ragas(server.Value, "micro-encdec", "micro-encdec", key)
            let s = judge.ScoreAsync(JudgeSample("Where do owls sleep?", "In trees.", [ "Owls sleep in trees by day." ], "Owls sleep in trees.")).GetAwaiter().GetResult()
            // A random model writes no JSON: every score it could not read is NaN, with its reason.
            for name, value in s.Named() do
                Expect.isTrue (Double.IsNaN value || (value >= 0.0 && value <= 1.0)) $"{name} = {value}"
                if Double.IsNaN value then Expect.exists s.Problems (fun p -> p.StartsWith name) $"{name} has its reason"
        }

        test "models are listed; requests without the key, or with bad fields, get OpenAI errors naming the field" {
            use anonymous = http.Value.Send(new HttpRequestMessage(HttpMethod.Get, server.Value + "/models"))
            Expect.equal (int anonymous.StatusCode) 401 "no key: 401"
            use listing = new HttpRequestMessage(HttpMethod.Get, server.Value + "/models")
            listing.Headers.Authorization <- Headers.AuthenticationHeaderValue("Bearer", key)
            use models = http.Value.Send listing
            let data = JsonDocument.Parse(models.Content.ReadAsStringAsync().Result).RootElement.GetProperty("data")
            Expect.equal (data[0].GetProperty("id").GetString()) "micro-encdec" "the checkpoint folder's name"
            let code, body = post "/chat/completions" """{"model": "m", "messages": [{"role": "user", "content": "hi"}]}""" false
            Expect.equal code 401 "no key"
            Expect.stringContains body "invalid_api_key" "error type"
            for payload, field in [ """{"model": "m"}""", "messages"
                                    """{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}""", "temperature"
                                    """{"messages": [{"role": "user", "content": "hi"}], "n": 2}""", "n"
                                    """{"messages": [{"role": "robot", "content": "hi"}]}""", "messages[0].role"
                                    """{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}""", "messages[0].content"
                                    """not json""", "" ] do
                let code, body = post "/chat/completions" payload true
                Expect.equal code 400 $"{payload}: 400"
                let error = JsonDocument.Parse(body).RootElement.GetProperty("error")
                Expect.equal (error.GetProperty("type").GetString()) "invalid_request_error" "type"
                if field <> "" then Expect.equal (error.GetProperty("param").GetString()) field $"{payload}: param"
        }
    ]
