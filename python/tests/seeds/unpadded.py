"""Shared by the seed 003 scripts (like examples/seeds/seed003_common.hpp for the C++ twins)."""
import numpy as np


def matches_unpadded(rnn, x, batched, lengths):
    """Whether each row of `batched` equals `rnn` run on that row of x without its padding."""
    for r, n in enumerate(lengths):
        alone = np.asarray(rnn(x.without_mask()[r:r + 1, 0:n]))
        if np.max(np.abs(np.asarray(batched[r:r + 1]) - alone)) > 1e-5:
            return False
    return True
