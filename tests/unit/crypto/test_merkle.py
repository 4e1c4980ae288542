"""RFC 6962 Merkle hashing against the Certificate Transparency reference vectors."""

from __future__ import annotations

import pytest

from custodio.crypto import merkle

# The leaves and roots of the RFC 6962 reference test suite (certificate-transparency).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHED = [merkle.leaf_hash(leaf) for leaf in LEAVES]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_matches_reference_vectors(size: int) -> None:
    assert merkle.root(HASHED[:size]).hex() == ROOTS[size - 1]


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_frontier_gives_the_root_of_every_prefix() -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(70)]
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.empty_root()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == merkle.root(leaves[:n]), n


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_inclusion_proofs_verify_for_every_leaf(size: int) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(size)]
    root = merkle.root(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(leaves, index)
        assert merkle.root_from_inclusion(leaves[index], index, size, proof) == root


def test_inclusion_proof_fails_for_another_leaf() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(6)]
    proof = merkle.inclusion_proof(leaves, 2)
    assert merkle.root_from_inclusion(leaves[3], 2, 6, proof) != merkle.root(leaves)


def test_a_leaf_cannot_pass_for_a_node() -> None:
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)


# The reference suite's audit paths and consistency proofs over the same eight leaves.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_reference_vectors(index: int, size: int, proof: list[str]) -> None:
    assert [p.hex() for p in merkle.inclusion_proof(HASHED[:size], index)] == proof
    assert [_range_root(HASHED, *r).hex() for r in merkle.inclusion_ranges(index, size)] == proof


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_reference_vectors(old: int, new: int, proof: list[str]) -> None:
    assert [p.hex() for p in merkle.consistency_proof(HASHED[:new], old)] == proof
    assert [_range_root(HASHED, *r).hex() for r in merkle.consistency_ranges(old, new)] == proof
    path = [bytes.fromhex(p) for p in proof]
    old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    assert merkle.verify_consistency(old, new, old_root, new_root, path)


def _range_root(leaves: list[bytes], start: int, count: int) -> bytes:
    """MTH of a range the way a stored tree gets it: fold of its perfect subtrees."""
    nodes = merkle.subtrees(start, count)
    return merkle.fold([merkle.root(leaves[i << lv : (i + 1) << lv]) for lv, i in nodes])


SIZES = [*range(1, 70), 127, 128, 129, 255, 256, 257, 300]


@pytest.mark.parametrize("size", SIZES)
def test_proofs_from_subtrees_equal_the_rfc_definitions(size: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    assert _range_root(leaves, 0, size) == merkle.root(leaves)
    for index in sorted({0, 1, size // 3, size // 2, size - 2, size - 1} & set(range(size))):
        path = [_range_root(leaves, *r) for r in merkle.inclusion_ranges(index, size)]
        assert path == merkle.inclusion_proof(leaves, index), index
    for old in sorted({1, 2, size // 3, size // 2, size - 1, size} & set(range(1, size + 1))):
        proof = [_range_root(leaves, *r) for r in merkle.consistency_ranges(old, size)]
        assert proof == merkle.consistency_proof(leaves, old), old
        assert merkle.verify_consistency(
            old, size, merkle.root(leaves[:old]), merkle.root(leaves), proof
        )


@pytest.mark.parametrize("new", range(2, 40))
def test_a_consistency_proof_fails_for_any_other_tree(new: int) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(new)]
    other = [*leaves[:-1], merkle.leaf_hash(b"changed")]
    for old in range(1, new):
        proof = merkle.consistency_proof(leaves, old)
        old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves)
        assert merkle.verify_consistency(old, new, old_root, new_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, merkle.root(other), proof)
        assert not merkle.verify_consistency(old, new, merkle.empty_root(), new_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not merkle.verify_consistency(old, new, old_root, new_root, [*proof, new_root])
        if old < new - 1:
            assert not merkle.verify_consistency(old + 1, new, old_root, new_root, proof)


def test_subtrees_of_a_range() -> None:
    assert merkle.subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.subtrees(8, 5) == [(2, 2), (0, 12)]
    assert merkle.subtrees(0, 0) == []
    with pytest.raises(ValueError, match="aligned"):
        merkle.subtrees(2, 4)


def test_a_resumed_frontier_continues_the_tree_and_names_completed_subtrees() -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(40)]
    for start in range(0, 33):
        roots = [
            merkle.root(leaves[i << lv : (i + 1) << lv]) for lv, i in merkle.subtrees(0, start)
        ]
        frontier = merkle.Frontier.resume(start, roots)
        assert frontier.root() == merkle.root(leaves[:start])
        for index in range(start, 40):
            completed = frontier.append(leaves[index])
            levels = (index + 1 ^ index).bit_length() - 1  # the trailing 1 bits of index
            assert completed == [
                merkle.root(leaves[(index >> lv) << lv : ((index >> lv) + 1) << lv])
                for lv in range(1, levels + 1)
            ]
            assert frontier.root() == merkle.root(leaves[: index + 1])
