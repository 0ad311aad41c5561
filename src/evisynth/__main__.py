from evisynth.cli.main import run

run()
