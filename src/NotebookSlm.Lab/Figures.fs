namespace NotebookSlm.Lab

open Plotly.NET
open NotebookSlm.Reporting
open NotebookSlm.Lab.Json

/// The paper's figures drawn from committed results files (the studies' own charts, such as
/// training curves, live with the studies).
module Figures =
    /// Figure 2 in the paper's style: the score of the two leading architectures (2/3-1/3
    /// encoder-decoder, decoder-only) against model size, one line each.
    let figure2 (d: ResultsDocument) =
        let points = items d.Results [ "figure2" ]
        [ for preset, name in [ "tiny-encdec-2_3", "Enc-Dec 2/3-1/3 (Seq2Seq)"; "tiny-deconly", "Dec-only (Seq2Seq)" ] ->
            let mine = points |> List.filter (fun p -> text p [ "preset" ] = preset) |> List.sortBy (fun p -> num p [ "parameters" ])
            Chart.Line(x = [ for p in mine -> num p [ "parameters" ] / 1e6 ], y = [ for p in mine -> num p [ "rouge_l" ] ], Name = name, ShowMarkers = true) ]
        |> Chart.combine
        |> Chart.withXAxisStyle "parameters (M)"
        |> Chart.withYAxisStyle (sprintf "ROUGE-L on %s (0-100)" (text d.Parameters [ "sizes"; "ladder_task" ]))
        |> Chart.withTitle "Figure 2: performance across model scales, 2/3-1/3 enc-dec vs dec-only"

    /// Figure 5 in the paper's style: the student's score against alpha, one line per divergence and
    /// target source (alpha 0, plain fine-tuning, starts every line), error bars one std over seeds.
    let figure5 (d: ResultsDocument) =
        let points = items d.Results [ "figure5" ] |> List.filter (fun p -> text p [ "size" ] = "tiny")
        let baseline = points |> List.tryFind (fun p -> num p [ "alpha" ] = 0.0)
        let lines = points |> List.filter (fun p -> num p [ "alpha" ] > 0.0) |> List.groupBy (fun p -> text p [ "divergence" ], text p [ "targets" ])
        [ for (divergence, targets), ps in lines ->
            let ps = (Option.toList baseline @ ps) |> List.sortBy (fun p -> num p [ "alpha" ])
            Chart.Line(x = [ for p in ps -> num p [ "alpha" ] ], y = [ for p in ps -> num p [ "rouge_l"; "mean" ] ], Name = $"{divergence}, {targets} targets", ShowMarkers = true)
            |> Chart.withYErrorStyle (Array = [ for p in ps -> num p [ "rouge_l"; "std" ] ]) ]
        |> Chart.combine
        |> Chart.withXAxisStyle "alpha (weight of the KD term)"
        |> Chart.withYAxisStyle "ROUGE-L on qa-local (0-100)"
        |> Chart.withTitle "Figure 5: KD variants on the 2/3-1/3 student"
