// Pretraining and fine-tuning both architectures (paper 3.3; issue 10 points 9 and 10):
// `dotnet fsi build.fsx training [--profile full]`.
//
// The tiny 2/3-1/3 encoder-decoder pretrains on edu-local with T5 span corruption and the tiny
// decoder-only with causal LM over the same documents, at equal training tokens, both with
// Muon in fp32; the encoder-decoder runs again with AdamW and in BF16. Each Muon model is then
// fine-tuned on qa-local and scored on its validation split (ROUGE and SQuAD 2.0 EM/F1).
// Results go to experiments/results/training.json (full); notebooks/02-training.ipynb draws
// the curves.

#load "common.fsx"

open NotebookSlm.Lab

let path = TrainingStudy.run ()
printfn "%s\nwrote %s" (Report.text (Render.Training.blocks (Results.read "training"))) path
