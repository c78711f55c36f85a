//! `cmdx ledger tree CID`: one chain drawn through its parent links, each
//! compensation (kind=rollback) under the execution it undoes.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::{Color, TreeArgs, TreeFormat};
use crate::error::Failure;
use crate::filter::Filter;
use crate::line::{Kind, Status};
use crate::query::strict_verdict;
use crate::scan::{Flow, scan};

/// One execution of the chain, with what hangs under it.
#[derive(Debug, Serialize)]
struct Node {
    index: u64,
    tid: String,
    task: String,
    kind: Kind,
    status: Status,
    duration_ms: f64,
    reason: Option<String>,
    #[serde(skip)]
    parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compensates: Option<String>,
    /// True when the line names a parent that is not in the input.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    orphan: bool,
    children: Vec<Node>,
    compensations: Vec<Node>,
}

/// The JSON shape of `--format json`.
#[derive(Debug, Serialize)]
struct ChainTree<'a> {
    cid: &'a str,
    executions: usize,
    roots: Vec<Node>,
}

/// Runs the tree.
pub(crate) fn run(args: &TreeArgs) -> Result<(), Failure> {
    let filter = Filter::chain(&args.cid);
    let mut nodes = Vec::new();
    let summary = scan(&args.input, &filter, |line, _| {
        nodes.push(Node {
            index: line.index,
            tid: line.tid.to_string(),
            task: line.task.to_string(),
            kind: line.kind,
            status: line.status,
            duration_ms: line.duration_ms,
            reason: line.reason.as_ref().map(ToString::to_string),
            parent: line.parent.as_ref().map(ToString::to_string),
            compensates: line.compensates.as_ref().map(ToString::to_string),
            orphan: false,
            children: Vec::new(),
            compensations: Vec::new(),
        });
        Ok(Flow::Continue)
    })?;
    if nodes.is_empty() {
        return Err(Failure::answer(format!(
            "no ledger line with chain id {}",
            args.cid
        )));
    }
    let executions = nodes.len();
    let roots = build(nodes);
    let mut out = crate::output::stdout();
    match args.format {
        TreeFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &ChainTree {
                    cid: &args.cid,
                    executions,
                    roots,
                },
            )
            .map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        TreeFormat::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            writeln!(out, "chain {} ({executions} executions)", args.cid)?;
            for (i, root) in roots.iter().enumerate() {
                draw(&mut out, root, "", i + 1 == roots.len(), color, true)?;
            }
        }
    }
    out.flush()?;
    strict_verdict(args.input.strict, summary.bad)
}

/// Links nodes to their parents (or, for rollbacks, to what they undo).
fn build(mut nodes: Vec<Node>) -> Vec<Node> {
    nodes.sort_by_key(|n| n.index);
    let position: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.tid.clone(), i))
        .collect();
    // Where each node goes: (holder position, is a compensation).
    let holder: Vec<Option<(usize, bool)>> = nodes
        .iter()
        .map(|n| {
            let undone = (n.kind == Kind::Rollback)
                .then_some(n.compensates.as_ref())
                .flatten()
                .and_then(|t| position.get(t));
            match undone {
                Some(&p) => Some((p, true)),
                None => n
                    .parent
                    .as_ref()
                    .and_then(|t| position.get(t))
                    .map(|&p| (p, false)),
            }
        })
        .collect();
    for (node, holder) in nodes.iter_mut().zip(&holder) {
        node.orphan = holder.is_none() && node.parent.is_some();
    }
    // Attach deepest-first: a node moves into its holder only after its own
    // children moved into it. Parents precede children by index, so walking
    // backwards by index works whenever holders have smaller indexes; a
    // cycle or a forward link leaves the node at the top level.
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    for i in (0..slots.len()).rev() {
        let Some((p, compensation)) = holder[i] else {
            continue;
        };
        if p >= i {
            continue;
        }
        if let Some(node) = slots[i].take()
            && let Some(parent) = slots[p].as_mut()
        {
            if compensation {
                parent.compensations.insert(0, node);
            } else {
                parent.children.insert(0, node);
            }
        }
    }
    slots.into_iter().flatten().collect()
}

fn draw(
    out: &mut impl Write,
    node: &Node,
    prefix: &str,
    last: bool,
    color: bool,
    top: bool,
) -> std::io::Result<()> {
    let branch = if top {
        ""
    } else if last {
        "└── "
    } else {
        "├── "
    };
    let status = node.status.as_str();
    let status = if color {
        let code = match node.status {
            Status::Success => "32",
            Status::Skipped => "33",
            Status::Failed => "31",
        };
        format!("\x1b[{code}m{status}\x1b[0m")
    } else {
        status.to_owned()
    };
    let marker = match node.kind {
        Kind::Rollback => "↺ rollback ",
        Kind::Workflow => "workflow ",
        Kind::Task => "",
    };
    write!(
        out,
        "{prefix}{branch}[{}] {marker}{}  {status}  {:.2} ms",
        node.index, node.task, node.duration_ms
    )?;
    if let Some(reason) = &node.reason {
        write!(out, "  — {reason}")?;
    }
    if node.orphan {
        write!(out, "  (parent not in the input)")?;
    }
    writeln!(out)?;
    let child_prefix = if top {
        prefix.to_owned()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    let below: Vec<&Node> = node.children.iter().chain(&node.compensations).collect();
    for (i, child) in below.iter().enumerate() {
        draw(
            out,
            child,
            &child_prefix,
            i + 1 == below.len(),
            color,
            false,
        )?;
    }
    Ok(())
}
