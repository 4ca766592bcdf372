module NotebookSlm.Tests.Data.ReaderTests
