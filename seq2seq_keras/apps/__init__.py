"""Apps: the command line, the interactive prompt and stream, the benchmark, and the
filter of TensorFlow's start-up logs.

The top layer: it may import everything. Nothing is imported here, so that
`seq2seq-keras --help` starts without TensorFlow.
"""
