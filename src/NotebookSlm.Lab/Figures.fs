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
        |> Chart.withYAxisStyle "ROUGE-L (mean over tasks, 0-100)"
        |> Chart.withTitle "Figure 2: performance across model scales, 2/3-1/3 enc-dec vs dec-only"
