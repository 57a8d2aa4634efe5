"""Taking a run home: as files (`run_files`: settings, weights, history) and as a standalone
PyTorch script that trains it again (`script`)."""
