//! The module import graph of src/ has no circle: every file's `use` trees and inline
//! `crate::` / `super::` / `self::` paths are resolved to the file that defines the item
//! (through `pub use` re-exports), and no set of files may reach each other. A circle names
//! the files and the items that tie them. (docs/ARCHITECTURE.md: data flows one way.)
//! `#[cfg(test)]` code is left out: a test may build its fixture with an upper layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root (`[]` is the root, `["logscan", "engine"]` ...).
type ModPath = Vec<String>;

/// One source file: its module path and its code with comments, strings and chars blanked.
struct SourceFile {
    file: String,
    module: ModPath,
    code: String,
}

#[test]
fn no_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_sources(&root);
    assert!(files.len() > 50, "src/ not found or nearly empty under {}", root.display());
    let by_module: BTreeMap<ModPath, usize> =
        files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
    let reexports: Vec<Vec<(String, Vec<String>, ModPath)>> = files.iter().map(pub_uses).collect();
    let inline: Vec<BTreeSet<ModPath>> =
        files.iter().map(|f| scopes(f).into_iter().map(|(_, s)| s).collect()).collect();
    let graph = Graph { files: &files, by_module: &by_module, reexports: &reexports, inline: &inline };

    let mut edges: BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let used = identifiers(&f.code);
        for (scope, path) in references(f) {
            let Some((j, item)) = graph.resolve(&scope, &path, 0) else { continue };
            // A glob names what the file uses of the module, each through its re-export; a
            // module named by a `use` is followed where the file writes `module::Item`.
            let targets = match item.as_str() {
                "*" => graph.glob(j, &used),
                "" => {
                    let alias = path.last().map(String::as_str).unwrap_or_default();
                    let mut items = qualified(&f.code, alias);
                    items.sort();
                    items.dedup();
                    let mut out: Vec<(usize, String)> = items
                        .iter()
                        .filter_map(|it| {
                            graph.resolve(&graph.files[j].module, &["self".into(), it.clone()], 1)
                        })
                        .collect();
                    if out.is_empty() {
                        out.push((j, format!("{alias} (module)")));
                    }
                    out
                }
                _ => vec![(j, item)],
            };
            for (j, item) in targets.into_iter().filter(|(j, _)| *j != i) {
                edges.entry(i).or_default().entry(j).or_default().insert(item);
            }
        }
    }
    let circles = strongly_connected(files.len(), &edges);
    let mut report = String::new();
    for c in &circles {
        report.push_str(&format!("circle of {} files:\n", c.len()));
        for &a in c {
            for (&b, items) in edges.get(&a).into_iter().flatten().filter(|(b, _)| c.contains(b)) {
                let items: Vec<_> = items.iter().map(String::as_str).collect();
                report.push_str(&format!("  {} -> {}: {}\n", files[a].file, files[b].file, items.join(", ")));
            }
        }
    }
    assert!(circles.is_empty(), "import circles in src/:\n{report}");
}

/// The resolver: module paths to files, and each file's `pub use` re-exports.
struct Graph<'a> {
    files: &'a [SourceFile],
    by_module: &'a BTreeMap<ModPath, usize>,
    /// Per file: (exported name or `*`, the path it re-exports, the scope it was written in).
    reexports: &'a [Vec<(String, Vec<String>, ModPath)>],
    /// Per file: the module paths of its inline modules (and its own).
    inline: &'a [BTreeSet<ModPath>],
}

impl Graph<'_> {
    /// The file defining `path` as written in module `scope`, and the item's name; None for
    /// paths into other crates.
    fn resolve(&self, scope: &ModPath, path: &[String], depth: usize) -> Option<(usize, String)> {
        let mut module: ModPath = match path.first()?.as_str() {
            "crate" => vec![],
            "self" => scope.clone(),
            "super" => scope.clone(),
            first => {
                let mut child = scope.clone();
                child.push(first.to_string());
                if !self.is_module(&child) && !self.declares_inline(scope, first) {
                    return None;
                }
                scope.clone()
            }
        };
        let mut rest = path;
        match path[0].as_str() {
            "crate" | "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    module.pop();
                    rest = &rest[1..];
                }
            }
            _ => {}
        }
        while let Some(seg) = rest.first() {
            let mut deeper = module.clone();
            deeper.push(seg.clone());
            if self.is_module(&deeper) || self.declares_inline(&module, seg) {
                module = deeper;
                rest = &rest[1..];
            } else {
                break;
            }
        }
        // Inline modules (`mod tests { ... }`) live in their parent's file.
        let mut file_module = module.clone();
        while !self.by_module.contains_key(&file_module) {
            file_module.pop();
        }
        let file = self.by_module[&file_module];
        // The item named: "" when the path names the module itself.
        let item = rest.first().cloned().unwrap_or_default();
        if depth < 8 && !item.is_empty() && item != "*" {
            for (name, target, at) in &self.reexports[file] {
                if name == &item && at == &module {
                    if let Some(found) = self.resolve(at, target, depth + 1) {
                        return Some(found);
                    }
                }
            }
            // `pub use inner::*`: the item, if the glob's module defines or re-exports it.
            if !defines(&self.files[file].code, &item) {
                for (name, target, at) in &self.reexports[file] {
                    if name == "*" && at == &module {
                        let mut path = target.clone();
                        path.pop();
                        path.push(item.clone());
                        if let Some(found) = self.resolve(at, &path, depth + 1).filter(|(f, _)| *f != file) {
                            return Some(found);
                        }
                    }
                }
            }
        }
        Some((file, item))
    }

    /// What `use module::*` brings a file that uses `used`: each name the module's file
    /// defines or re-exports, resolved to the file defining it.
    fn glob(&self, file: usize, used: &BTreeSet<String>) -> Vec<(usize, String)> {
        let module = &self.files[file].module;
        let mut out = vec![];
        for name in used {
            let exported = self.reexports[file].iter().find(|(n, _, at)| n == name && at == module);
            if let Some((_, target, at)) = exported {
                out.extend(self.resolve(at, target, 1));
            } else if defines(&self.files[file].code, name) {
                out.push((file, name.clone()));
            }
        }
        out
    }

    fn is_module(&self, m: &ModPath) -> bool {
        self.by_module.contains_key(m)
    }

    /// Whether the file of `scope` declares an inline `mod name {`.
    fn declares_inline(&self, scope: &ModPath, name: &str) -> bool {
        let mut m = scope.clone();
        while !self.by_module.contains_key(&m) {
            if m.pop().is_none() {
                return false;
            }
        }
        let mut inner = scope.clone();
        inner.push(name.to_string());
        self.inline[self.by_module[&m]].contains(&inner)
    }
}

/// Every `.rs` file under `src/` but main.rs and test-only files, with its module path.
fn read_sources(root: &Path) -> Vec<SourceFile> {
    let mut paths = vec![];
    collect(root, &mut paths);
    paths.sort();
    let files = paths
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            let mut module: ModPath = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let (code, test_modules) = without_tests(&blank(&text));
            (SourceFile { file: format!("src/{rel}"), module, code }, test_modules)
        })
        .collect::<Vec<_>>();
    // Files of `#[cfg(test)] mod name;` modules are test code too.
    let test_only: BTreeSet<ModPath> = files
        .iter()
        .flat_map(|(f, names)| names.iter().map(|n| f.module.iter().cloned().chain([n.clone()]).collect()))
        .collect();
    files.into_iter().map(|(f, _)| f).filter(|f| !test_only.iter().any(|t| f.module.starts_with(t))).collect()
}

/// The code with `#[cfg(test)]` items blanked (test code may reach up for fixtures; the
/// layering is the built crate's), and the names of `#[cfg(test)] mod name;` files.
fn without_tests(code: &str) -> (String, Vec<String>) {
    let mut out = code.as_bytes().to_vec();
    let mut modules = vec![];
    for (at, m) in code.match_indices("#[cfg(test)]") {
        let item = at + m.len();
        let semi = code[item..].find(';').map(|n| item + n);
        let open = code[item..].find('{').map(|n| item + n);
        let end = match (semi, open) {
            (Some(s), Some(o)) if s < o => s + 1,
            (Some(s), None) => s + 1,
            (_, Some(o)) => {
                let mut depth = 0usize;
                let mut end = code.len();
                for (i, c) in code[o..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = o + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, None) => continue,
        };
        let words: Vec<&str> = code[item..end].split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "mod") {
            if let Some(name) = words.get(i + 1).and_then(|n| n.strip_suffix(';')) {
                modules.push(name.to_string());
            }
        }
        for c in out.iter_mut().take(end).skip(at) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), modules)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code with comments, string and char literals replaced by spaces (braces inside them
/// no longer count; `crate::` in a doc comment is no import).
fn blank(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let wipe = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(b.len())).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n);
            wipe(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            let mut j = i;
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            wipe(&mut out, i, j);
            i = j;
        } else if (b[i] == b'r' || (b[i] == b'b' && b.get(i + 1) == Some(&b'r')))
            && !ident_byte(i.checked_sub(1).map(|k| b[k]))
            && raw_string_start(&b[i..]).is_some()
        {
            let (hashes, open) = raw_string_start(&b[i..]).unwrap_or((0, 0));
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let body = i + open;
            let end = b[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |n| body + n + close.len());
            wipe(&mut out, i, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            wipe(&mut out, i, j + 1);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{7f}', '{'), not a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..].iter().position(|&c| c == b'\'').map(|n| i + 2 + n)
            } else {
                let ch = s[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 1 + ch)
            };
            match end {
                Some(e) => {
                    wipe(&mut out, i, e + 1);
                    i = e + 1;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every identifier in the code.
fn identifiers(code: &str) -> BTreeSet<String> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        .map(String::from)
        .collect()
}

/// The identifiers the code writes right after `module::` (`ioc::extract` -> `extract`).
fn qualified(code: &str, module: &str) -> Vec<String> {
    let needle = format!("{module}::");
    code.match_indices(&needle)
        .filter(|(at, _)| {
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        })
        .map(|(at, _)| {
            code[at + needle.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether the code defines an item `name` (fn, struct, enum, trait, type, const, static,
/// union, macro).
fn defines(code: &str, name: &str) -> bool {
    ["fn", "struct", "enum", "trait", "type", "const", "static", "union", "macro_rules!"].iter().any(|kw| {
        code.match_indices(&format!("{kw} {name}")).any(|(at, m)| {
            let before = code[..at].chars().next_back();
            let after = code[at + m.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// `r"`, `r#"`, `br##"` ...: the number of hashes and the length of the opening.
fn raw_string_start(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = if b.first() == Some(&b'b') { 1 } else { 0 };
    if b.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
    (b.get(i + hashes) == Some(&b'"')).then_some((hashes, i + hashes + 1))
}

fn ident_byte(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// For each byte offset where a scope starts, the module path in effect: the file's module,
/// and inline `mod name {` blocks inside it. Returned as (offset, scope) change points.
fn scopes(f: &SourceFile) -> Vec<(usize, ModPath)> {
    let b = f.code.as_bytes();
    let mut out = vec![(0, f.module.clone())];
    let mut stack: Vec<(usize, ModPath)> = vec![]; // (brace depth at open, scope)
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if stack.last().is_some_and(|(d, _)| *d == depth) {
                    stack.pop();
                    let now = stack.last().map_or(f.module.clone(), |(_, s)| s.clone());
                    out.push((i + 1, now));
                }
            }
            b'm' if b[i..].starts_with(b"mod ") && !ident_byte(i.checked_sub(1).map(|k| b[k])) => {
                let name_start = i + 4;
                let name_end =
                    name_start + b[name_start..].iter().take_while(|&&c| ident_byte(Some(c))).count();
                let after =
                    b[name_end..].iter().position(|&c| !c.is_ascii_whitespace()).map(|n| name_end + n);
                if let Some(a) = after.filter(|&a| b[a] == b'{') {
                    let mut scope = stack.last().map_or(f.module.clone(), |(_, s)| s.clone());
                    scope.push(f.code[name_start..name_end].to_string());
                    stack.push((depth, scope.clone()));
                    depth += 1;
                    out.push((a + 1, scope));
                    i = a + 1;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn scope_at(points: &[(usize, ModPath)], at: usize) -> ModPath {
    points.iter().take_while(|(o, _)| *o <= at).last().map(|(_, s)| s.clone()).unwrap_or_default()
}

/// Every path the file names: the leaves of its `use` trees and inline `crate::` /
/// `super::` / `self::` paths, each with the scope it was written in.
fn references(f: &SourceFile) -> Vec<(ModPath, Vec<String>)> {
    let points = scopes(f);
    let mut out = vec![];
    let mut spans = vec![];
    for (at, tree) in use_statements(&f.code) {
        let scope = scope_at(&points, at);
        for path in expand(&tree) {
            out.push((scope.clone(), path));
        }
        spans.push(at..at + f.code[at..].find(';').unwrap_or(0));
    }
    // `child::item` after a `mod child;` of this file.
    for (at, name) in child_modules(&f.code) {
        let scope = scope_at(&points, at);
        for item in qualified(&f.code, &name) {
            out.push((scope.clone(), vec!["self".into(), name.clone(), item]));
        }
    }
    let b = f.code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(n) = f.code[from..].find(start) {
            let at = from + n;
            from = at + start.len();
            if ident_byte(at.checked_sub(1).map(|k| b[k]))
                || at.checked_sub(1).is_some_and(|k| b[k] == b':')
                || spans.iter().any(|s| s.contains(&at))
            {
                continue;
            }
            let end = at + b[at..].iter().take_while(|&&c| ident_byte(Some(c)) || c == b':').count();
            let path: Vec<String> =
                f.code[at..end].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            out.push((scope_at(&points, at), path));
        }
    }
    out
}

/// The modules a file declares with `mod name;` (offset, name).
fn child_modules(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    code.match_indices("mod ")
        .filter(|(at, _)| !ident_byte(at.checked_sub(1).map(|k| b[k])))
        .filter_map(|(at, _)| {
            let name: String =
                code[at + 4..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            code[at + 4 + name.len()..].trim_start().starts_with(';').then_some((at, name))
        })
        .collect()
}

/// `use` statements: (offset, the tree text between `use` and `;`).
fn use_statements(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut out = vec![];
    let mut from = 0;
    while let Some(n) = code[from..].find("use ") {
        let at = from + n;
        from = at + 4;
        if ident_byte(at.checked_sub(1).map(|k| b[k])) {
            continue;
        }
        if let Some(end) = code[at..].find(';') {
            out.push((at, squeeze(&code[at + 4..at + end])));
        }
    }
    out
}

/// A use tree with single spaces, and none beside `::`, braces and commas
/// (`a::{ b as c,\n d }` -> `a::{b as c,d}`).
fn squeeze(tree: &str) -> String {
    let words = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    let chars: Vec<char> = words.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let punct = |c: Option<&char>| c.is_some_and(|c| matches!(c, ':' | '{' | '}' | ','));
        if c == ' ' && (punct(chars.get(i + 1)) || i.checked_sub(1).is_some_and(|k| punct(chars.get(k)))) {
            continue;
        }
        out.push(c);
    }
    out
}

/// The leaf paths of a use tree (`a::{b, c::{d, e as f}}` -> a::b, a::c::d, a::c::e).
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim_start_matches("::");
    match tree.find('{') {
        None => {
            let t = tree.split(" as ").next().unwrap_or(tree);
            vec![t.split("::").filter(|s| !s.is_empty()).map(String::from).collect()]
        }
        Some(open) => {
            let prefix: Vec<String> =
                tree[..open].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut parts = vec![];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            let mut out = vec![];
            for p in parts.into_iter().filter(|p| !p.is_empty()) {
                for leaf in expand(p) {
                    let mut path = prefix.clone();
                    if leaf != ["self"] {
                        path.extend(leaf);
                    }
                    out.push(path);
                }
            }
            out
        }
    }
}

/// `pub use` / `pub(crate) use` re-exports of a file: (name, target path, scope).
fn pub_uses(f: &SourceFile) -> Vec<(String, Vec<String>, ModPath)> {
    let points = scopes(f);
    let mut out = vec![];
    for (at, tree) in use_statements(&f.code) {
        let before = f.code[..at].trim_end();
        if !(before.ends_with("pub") || before.ends_with(')')) {
            continue;
        }
        let scope = scope_at(&points, at);
        let leaves = expand(&tree);
        // Names as exported: the alias when `as` renames.
        for (leaf, raw) in leaves.iter().zip(raw_leaves(&tree)) {
            let name = raw.split_once(" as ").map(|(_, alias)| alias.to_string());
            let name = name.or_else(|| leaf.last().cloned()).unwrap_or_default();
            out.push((name, leaf.clone(), scope.clone()));
        }
    }
    out
}

/// The leaf texts of a use tree as written (to read `x as y` renames).
fn raw_leaves(tree: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    for c in tree.chars() {
        match c {
            '{' | '}' | ',' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    let out: Vec<String> = out.into_iter().filter(|s| !s.ends_with("::")).collect();
    out
}

/// Strongly connected components of more than one file (Tarjan).
fn strongly_connected(
    n: usize,
    edges: &BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        let targets: Vec<usize> = s.edges.get(&v).map(|m| m.keys().copied().collect()).unwrap_or_default();
        for w in targets {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut comp = vec![];
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort_unstable();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: vec![],
        next: 0,
        out: vec![],
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

#[test]
fn use_trees_expand_to_their_leaves() {
    let tree = squeeze("crate::a::{ b,\n c::{d, e as f}, self }");
    assert_eq!(tree, "crate::a::{b,c::{d,e as f},self}");
    let want: Vec<Vec<String>> = [
        vec!["crate", "a", "b"],
        vec!["crate", "a", "c", "d"],
        vec!["crate", "a", "c", "e"],
        vec!["crate", "a"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(expand(&tree), want);
    assert_eq!(expand("super::x as y"), vec![vec!["super".to_string(), "x".to_string()]]);
}

#[test]
fn comments_and_strings_are_no_imports() {
    let code = blank("// use crate::a;\nlet s = \"crate::b\"; let c = '{'; /* crate::c */ use crate::d;");
    assert!(!code.contains("crate::a") && !code.contains("crate::b") && !code.contains("crate::c"));
    assert!(code.contains("use crate::d;"));
}
