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
//   training     pretraining both architectures on edu-local, Muon against AdamW, BF16, fine-tuning and scores (--profile smoke|full)
//   split-ratio  Table 1's Seq2Seq rows and Figure 2 as sweeps (--profile smoke|full, --runner local|slurm)
//   kd-ablation  Figure 5 and Table 1's KD rows as sweeps of distillation cells (--profile smoke|full, --runner local|slurm)
//   bench-train  the training step: tokens/s, MFU against the matmul peak, memory, BF16 against fp32 (--profile smoke|full)
//   gpu          every GPU measurement at once (Table 2 and Figure 1 on ONNX Runtime's CUDA provider),
//                for a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9
//   readme       regenerate the README sections that are produced by code (--check: report only;
//                fails when a results file is missing or older than the code that produces it)
//
// A plain F# script rather than FAKE (FAKE 6.2 does not restore here without pins and a
// hand-made execution context): every target is a function.

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
        // Chromium renders Plotly charts to PNG, headless (Lab.Charts.savePng).
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
    run root [ ("NOTEBOOKSLM_PROFILE", profile); ("NOTEBOOKSLM_ROOT", root); ("NOTEBOOKSLM_RUNNER", option "--runner" "local") ]
        "dotnet" [ "fsi"; Path.Combine(root, "experiments", name + ".fsx") ]

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

/// The README's generated sections, rendered by NotebookSlm.Lab from experiments/results
/// (experiments/readme.fsx); `--check` reports without writing. Fails on missing or stale results.
let readme () =
    build ()
    run root [ ("NOTEBOOKSLM_ROOT", root) ] "dotnet" ([ "fsi"; Path.Combine(root, "experiments", "readme.fsx") ] @ (if flag "--check" then [ "--check" ] else []))

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
| "bench-train" :: _ -> experiment "bench-train"
| "training" :: _ -> experiment "training"
| "split-ratio" :: _ -> experiment "split-ratio"
| "kd-ablation" :: _ -> experiment "kd-ablation"
| "gpu" :: _ -> gpu ()
| "readme" :: _ -> readme ()
| _ ->
    eprintfn "usage: dotnet fsi build.fsx <setup|build|test|notebooks|quickstart|data|efficiency|npu|bench|bench-train|training|split-ratio|kd-ablation|peer|gpu|readme> [options]"
    exit 2
