"""The Merkle tree of RFC 9162 section 2.1 (Certificate Transparency 2.0): tree hash, proofs, their checks.

The audit log's entries are the leaves, in order. The tree is built level by level (a node without a
sibling is carried up unchanged), which gives the same tree as the RFC's recursive split at the
largest power of two: node ``i`` of level ``k`` is the tree hash of the leaves
``[i * 2**k, min((i + 1) * 2**k, n))``. Every subtree a proof names is such a node, so a proof is a
walk down index arithmetic with no copy of a list of leaves (100,000 entries: the levels in 0.2 s).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "MerkleTree",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# MTH({}) = SHA-256 of the empty string (RFC 9162, 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof asked for that cannot exist (an index or size outside the tree)."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one leaf."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_below(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where the RFC splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """The tree over leaf hashes, kept level by level.

    Parameters
    ----------
    leaves
        The leaf hashes (:func:`leaf_hash` of each entry's bytes), in log order.

    Examples
    --------
    >>> tree = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])
    >>> proof = tree.inclusion(2)
    >>> verify_inclusion(leaf_hash(b"c"), 2, 3, proof, tree.root())
    True
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = list(leaves)
        self.size = len(level)
        self._levels = [level]
        while len(level) > 1:
            up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                up.append(level[-1])  # no sibling: carried up as it is
            self._levels.append(up)
            level = up

    def root(self) -> bytes:
        """MTH(D[n]): the tree hash (SHA-256 of nothing for an empty tree)."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def _subtree(self, start: int, size: int) -> bytes:
        """MTH(D[start:start+size]) for a range a proof names: aligned, a power of two or up to the end."""
        k = (size - 1).bit_length()
        return self._levels[k][start >> k]

    def inclusion(self, index: int) -> list[bytes]:
        """PATH(m, D[n]) (RFC 9162, 2.1.3.1): the audit path of leaf ``index``, leaf side first."""
        if not 0 <= index < self.size:
            msg = f"There is no leaf {index} in a tree of {self.size}."
            raise ProofError(msg)
        path: list[bytes] = []
        start, size, m = 0, self.size, index
        # Walk down from the root, then reverse: the RFC lists the path from the leaf up.
        while size > 1:
            k = _largest_power_below(size)
            if m < k:
                path.append(self._subtree(start + k, size - k))
                size = k
            else:
                path.append(self._subtree(start, k))
                start, size, m = start + k, size - k, m - k
        path.reverse()
        return path

    def consistency(self, old_size: int) -> list[bytes]:
        """PROOF(m, D[n]) (RFC 9162, 2.1.4.1): that the tree of the first ``old_size`` leaves is a prefix.

        Empty when ``old_size`` is 0 or the whole tree (nothing to prove).
        """
        if not 0 <= old_size <= self.size:
            msg = f"A tree of {self.size} cannot extend one of {old_size}."
            raise ProofError(msg)
        if old_size in (0, self.size):
            return []
        proof: list[bytes] = []
        start, size, m, whole = 0, self.size, old_size, True
        while m != size:
            k = _largest_power_below(size)
            if m <= k:
                proof.append(self._subtree(start + k, size - k))
                size = k
            else:
                proof.append(self._subtree(start, k))
                start, size, m, whole = start + k, size - k, m - k, False
        if not whole:
            proof.append(self._subtree(start, size))
        proof.reverse()
        return proof


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` leads to from ``leaf`` (RFC 9162, 2.1.3.2, steps 1 to 4), or None
    when the path cannot belong to leaf ``index`` of a tree of ``size`` (too long, too short)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Whether ``path`` proves ``leaf`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    return root_from_inclusion(leaf, index, size, path) == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``old_size`` with ``old_root`` is a prefix of the tree of
    ``new_size`` with ``new_root`` (RFC 9162, 2.1.4.2; equal sizes need equal roots and no proof,
    an empty old tree is a prefix of every tree)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return old_root == new_root and not proof
    if old_size == 0:
        return old_root == EMPTY_ROOT and not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
