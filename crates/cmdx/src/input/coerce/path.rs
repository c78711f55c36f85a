//! Where a deserializer is in the input: a [`Node`] linked to its parent, so
//! stepping into a child costs no allocation; owned only when an error is
//! recorded.

use std::fmt::Write as _;

/// The key used for the input as a whole.
pub(crate) const ROOT: &str = "input";

/// One step from a parent to a child.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seg<'a> {
    /// An object key or struct field.
    Key(&'a str),
    /// A list position.
    Index(usize),
}

/// A node of the input as one pass walks it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node<'a, 'p> {
    /// The parent node; `None` at the root.
    pub(super) parent: Option<&'p Node<'a, 'p>>,
    /// The step from the parent; `None` at the root.
    pub(super) seg: Option<Seg<'a>>,
    /// The position among its siblings, in the order a pass visits them.
    pub(super) pos: u32,
    /// Nesting depth (the root is 0).
    pub(super) depth: u32,
    /// A hash of the positions from the root, to find this node's action.
    pub(super) hash: u64,
}

impl<'a, 'p> Node<'a, 'p> {
    pub(super) fn root() -> Self {
        Self {
            parent: None,
            seg: None,
            pos: 0,
            depth: 0,
            hash: 0,
        }
    }

    /// The child at `seg`, the `pos`-th visited.
    pub(super) fn child(&'p self, seg: Seg<'a>, pos: u32) -> Self {
        Self {
            parent: Some(self),
            seg: Some(seg),
            pos,
            depth: self.depth + 1,
            hash: hash_step(self.hash, pos),
        }
    }

    /// The positions from the root to this node.
    pub(super) fn positions(&self) -> Vec<u32> {
        let mut positions = Vec::with_capacity(self.depth as usize);
        let mut node = Some(self);
        while let Some(current) = node
            && current.seg.is_some()
        {
            positions.push(current.pos);
            node = current.parent;
        }
        positions.reverse();
        positions
    }

    /// Whether this node is at `positions`.
    pub(super) fn is_at(&self, positions: &[u32]) -> bool {
        let mut node = self;
        for &pos in positions.iter().rev() {
            match (node.seg, node.parent) {
                (Some(_), Some(parent)) if node.pos == pos => node = parent,
                _ => return false,
            }
        }
        node.seg.is_none()
    }

    /// The steps from the root to this node, owned.
    pub(super) fn path(&self) -> Path {
        let mut path = Vec::with_capacity(self.depth as usize);
        let mut node = Some(self);
        while let Some(current) = node {
            match current.seg {
                Some(Seg::Key(key)) => path.push(Step::Key(key.to_owned())),
                Some(Seg::Index(index)) => path.push(Step::Index(index)),
                None => {}
            }
            node = current.parent;
        }
        path.reverse();
        path
    }
}

/// The hash of a child's positions from its parent's.
pub(super) fn hash_step(parent: u64, pos: u32) -> u64 {
    (parent.rotate_left(7) ^ u64::from(pos).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash [`Node::hash`] has for a node at `positions`.
pub(super) fn hash_of(positions: &[u32]) -> u64 {
    positions.iter().fold(0, |hash, &pos| hash_step(hash, pos))
}

/// One owned step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// An object key or struct field.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A field path from the input root.
pub(crate) type Path = Vec<Step>;

/// Renders a path as `address.zip` / `items[1].name`; the root is `input`.
pub(crate) fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(index) => {
                if out.is_empty() {
                    out.push_str(ROOT);
                }
                let _ = write!(out, "[{index}]");
            }
        }
    }
    if out.is_empty() { ROOT.to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_dotted_and_indexed() {
        let root = Node::root();
        let items = root.child(Seg::Key("items"), 3);
        let first = items.child(Seg::Index(0), 0);
        let name = first.child(Seg::Key("name"), 1);
        assert_eq!(render(&name.path()), "items[0].name");
        assert_eq!(render(&root.path()), ROOT);
        assert_eq!(render(&root.child(Seg::Index(2), 2).path()), "input[2]");
        assert_eq!(name.positions(), [3, 0, 1]);
        assert_eq!(name.hash, hash_of(&[3, 0, 1]));
        assert!(name.is_at(&[3, 0, 1]));
        assert!(!name.is_at(&[3, 0]));
        assert!(!name.is_at(&[3, 1, 1]));
        assert!(root.is_at(&[]));
    }

    #[test]
    fn distinct_positions_hash_apart() {
        let mut paths = std::collections::HashSet::new();
        for a in 0..16 {
            for b in 0..16 {
                for c in 0..16 {
                    assert!(paths.insert(hash_of(&[a, b, c])), "{a} {b} {c}");
                }
            }
        }
        assert_ne!(hash_of(&[1, 2]), hash_of(&[2, 1]));
        assert_ne!(hash_of(&[0]), hash_of(&[0, 0]));
    }
}
