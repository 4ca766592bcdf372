/// Helpers shared by the tests: seeded random inputs, tensor comparison, small models.
module NotebookSlm.Tests.Common

open System
open System.IO
open System.Diagnostics
open TorchSharp
open NotebookSlm.Models

let repoRoot =
    let rec up (d: DirectoryInfo) =
        if isNull d then failwith "NotebookSlm.sln not found above the test binary"
        elif File.Exists(Path.Combine(d.FullName, "NotebookSlm.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// Max absolute difference of two tensors (as float64).
let maxDiff (a: torch.Tensor) (b: torch.Tensor) =
    use d = (a.``to``(torch.ScalarType.Float64) - b.``to``(torch.ScalarType.Float64)).abs().max()
    d.item<double>()

/// Random token rows of the given lengths, ids in [4, vocab).
let randomRows (seed: int) (vocab: int) (lengths: int list) =
    let rng = Random seed
    lengths |> List.map (fun n -> Array.init n (fun _ -> rng.Next(4, vocab))) |> List.toArray

/// A model whose weights are drawn wide enough (std 0.5 instead of 0.02) that greedy
/// decoding produces varied tokens: equal token streams then mean something.
let spicedModel (config: ModelConfig) (seed: int64) =
    let m = LanguageModel.Create(config, seed)
    use _ = torch.no_grad()
    let gen = new torch.Generator(uint64 (seed + 1000L))
    for (name, p) in m.Module.named_parameters() do
        if not (name.EndsWith "ln1.weight" || name.EndsWith "ln2.weight" || name.EndsWith "ln3.weight"
                || name.Contains "ln_e" || name.Contains "ln_f") then
            p.normal_(0.0, 0.5, gen) |> ignore
    m.Module.eval()
    m

/// Runs a process to completion; returns exit code, stdout and stderr.
let runProcess (file: string) (args: string list) (cwd: string) (env: (string * string) list) (timeoutMs: int) =
    let psi = ProcessStartInfo(file, args, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd)
    for (k, v) in env do psi.Environment[k] <- v
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    if not (p.WaitForExit timeoutMs) then
        p.Kill true
        failwith $"{file} {String.Join(' ', args)} did not finish in {timeoutMs} ms"
    p.ExitCode, out.Result, err.Result

/// Runs this test binary again, as a child process in one of the child modes that Main.fs
/// lists (`NotebookSlm.Tests.dll --child NAME ARGS...`), and returns what it printed, trimmed.
/// For checks that need a fresh process: per-process hash seeds, process-wide state.
let runChild (name: string) (args: string list) =
    let dll = Reflection.Assembly.GetExecutingAssembly().Location
    let code, out, err = runProcess "dotnet" (dll :: "--child" :: name :: args) repoRoot [] 120000
    if code <> 0 then failwith $"child '{name}' exited with {code}: {err}"
    out.Trim()

/// The slm CLI built beside the tests (the test project references it).
let slm (args: string list) =
    let dll = Path.Combine(AppContext.BaseDirectory, "slm.dll")
    runProcess "dotnet" (dll :: args) repoRoot [] 600000

/// Runs f, expects an exception of type 'E whose message contains every fragment.
let expectError<'E when 'E :> exn> (f: unit -> unit) (fragments: string list) =
    let caught =
        try f (); None
        with e -> Some e
    match caught with
    | None -> failwith $"expected {typeof<'E>.Name}, nothing was thrown"
    | Some (:? 'E as e) -> for fr in fragments do Expecto.Expect.stringContains e.Message fr $"{typeof<'E>.Name} message"
    | Some e -> failwith $"expected {typeof<'E>.Name}, got {e.GetType().Name}: {e.Message}"

/// Runs f with libtorch's default device set to meta (shapes, no data) and restores the CPU.
/// Objects made before stay on the CPU; any tensor that code makes without naming a device
/// lands on meta and fails the first op that meets a CPU tensor, as it would on a GPU. So a
/// CPU-only test run checks that tensors follow the model's device.
let withMetaDefault (f: unit -> unit) =
    torch.set_default_device(torch.Device("meta"))
    try f () finally torch.set_default_device(torch.CPU)
