//! Keeps `docs/architecture.md`'s module dependency picture true: the
//! edges between the top-level modules of `crates/cmdx/src` (one module
//! uses another through a `crate::…` path) must be exactly the ones the
//! document lists, and only the modules it names may use the engine
//! (`exec`). A failure names the edge to add to, or remove from, the
//! document — or the `use` to remove from the code.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Edges = BTreeSet<(String, String)>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/architecture.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, with its path.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs`, the root).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" => None,
        file => Some(file.trim_end_matches(".rs").to_owned()),
    }
}

/// The code of a file without its comments (doc links are not uses).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first segment of every path after `crate::` in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        // `$crate::` (macros) and `foo_crate::` are not paths of this crate.
        if before.is_some_and(|c| c == '$' || c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if c == ',' && depth == 1 {
                    items.push(std::mem::take(&mut item));
                } else {
                    item.push(c);
                }
            }
            items.push(item);
            found.extend(
                items
                    .iter()
                    .map(|item| ident(item.trim()).to_owned())
                    .filter(|i| !i.is_empty()),
            );
        } else {
            found.push(ident(after).to_owned());
        }
    }
    found
}

/// What `lib.rs` re-exports at the root, by name → module; and the
/// exported macros, by name → the module defining them.
fn root_names(files: &[(PathBuf, String)]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    for statement in code(&lib).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = ident(path).to_owned();
        if module == "crate" {
            continue; // the prelude re-exports root names
        }
        let tail = &path[module.len()..];
        let items = tail.split(['{', '}', ',']).map(str::trim);
        for item in items {
            let name = item.rsplit("::").next().unwrap_or(item);
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.clone());
            }
        }
    }
    for (file, text) in files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find("macro_rules! ") {
            rest = &rest[at + "macro_rules! ".len()..];
            names.insert(ident(rest).to_owned(), module.clone());
        }
    }
    names
}

/// The edges the code has.
fn edges_in_code() -> Edges {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    let modules: BTreeSet<String> = files.iter().filter_map(|(f, _)| module_of(f)).collect();
    let names = root_names(&files);
    let mut edges = Edges::new();
    for (file, text) in &files {
        let Some(from) = module_of(file) else {
            continue;
        };
        for first in crate_paths(&code(text)) {
            let to = if modules.contains(&first) {
                first.clone()
            } else if let Some(module) = names.get(&first) {
                module.clone()
            } else {
                panic!(
                    "{}: `crate::{first}` is neither a module of src/ nor a name lib.rs \
                     re-exports; teach tests/architecture.rs about it",
                    file.display()
                );
            };
            if to != from {
                edges.insert((from.clone(), to));
            }
        }
    }
    edges
}

/// The block between two markers of the document.
fn block<'d>(doc: &'d str, name: &str) -> &'d str {
    let begin = format!("<!-- {name}: begin -->");
    let end = format!("<!-- {name}: end -->");
    let start = doc
        .find(&begin)
        .unwrap_or_else(|| panic!("docs/architecture.md lacks the marker {begin}"))
        + begin.len();
    let stop = doc[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("docs/architecture.md lacks the marker {end}"));
    &doc[start..start + stop]
}

/// `module -> a, b, c` lines (a module using nothing is listed with `-> (none)`).
fn documented_edges(doc: &str) -> Edges {
    let mut edges = Edges::new();
    for line in block(doc, "module-dependencies").lines() {
        let Some((from, to)) = line.split_once("->") else {
            continue;
        };
        for target in to.split(',').map(str::trim) {
            if !target.is_empty() && target != "(none)" {
                edges.insert((from.trim().to_owned(), target.to_owned()));
            }
        }
    }
    edges
}

/// `key: a, b` from the rules block.
fn rule(doc: &str, key: &str) -> BTreeSet<String> {
    let rules = block(doc, "engine-users");
    let line = rules
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("the engine-users block lacks `{key}:`"));
    line.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty() && *m != "(none)")
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_documented_module_dependencies_are_the_real_ones() {
    let real = edges_in_code();
    let documented = documented_edges(&doc());
    let mut problems = Vec::new();
    for (from, to) in real.difference(&documented) {
        problems.push(format!(
            "new edge `{from} -> {to}` (the code of `{from}` uses `crate::{to}`): add it to \
             docs/architecture.md, or remove the use"
        ));
    }
    for (from, to) in documented.difference(&real) {
        problems.push(format!(
            "removed edge `{from} -> {to}` (documented, but `{from}` no longer uses `{to}`): \
             remove it from docs/architecture.md"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_entry_points_use_the_engine() {
    let doc = doc();
    let allowed = rule(&doc, "may use exec");
    let pending = rule(&doc, "still uses exec, to invert");
    let users: BTreeSet<String> = edges_in_code()
        .into_iter()
        .filter(|(_, to)| to == "exec")
        .map(|(from, _)| from)
        .collect();
    let mut problems = Vec::new();
    for user in &users {
        if !allowed.contains(user) && !pending.contains(user) {
            problems.push(format!(
                "`{user}` uses the engine (`crate::exec`): the engine depends on the policies, \
                 never the reverse — move the shared type to a leaf module or have the engine \
                 pass what `{user}` needs"
            ));
        }
    }
    for module in pending.difference(&users) {
        problems.push(format!(
            "`{module}` no longer uses the engine: remove it from \"still uses exec\" in \
             docs/architecture.md"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_policy_modules_named_in_the_brief_are_engine_free() {
    // The ones this rule was written for, whatever the document says.
    let users: BTreeSet<String> = edges_in_code()
        .into_iter()
        .filter(|(_, to)| to == "exec")
        .map(|(from, _)| from)
        .collect();
    for policy in ["hooks", "retry", "cx", "ending", "settings", "runtime"] {
        assert!(!users.contains(policy), "`{policy}` uses crate::exec");
    }
}

#[test]
fn the_scanner_reads_grouped_paths_and_skips_macros_and_comments() {
    let text = "use crate::{a::B, c, d::{E, F}};\nlet x = crate::g::h();\n\
                $crate::Halt::fail(x); my_crate::z; // crate::commented";
    assert_eq!(crate_paths(&code(text)), ["a", "c", "d", "g"]);
}
