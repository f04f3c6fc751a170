"""One module per stage, plus the runner that orders them, checkpoints them and reports progress."""
