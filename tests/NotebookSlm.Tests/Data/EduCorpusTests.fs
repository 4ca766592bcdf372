module NotebookSlm.Tests.Data.EduCorpusTests
