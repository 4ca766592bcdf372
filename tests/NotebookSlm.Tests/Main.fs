module NotebookSlm.Tests.Main

open Expecto
open Expecto.Impl

[<EntryPoint>]
let main argv =
    NotebookSlm.Runtime.TorchRuntime.EnsureLoaded()
    let mutable counts = 0, 0
    let record = SummaryHandler(fun s -> counts <- s.passed.Length, s.failed.Length + s.errored.Length)
    // Sequenced: libtorch's thread pool and its global RNG are shared by every test.
    let rc = runTestsInAssemblyWithCLIArgs [ Sequenced; No_Spinner; Append_Summary_Handler record ] argv
    // CI reads this closing line (Expecto prints no such line by itself).
    // Expecto's own summary ends mid-line with colour codes: start a fresh line first.
    // Expecto swaps Console.Out for a writer that pads lines for its progress display;
    // write the closing line to the raw stdout stream so that it stands alone.
    System.Console.Out.Flush()
    use raw = System.Console.OpenStandardOutput()
    let line = System.Text.Encoding.UTF8.GetBytes($"\n{fst counts} passed, {snd counts} failed\n")
    raw.Write(line, 0, line.Length)
    raw.Flush()
    rc
