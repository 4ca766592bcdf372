// NotebookSlm build script: `dotnet fsi build.fsx <target> [options]`.
//
//   setup        local tools (dotnet-repl), Chromium for PNG figures, package restore
//   build        Release build of the solution
//   test         setup + build + every test (unit, CLI, notebooks in the smoke profile);
//                ends with the line `N passed, N failed`
//   notebooks    run notebooks headless: --profile smoke (default; outputs under artifacts/)
//                or --profile full (outputs written back into the notebooks, as committed)
//   quickstart   the paper in miniature on the tiny presets (a few minutes on a laptop CPU)
//   data         build the offline corpora and the local tokenizer (--profile smoke|full)
//   efficiency   Table 2, Figure 1, memory and FLOPs claims (--profile smoke|full)
//   npu          the NPU-ready static QDQ export: accuracy against fp32 and CPU speed (--profile smoke|full)
//   bench        the full generation benchmark, results under experiments/results/ (also installs
//                node-llama-cpp 3.21.1, llama.cpp's prebuilt CPU binaries, for the peer study)
//   peer         our ONNX Runtime loop against llama.cpp on the same weights (--profile smoke|full)
//   gpu          every GPU measurement at once (Table 2 and Figure 1 on ONNX Runtime's CUDA provider),
//                for a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9
//   readme       regenerate the README sections that are produced by code
//
// A plain F# script rather than FAKE (DESIGN.md section 7): every target is a function.

open System
open System.Diagnostics
open System.IO

let root = __SOURCE_DIRECTORY__
let args = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray

let option (name: string) (fallback: string) =
    match List.tryFindIndex ((=) name) args with
    | Some i when i + 1 < args.Length -> args[i + 1]
    | _ -> fallback

let flag (name: string) = List.contains name args

/// Runs a command with inherited output; returns its exit code.
let exec (cwd: string) (env: (string * string) list) (file: string) (arguments: string list) =
    printfn "> %s %s" file (String.Join(" ", arguments))
    let psi = ProcessStartInfo(file, arguments, WorkingDirectory = cwd, UseShellExecute = false)
    for (k, v) in env do psi.Environment[k] <- v
    use p = Process.Start psi
    p.WaitForExit()
    p.ExitCode

let run cwd env file arguments =
    let rc = exec cwd env file arguments
    if rc <> 0 then
        eprintfn "build.fsx: `%s %s` failed with exit code %d" file (String.Join(" ", arguments)) rc
        exit rc

let onPath (exe: string) =
    (Environment.GetEnvironmentVariable "PATH").Split(':', StringSplitOptions.RemoveEmptyEntries)
    |> Array.exists (fun d -> File.Exists(Path.Combine(d, exe)))

let setup () =
    run root [] "dotnet" [ "tool"; "restore" ]
    if not (onPath "chromium" || onPath "chromium-browser" || onPath "google-chrome") then
        // Chromium renders Plotly charts to PNG, headless (DESIGN.md section 7).
        let apt arguments =
            let env = [ ("DEBIAN_FRONTEND", "noninteractive") ]
            if Environment.UserName = "root" then run root env "apt-get" arguments
            else run root env "sudo" ("apt-get" :: arguments)
        apt [ "update"; "-qq" ]
        apt [ "install"; "-y"; "-qq"; "chromium" ]
    run root [] "dotnet" [ "restore"; "NotebookSlm.sln" ]

let build () = run root [] "dotnet" [ "build"; "NotebookSlm.sln"; "-c"; "Release"; "--nologo"; "-v"; "q" ]

let slm (arguments: string list) =
    run root [] "dotnet" (Path.Combine(root, "src/NotebookSlm.Cli/bin/Release/net10.0/slm.dll") :: arguments)

let notebooksDir = Path.Combine(root, "notebooks")

/// Executes one notebook with dotnet-repl. Full: the outputs are written back into the
/// notebook (what is committed). Smoke: into artifacts/smoke/notebooks/.
let runNotebook (profile: string) (path: string) =
    let full = Path.GetFullPath path
    let output =
        if profile = "full" then full
        else
            let dir = Path.Combine(root, "artifacts", "smoke", "notebooks")
            Directory.CreateDirectory dir |> ignore
            Path.Combine(dir, Path.GetFileName full)
    let env = [ ("NOTEBOOKSLM_PROFILE", profile); ("NOTEBOOKSLM_ROOT", root); ("DOTNET_CLI_TELEMETRY_OPTOUT", "1") ]
    let rc =
        exec (Path.GetDirectoryName full) env "dotnet"
            [ "repl"; "--run"; full; "--exit-after-run"; "--output-path"; output; "--default-kernel"; "fsharp"
              "--working-dir"; Path.GetDirectoryName full ]
    if rc <> 0 then
        eprintfn "build.fsx: notebook %s failed (exit code %d); its outputs are in %s" path rc output
        exit rc
    printfn "notebook %s ran in the %s profile -> %s" (Path.GetFileName full) profile output

let notebooks () =
    let profile = option "--profile" "smoke"
    let chosen = args |> List.filter (fun a -> a.EndsWith ".ipynb")
    let all = Directory.GetFiles(notebooksDir, "*.ipynb") |> Array.sort |> List.ofArray
    for nb in (if chosen.IsEmpty then all else chosen) do runNotebook profile nb

let test () =
    setup ()
    build ()
    // The Expecto runner prints the closing `N passed, N failed` line itself.
    let rc =
        exec root [ "NOTEBOOKSLM_PROFILE", "smoke"; "NOTEBOOKSLM_ROOT", root ] "dotnet"
            ([ Path.Combine(root, "tests/NotebookSlm.Tests/bin/Release/net10.0/NotebookSlm.Tests.dll") ]
             @ (args |> List.skipWhile (fun a -> a <> "--") |> List.skip (if List.contains "--" args then 1 else 0)))
    exit rc

/// Runs experiments/NAME.fsx in the profile given by --profile (smoke by default).
let experiment (name: string) =
    setup ()
    build ()
    let profile = option "--profile" "smoke"
    run root [ ("NOTEBOOKSLM_PROFILE", profile); ("NOTEBOOKSLM_ROOT", root) ] "dotnet" [ "fsi"; Path.Combine(root, "experiments", name + ".fsx") ]

/// node-llama-cpp 3.21.1 (prebuilt llama.cpp CPU backends) in the cache, through the library's
/// own installer (NotebookSlm.Benchmarks.LlamaCppPeer.EnsureInstalled), which the peer study
/// also calls on first use.
let installLlamaCpp () = slm [ "bench"; "peer"; "--install-only" ]

let bench () =
    build ()
    installLlamaCpp ()
    slm [ "bench"; "generate"; "--profile"; "full"; "--input"; "128"; "--new-tokens"; "64"; "--repeats"; "3"
          "--out"; Path.Combine(root, "experiments", "results", "bench-generate.json") ]

/// Every GPU measurement in one go, for the times a GPU machine is at hand: the CLI built with
/// ONNX Runtime's CUDA package into artifacts/gpu-build (the CPU build is left alone), then
/// Table 2 (the paper's protocol: 100 examples) and Figure 1's input lengths on the CUDA provider.
/// The generation loop binds its caches in host memory, so each GPU step also copies them: the
/// decode numbers are a lower bound on what device-resident caches would give.
let gpu () =
    if not (onPath "nvidia-smi") then
        eprintfn "build.fsx gpu: no nvidia-smi on PATH; this target needs an NVIDIA GPU with CUDA 13 and cuDNN 9 (ONNX Runtime 1.31's CUDA provider)"
        exit 2
    let gpuBuild = Path.Combine(root, "artifacts", "gpu-build")
    run root [] "dotnet" [ "build"; "src/NotebookSlm.Cli/NotebookSlm.Cli.csproj"; "-c"; "Release"; "--nologo"; "-v"; "q"
                           "-p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu.Linux"; "-p:UseArtifactsOutput=true"; $"-p:ArtifactsPath={gpuBuild}" ]
    let slmGpu arguments = run root [] "dotnet" (Path.Combine(gpuBuild, "bin", "NotebookSlm.Cli", "release", "slm.dll") :: arguments)
    let results = Path.Combine(root, "experiments", "results")
    slmGpu [ "bench"; "latency"; "--backends"; "onnx-cuda"; "--weights"; "fp32,int4"; "--examples"; "100"; "--out"; Path.Combine(results, "gpu-table2.json") ]
    for s in [ 128; 256; 512; 1024; 2048; 4096 ] do
        slmGpu [ "bench"; "latency"; "--backends"; "onnx-cuda"; "--input"; string s; "--examples"; "10"; "--out"; Path.Combine(results, $"gpu-figure1-input{s}.json") ]

/// Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in README.md.
let replaceSection (name: string) (content: string) =
    let path = Path.Combine(root, "README.md")
    let text = File.ReadAllText path
    let b, e = $"<!-- {name}:begin -->", $"<!-- {name}:end -->"
    let i, j = text.IndexOf b, text.IndexOf e
    if i < 0 || j < i then failwith $"README.md has no {b} ... {e} section"
    File.WriteAllText(path, text[.. i + b.Length - 1] + "\n" + content.TrimEnd() + "\n" + text[j..])

let capture (arguments: string list) =
    let psi = ProcessStartInfo("dotnet", Path.Combine(root, "src/NotebookSlm.Cli/bin/Release/net10.0/slm.dll") :: arguments,
                               RedirectStandardOutput = true, WorkingDirectory = root)
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then failwith $"slm {arguments} failed"
    out

/// "Measured by `command` at commit abc, profile full, on CPU (n cores)": the stamp of a results file.
let stampOf (doc: Text.Json.JsonElement) (command: string) =
    let run = doc.GetProperty "run"
    let machine = run.GetProperty "machine"
    $"""Measured by `{command}` at commit `{run.GetProperty("commit").GetString().[..9]}`, profile `{run.GetProperty("profile").GetString()}`, """
    + $"""on {machine.GetProperty("cpu").GetString()} ({machine.GetProperty("cores").GetInt32()} cores), {run.GetProperty("utc").GetString()}."""

let readResults (name: string) =
    let path = Path.Combine(root, "experiments", "results", name + ".json")
    if File.Exists path then Some(Text.Json.JsonDocument.Parse(File.ReadAllText path).RootElement) else None

let readme () =
    build ()
    replaceSection "presets" (capture [ "presets"; "--markdown" ])
    match readResults "bench-generate" with
    | Some doc ->
        let threads = doc.GetProperty("run").GetProperty("torch_threads").GetInt32()
        replaceSection "bench-generate" (doc.GetProperty("markdown").GetString() + "\n" + stampOf doc "dotnet fsi build.fsx bench" + $" {threads} torch threads, fp32.")
    | None -> ()
    match readResults "data" with
    | Some doc ->
        let r = doc.GetProperty "results"
        // One row per package: which corpora read it, under what licence.
        let packages = Collections.Generic.SortedDictionary<string, string * string * Collections.Generic.SortedSet<string>>(StringComparer.Ordinal)
        for c in r.GetProperty("corpora").EnumerateArray() do
            for s in c.GetProperty("sources").EnumerateArray() do
                let key = s.GetProperty("package").GetString()
                if not (packages.ContainsKey key) then
                    packages[key] <- (s.GetProperty("version").GetString(), s.GetProperty("licence").GetString(), Collections.Generic.SortedSet<string>())
                let _, _, users = packages[key]
                users.Add(c.GetProperty("name").GetString()) |> ignore
        let rows = [ for KeyValue(p, (v, l, users)) in packages -> $"""| `{p}` | {v} | {l} | {String.Join(", ", users)} |""" ]
        let buildTimes =
            [ for c in r.GetProperty("corpora").EnumerateArray() -> $"""{c.GetProperty("name").GetString()} {c.GetProperty("build_seconds").GetDouble():F0} s""" ]
        let tokenizer = r.GetProperty "tokenizer"
        let lines =
            [ r.GetProperty("markdown").GetString().TrimEnd()
              ""
              $"""Build times (recipes only, packages already installed): {String.Join(", ", buildTimes)}; """
              + $"""the {tokenizer.GetProperty("vocab").GetInt32()}-piece tokenizer trained in {tokenizer.GetProperty("train_seconds").GetDouble():F0} s. """
              + stampOf doc "dotnet fsi build.fsx data --profile full"
              ""
              "| package | version | licence | read by |"
              "|---|---|---|---|" ] @ rows
        replaceSection "data" (String.Join("\n", lines))
    | None -> ()
    match readResults "efficiency" with
    | Some doc ->
        let r = doc.GetProperty "results"
        let num (e: Text.Json.JsonElement) (path: string list) = (path |> List.fold (fun (x: Text.Json.JsonElement) p -> x.GetProperty p) e).GetDouble()
        let text (e: Text.Json.JsonElement) (k: string) = e.GetProperty(k).GetString()
        let rows = [ for x in r.GetProperty("table2").EnumerateArray() -> x ]
        let table =
            [ "| model | backend | weights | first token ms (mean / median / p90) | decode tok/s (mean / median / p90) | of bandwidth ceiling |"
              "|---|---|---|---:|---:|---:|" ]
            @ [ for x in rows ->
                  sprintf "| %s | %s | %s | %.0f / %.0f / %.0f | %.1f / %.1f / %.1f | %.0f%% |" (text x "preset") (text x "backend") (text x "weights")
                      (num x [ "first_token_ms"; "mean" ]) (num x [ "first_token_ms"; "median" ]) (num x [ "first_token_ms"; "p90" ])
                      (num x [ "decode_tokens_per_s"; "mean" ]) (num x [ "decode_tokens_per_s"; "median" ]) (num x [ "decode_tokens_per_s"; "p90" ])
                      (100.0 * num x [ "roofline"; "fraction_of_ceiling" ]) ]
        let ratio backend weights =
            let pick arch = rows |> List.find (fun x -> text x "architecture" = arch && text x "backend" = backend && text x "weights" = weights)
            let e, d = pick "EncoderDecoder", pick "DecoderOnly"
            sprintf "| %s %s | %.2fx | %.0f%% | %.2fx | %.0f%% |" backend weights
                (num e [ "decode_tokens_per_s"; "mean" ] / num d [ "decode_tokens_per_s"; "mean" ])
                (100.0 * (1.0 - num e [ "first_token_ms"; "mean" ] / num d [ "first_token_ms"; "mean" ]))
                (num d [ "roofline"; "bytes_per_token" ] / num e [ "roofline"; "bytes_per_token" ])
                (100.0 * (1.0 - num e [ "roofline"; "first_token_gflop" ] / num d [ "roofline"; "first_token_gflop" ]))
        let ratios =
            [ ""; "| encoder-decoder against decoder-only | throughput ratio | first-token reduction | predicted by bytes per token | fewer first-token FLOPs |"
              "|---|---:|---:|---:|---:|" ]
            @ [ for (b, w) in [ "OnnxCpu", "fp32"; "OnnxCpu", "int4"; "TorchSharp", "fp32" ] -> ratio b w ]
            @ [ "| paper, CPU (Snapdragon X Elite) | 3.8x | 29% | | |" ]
        let a = r.GetProperty "analytic"
        let claims =
            [ ""; "| claim (330M, analytic) | ours | paper |"; "|---|---:|---:|"
              sprintf "| inference memory saving, input 4096, batch 32, 256 tokens, fp32 | %.0f%% | 11-16%% |" (100.0 * num a [ "memory_fp32"; "saving" ])
              sprintf "| FLOPs to generate 256 tokens after 4096 input tokens, enc-dec / dec-only | %.0f%% | 78%% |" (100.0 * num a [ "generation_flops_share_4096_256" ])
              sprintf "| training FLOPs, 1024-token inputs, 256-token outputs, enc-dec / dec-only | %.0f%% | 42%% |" (100.0 * num a [ "training_flops_share_1024_256" ])
              sprintf "| training FLOPs gap, 4096-token inputs | %.1fx | 3.2x |" (num a [ "training_flops_gap_4096_256" ]) ]
        let machine = r.GetProperty "machine"
        let peaks = r.GetProperty "memory_summary"
        let memory =
            [ ""; "| measured peak memory (ONNX Runtime fp32) | batch | input | output | peak MiB | before generation MiB | analytic MiB (weights, caches, encoder states) |"
              "|---|---:|---:|---:|---:|---:|---:|" ]
            // The study writes the pair's peaks in its order: encoder-decoder, then decoder-only.
            @ [ for m, analytic in Seq.zip (r.GetProperty("memory").EnumerateArray()) [ "encoder_decoder_analytic_mib"; "decoder_only_analytic_mib" ] ->
                  sprintf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" (text m "preset") (num m [ "batch" ]) (num m [ "input_tokens" ]) (num m [ "output_tokens" ])
                      (num m [ "peak_mib" ]) (num m [ "baseline_mib" ]) (num peaks [ analytic ]) ]
            @ [ ""; sprintf "Measured at batch %.0f: the encoder-decoder peaks %.0f%% lower than the decoder-only (%.0f%% lower counting only what generation adds to the loaded process); the paper: 11-16%% at batch 32. Tried: %s."
                      (num peaks [ "batch" ]) (100.0 * num peaks [ "saving" ]) (100.0 * num peaks [ "saving_above_baseline" ])
                      (String.Join("; ", [ for t in peaks.GetProperty("tried").EnumerateArray() -> t.GetString() ])) ]
        let protocol = r.GetProperty "protocol"
        let stamp =
            [ ""; sprintf "Table 2 rows are means over %.0f examples for ONNX Runtime and %.0f for TorchSharp (the paper: %.0f); each row's bandwidth ceiling comes from a probe run right before it (read bandwidth %s GB/s)."
                      (num protocol [ "table2_examples" ]) (num protocol [ "table2_torchsharp_examples" ]) (num protocol [ "paper_examples" ])
                      (String.Join(", ", [ for p in r.GetProperty("table2_probes").EnumerateArray() -> sprintf "%.1f" (p.GetProperty("read_gb_per_s").GetDouble()) ]))
              ""; stampOf doc "dotnet fsi build.fsx efficiency --profile full"
              + sprintf " Machine ceilings: read bandwidth %.1f GB/s (best at %.0f read streams per thread), matmul %.0f GFLOP/s, %.0f threads."
                    (num machine [ "read_gb_per_s" ]) (num machine [ "read_streams" ]) (num machine [ "matmul_gflops" ]) (num machine [ "threads" ]) ]
        replaceSection "efficiency" (String.Join("\n", table @ ratios @ claims @ memory @ stamp))
    | None -> ()
    match readResults "npu" with
    | Some doc ->
        let num (e: Text.Json.JsonElement) (k: string) = e.GetProperty(k).GetDouble()
        let studies = [ for s in doc.GetProperty("results").GetProperty("studies").EnumerateArray() -> s ]
        let first = studies.Head
        let rows =
            [ "| model | quantization | weights MiB | top-1 agreement (forced) | greedy token agreement | mean relative logit error | CPU first token ms | CPU decode tok/s |"
              "|---|---|---:|---:|---:|---:|---:|---:|" ]
            @ [ for s in studies do
                  for v in s.GetProperty("variants").EnumerateArray() ->
                      sprintf "| %s | %s | %.0f | %.1f%% | %.1f%% | %.4f | %.0f | %.1f |" (s.GetProperty("preset").GetString()) (v.GetProperty("quantization").GetString())
                          (num v "weight_bytes" / 1048576.0) (100.0 * num v "top1_agreement_forced") (100.0 * num v "greedy_token_agreement")
                          (num v "mean_relative_logit_error") (v.GetProperty("first_token_ms").GetProperty("mean").GetDouble())
                          (v.GetProperty("decode_tokens_per_s").GetProperty("mean").GetDouble()) ]
        let stamp =
            [ ""; sprintf "Prompts of %.0f tokens (%.0f calibration, %.0f evaluation; %.0f quantization points in %s), %.0f output tokens timed; random weights. "
                      (num first "prompt_length") (num first "calibration_prompts") (num first "evaluation_prompts") (num first "quantization_points")
                      (first.GetProperty("preset").GetString()) (num first "output_tokens")
                  + stampOf doc "dotnet fsi build.fsx npu --profile full" ]
        replaceSection "npu" (String.Join("\n", rows @ stamp))
    | None -> ()
    match readResults "peer" with
    | Some doc ->
        let r = doc.GetProperty "results"
        let peer = r.GetProperty "peer"
        let lines =
            [ r.GetProperty("markdown").GetString().TrimEnd()
              ""
              sprintf "The bar (our fp32 decoder-only decode at least %.1fx llama.cpp's f32): %.2fx, %s. %s. "
                  (peer.GetProperty("bar").GetDouble()) (peer.GetProperty("bar_decode_ratio").GetDouble())
                  (if peer.GetProperty("bar_met").GetBoolean() then "met" else "NOT met") (r.GetProperty("note").GetString())
              + stampOf doc "dotnet fsi build.fsx peer --profile full" ]
        replaceSection "peer" (String.Join("\n", lines))
    | None -> ()
    printfn "README.md sections regenerated"

match args with
| "setup" :: _ -> setup ()
| "build" :: _ -> build ()
| "test" :: _ -> test ()
| "notebooks" :: _ -> (if not (flag "--no-build") then build ()); notebooks ()
| "quickstart" :: _ -> experiment "quickstart"
| "data" :: _ -> experiment "data"
| "efficiency" :: _ -> experiment "efficiency"
| "npu" :: _ -> experiment "npu"
| "bench" :: _ -> bench ()
| "peer" :: _ -> experiment "peer"
| "gpu" :: _ -> gpu ()
| "readme" :: _ -> readme ()
| _ ->
    eprintfn "usage: dotnet fsi build.fsx <setup|build|test|notebooks|quickstart|data|efficiency|npu|bench|peer|gpu|readme> [options]"
    exit 2
