import { createHash } from 'node:crypto';

/**
 * A Merkle tree as Certificate Transparency defines it (RFC 6962 §2.1, RFC 9162 §2.1): a leaf
 * hashes as SHA-256(0x00 || bytes), an inner node as SHA-256(0x01 || left || right), and a tree of
 * n > 1 leaves splits at k, the largest power of two below n. The empty tree's root is
 * SHA-256 of nothing.
 *
 * Dependency-free apart from node:crypto's SHA-256, so an auditor can copy this file (and swap in
 * any SHA-256) to check an inclusion proof without Arbiter's code.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** SHA-256(0x00 || bytes); a string is hashed as its UTF-8 bytes. */
export function leafHash(bytes: Uint8Array | string): Buffer {
  return sha256(LEAF_PREFIX, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The Merkle tree hash (root) of the leaf hashes, in order. */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  return new MerkleTree(leaves).root();
}

/**
 * The audit path (inclusion proof) of leaf `index` in the tree of all `leaves`: the sibling
 * hashes from the leaf up to the root, nearest first (RFC 6962 §2.1.1).
 */
export function auditPath(leaves: readonly Uint8Array[], index: number): Buffer[] {
  return new MerkleTree(leaves).auditPath(index);
}

/** A tree over fixed leaves that remembers its subtree hashes, for many proofs against one root. */
export class MerkleTree {
  private readonly memo = new Map<string, Buffer>();

  constructor(private readonly leaves: readonly Uint8Array[]) {}

  get size(): number {
    return this.leaves.length;
  }

  root(): Buffer {
    if (this.leaves.length === 0) return sha256();
    return this.subtree(0, this.leaves.length);
  }

  auditPath(index: number): Buffer[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.leaves.length) {
      throw new RangeError(`leaf ${index} is not in a tree of ${this.leaves.length}`);
    }
    const path: Buffer[] = [];
    let start = 0;
    let end = this.leaves.length;
    // Walk down from the root; each step records the sibling subtree, so reverse at the end.
    while (end - start > 1) {
      const k = split(end - start);
      if (index < start + k) {
        path.push(this.subtree(start + k, end));
        end = start + k;
      } else {
        path.push(this.subtree(start, start + k));
        start += k;
      }
    }
    return path.reverse();
  }

  private subtree(start: number, end: number): Buffer {
    if (end - start === 1) return Buffer.from(this.leaves[start]);
    const key = `${start}:${end}`;
    let hash = this.memo.get(key);
    if (!hash) {
      const k = split(end - start);
      hash = nodeHash(this.subtree(start, start + k), this.subtree(start + k, end));
      this.memo.set(key, hash);
    }
    return hash;
  }
}

/**
 * The root an audit path leads to from leaf `index` of a tree of `size` leaves, or null when
 * the path cannot belong to such a tree (RFC 9162 §2.1.3.2).
 */
export function rootFromAuditPath(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Buffer | null {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) {
    return null;
  }
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Whether `path` proves leaf `index` (hash `leaf`) is in the tree of `size` leaves with `root`. */
export function verifyAuditPath(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromAuditPath(index, size, leaf, path);
  return computed !== null && Buffer.compare(computed, Buffer.from(root)) === 0;
}
