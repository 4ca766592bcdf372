module NotebookSlm.Tests.Evaluation.JudgeTests

open System
open System.Threading.Tasks
open Expecto
open Microsoft.Extensions.AI
open NotebookSlm.Evaluation

/// A chat client that answers each judge step with a fixed reply, chosen by the step's
/// instruction, and records the prompts it was sent.
type ScriptedChat(reply: string -> string) =
    let prompts = ResizeArray<string>()
    member _.Prompts = prompts
    interface IChatClient with
        member _.GetResponseAsync(messages, _options, _cancel) =
            let prompt = (Seq.last messages).Text
            prompts.Add prompt
            Task.FromResult(ChatResponse(ChatMessage(ChatRole.Assistant, reply prompt)))
        member _.GetStreamingResponseAsync(_, _, _) = failwith "not used"
        member _.GetService(_, _) = null
        member _.Dispose() = ()

let sample =
    JudgeSample("Where is the Eiffel Tower?", "It is in Paris. It is made of iron. It is blue.",
                [ "The Eiffel Tower stands in Paris."; "Paris is the capital of France."; "The tower is wrought iron." ],
                "The Eiffel Tower is in Paris, France. It is made of wrought iron. It opened in 1889. It is 330 m tall.")

/// Replies worked out by hand for the sample: 3 statements of which 2 are supported; generated
/// questions with embeddings at cosines 1, 0 and 1/sqrt 2; context verdicts 0, 1, 1; reference
/// statements attributed 1, 1, 0, 1.
let replies (noncommittal: int) (prompt: string) =
    if prompt.StartsWith "Break the answer" then """```json
{"statements": ["The Eiffel Tower is in Paris.", "The Eiffel Tower is made of iron.", "The Eiffel Tower is blue."]}
```"""
    elif prompt.StartsWith "For each statement" then
        """Here you are: {"verdicts": [{"statement": "a", "reason": "r", "verdict": 1}, {"statement": "b", "reason": "r", "verdict": 1}, {"statement": "c", "reason": "r", "verdict": 0}]}"""
    elif prompt.StartsWith "Write the question" then
        // Three calls, one per strictness round: the seed-0 question first.
        """{"question": "Q", "noncommittal": NONC}""".Replace("NONC", string noncommittal)
    elif prompt.StartsWith "Was the context useful" then
        if prompt.Contains "capital of France" then """{"reason": "no", "verdict": 1}"""
        elif prompt.Contains "stands in Paris" then """{"reason": "no", "verdict": 0}"""
        else """{"reason": "yes", "verdict": "yes"}"""
    elif prompt.StartsWith "Split the reference" then
        """{"classifications": [{"statement": "a", "reason": "", "attributed": 1}, {"statement": "b", "reason": "", "attributed": true}, {"statement": "c", "reason": "", "attributed": 0}, {"statement": "d", "reason": "", "attributed": 1}]}"""
    else failwith $"unexpected prompt: {prompt}"

/// The question's embedding and the generated questions' (the same text "Q" three times gets
/// one vector, so the rounds are told apart by a counter).
type RoundEmbeddings() =
    let vectors = [| [| 1.f; 0.f |]; [| 0.f; 1.f |]; [| 1.f; 1.f |] |]
    interface IEmbeddingGenerator<string, Embedding<float32>> with
        member _.GenerateAsync(values, _options, _cancel) =
            let values = List.ofSeq values
            let rows = values |> List.mapi (fun i _ -> if i = 0 then [| 1.f; 0.f |] else vectors[i - 1])
            Task.FromResult(GeneratedEmbeddings<Embedding<float32>>(rows |> List.map (fun v -> Embedding<float32>(ReadOnlyMemory v))))
        member _.GetService(_, _) = null
        member _.Dispose() = ()

let score (judge: IJudge) (s: JudgeSample) = judge.ScoreAsync(s).GetAwaiter().GetResult()

[<Tests>]
let tests =
    testList "LLM judge (Ragas)" [
        test "context precision is the mean of precision@k at the useful ranks (a worked example)" {
            // Useful at ranks 3 and 4 of 5: (1/3 + 2/4) / 2.
            Expect.floatClose Accuracy.veryHigh (RagasJudge.AveragePrecision [| 0; 0; 1; 1; 0 |]) ((1.0 / 3.0 + 0.5) / 2.0) "0, 0, 1, 1, 0"
            Expect.equal (RagasJudge.AveragePrecision [| 1; 1 |]) 1.0 "all useful"
            Expect.equal (RagasJudge.AveragePrecision [| 0; 0 |]) 0.0 "none useful"
        }

        test "the four scores of a sample worked by hand" {
            let chat = new ScriptedChat(replies 0)
            let s = score (RagasJudge(chat, new RoundEmbeddings())) sample
            Expect.floatClose Accuracy.veryHigh s.Faithfulness (2.0 / 3.0) "2 of 3 statements supported"
            Expect.floatClose Accuracy.high s.AnswerRelevancy ((1.0 + 0.0 + 1.0 / sqrt 2.0) / 3.0) "mean cosine of the three questions"
            Expect.floatClose Accuracy.veryHigh s.ContextPrecision ((1.0 / 2.0 + 2.0 / 3.0) / 2.0) "useful at ranks 2 and 3"
            Expect.floatClose Accuracy.veryHigh s.ContextRecall 0.75 "3 of 4 reference statements attributed"
            Expect.isEmpty s.Problems "no problems"
            Expect.equal (chat.Prompts |> Seq.filter (fun p -> p.StartsWith "Write the question") |> Seq.length) 3 "strictness 3: three questions"
            Expect.isTrue (chat.Prompts |> Seq.exists (fun p -> p.Contains "1. The Eiffel Tower is in Paris.")) "the statements are numbered into the NLI prompt"
        }

        test "a noncommittal answer has answer relevancy 0" {
            let s = score (RagasJudge(new ScriptedChat(replies 1), new RoundEmbeddings())) sample
            Expect.equal s.AnswerRelevancy 0.0 "noncommittal"
        }

        test "a reply that is not the JSON asked for makes that score NaN and says why; the others are kept" {
            let broken (p: string) = if p.StartsWith "Split the reference" then "I think most of it is supported." else replies 0 p
            let s = score (RagasJudge(new ScriptedChat(broken), new RoundEmbeddings())) sample
            Expect.isTrue (Double.IsNaN s.ContextRecall) "recall NaN"
            Expect.floatClose Accuracy.veryHigh s.Faithfulness (2.0 / 3.0) "faithfulness kept"
            Expect.exists s.Problems (fun p -> p.StartsWith "context_recall: the judge's reply is not a JSON object") "the problem is named"
        }

        test "without a reference or embeddings the metrics that need them are NaN with the reason" {
            let s = score (RagasJudge(new ScriptedChat(replies 0))) (JudgeSample(sample.Question, sample.Answer, sample.Contexts))
            Expect.isTrue (Double.IsNaN s.AnswerRelevancy && Double.IsNaN s.ContextPrecision && Double.IsNaN s.ContextRecall) "three NaN"
            Expect.floatClose Accuracy.veryHigh s.Faithfulness (2.0 / 3.0) "faithfulness needs neither"
            Expect.containsAll s.Problems [ "answer_relevancy: no embedding generator was given"; "context_precision: needs a reference answer"; "context_recall: needs a reference answer" ] "reasons"
        }

        test "the summary averages each score over the samples where it is a number" {
            let a = JudgeScores(1.0, 0.5, nan, 0.0, [])
            let b = JudgeScores(0.0, nan, nan, 1.0, [])
            let summary = JudgeSummary.Of [| a; b |]
            Expect.equal summary.Mean["faithfulness"] 0.5 "mean of 1 and 0"
            Expect.equal summary.Mean["answer_relevancy"] 0.5 "NaN skipped"
            Expect.isTrue (Double.IsNaN summary.Mean["context_precision"]) "no number: NaN"
            Expect.equal summary.Scored["answer_relevancy"] 1 "over one sample"
            Expect.equal summary.Samples 2 "two samples"
        }

        test "the first JSON object is found past fences and prose; none gives null" {
            Expect.isSome (JudgeJson.FirstObject "```json\n{\"a\": [1, {\"b\": 2}]}\n``` trailing" |> Option.ofNullable) "fenced"
            Expect.isSome (JudgeJson.FirstObject "x { not json } then {\"ok\": true}" |> Option.ofNullable) "skips a brace that is not JSON"
            Expect.isNone (JudgeJson.FirstObject "no object here" |> Option.ofNullable) "none"
            Expect.isNone (JudgeJson.FirstObject null |> Option.ofNullable) "null"
        }

        test "an endpoint that is not an http URL is refused naming it" {
            NotebookSlm.Tests.Common.expectError<ArgumentException> (fun () -> JudgeClients.OpenAiCompatible("localhost:8000", "m") |> ignore) [ "localhost:8000"; "http" ]
        }
    ]
