"""`Seq2Seq`: a trained model as the searches see it, and the glue between the two.

A search (`seq2seq_keras.decoding`) knows no model: it runs a step function
`step(tokens (batch,), state) -> (log_probs (batch, vocab), state)` from an initial
state. This module makes both from a training model's inference graphs.
"""

from __future__ import annotations

import functools

import keras
import tensorflow as tf
from keras import ops

from seq2seq_keras.models.rnn import build_attention_model, build_inference_graphs
from seq2seq_keras.models.transformer import TransformerModel

__all__ = ["Seq2Seq", "encode", "make_step"]


def encode(encoder_model, source_ids, training=False, **options):
    """The decoder's initial state for a batch of source ids, as a tuple of tensors
    (`options`: keywords of the encoder model's call)."""
    return tuple(keras.tree.flatten(encoder_model(source_ids, training=training, **options)))


def make_step(decoder_model):
    """A step function over a decoder model `[tokens, *states] -> [probs, *states]`
    (the blog's; `models.Seq2Seq.log_probs` is the same over the logits).

    Returns:
        `step(tokens (batch,), state tuple) -> (log_probs (batch, vocab), state tuple)`.
    """

    def step(tokens, state):
        probabilities, *state = decoder_model([tokens[:, None], *state], training=False)
        return ops.log(probabilities[:, -1, :] + 1e-9), tuple(state)

    return step


class Seq2Seq:
    """A trained encoder-decoder as a search sees it: `encode` and `decode_step`.

    Over a training model of `build_training_model` (an LSTM or a Transformer, just
    trained or just loaded), with its inference graphs (`build_inference_graphs`),
    all sharing its weights:

    * `encode(source_ids (batch, time)) -> state`, a tuple of `(batch, ...)`
      tensors (`[h, c]`, then the attention memory; a Transformer's caches);
    * `decode_step(tokens (batch,), state) -> (logits (batch, vocab), state)`: one
      output position, the state of the next.

    `log_probs` is `decode_step` with a log-softmax: the step function of the
    searches (`decoding`, `decoding.strategies`). The blog's `encoder_model` and
    `decoder_model` (probabilities) are here too, for its loop and the lessons.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        (self.encoder_model, self.decoder_model, self.step_model,
         self._aligned_model) = build_inference_graphs(model)
        self._shapes = isinstance(model, TransformerModel)  # takes `fixed_shapes`

    def _options(self, fixed_shapes: bool) -> dict:
        return {"fixed_shapes": fixed_shapes} if self._shapes else {}

    def encode(self, source_ids, training=False, fixed_shapes: bool = False) -> tuple:
        """The decoder's initial state for a batch of source ids, as a tuple.

        `fixed_shapes=True`: a state whose shapes every step keeps, as XLA needs (a
        Transformer's caches preallocated; an LSTM's state is so anyway)."""
        return encode(self.encoder_model, source_ids, training,
                               **self._options(fixed_shapes))

    def decode_step(self, tokens, state, fixed_shapes: bool = False):
        """`(logits (batch, vocab), state)` after feeding `tokens (batch,)`
        (`fixed_shapes` as the `encode` that made the state)."""
        logits, *state = self.step_model([tokens[:, None], *state], training=False,
                                         **self._options(fixed_shapes))
        return logits[:, -1, :], tuple(state)

    def log_probs(self, tokens, state, fixed_shapes: bool = False):
        """`decode_step` as log-probabilities: `log_softmax` of the logits."""
        logits, state = self.decode_step(tokens, state, fixed_shapes)
        return ops.log_softmax(logits, axis=-1), state

    def aligned_log_probs(self, tokens, state):
        """`log_probs` and, per row, the source position the attention weighed most
        (int32 `(batch,)`): a search's step with `aligned=True` (`decoding`), whose
        alignment history `[UNK]` repair reads. An LSTM with attention only."""
        if self._aligned_model is None:
            raise ValueError("only an LSTM model with attention aligns its outputs")
        logits, *state, aligned = self._aligned_model([tokens[:, None], *state],
                                                      training=False)
        return ops.log_softmax(logits[:, -1, :], axis=-1), tuple(state), aligned[:, -1]

    @functools.cached_property
    def attention_model(self) -> keras.Model:
        """`build_attention_model` of this model, built once."""
        return build_attention_model(self.model)

    @functools.cached_property
    def attention(self):
        """`attention_model` in one `tf.function`, traced once for every batch size and
        length: `attention([source_ids, target_ids]) -> weights (batch, target time,
        source time)` (int32 ids; an eager call per batch costs about 4x as much)."""
        model, spec = self.attention_model, tf.TensorSpec([None, None], tf.int32)
        return tf.function(lambda inputs: model(inputs, training=False),
                           input_signature=[[spec, spec]])
