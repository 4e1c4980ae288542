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
