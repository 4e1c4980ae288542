"""RFC 6962 Merkle tree hashing, with the proofs a verifier needs.

Leaves and interior nodes are hashed with distinct one-byte prefixes (RFC 6962 §2.1) so
that a leaf can never be passed off as a node. The audit log stores each entry's leaf hash
(``leaf_hash(entry bytes)``); a checkpoint signs the root over the first ``size`` leaves.

Two ways to the same hashes. :func:`root`, :func:`inclusion_proof` and
:func:`consistency_proof` follow the RFC's definitions over a list of leaves (the
reference). A stored tree instead keeps the root of every *perfect subtree* — ``(level,
index)`` covers leaves ``index·2^level`` up to ``(index+1)·2^level`` — and any range a proof
needs is a few of them: :func:`inclusion_ranges` and :func:`consistency_ranges` name the
ranges, :func:`subtrees` splits a range into perfect subtrees, :func:`fold` joins their
roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over already-hashed leaves, bottom-up (no recursion)."""
    if not leaves:
        return empty_root()
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf ``index``."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is outside a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), root(leaves[:k])]


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Recompute a root from a leaf and its audit path (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size}")
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ValueError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("inclusion proof is too short")
    return node


def consistency_proof(leaves: Sequence[bytes], old: int) -> list[bytes]:
    """PROOF(old, D[n]) of RFC 6962 §2.1.2: the tree of ``leaves`` extends its first ``old``."""
    if not 0 < old <= len(leaves):
        raise ValueError(f"no consistency proof from {old} to {len(leaves)} leaves")
    return _subproof(leaves, old, whole=True)


def _subproof(leaves: Sequence[bytes], m: int, *, whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [root(leaves)]
    k = _split(len(leaves))
    if m <= k:
        return [*_subproof(leaves[:k], m, whole=whole), root(leaves[k:])]
    return [*_subproof(leaves[k:], m - k, whole=False), root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that ``new_root`` extends ``old_root`` (RFC 9162 §2.1.4.2)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    if old_size == new_size:
        return not proof and old_root == new_root
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


# --- the same proofs from perfect subtrees (what a stored tree keeps) ---------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``(start, count)`` whose roots are PATH(index, D[size]), in order.

    RFC 6962 §2.1.1 walked from the top: at each split, the half without the leaf is
    the next element of the proof (the last one, since the path runs leaf to root).
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size}")
    ranges, start, n = [], 0, size
    while n > 1:
        k = _split(n)
        if index - start < k:
            ranges.append((start + k, n - k))
            n = k
        else:
            ranges.append((start, k))
            start, n = start + k, n - k
    return ranges[::-1]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges ``(start, count)`` whose roots are PROOF(old, D[new]), in order.

    RFC 6962 §2.1.2 walked from the top, as :func:`inclusion_ranges`; ``whole`` is the
    RFC's flag b (the old tree is still a whole subtree, which the verifier already has).
    """
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} leaves")
    ranges, start, m, n, whole = [], 0, old, new, True
    while m != n:
        k = _split(n)
        if m <= k:
            ranges.append((start + k, n - k))
            n = k
        else:
            ranges.append((start, k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        ranges.append((start, m))
    return ranges[::-1]


def subtrees(start: int, count: int) -> list[tuple[int, int]]:
    """The perfect subtrees ``(level, index)``, left to right, that make up a leaf range.

    One per bit of ``count``, largest first: 13 leaves from 0 are (3, 0), (2, 2), (0, 12).
    ``start`` must be a multiple of the first one's width, as for [0, n) and every range
    of a proof.
    """
    found = []
    while count:
        level = count.bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"leaves {start}..{start + count - 1} are not aligned")
        found.append((level, start >> level))
        start, count = start + (1 << level), count - (1 << level)
    return found


def fold(roots: Sequence[bytes]) -> bytes:
    """MTH of a range from the roots of its :func:`subtrees`: the right one hangs lowest."""
    if not roots:
        return empty_root()
    node = roots[-1]
    for left in reversed(roots[:-1]):
        node = node_hash(left, node)
    return node


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Frontier:
    """The right edge of a growing RFC 6962 tree: one root per perfect subtree.

    Appending a leaf is O(log n) amortised and the root of the tree so far is O(log n),
    so a verifier can stream a log once and compare the root at every checkpoint size.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights decreasing

    @classmethod
    def resume(cls, size: int, roots: Sequence[bytes]) -> Frontier:
        """The frontier of a tree of ``size`` leaves from the roots of ``subtrees(0, size)``."""
        levels = [level for level, _ in subtrees(0, size)]
        if len(levels) != len(roots):
            raise ValueError(f"a tree of {size} leaves has {len(levels)} subtrees")
        frontier = cls()
        frontier.size, frontier._stack = size, list(zip(levels, roots, strict=True))
        return frontier

    def append(self, leaf: bytes) -> list[bytes]:
        """Add a leaf; return the roots of the subtrees it completed, level 1 upwards.

        Leaf ``i`` completes the subtree ``(level, i >> level)`` at each of those levels.
        """
        completed = []
        height, node = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            height, node = height + 1, node_hash(left, node)
            completed.append(node)
        self._stack.append((height, node))
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold([node for _, node in self._stack])
