/// The layers of docs/architecture.md, checked on the built assemblies: which assembly may
/// reference which, and, inside the core library, which namespace may use which. A use is any
/// type a type names: base type, interfaces, fields, signatures, attributes, and every type,
/// method or field its method bodies refer to (read from the IL).
module NotebookSlm.Tests.Architecture.DependencyTests

open System
open System.Reflection
open System.Reflection.Emit
open Expecto

let private flags = BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Instance ||| BindingFlags.Static ||| BindingFlags.DeclaredOnly

/// One-byte and two-byte opcodes by value, to walk IL.
let private opcodes =
    let one, two = Array.zeroCreate<OpCode option> 256, Array.zeroCreate<OpCode option> 256
    for f in typeof<OpCodes>.GetFields(BindingFlags.Public ||| BindingFlags.Static) do
        let op = f.GetValue(null) :?> OpCode
        let v = uint16 op.Value
        if v < 0x100us then one[int v] <- Some op elif (v &&& 0xff00us) = 0xfe00us then two[int (v &&& 0xffus)] <- Some op
    one, two

let private operandSize (op: OpCode) (il: byte[]) (i: int) =
    match op.OperandType with
    | OperandType.InlineNone -> 0
    | OperandType.ShortInlineBrTarget | OperandType.ShortInlineI | OperandType.ShortInlineVar -> 1
    | OperandType.InlineVar -> 2
    | OperandType.InlineI8 | OperandType.InlineR -> 8
    | OperandType.InlineSwitch -> 4 + 4 * BitConverter.ToInt32(il, i)
    | _ -> 4

/// Every type a method body refers to through a token.
let private bodyTypes (m: MethodBase) =
    match (try m.GetMethodBody() with _ -> null) with
    | null -> []
    | body ->
        let il = body.GetILAsByteArray()
        let one, two = opcodes
        let typeArgs = if m.DeclaringType.IsGenericType then m.DeclaringType.GetGenericArguments() else null
        let methodArgs = if m.IsGenericMethod then m.GetGenericArguments() else null
        let found = Collections.Generic.List<Type>()
        let mutable i = 0
        while i < il.Length do
            let op =
                if il[i] = 0xFEuy then (i <- i + 2; two[int il[i - 1]]) else (i <- i + 1; one[int il[i - 1]])
            match op with
            | None -> i <- il.Length                                      // unknown byte: stop rather than misread
            | Some op ->
                match op.OperandType with
                | OperandType.InlineMethod | OperandType.InlineField | OperandType.InlineType | OperandType.InlineTok ->
                    let token = BitConverter.ToInt32(il, i)
                    match (try Some(m.Module.ResolveMember(token, typeArgs, methodArgs)) with _ -> None) with
                    | Some(:? Type as t) -> found.Add t
                    | Some mem when not (isNull mem.DeclaringType) -> found.Add mem.DeclaringType
                    | _ -> ()
                | _ -> ()
                i <- i + operandSize op il i
        List.ofSeq found

/// The namespaces (of this project's assemblies) that a type uses.
let usedNamespaces (t: Type) =
    let signature (m: MethodBase) =
        [ yield! m.GetParameters() |> Seq.map (fun p -> p.ParameterType)
          match m with :? MethodInfo as mi -> yield mi.ReturnType | _ -> () ]
    let rec unwrap (t: Type) : Type list =
        if isNull t then []
        elif t.HasElementType then unwrap (t.GetElementType())
        elif t.IsGenericType && not t.IsGenericTypeDefinition then t.GetGenericTypeDefinition() :: (t.GetGenericArguments() |> Seq.collect unwrap |> List.ofSeq)
        else [ t ]
    [ yield t.BaseType
      yield! t.GetInterfaces()
      yield! t.GetCustomAttributesData() |> Seq.map (fun a -> a.AttributeType)
      for f in t.GetFields flags -> f.FieldType
      for p in t.GetProperties flags -> p.PropertyType
      for m in t.GetMethods flags do yield! signature m; yield! bodyTypes m
      for c in t.GetConstructors flags do yield! signature c; yield! bodyTypes c ]
    |> List.collect unwrap
    |> List.choose (fun u -> if isNull u || isNull u.Namespace || not (u.Namespace.StartsWith "NotebookSlm") then None else Some u.Namespace)
    |> List.distinct

let core = typeof<NotebookSlm.Models.ModelConfig>.Assembly

/// (type, namespace it uses) for every type of the core library in namespace `from` (or below).
let usesFrom (from: string) =
    [ for t in core.GetTypes() do
        if not (isNull t.Namespace) && (t.Namespace = from || t.Namespace.StartsWith(from + ".")) then
            for ns in usedNamespaces t -> t.FullName, ns ]

let expectNone (from: string) (forbidden: string list) =
    let offending =
        usesFrom from |> List.filter (fun (_, ns) -> forbidden |> List.exists (fun f -> ns = f || ns.StartsWith(f + ".")))
    let shown = String.Join("; ", offending |> List.map (fun (t, ns) -> $"{t} uses {ns}"))
    Expect.isTrue offending.IsEmpty $"{from} may use none of {forbidden} (docs/architecture.md), but: {shown}"

[<Tests>]
let tests =
    testList "Architecture" [
        test "the scanner sees uses inside method bodies (a known one: Generation uses Models)" {
            let uses = usedNamespaces typeof<NotebookSlm.Generation.TorchDecoder>
            Expect.contains uses "NotebookSlm.Models" "TorchDecoder's body uses the models"
            Expect.isTrue (usesFrom "NotebookSlm.Export" |> List.exists (fun (_, ns) -> ns = "NotebookSlm.Generation")) "Export implements Generation's IDecoder"
        }

        test "the core library references neither the corpora, the Lab nor the CLI" {
            let refs = core.GetReferencedAssemblies() |> Array.map (fun a -> a.Name)
            for name in [ "NotebookSlm.Corpora"; "NotebookSlm.Lab"; "slm" ] do
                Expect.isFalse (Array.contains name refs) $"NotebookSlm references {name}"
            Expect.isEmpty [ for t in core.GetTypes() do if not (isNull t.Namespace) && t.Namespace.StartsWith "NotebookSlm.Corpora" then t.FullName ]
                "no corpus recipe lives in the core library"
        }

        test "the corpus recipes depend on the core library, never the reverse" {
            let corpora = typeof<NotebookSlm.Corpora.CorpusBuilder>.Assembly
            let refs = corpora.GetReferencedAssemblies() |> Array.map (fun a -> a.Name)
            Expect.contains refs "NotebookSlm" "Corpora builds on the core library"
            for name in [ "NotebookSlm.Lab"; "slm" ] do Expect.isFalse (Array.contains name refs) $"Corpora references {name}"
        }

        test "models never use export, benchmarks, the CLI or the corpora" {
            expectNone "NotebookSlm.Models" [ "NotebookSlm.Export"; "NotebookSlm.Benchmarks"; "NotebookSlm.Cli"; "NotebookSlm.Corpora"; "NotebookSlm.Generation" ]
        }

        test "data never uses the models, generation, export or benchmarks" {
            expectNone "NotebookSlm.Data" [ "NotebookSlm.Models"; "NotebookSlm.Generation"; "NotebookSlm.Export"; "NotebookSlm.Benchmarks"; "NotebookSlm.Evaluation" ]
        }

        test "evaluation uses only data and the foundations: no models, generation, export or benchmarks" {
            Expect.isTrue (usesFrom "NotebookSlm.Evaluation" |> List.exists (fun (_, ns) -> ns = "NotebookSlm.Data")) "the SQuAD metric reads Data's references"
            expectNone "NotebookSlm.Evaluation" [ "NotebookSlm.Models"; "NotebookSlm.Generation"; "NotebookSlm.Export"; "NotebookSlm.Benchmarks";
                                                 "NotebookSlm.Checkpoints"; "NotebookSlm.Accounting"; "NotebookSlm.Tokenization"; "NotebookSlm.Cli"; "NotebookSlm.Corpora" ]
        }

        test "generation never uses export or benchmarks; export never uses benchmarks" {
            expectNone "NotebookSlm.Generation" [ "NotebookSlm.Export"; "NotebookSlm.Benchmarks" ]
            expectNone "NotebookSlm.Export" [ "NotebookSlm.Benchmarks" ]
        }

        test "sweeps use only the foundations: a runner knows cells and processes, never models, training or data" {
            let forbidden = [ "NotebookSlm.Data"; "NotebookSlm.Models"; "NotebookSlm.Generation"; "NotebookSlm.Export"; "NotebookSlm.Benchmarks"
                              "NotebookSlm.Training"; "NotebookSlm.Tokenization"; "NotebookSlm.Checkpoints"; "NotebookSlm.Evaluation"; "NotebookSlm.Cli" ]
            expectNone "NotebookSlm.Sweeps" forbidden
        }

        test "the foundations (runtime, reporting, tokenization) use no layer above them" {
            let above = [ "NotebookSlm.Data"; "NotebookSlm.Models"; "NotebookSlm.Generation"; "NotebookSlm.Export"; "NotebookSlm.Benchmarks"; "NotebookSlm.Checkpoints"
                          "NotebookSlm.Accounting"; "NotebookSlm.Evaluation"; "NotebookSlm.Sweeps"; "NotebookSlm.Training" ]
            for ns in [ "NotebookSlm.Runtime"; "NotebookSlm.Reporting"; "NotebookSlm.Tokenization" ] do expectNone ns above
        }
    ]
