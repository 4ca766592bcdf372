module NotebookSlm.Tests.Data.TaskCorpusTests
