module NotebookSlm.Tests.Runtime.TorchRuntimeTests

open System.IO
open Expecto
open NotebookSlm.Runtime
open NotebookSlm.Tests.Common

[<Tests>]
let tests =
    testList "TorchSharp runtime" [
        test "a fresh process loads libtorch and computes a tensor" {
            let rc, out, err = slm [ "doctor" ]
            Expect.equal rc 0 $"slm doctor failed: {err}"
            // x = arange(6).reshape(2, 3): x x^T = [[5, 14], [14, 50]], summing to 83.
            Expect.stringContains out "is 83" "the tensor result"
        }

        test "the ELF patch weakens exactly the requested version and nothing else" {
            let sharpDir = TorchRuntime.NativeFolders.LibTorchSharp
            let bytes = File.ReadAllBytes(Path.Combine(sharpDir, "libLibTorchSharp.so"))
            let before = ElfVersionPatch.RequiredVersions bytes
            let target = before |> Seq.tryFind (fun r -> r.Version = "GLIBCXX_3.4.32")
            Expect.isSome target "TorchSharp 0.107 requires GLIBCXX_3.4.32"
            Expect.equal (target.Value.Flags &&& 2us) 0us "not weak in the package"
            Expect.equal (ElfVersionPatch.MarkWeak(bytes, "GLIBCXX_3.4.32")) 1 "one entry changed"
            let after = ElfVersionPatch.RequiredVersions bytes
            for (b, a) in Seq.zip before after do
                if b.Version = "GLIBCXX_3.4.32" then Expect.equal a.Flags (b.Flags ||| 2us) "now weak"
                else Expect.equal a.Flags b.Flags $"{b.Version} untouched"
            Expect.equal (ElfVersionPatch.MarkWeak(bytes, "GLIBCXX_3.4.32")) 0 "idempotent"
        }

        test "a non-ELF file is rejected with a clear error" {
            Expect.throwsT<InvalidDataException> (fun () -> ElfVersionPatch.RequiredVersions(Array.zeroCreate 100) |> ignore) "not ELF"
        }

        test "nothing is written into the NuGet package folder" {
            let torchDir, sharpDir = TorchRuntime.NativeFolders.LibTorch, TorchRuntime.NativeFolders.LibTorchSharp
            // TorchSharp's own fallback would consolidate ~500 MB into lib/<tfm>/cpu beside TorchSharp.dll.
            let libDir = Path.GetFullPath(Path.Combine(sharpDir, "..", "..", "..", "lib"))
            if Directory.Exists libDir then
                for tfm in Directory.GetDirectories libDir do
                    Expect.isFalse (Directory.Exists(Path.Combine(tfm, "cpu"))) $"{tfm}/cpu must not exist"
            Expect.isTrue (File.Exists(Path.Combine(torchDir, "libtorch_cpu.so"))) "libtorch located"
        }
    ]
