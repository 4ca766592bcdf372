// Shared set-up for every experiment script and notebook: `#load "common.fsx"` (from
// experiments/) or `#load "../experiments/common.fsx"` (from notebooks/).
// It references the Release build of src/NotebookSlm.Lab (run `dotnet fsi build.fsx build`
// first; build.fsx does it for every target), so package versions come from
// Directory.Packages.props and are never restated here.

// Plotly.NET 6 is compiled against FSharp.Core 10.1; F# Interactive and the notebook kernel
// ship 10.0. Resolve the request to the FSharp.Core already loaded (docs/architecture.md, "Lab").
// This must run before any code that touches Plotly.NET or NotebookSlm.Lab is compiled,
// which is why it sits first in this file.
System.Runtime.Loader.AssemblyLoadContext.Default.add_Resolving(fun _ name ->
    if name.Name = "FSharp.Core" then typeof<list<int>>.Assembly else null)

#r "../src/NotebookSlm.Lab/bin/Release/net10.0/TorchSharp.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/NotebookSlm.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/NotebookSlm.Corpora.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/Newtonsoft.Json.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/DynamicObj.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/Giraffe.ViewEngine.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/Plotly.NET.dll"
#r "../src/NotebookSlm.Lab/bin/Release/net10.0/NotebookSlm.Lab.dll"

NotebookSlm.Runtime.TorchRuntime.EnsureLoaded()
