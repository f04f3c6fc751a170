"""`python -m polydub`: the same command line as `polydub`."""

from polydub.cli import app

app(prog_name="polydub")
