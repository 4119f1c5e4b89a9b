"""The `seq2seq-keras` command line: argument parsing only; the library does the work.

    seq2seq-keras train --preset blog_char --output runs/blog_char
    seq2seq-keras translate "Go." "I am cold."
    echo "Thank you." | seq2seq-keras translate --model runs/blog_char
    seq2seq-keras serve --model transformer --model en_fr    # http://127.0.0.1:8501/

Nothing here imports TensorFlow at module level: `main` first sets up the filter
that keeps TensorFlow's start-up noise off stderr (`apps.tf_logs`), then each command
imports what it needs.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys

from seq2seq_keras import __version__

# A light module (no TensorFlow): the default that --help shows.
from seq2seq_keras.pretrained import NAMES, model_path

__all__ = ["main", "build_parser"]


def _train(args) -> int:
    from seq2seq_keras.presets import get_preset
    from seq2seq_keras.training.train import train

    overrides = {"data": args.data, "num_pairs": args.num_pairs, "epochs": args.epochs,
                 "seed": args.seed, "units": args.units, "batch_size": args.batch_size}
    # Options left unset keep the preset's value; --set changes any Config field.
    overrides = {key: value for key, value in overrides.items() if value is not None}
    for assignment in args.set:
        key, equals, value = assignment.partition("=")
        if not equals:
            raise ValueError(f"--set takes FIELD=VALUE, got {assignment!r}")
        try:
            overrides[key] = json.loads(value)
        except ValueError:  # not JSON (or a number too long to read)
            overrides[key] = value  # a bare string: --set cell=gru
    config = get_preset(args.preset).replace(**overrides)
    result = train(config, args.output, skip_malformed=args.skip_malformed,
                   verbose=args.verbose, distribution=args.distribution, init_from=args.init_from,
                   restart=args.restart)
    print(f"saved to {args.output}")
    for key, value in result.metrics.items():
        print(f"  {key}: {value}")
    return 0


def _average(args) -> int:
    import os
    import shutil

    from seq2seq_keras.training.callbacks import checkpoint_paths
    from seq2seq_keras.training.train import average_checkpoints
    from seq2seq_keras.translation.translator import Translator

    paths = checkpoint_paths(os.path.join(args.model, "checkpoints"))[-args.last:]
    if len(paths) < args.last:
        raise ValueError(f"{args.model}/checkpoints holds {len(paths)} epoch checkpoints, "
                         f"fewer than --last {args.last}")
    translator = Translator.load(args.model)
    average_checkpoints(translator.model, paths)
    translator.save(args.output, half_precision=args.half_precision)
    # The run's logs travel with its weights: the averaged model is that run's.
    for name in ("history.json", "metrics.json", "training_log.csv"):
        if os.path.isfile(os.path.join(args.model, name)):
            shutil.copyfile(os.path.join(args.model, name), os.path.join(args.output, name))
    print(f"the mean of {', '.join(os.path.basename(p) for p in paths)} saved to "
          f"{args.output}")
    return 0


BEAM_WIDTH_HELP = ("1: greedy search (fastest); N > 1: beam search of width N (better); "
                   "default (None): the model's own decoding strategy, stored with it "
                   "(shipped models: beam search, width 4)")
KEEP_UNKNOWN_HELP = ("show the model's [UNK] words instead of replacing them through the "
                     "attention and the lexicon (or dropping them)")


def _translate(args) -> int:
    from seq2seq_keras.apps.interactive import read_lines, repl, translate_stream

    if args.engine == "ctranslate2":
        from seq2seq_keras.translation.ctranslate2 import CTranslate2Translator

        translator = CTranslate2Translator(args.model)
    else:
        from seq2seq_keras.translation.translator import load_translator

        translator = load_translator(args.model)
    strategy = translator.resolve_strategy(beam_width=args.beam_width)
    if not args.sentences and sys.stdin.isatty() and not args.json:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        return repl(translator, strategy=strategy)
    # One output line per input line, always; notes and refusals go to stderr.
    return translate_stream(
        translator, args.sentences or (read_lines(sys.stdin.buffer)
                                       if hasattr(sys.stdin, "buffer") else sys.stdin),
        write=functools.partial(print, flush=True),
        note=functools.partial(print, file=sys.stderr),
        progress=args.stderr if args.stderr.isatty() and not args.sentences else None,
        batch_size=args.batch_size, strategy=strategy,
        replace_unknown=not args.keep_unknown, as_json=args.json)


def _evaluate(args) -> int:
    from seq2seq_keras.decoding.strategies import BeamSearch
    from seq2seq_keras.translation.evaluation import evaluate_translator, split_references
    from seq2seq_keras.translation.translator import load_translator

    translator = load_translator(args.model)
    references = split_references(translator.config, args.split)
    if args.max_sentences:
        references = dict(list(references.items())[: args.max_sentences])
    options = {key: value for key, value in (("alpha", args.alpha),
                                             ("drop_penalty", args.drop_penalty))
               if value is not None}
    strategy = translator.resolve_strategy(beam_width=args.beam_width, **options)
    beam, replace = isinstance(strategy, BeamSearch), not args.keep_unknown
    result = evaluate_translator(translator, references, batch_size=args.batch_size,
                                 strategy=strategy, replace_unknown=replace,
                                 input_style=args.input)
    summary = {"model": args.model, "split": args.split, "input": args.input,
               "beam_width": strategy.beam_width if beam else 1,
               "alpha": strategy.alpha if beam else None, "replace_unknown": replace,
               "drop_penalty": strategy.drop_penalty if beam and replace else None,
               "strategy": strategy.get_config(),
               "skipped_too_long": len(references) - result.sentences, **result.summary()}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    if args.hypotheses:
        with open(args.hypotheses, "w", encoding="utf-8") as handle:
            handle.writelines(h + "\n" for h in result.hypotheses)
    return 0


def _bench(args) -> int:
    from seq2seq_keras.apps.benchmark import (
        export_speed,
        format_export_table,
        format_table,
        run_benchmark,
    )
    from seq2seq_keras.translation.evaluation import split_references
    from seq2seq_keras.translation.translator import load_translator

    translator = load_translator(args.model)
    if args.ctranslate2:
        from seq2seq_keras.apps.benchmark import compare_engines, format_engine_table
        from seq2seq_keras.translation.ctranslate2 import require_ctranslate2

        require_ctranslate2()
        references = split_references(translator.config, "test")
        sources = [s for s in references if translator.fits(s)]
        result = compare_engines(translator, sources, [references[s] for s in sources],
                                 args.ctranslate2, sentences=args.sentences,
                                 one_by_one=args.reference_sentences,
                                 beam_width=args.beam_width,
                                 threads=((args.threads, 1), (1, args.threads))
                                 if args.threads > 1 else ((1, 1),))
        print(json.dumps(result, indent=1) if args.json else format_engine_table(result))
        return 0
    sentences = [s for s in split_references(translator.config, "test") if translator.fits(s)]
    rows = run_benchmark(translator, sentences[: args.sentences],
                         reference_sentences=args.reference_sentences,
                         beam_width=args.beam_width)
    print(json.dumps(rows, indent=1) if args.json else format_table(rows))
    if args.export:
        rows = export_speed(translator, sentences[: args.sentences])
        print(json.dumps(rows, indent=1) if args.json else "\n" + format_export_table(rows))
    return 0


def _export(args) -> int:
    from seq2seq_keras.translation.translator import load_translator

    if args.format == "ctranslate2":
        from seq2seq_keras.translation.ctranslate2 import (
            export_ctranslate2,
            require_ctranslate2,
        )

        require_ctranslate2()  # before the model loads: the missing extra is the error
        quantization = args.quantization or "float32"
        export_ctranslate2(load_translator(args.model), args.output, quantization)
        print(f"CTranslate2 model ({quantization} weights) written to {args.output}; "
              f"translate with: seq2seq-keras translate --engine ctranslate2 --model "
              f"{args.output}")
        return 0
    if args.quantization is not None:
        raise ValueError(f"--quantization is for --format ctranslate2, got --quantization "
                         f"{args.quantization} with --format {args.format}")
    from seq2seq_keras.translation.export import export_translator

    export_translator(load_translator(args.model), args.output)
    print(f"SavedModel written to {args.output} (signature serving_default: "
          "inputs [None] tf.string -> outputs [None] tf.string)")
    return 0


def _lexicon(args) -> int:
    from seq2seq_keras.data.datasets import load_splits
    from seq2seq_keras.training.lexicon import learn_lexicon
    from seq2seq_keras.training.saving import save_lexicon
    from seq2seq_keras.translation.translator import load_translator

    translator = load_translator(args.model)
    if not translator.replaces_unknown:
        raise ValueError(f"a lexicon is for word-level models with attention; {args.model} "
                         f"is {translator.config.level} level "
                         f"({translator.config.network_summary()})")
    lexicon = learn_lexicon(load_splits(translator.config).train, translator.source_vocab,
                            translator.target_vocab, translator.seq2seq.attention)
    save_lexicon(args.model, lexicon)
    print(f"{len(lexicon)} English words paired with a French word outside the vocabulary; "
          f"written to {args.model}")
    return 0


def _serve(args) -> int:
    try:
        from seq2seq_keras.apps.serve import serve
    except ModuleNotFoundError as error:
        if error.name not in ("starlette", "uvicorn"):
            raise
        raise ValueError(f"serve needs {error.name}, which is not installed: "
                         "pip install 'seq2seq-keras[serve]'") from None

    if args.max_wait_ms < 0:
        raise ValueError(f"--max-wait-ms must be >= 0, got {args.max_wait_ms}")
    return serve(args.model or [model_path()], host=args.host, port=args.port,
                 max_batch=args.max_batch, max_wait=args.max_wait_ms / 1000,
                 max_queue=args.max_queue, access_log=args.access_log,
                 note=functools.partial(print, file=args.stderr, flush=True))


def _command(commands, name, help, run, model=False):
    """A subcommand with defaults in its help, and `--model` if it reads a model."""
    command = commands.add_parser(name, help=help,
                                  formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    command.set_defaults(run=run)
    if model:
        command.add_argument("--model", default=model_path(), type=model_path,
                             help="a folder written by `train`, or a shipped model's name "
                             f"({', '.join(NAMES)}); the default is the shipped Transformer")
    return command


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: one subcommand per task, defaults in their help."""
    parser = argparse.ArgumentParser(
        prog="seq2seq-keras", description="LSTM encoder-decoder translation, English to French.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--tf-logs", action="store_true",
                        help="keep TensorFlow's start-up log lines on stderr (also: "
                        "SEQ2SEQ_KERAS_TF_LOGS=1)")
    commands = parser.add_subparsers(dest="command", required=True)

    train = _command(commands, "train", "train a model from a preset and save it", _train)
    train.add_argument("--preset", default="blog_char", help="a preset of presets.PRESETS")
    train.add_argument("--output", required=True, help="folder for the trained model")
    train.add_argument("--data", help="a manythings-format corpus (.txt or .txt.gz), or "
                       "tfds:NAME/CONFIG (a TensorFlow Datasets translation dataset); "
                       "default: the shipped data/fra-eng")
    train.add_argument("--num-pairs", type=int, help="use the first N pairs (preset's if unset)")
    train.add_argument("--epochs", type=int, help="maximum epochs (preset's if unset)")
    train.add_argument("--seed", type=int, help="training seed (preset's if unset)")
    train.add_argument("--units", type=int, help="LSTM units (preset's if unset)")
    train.add_argument("--batch-size", type=int, help="batch size (preset's if unset)")
    train.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                       help="set any Config field, e.g. --set cell=gru --set num_layers=2 "
                       "--set bidirectional=true --set attention=null (values are JSON, "
                       "or plain strings)")
    train.add_argument("--init-from", metavar="MODEL_DIR",
                       help="start from this saved model's weights (same architecture and "
                       "vocabularies), e.g. to train on with --set learning_rate=1e-4")
    train.add_argument("--restart", action="store_true",
                       help="discard an interrupted run in --output (its backup/ folder) "
                       "instead of resuming it")
    train.add_argument("--skip-malformed", action="store_true",
                       help="skip malformed corpus lines (their count is reported)")
    train.add_argument("--distribution", default="default",
                       choices=("default", "mirrored", "multi-worker"),
                       help="tf.distribute strategy: one device; all local GPUs / logical "
                       "CPU devices (MirroredStrategy); or the machines in TF_CONFIG, each "
                       "running this same command (MultiWorkerMirroredStrategy)")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                       help="Keras fit verbosity: 1 shows progress bars")

    translate = _command(commands, "translate", "translate English text (arguments, a "
                         "prompt, or stdin line by line; a line may hold several sentences)",
                         _translate, model=True)
    translate.add_argument(
        "sentences", nargs="*",
        help="lines to translate; none: an interactive prompt on a terminal, else stdin "
        "line by line (streamed in batches)")
    translate.add_argument("--beam-width", type=int, default=None, help=BEAM_WIDTH_HELP)
    translate.add_argument("--json", action="store_true",
                           help="JSON Lines: translation, n best with scores, attention weights")
    translate.add_argument("--batch-size", type=int, default=64)
    translate.add_argument("--keep-unknown", action="store_true", help=KEEP_UNKNOWN_HELP)
    translate.add_argument(
        "--engine", default="keras", choices=("keras", "ctranslate2"),
        help="ctranslate2: a Transformer converted by `export --format ctranslate2`, "
        "given as --model (the ctranslate2 extra); the same input rules and strings "
        "(greedy: the same pieces in float32), 2-3x faster in int8 on 2 cores; beam "
        "search ranks by CTranslate2's length penalty (docs/results.md)")

    evaluate = _command(commands, "evaluate", "BLEU and chrF on a split, against all "
                        "references of each sentence", _evaluate, model=True)
    evaluate.add_argument("--split", default="test", choices=("train", "validation", "test"))
    evaluate.add_argument("--max-sentences", type=int, help="score only the first N sentences")
    evaluate.add_argument("--input", default="clean",
                          choices=("clean", "typed", "capitals", "names"),
                          help="the sources as they are, as typed in a chat box (lower case, "
                          "no final . ! ?), or in capitals, the references as they are; or "
                          "names: the pairs with Tom or Mary once (not first) in every "
                          "sentence, a name the corpus lacks in its place on both sides "
                          "(evaluation.with_new_names), with the count of names kept")
    evaluate.add_argument("--beam-width", type=int, default=None, help=BEAM_WIDTH_HELP)
    evaluate.add_argument("--alpha", type=float, default=None,
                          help="beam search's length normalization (0: none); default (None): "
                          "the model's (shipped model: 1.6, config.DEFAULT_ALPHA)")
    evaluate.add_argument("--drop-penalty", type=float, default=None,
                          help="beam search: taken off a hypothesis' score per [UNK] its "
                          "replacement leaves out (0: none); default (None): the model's "
                          "(shipped model: 1.0, config.DROP_PENALTY)")
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument("--hypotheses", help="write the translations to this file")
    evaluate.add_argument("--keep-unknown", action="store_true", help=KEEP_UNKNOWN_HELP)

    bench = _command(commands, "bench", "decoding speed: the blog's loop against compiled "
                     "greedy and beam search", _bench, model=True)
    bench.add_argument("--sentences", type=int, default=500,
                       help="test sentences for the batched runs")
    bench.add_argument("--reference-sentences", type=int, default=20,
                       help="sentences for the slow reference loop and the batch-1 runs")
    bench.add_argument("--beam-width", type=int, default=4)
    bench.add_argument("--json", action="store_true", help="print JSON rows, not a table")
    bench.add_argument("--ctranslate2", metavar="DIR",
                       help="instead: a Transformer's searches in Keras (tf.function, XLA, "
                       "int8) and in this CTranslate2 model (export --format ctranslate2; "
                       "float32 and int8), speed, BLEU / chrF on the test split and the "
                       "arithmetic limit; --sentences for batch 64, --reference-sentences "
                       "for batch 1")
    bench.add_argument("--threads", type=int, default=2,
                       help="--ctranslate2: CTranslate2 runs with N threads per translation, "
                       "and with 1 thread per translation and N batches at once")
    bench.add_argument("--export", action="store_true",
                       help="also time the whole translate path and the exported SavedModel "
                       "at batch 64 (writes a temporary export)")

    lexicon = _command(commands, "lexicon", "learn a model's lexicon for [UNK] again from "
                       "its training split, aligned by its attention (lexicon.json)", _lexicon)
    lexicon.add_argument("--model", required=True, type=model_path,
                         help="a folder written by `train`")

    average = _command(commands, "average", "average the weights of a training run's last "
                       "epochs (its checkpoints/ folder) into a new model", _average)
    average.add_argument("--model", required=True, type=model_path,
                         help="a folder written by `train`")
    average.add_argument("--last", type=int, default=3, help="how many of the last epochs")
    average.add_argument("--output", required=True, help="folder for the averaged model")
    average.add_argument("--half-precision", action="store_true",
                         help="store the weights as float16 (model.weights.f16.npz, half the "
                         "size), as the shipped models are")

    export = _command(commands, "export", "write a TensorFlow SavedModel that maps English "
                      "strings to French", _export, model=True)
    export.add_argument("--output", required=True,
                        help="a new (or empty) folder for the SavedModel or CTranslate2 model")

    serve = _command(commands, "serve", "translate over HTTP (TensorFlow Serving's REST API) "
                     "and from a web page; requests that arrive together are batched", _serve)
    serve.add_argument("--model", action="append", type=model_path, metavar="NAME_OR_DIR",
                       help="a shipped model's name, a folder written by `train`, or one "
                       "written by `export --format ctranslate2` (served by CTranslate2); repeat "
                       "to serve several, each under its name (the folder's basename), the "
                       "first also as `default`; none: the shipped Transformer")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; anything but loopback is reachable from "
                       "other machines, with no authentication")
    serve.add_argument("--port", type=int, default=8501, help="TCP port (TensorFlow Serving's)")
    serve.add_argument("--max-batch", type=int, default=64,
                       help="sentences of concurrent requests merged into one translate call")
    serve.add_argument("--max-wait-ms", type=float, default=5.0,
                       help="how long a request waits for others to batch with")
    serve.add_argument("--max-queue", type=int, default=256,
                       help="requests waiting per model; past it, 503 with Retry-After")
    serve.add_argument("--access-log", action="store_true", help="log every request")

    export.add_argument("--format", default="savedmodel", choices=("savedmodel", "ctranslate2"),
                        help="savedmodel: strings to strings in one TensorFlow graph; "
                        "ctranslate2: a Transformer's weights for the CTranslate2 engine "
                        "(the ctranslate2 extra), run with the package's input rules")
    export.add_argument("--quantization", choices=("float32", "int8"), default=None,
                        help="--format ctranslate2: the stored weights' type (default "
                        "float32)")
    return parser


def main(argv=None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`); return the exit code.

    Bad input (a missing or damaged model, a malformed corpus, a bad option value, a
    folder that cannot be written) prints one line naming it and exits with 2; with
    `SEQ2SEQ_KERAS_DEBUG=1` the traceback is shown instead. A closed stdout (`| head`)
    ends quietly with 141, Ctrl-C with 130, after the lines already written.
    """
    from seq2seq_keras.apps.tf_logs import quiet_stderr

    args = build_parser().parse_args(argv)
    with quiet_stderr(enabled=not args.tf_logs) as args.stderr:
        try:
            return args.run(args)
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader is gone: send what Python still flushes at exit nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        except Exception as error:
            message = _user_error(error)
            if message is None or os.environ.get("SEQ2SEQ_KERAS_DEBUG"):
                raise
            print(f"seq2seq-keras {args.command}: error: {message}", file=sys.stderr)
            return 2
        except ModuleNotFoundError as error:
            if error.name != "ctranslate2":  # an optional engine's extra, not a bug
                raise
            print(f"seq2seq-keras {args.command}: error: {error}", file=sys.stderr)
            return 2


def _user_error(error: Exception) -> str | None:
    """One line for an error that bad input causes, `None` for a bug (a traceback)."""
    if isinstance(error, (ValueError, FileNotFoundError, ImportError)):
        # ImportError: an optional package missing (an extra); the message names it.
        return _shortened(str(error))
    if isinstance(error, OSError):  # a folder that is a file, or not writable; a full disk
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
    if isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError":
        return ("out of memory: the model or batch is too large for this machine; "
                "use a smaller --units or --batch-size")
    return None


def _shortened(message: str, limit: int = 1000) -> str:
    """`message` cut to `limit` characters: an error may quote a huge bad value."""
    return message if len(message) <= limit else message[:limit] + "... (cut)"


if __name__ == "__main__":
    sys.exit(main())
