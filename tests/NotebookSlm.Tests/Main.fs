module NotebookSlm.Tests.Main

open Expecto
open Expecto.Impl

/// Child modes: `NotebookSlm.Tests.dll --child NAME ARGS...` runs the named action, which
/// prints its result, and exits with the action's code before libtorch loads or Expecto
/// starts. Tests start them through Common.runChild when they need another process; a new
/// check adds its action here. An action that needs libtorch calls TorchRuntime.EnsureLoaded.
let children : Map<string, string list -> int> =
    Map [ "batch-order", NotebookSlm.Tests.Data.BatchingTests.printBatchOrder ]

let runChild (name: string) (args: string list) =
    match children.TryFind name with
    | Some action -> action args
    | None ->
        eprintfn "unknown child mode '%s'; known: %s" name (String.concat ", " children.Keys)
        2

let runTests (argv: string[]) =
    NotebookSlm.Runtime.TorchRuntime.EnsureLoaded()
    let mutable counts = 0, 0
    let mutable skipped = []
    let record =
        SummaryHandler(fun s ->
            counts <- s.passed.Length, s.failed.Length + s.errored.Length
            skipped <- [ for t, r in s.ignored -> t.name, (match r.result with Ignored why -> why | _ -> "") ])
    // Sequenced: libtorch's thread pool and its global RNG are shared by every test.
    let rc = runTestsInAssemblyWithCLIArgs [ Sequenced; No_Spinner; Append_Summary_Handler record ] argv
    // CI reads this closing line (Expecto prints no such line by itself).
    // Expecto's own summary ends mid-line with colour codes: start a fresh line first.
    // Expecto swaps Console.Out for a writer that pads lines for its progress display;
    // write the closing line to the raw stdout stream so that it stands alone.
    System.Console.Out.Flush()
    use raw = System.Console.OpenStandardOutput()
    // Skipped tests (the Slurm ones where the daemons cannot start) say why, above the count.
    let skips = String.concat "" [ for name, why in skipped -> "skipped: " + String.concat " / " name + ": " + why + "\n" ]
    let line = System.Text.Encoding.UTF8.GetBytes($"\n{skips}{fst counts} passed, {snd counts} failed\n")
    raw.Write(line, 0, line.Length)
    raw.Flush()
    rc

[<EntryPoint>]
let main argv =
    match List.ofArray argv with
    | "--child" :: name :: args -> runChild name args
    | _ -> runTests argv
