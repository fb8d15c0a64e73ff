"""The RFC 9162 Merkle tree: known answers of Certificate Transparency, every proof up to 40 leaves."""

from __future__ import annotations

import hashlib

import pytest

from geo.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# The leaves, roots and proofs of transparency-dev/merkle proof/verify_test.go (the reference test
# vectors of google/certificate-transparency's merkle tests): ROOTS[i] is the tree of the first i + 1.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
                                     "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
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
# (leaf index, tree size, path)
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
# (old size, new size, proof)
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def tree(n: int, leaves=LEAVES) -> MerkleTree:
    return MerkleTree([leaf_hash(d) for d in leaves[:n]])


def mth(data: list[bytes]) -> bytes:
    """The RFC's recursive definition, word for word: the reference the level-by-level tree must equal."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return leaf_hash(data[0])
    k = 1 << ((len(data) - 1).bit_length() - 1)
    return node_hash(mth(data[:k]), mth(data[k:]))


def test_empty_tree_is_the_hash_of_nothing():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MerkleTree([]).root() == EMPTY_ROOT


@pytest.mark.parametrize("n", range(1, 9))
def test_known_roots(n):
    assert tree(n).root().hex() == ROOTS[n - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_known_inclusion_proofs(index, size, path):
    t = tree(size)
    assert [p.hex() for p in t.inclusion(index)] == path
    proof = [bytes.fromhex(p) for p in path]
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_known_consistency_proofs(old, new, proof):
    assert [p.hex() for p in tree(new).consistency(old)] == proof
    nodes = [bytes.fromhex(p) for p in proof]
    old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    assert verify_consistency(old, new, old_root, new_root, nodes)
    # The corruptions transparency-dev's tests try, each refused.
    assert not verify_consistency(old, new, new_root, old_root, nodes)
    assert not verify_consistency(old, new, old_root, new_root, [])
    assert not verify_consistency(old, new, old_root, new_root, nodes[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*nodes, old_root])
    assert not verify_consistency(old, new, old_root, new_root, [nodes[0], *nodes])
    assert not verify_consistency(old - 1, new, old_root, new_root, nodes)
    assert not verify_consistency(old, new * 2, old_root, new_root, nodes)
    for i in range(len(nodes)):
        bent = list(nodes)
        bent[i] = bytes([bent[i][0] ^ 16]) + bent[i][1:]
        assert not verify_consistency(old, new, old_root, new_root, bent)


def test_every_proof_up_to_40_leaves():
    """Every root equals the recursive definition; every inclusion and consistency proof verifies;
    a changed leaf, two leaves swapped or another index fails."""
    data = [f"entry {i}".encode() for i in range(40)]
    for n in range(1, 41):
        t = tree(n, data)
        root = t.root()
        assert root == mth(data[:n])
        for i in range(n):
            path = t.inclusion(i)
            assert verify_inclusion(leaf_hash(data[i]), i, n, path, root)
            assert not verify_inclusion(leaf_hash(data[i] + b"!"), i, n, path, root)
            if n > 1:
                other = (i + 1) % n
                assert not verify_inclusion(leaf_hash(data[i]), other, n, path, root)
                assert not verify_inclusion(leaf_hash(data[other]), i, n, path, root)
        for m in range(0, n + 1):
            proof = t.consistency(m)
            old = tree(m, data).root()
            assert verify_consistency(m, n, old, root, proof), (m, n)
            if 0 < m < n:
                swapped = list(data[:n])
                swapped[m - 1], swapped[m] = swapped[m], swapped[m - 1]
                assert not verify_consistency(m, n, old, tree(n, swapped).root(), proof)
                changed = [*data[: m - 1], b"changed", *data[m:n]]
                assert not verify_consistency(m, n, tree(m, changed).root(), root, proof)


def test_out_of_range_proofs_refused():
    t = tree(5)
    with pytest.raises(ProofError):
        t.inclusion(5)
    with pytest.raises(ProofError):
        t.consistency(6)
    assert not verify_inclusion(leaf_hash(b""), 0, 0, [], EMPTY_ROOT)
    assert not verify_consistency(5, 4, t.root(), t.root(), [])
