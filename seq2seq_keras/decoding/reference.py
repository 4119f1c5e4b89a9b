"""The classic example's decoding loop: one `decoder_model.predict` per output token.

Easy to read and slow (each `predict` call costs about 50 ms of fixed overhead): the
reference that the compiled searches (`loop`, `decoding.beam`) must equal, token for token.
"""

from __future__ import annotations

import keras
import numpy as np

from seq2seq_keras.text.vocabulary import END_ID, START_ID

__all__ = ["decode_sequence"]


def decode_sequence(encoder_model, decoder_model, source_ids, max_length):
    """The classic example's decoding loop, for one sentence.

    Args:
        encoder_model: `source (1, time) -> state` (a list: `[h, c]` in the blog;
            see `models.build_inference_models`).
        decoder_model: `[token (1, 1), *state] -> [probabilities (1, 1, vocab), *state]`.
        source_ids: the source sentence's ids, a 1-D sequence.
        max_length: stop after this many tokens if `[END]` never comes.

    Returns:
        The output ids, without `[START]` and `[END]`.
    """
    states = keras.tree.flatten(encoder_model.predict(np.asarray([source_ids], dtype="int32"),
                                            verbose=0))
    token = START_ID
    output = []
    while len(output) < max_length:
        probabilities, *states = decoder_model.predict(
            [np.array([[token]], dtype="int32"), *states], verbose=0)
        token = int(np.argmax(probabilities[0, -1]))
        if token == END_ID:
            break
        output.append(token)
    return output
