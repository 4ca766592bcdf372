module NotebookSlm.Tests.Benchmarks.LatencyTests

open Expecto
open NotebookSlm.Models
open NotebookSlm.Accounting
open NotebookSlm.Benchmarks
open NotebookSlm.Export.Onnx

[<Tests>]
let tests =
    testList "Latency harness" [
        test "peak memory reads /proc status lines both padded and past eight digits, and refuses others" {
            Expect.equal (PeakMemory.StatusKiB "VmHWM:\t  123456 kB") 123456L "padded"
            Expect.equal (PeakMemory.StatusKiB "VmHWM:\t19876543 kB") 19876543L "tab only (from 9.5 GiB)"
            Expect.throwsT<System.FormatException> (fun () -> PeakMemory.StatusKiB "VmHWM:\tlots" |> ignore) "malformed"
            Expect.isGreaterThan (PeakMemory.HighWaterMiB()) 0.0 "this process"
        }

        test "the roofline divides bandwidth by the bytes each decode step reads" {
            let machine = MachineCeilings(10.0, 10.0, 20.0, 100.0, 2, 256, 1)
            let c = Presets.Tiny.DecoderOnly
            let o = LatencyOptions(InputTokens = 64, OutputTokens = 2)
            let r = Latency.RooflineOf(c, OnnxWeights.Fp32, o, machine, 50.0, 100.0)
            let bytes = (CostModel c).BytesPerDecodedToken(64, 1, 4.0, 4.0)
            Expect.floatClose Accuracy.high r.BytesPerToken bytes "one step after the first"
            Expect.floatClose Accuracy.high r.CeilingTokensPerSecond (20e9 / bytes) "20 GB/s over the bytes"
            Expect.floatClose Accuracy.high r.FractionOfCeiling (100.0 / (20e9 / bytes)) "measured over ceiling"
            Expect.floatClose Accuracy.high r.ComputeFloorMs ((CostModel c).FirstTokenFlops 64 / 100e9 * 1000.0) "FLOPs at 100 GFLOP/s"
        }

        test "4-bit weights cost an eighth of fp32's bytes plus their scales" {
            Expect.floatClose Accuracy.high (Latency.WeightBytes OnnxWeights.Int4) (0.5 + 4.0 / 32.0) "int4"
            Expect.floatClose Accuracy.high (Latency.WeightBytes OnnxWeights.Int8) (1.0 + 4.0 / 32.0) "int8"
        }

        test "the machine probe reports positive bandwidth and throughput" {
            let m = MachineProbe.Measure(threads = 1, arrayMiB = 16, repeats = 2)
            Expect.isGreaterThan m.ReadGBps 0.1 "read"
            Expect.isGreaterThan m.TriadGBps 0.1 "triad"
            Expect.isGreaterThan m.MatmulGflops 0.1 "matmul"
            Expect.contains MachineProbe.ReadStreamCounts m.ReadStreams "the best read is one of the stream counts tried"
        }

        testProperty "the read probe reads every element once, whatever the number of streams" <| fun (len: uint16) (offset: byte) (streams: byte) ->
            let streams = 1 + int streams % 16
            let x = Array.init (int len + int offset) (fun i -> float32 (i % 7 + 1))
            let lo, hi = int64 offset, int64 (x.Length)
            let expected = Array.sum x[int lo ..]
            MachineProbe.Sum(x, lo, hi, streams) = expected

        test "a small latency run on ONNX Runtime measures every example" {
            let o = LatencyOptions(InputTokens = 16, OutputTokens = 4, Examples = 2, Warmup = 1, Threads = 1,
                                   ExportRoot = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lat-{System.Guid.NewGuid():N}"))
            let machine = MachineCeilings(10.0, 10.0, 20.0, 100.0, 1, 16, 1)
            let r = Latency.Run(Presets.Micro.DecoderOnly.With(headDim = 16, name = "micro-latency"), LatencyBackend.OnnxCpu, o, machine)
            Expect.equal r.Examples 2 "examples"
            Expect.isGreaterThan r.FirstTokenMs.Mean 0.0 "first token timed"
            Expect.isGreaterThan r.DecodeTokensPerSecond.Mean 0.0 "decode timed"
        }
    ]
