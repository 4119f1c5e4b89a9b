"""Training under tf.distribute: MirroredStrategy over two logical CPU devices.

Each run happens in a fresh process: logical devices must be set before
TensorFlow starts.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import seq2seq_keras as s2s
strategy = s2s.training.get_strategy(sys.argv[2])
config = s2s.get_preset("quick").replace(num_pairs=400, epochs=2)
result = s2s.train(config, sys.argv[1], verbose=0, strategy=strategy)
print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                  "val_loss": result.history["val_loss"]}))
"""


def _run(output, strategy, env=None):
    result = subprocess.run([sys.executable, "-c", SCRIPT, output, strategy],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


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
