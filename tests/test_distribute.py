"""Training under tf.distribute: MirroredStrategy over two logical CPU devices, and
MultiWorkerMirroredStrategy over two worker processes on 127.0.0.1.

Each run happens in a fresh process: logical devices and collective ops must be set
before TensorFlow starts.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPT = """
import json, os, sys, time
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
import seq2seq_keras as s2s
strategy = s2s.training.get_distribution(sys.argv[2])
if os.environ.get("STALL"):
    # Stand still at the third batch of the second epoch, so that the test can kill
    # every worker at the same point, mid-epoch, as a lost machine would stop them.
    class Stall(s2s.training.EpochTimer):
        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            self.epoch = epoch
        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == 1 and batch == 2:
                open(os.path.join(sys.argv[1], "stalled"), "w").close()
                time.sleep(600)
    s2s.training.callbacks.EpochTimer = Stall
config = s2s.get_preset("quick").replace(num_pairs=400, epochs=2)
result = s2s.train(config, sys.argv[1], verbose=0, distribution=strategy)
np.savez(sys.argv[1] + "/weights.npz", *result.artefact.model.get_weights())
print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                  "val_loss": result.history["val_loss"], "epoch": result.history["epoch"]}))
"""


def _command(output, strategy):
    return [sys.executable, "-c", SCRIPT, output, strategy]


def _result(returncode, stdout, stderr):
    assert returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def _run(output, strategy):
    result = subprocess.run(_command(output, strategy), capture_output=True, text=True,
                            timeout=600)
    return _result(result.returncode, result.stdout, result.stderr)


def _weights(output):
    with np.load(os.path.join(output, "weights.npz")) as saved:
        return [saved[name] for name in saved.files]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
def test_mirrored_on_two_cpu_devices_matches_one_device(tmp_path):
    one = _run(str(tmp_path / "one"), "default")
    two = _run(str(tmp_path / "two"), "mirrored")
    assert (one["replicas"], two["replicas"]) == (1, 2)
    # The same global batches, split in two: nearly the same training. Not exactly:
    # each replica averages over its own real tokens, and the replicas' means are
    # then averaged. A loss counted twice, or gradients summed instead of averaged,
    # would be off by 100%, not 1%.
    np.testing.assert_allclose(two["val_loss"], one["val_loss"], rtol=0.02)


def _start_workers(tmp_path, **env):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        worker_env = dict(os.environ, **env, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        # Output to files, not pipes: a worker blocked on a full pipe would stall
        # the other one at the next all-reduce.
        logs = [open(tmp_path / f"worker{index}.{name}", "w+") for name in ("out", "err")]
        workers.append((subprocess.Popen(
            _command(str(tmp_path / f"worker{index}"), "multi-worker"), env=worker_env,
            stdout=logs[0], stderr=logs[1], text=True), logs))
    return workers


def _finish_workers(workers):
    try:
        for worker, _ in workers:
            worker.wait(timeout=600)
    finally:
        for worker, _ in workers:
            worker.kill()
    results = []
    for worker, logs in workers:
        for log in logs:
            log.seek(0)
        results.append(_result(worker.returncode, logs[0].read(), logs[1].read()))
        for log in logs:
            log.close()
    return results


def _assert_workers_agree(tmp_path, results):
    assert [r["replicas"] for r in results] == [2, 2]
    # Synchronous training: the workers start from the chief's weights and apply
    # the same all-reduced gradients, so they end bit for bit the same.
    for chief, other in zip(_weights(tmp_path / "worker0"), _weights(tmp_path / "worker1"),
                            strict=True):
        np.testing.assert_array_equal(chief, other)
    assert results[0]["val_loss"] == results[1]["val_loss"]


@pytest.mark.slow
def test_multi_worker_processes_end_with_identical_weights(tmp_path):
    one = _run(str(tmp_path / "one"), "default")
    results = _finish_workers(_start_workers(tmp_path))
    _assert_workers_agree(tmp_path, results)
    # Each global batch is split between the workers and the gradients averaged:
    # close to one device, as with MirroredStrategy above.
    np.testing.assert_allclose(results[0]["val_loss"], one["val_loss"], rtol=0.02)


@pytest.mark.slow
def test_killed_multi_worker_run_resumes_on_every_worker(tmp_path):
    workers = _start_workers(tmp_path, STALL="1")
    try:
        markers = [tmp_path / f"worker{index}" / "stalled" for index in range(2)]
        deadline = time.time() + 300
        while time.time() < deadline and not all(m.exists() for m in markers):
            assert all(worker.poll() is None for worker, _ in workers), \
                "a worker ended before it could be killed"
            time.sleep(0.1)
        assert all(m.exists() for m in markers), "the workers never reached epoch 2"
    finally:
        for worker, logs in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            for log in logs:
                log.close()
    for index in range(2):
        assert not (tmp_path / f"worker{index}" / "translator.json").exists()
    # The same command again, on every worker: each restores its own backup of the
    # first epoch and trains the second only.
    results = _finish_workers(_start_workers(tmp_path))
    _assert_workers_agree(tmp_path, results)
    for result in results:
        assert result["epoch"] == [0, 1]
        # Restored weights, not a fresh start: the new process's first pass over the
        # data has the first epoch's order, so from the initial weights it would give
        # the first epoch's loss again; from the restored ones it goes lower.
        assert result["val_loss"][1] < result["val_loss"][0] - 0.05


def test_unknown_strategy_name_lists_the_known_ones():
    import seq2seq_keras as s2s

    with pytest.raises(ValueError, match="'default', 'mirrored' or 'multi-worker'"):
        s2s.training.get_distribution("parameter-server")
