"""Decoding: the blog's reference loop, and greedy, beam and sampling searches.

A search runs over a step function `step(tokens, state) -> (log_probs, state)` from
an initial state, in one `tf.while_loop`; it knows no model. A `Strategy` (`Greedy`,
`BeamSearch`, `Sampling`) is a search with its options, what a saved model stores as
its default. Imports `text` and `config` only.
"""

from seq2seq_keras.decoding.beam import beam_search
from seq2seq_keras.decoding.loop import greedy_search, sample
from seq2seq_keras.decoding.reference import decode_sequence
from seq2seq_keras.decoding.strategies import BeamSearch, Greedy, Sampling, Strategy, get_strategy

__all__ = [
    "beam_search",
    "greedy_search",
    "sample",
    "decode_sequence",
    "BeamSearch",
    "Greedy",
    "Sampling",
    "Strategy",
    "get_strategy",
]
