#!/usr/bin/env python3
"""Checks rollout-buckets.json with an independent MurmurHash3 x86 32-bit written from the reference
algorithm (Austin Appleby, SMHasher) and exact integer arithmetic. Standard library only.

Usage: python3 docs/test-vectors/verify_rollout_buckets.py
"""
import json
import pathlib


def rotate_left(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & 0xFFFFFFFF


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    c1, c2 = 0xCC9E2D51, 0x1B873593
    hash_value = seed
    blocks = len(data) // 4
    for index in range(blocks):
        block = int.from_bytes(data[4 * index : 4 * index + 4], "little")
        block = rotate_left((block * c1) & 0xFFFFFFFF, 15)
        hash_value ^= (block * c2) & 0xFFFFFFFF
        hash_value = (rotate_left(hash_value, 13) * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[4 * blocks :]
    block = 0
    if len(tail) >= 3:
        block ^= tail[2] << 16
    if len(tail) >= 2:
        block ^= tail[1] << 8
    if len(tail) >= 1:
        block ^= tail[0]
        block = rotate_left((block * c1) & 0xFFFFFFFF, 15)
        hash_value ^= (block * c2) & 0xFFFFFFFF
    hash_value ^= len(data)
    hash_value ^= hash_value >> 16
    hash_value = (hash_value * 0x85EBCA6B) & 0xFFFFFFFF
    hash_value ^= hash_value >> 13
    hash_value = (hash_value * 0xC2B2AE35) & 0xFFFFFFFF
    return hash_value ^ (hash_value >> 16)


def main() -> None:
    # Published reference values of MurmurHash3 x86 32-bit.
    assert murmur3_x86_32(b"") == 0
    assert murmur3_x86_32(b"", 1) == 0x514E28B7
    assert murmur3_x86_32(b"hello") == 0x248BFA47
    assert murmur3_x86_32(b"The quick brown fox jumps over the lazy dog") == 0x2E4FF723
    document = json.loads(pathlib.Path(__file__).with_name("rollout-buckets.json").read_text(encoding="utf-8"))
    count = document["bucketCount"]
    for vector in document["vectors"]:
        key = (vector["salt"] + ":" + vector["customerId"]).encode("utf-8")
        assert key.hex() == vector["keyUtf8Hex"], vector
        hash_value = murmur3_x86_32(key, document["seed"])
        assert hash_value == vector["hash"], vector
        assert (hash_value * count) >> 32 == vector["bucket"], vector
    for edge in document["edgeHashes"]:
        assert (edge["hash"] * count) >> 32 == edge["bucket"], edge
    for entry in document["thresholds"]:
        assert round(entry["percent"] * 1000) == entry["threshold"], entry
    print(f"{len(document['vectors'])} vectors, {len(document['edgeHashes'])} edge hashes and {len(document['thresholds'])} thresholds verified")


if __name__ == "__main__":
    main()
