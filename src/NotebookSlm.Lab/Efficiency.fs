namespace NotebookSlm.Lab

open System
open System.IO
open System.Text.Json
open NotebookSlm.Accounting
open NotebookSlm.Benchmarks
open NotebookSlm.Export.Onnx
open NotebookSlm.Models

/// One point of Figure 1: time against input length.
type ScalingPoint = { Preset: string; Architecture: string; InputTokens: int; FirstTokenMs: float; DecodeTokensPerSecond: float; TotalMs: float; PredictedTotalMs: float }

/// The efficiency study: Table 2, Figure 1, memory and FLOPs claims on this machine.
module Efficiency =
    let private json = JsonSerializerOptions(WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)

    /// The pair compared: the paper's 330M 2/3-1/3 encoder-decoder and decoder-only (tiny in smoke).
    let pair () =
        Profile.pick (Presets.Tiny.EncDec2_3, Presets.Tiny.DecoderOnly) (Presets.Paper330M.EncDec2_3, Presets.Paper330M.DecoderOnly)

    let private log (s: string) = eprintfn "%s" s

    /// Examples per Table 2 row in the full profile: the paper's 100 for the ONNX Runtime rows
    /// (its Table 2 is ONNX); the TorchSharp rows, reported beside them, take 20 (11 s a
    /// decoder-only example on this CPU; with fixed lengths, greedy decoding and EOS ignored every
    /// example does the same arithmetic, and the p90 and spread are reported).
    let fullExamples = 100
    let fullTorchExamples = 20

    /// Table 2: every backend for both models; the paper's lengths in full, small in smoke. The
    /// machine's ceilings are probed again right before each row: on this VM the read bandwidth
    /// moved between 45 and 66 GB/s within one day, so each row's roofline uses its own probe
    /// (returned beside the rows).
    let table2 () =
        let encdec, deconly = pair ()
        let input, output = Profile.pick (128, 32) (512, 128)
        let root = Paths.artifacts "onnx"
        [ for config in [ encdec; deconly ] do
            for backend, weights in [ LatencyBackend.OnnxCpu, OnnxWeights.Fp32; LatencyBackend.OnnxCpu, OnnxWeights.Int4; LatencyBackend.TorchSharp, OnnxWeights.Fp32 ] ->
                let examples = Profile.pick 3 (if backend = LatencyBackend.TorchSharp then fullTorchExamples else fullExamples)
                let o = LatencyOptions(InputTokens = input, OutputTokens = output, Examples = examples, Weights = weights, ExportRoot = root)
                // Export first, so the probe sits right before the timed runs.
                if backend <> LatencyBackend.TorchSharp then Latency.ExportOnce(config, o, Action<string>(log)) |> ignore
                let probe = MachineProbe.Measure()
                log $"{config.Name} {backend} {weights}: read {probe.ReadGBps:F1} GB/s before the row"
                Latency.Run(config, backend, o, probe, Action<string>(fun s -> if s.Contains "example 1/" then log s)), probe ]

    /// Figure 1: first-token time, decode speed and total time for N tokens against input length
    /// (ONNX Runtime, fp32), with the analytic prediction from FLOPs and bytes on this machine.
    let scaling (machine: MachineCeilings) =
        let encdec, deconly = pair ()
        let lengths, output, examples = Profile.pick ([ 32; 64; 128 ], 16, 1) ([ 128; 256; 512; 1024; 2048; 4096 ], 128, 2)
        let root = Paths.artifacts "onnx"
        [ for config in [ encdec; deconly ] do
            for s in lengths ->
                let o = LatencyOptions(InputTokens = s, OutputTokens = output, Examples = examples, Warmup = 1, ExportRoot = root)
                let r = Latency.Run(config, LatencyBackend.OnnxCpu, o, machine, Action<string>(fun _ -> ()))
                log $"{config.Name} input {s}: first {r.FirstTokenMs.Mean:F0} ms, {r.DecodeTokensPerSecond.Mean:F1} tok/s"
                let cost = CostModel config
                let predicted =
                    cost.FirstTokenFlops s / (machine.MatmulGflops * 1e9) * 1000.0
                    + (Seq.sum [ for t in 1 .. output - 1 -> cost.BytesPerDecodedToken(s, t, 4.0, 4.0) ]) / (machine.BandwidthGBps * 1e9) * 1000.0
                { Preset = config.Name; Architecture = string config.Architecture; InputTokens = s
                  FirstTokenMs = r.FirstTokenMs.Mean; DecodeTokensPerSecond = r.DecodeTokensPerSecond.Mean
                  TotalMs = r.FirstTokenMs.Mean + float (output - 1) / r.DecodeTokensPerSecond.Mean * 1000.0
                  PredictedTotalMs = predicted } ]

    /// The analytic memory and FLOPs claims of sections 3.1 and 3.3 for the 330M pair.
    let analytic () =
        let encdec, deconly = Presets.Paper330M.EncDec2_3, Presets.Paper330M.DecoderOnly
        let e, d = CostModel encdec, CostModel deconly
        let memory bytes = {| encoder_decoder_bytes = e.InferenceBytes(32, 4096, 256, bytes); decoder_only_bytes = d.InferenceBytes(32, 4096, 256, bytes)
                              saving = 1.0 - float (e.InferenceBytes(32, 4096, 256, bytes)) / float (d.InferenceBytes(32, 4096, 256, bytes)) |}
        {| memory_fp32 = memory 4; memory_bf16 = memory 2
           generation_flops_share_4096_256 = e.GenerationFlops(4096, 256) / d.GenerationFlops(4096, 256)
           training_flops_share_1024_256 = e.TrainingStepFlops(1024, 256) / d.TrainingStepFlops(1024, 256)
           training_flops_gap_4096_256 = d.TrainingStepFlops(4096, 256) / e.TrainingStepFlops(4096, 256) |}

    /// Peak memory measured in a separate `slm bench memory` process per configuration, both
    /// models at the same batch: the paper's 32 first, then halves until both fit. Batch 32 at
    /// input 4096 prefills 131k tokens per model (about 20 minutes of this CPU for the pair) before
    /// 256 steps that each read the whole cache.
    let memoryBatches = Profile.pick [ 4 ] [ 32; 16; 8 ]

    /// Measured peaks of the pair at the largest batch tried that both hold, with the analytic
    /// estimate (weights, caches, encoder states) beside them, and what was tried.
    let memory () =
        let encdec, deconly = pair ()
        let input, output, batches = Profile.pick (256, 8, memoryBatches) (4096, 256, memoryBatches)
        let slm = Path.Combine(Paths.root.Value, "src", "NotebookSlm.Cli", "bin", "Release", "net10.0", "slm.dll")
        let runSlm (args: string list) =
            let r = NotebookSlm.Runtime.ProcessRunner.Run("dotnet", slm :: args, Paths.root.Value)
            r.ExitCode, r.Stdout, r.Stderr
        for config in [ encdec; deconly ] do
            // Export in its own process first, so the measuring process holds only ONNX Runtime.
            let rc, _, err = runSlm [ "export"; "onnx"; "--preset"; config.Name; "--weights"; "fp32"; "--out"; Path.Combine(Paths.artifacts "onnx", $"{config.Name}-fp32-seed1") ]
            if rc <> 0 then failwith $"export of {config.Name} failed: {err}"
        let tried = ResizeArray<string>()
        let measure (config: ModelConfig) b =
            log $"memory: {config.Name} batch {b}, input {input}, output {output}"
            let rc, out, err = runSlm [ "bench"; "memory"; "--preset"; config.Name; "--batch"; string b; "--input"; string input; "--output"; string output ]
            if rc = 0 then
                let m = JsonSerializer.Deserialize<MemoryResult>(out.Trim().Split('\n') |> Array.last)
                tried.Add $"{config.Name} batch {b}: {m.PeakMiB:F0} MiB"
                Some m
            else
                let why = if rc = 137 then "killed (out of memory)" else err.Trim().Split('\n') |> Array.last
                tried.Add $"{config.Name} batch {b}: failed, exit {rc}, {why}"
                log $"  {tried[tried.Count - 1]}"
                None
        let both =
            batches |> List.tryPick (fun b ->
                match measure encdec b with
                | Some e -> measure deconly b |> Option.map (fun d -> b, e, d)
                | None -> None)
        match both with
        | None -> failwith ("no batch size fitted both models: " + String.Join("; ", tried))
        | Some(b, e, d) ->
            let analytic (c: ModelConfig) = float ((CostModel c).InferenceBytes(b, input, output, 4)) / 1048576.0
            [ e; d ],
            {| batch = b
               saving = 1.0 - e.PeakMiB / d.PeakMiB
               saving_above_baseline = 1.0 - (e.PeakMiB - e.BaselineMiB) / (d.PeakMiB - d.BaselineMiB)
               encoder_decoder_analytic_mib = analytic encdec
               decoder_only_analytic_mib = analytic deconly
               tried = List.ofSeq tried |}

    /// Runs every part and writes the results file of this profile; returns its path.
    let run () =
        let machine = MachineProbe.Measure()
        log $"machine: read {machine.ReadGBps:F1} GB/s, triad {machine.TriadGBps:F1} GB/s, matmul {machine.MatmulGflops:F0} GFLOP/s"
        let rows = table2 ()
        let table = rows |> List.map fst
        let points = scaling machine
        let peaks, peakSummary = memory ()
        let encdec, deconly = pair ()
        Results.write "efficiency" machine.Threads
            {| pair = [ encdec.Name; deconly.Name ]
               table2_examples = Profile.pick 3 fullExamples; table2_torchsharp_examples = Profile.pick 3 fullTorchExamples
               memory_batches_tried = memoryBatches |}
            {| machine = machine; table2 = table; table2_probes = (rows |> List.map snd); figure1 = points
               memory = peaks; memory_summary = peakSummary; analytic = analytic () |}
