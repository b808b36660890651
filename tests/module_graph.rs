//! The rooms of `src/mrs`, `src/provider` and `emulator/src`, and of every module folder below
//! them, use each other one way only.
//!
//! STYLE.md asks that inside a folder no two files use each other. This test reads the source,
//! not the compiler's view, so it stays cheap: each file or sub-folder directly inside a folder is
//! a *room*, and the file that declares the folder's modules (`mod.rs`, `lib.rs`, or `x.rs` beside
//! `x/`) is the room `(root)`: a root that uses its modules must not be used by them. A room uses another
//! when its code names it through `crate::…`, `super::…` or a name the root re-exports. Test code
//! (`*tests.rs`, `tests/` folders, everything after a top-level `#[cfg(test)]`) and comments are
//! not read: tests may look anywhere. Re-exports and `mod` lines of the root are not uses.
//!
//! `cargo test --test module_graph -- --nocapture` prints each folder's graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = "(root)";

/// A folder to check: where it is, the file that declares its modules, and how code elsewhere in
/// the crate spells its path.
struct Folder {
    dir: PathBuf,
    root: PathBuf,
    crate_prefix: String,
}

impl Folder {
    fn top(dir: &str, root_file: &str, crate_prefix: &str) -> Folder {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        Folder {
            root: dir.join(root_file),
            dir,
            crate_prefix: crate_prefix.to_string(),
        }
    }

    /// This folder and every module folder below it (`x/` with `x/mod.rs` or a sibling `x.rs`).
    fn with_sub_folders(self) -> Vec<Folder> {
        let mut all = Vec::new();
        for entry in fs::read_dir(&self.dir).expect("readable folder") {
            let path = entry.expect("readable folder").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !path.is_dir() || name == "tests" || name == "bin" {
                continue;
            }
            let root = if path.join("mod.rs").exists() {
                path.join("mod.rs")
            } else {
                self.dir.join(format!("{name}.rs"))
            };
            let crate_prefix = format!("{}{name}::", self.crate_prefix);
            all.extend(
                Folder {
                    dir: path,
                    root,
                    crate_prefix,
                }
                .with_sub_folders(),
            );
        }
        all.insert(0, self);
        all
    }
}

#[test]
fn src_mrs_has_no_import_cycle() {
    assert_one_way(Folder::top("src/mrs", "mod.rs", "crate::mrs::"));
}

#[test]
fn src_provider_has_no_import_cycle() {
    assert_one_way(Folder::top("src/provider", "mod.rs", "crate::provider::"));
}

#[test]
fn emulator_src_has_no_import_cycle() {
    assert_one_way(Folder::top("emulator/src", "lib.rs", "crate::"));
}

/// Checks the folder and each folder below it on its own: inside every folder, its rooms are
/// acyclic.
fn assert_one_way(top: Folder) {
    let mut failures = Vec::new();
    for folder in top.with_sub_folders() {
        if let Err(cycles) = check_folder(&folder) {
            failures.push(cycles);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_folder(folder: &Folder) -> Result<(), String> {
    let graph = Graph::read(folder);
    let shown = folder
        .dir
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(&folder.dir);
    println!("{}:", shown.display());
    for (from, uses) in &graph.edges {
        let names: Vec<&str> = uses.keys().map(String::as_str).collect();
        println!("  {from} -> {}", names.join(", "));
    }
    let cycles = graph.cycles();
    if cycles.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} has import cycles (each edge with the first file that makes it):\n{}",
        shown.display(),
        cycles
            .iter()
            .map(|cycle| format!("cycle:\n{}", graph.describe(cycle)))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

/// Rooms and who uses whom; each edge remembers the first file that makes it.
struct Graph {
    edges: BTreeMap<String, BTreeMap<String, PathBuf>>,
}

impl Graph {
    fn read(folder: &Folder) -> Graph {
        let dir = &folder.dir;
        // room name -> its files; a module's `x.rs` and its folder `x/` are one room
        let mut rooms: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        rooms.insert(ROOT.to_string(), vec![folder.root.clone()]);
        for entry in fs::read_dir(dir).expect("folder exists") {
            let path = entry.expect("readable folder").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path == folder.root || name == "bin" {
                continue;
            } else if path.is_dir() {
                rooms.entry(name).or_default().extend(source_files(&path));
            } else if let Some(stem) = name.strip_suffix(".rs") {
                rooms
                    .entry(stem.to_string())
                    .or_default()
                    .push(path.clone());
            }
        }
        let root_text = fs::read_to_string(&rooms[ROOT][0]).unwrap();
        let re_exports = re_exports(&root_text);
        let root_items = items_defined(&code_of(&root_text, true));
        let mut edges: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
        for (room, files) in &rooms {
            for file in files.iter().filter(|file| !is_test_file(file)) {
                let depth = file
                    .strip_prefix(dir)
                    .map_or(1, |inside| inside.components().count());
                let text = code_of(&fs::read_to_string(file).unwrap(), room == ROOT);
                let mut names = used_names(&text, &folder.crate_prefix, depth, room == ROOT);
                if room == ROOT {
                    // The root names its own modules bare: `routes::serve(…)`.
                    names.extend(rooms.keys().filter(|r| uses_bare(&text, r)).cloned());
                    // …and uses what it re-exports by name: `Box::new(JobKillResource)`.
                    names.extend(
                        re_exports
                            .keys()
                            .filter(|item| names_word(&text, item))
                            .cloned(),
                    );
                }
                for name in names {
                    let target = if rooms.contains_key(&name) && name != ROOT {
                        name
                    } else if let Some(module) = re_exports.get(&name) {
                        module.clone()
                    } else if root_items.contains(&name) {
                        ROOT.to_string()
                    } else {
                        continue;
                    };
                    if &target != room {
                        edges
                            .entry(room.clone())
                            .or_default()
                            .entry(target)
                            .or_insert_with(|| file.clone());
                    }
                }
            }
        }
        Graph { edges }
    }

    /// Every elementary cycle found by a depth-first search, each reported once.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
        for start in self.edges.keys() {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((at, path)) = stack.pop() {
                for next in self.edges.get(&at).into_iter().flat_map(|uses| uses.keys()) {
                    if next == start {
                        let mut cycle = path.clone();
                        let smallest = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap();
                        cycle.rotate_left(smallest);
                        found.insert(cycle);
                    } else if !path.contains(next) && next > start {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    fn describe(&self, cycle: &[String]) -> String {
        let mut lines = Vec::new();
        for (i, from) in cycle.iter().enumerate() {
            let to = &cycle[(i + 1) % cycle.len()];
            let file = &self.edges[from][to];
            lines.push(format!("  {from} -> {to}  ({})", file.display()));
        }
        lines.join("\n")
    }
}

fn source_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("readable folder").path();
        if path.is_dir() {
            files.extend(source_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("tests.rs")
        || path.components().any(|part| part.as_os_str() == "tests")
}

/// The code of a file without comments, without its test module, and (for the root) without the
/// lines that only declare or re-export modules.
fn code_of(text: &str, is_root: bool) -> String {
    const DECLARATIONS: [&str; 5] = [
        "mod ",
        "pub mod ",
        "pub use ",
        "pub(crate) mod ",
        "pub(crate) use ",
    ];
    let mut code = String::new();
    let mut in_declaration = false; // inside a `pub use x::{…};` that spans lines
    for line in text.lines() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let line = line.split("//").next().unwrap_or("");
        let trimmed = line.trim_start();
        if in_declaration {
            in_declaration = !line.contains(';');
            continue;
        }
        if is_root && DECLARATIONS.iter().any(|start| trimmed.starts_with(start)) {
            in_declaration = !line.contains(';');
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Names the root re-exports, and the room each comes from: `pub use client::{A, B};`.
fn re_exports(root: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let flat: String = root
        .split('\n')
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    for statement in flat.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            let name = item
                .rsplit(" as ")
                .next()
                .unwrap_or(item)
                .rsplit("::")
                .next()
                .unwrap_or(item);
            if !name.is_empty() {
                map.insert(name.trim().to_string(), module.trim().to_string());
            }
        }
    }
    map
}

/// The first segment after every `crate::…` / `super::…` path that leads into the folder, with the
/// first segment of each item of a `{…}` group.
fn used_names(code: &str, crate_prefix: &str, depth: usize, is_root: bool) -> Vec<String> {
    // `super::` repeated depth-1 times (once, directly in the folder) names the folder; from the
    // root file itself it would name the folder's parent.
    let mut prefixes = vec![crate_prefix.to_string()];
    if !is_root {
        prefixes.push("super::".repeat(depth.saturating_sub(1).max(1)));
    }
    let mut names = Vec::new();
    for prefix in &prefixes {
        let mut rest = code;
        while let Some(at) = rest.find(prefix.as_str()) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = matching_brace(group);
                for item in split_top_level(&group[..end]) {
                    names.push(first_ident(item));
                }
            } else {
                names.push(first_ident(rest));
            }
        }
    }
    names.retain(|name| !name.is_empty() && name != "self" && name != "super");
    names
}

/// The names of the items a root file defines itself (`struct Emulator`, `fn start`, …).
fn items_defined(code: &str) -> BTreeSet<String> {
    const KINDS: [&str; 7] = [
        "struct ", "enum ", "fn ", "trait ", "type ", "const ", "static ",
    ];
    let mut items = BTreeSet::new();
    for line in code.lines().filter(|line| !line.starts_with(' ')) {
        let line = line
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        let line = line.trim_start_matches("async ");
        for kind in KINDS {
            if let Some(rest) = line.strip_prefix(kind) {
                items.insert(first_ident(rest));
            }
        }
    }
    items
}

/// Whether code names `module::…` at the start of a path.
fn uses_bare(code: &str, module: &str) -> bool {
    let needle = format!("{module}::");
    code.match_indices(&needle).any(|(at, _)| {
        !code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// Whether code holds `word` as a whole identifier.
fn names_word(code: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        !code[..at].chars().last().is_some_and(is_ident)
            && !code[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(group[start..].trim());
    items
}

fn first_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}
